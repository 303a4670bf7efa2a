// What every route handler gets: the store, the enabled features, the public base URL and the clock.
import Foundation

public final class SandboxContext: @unchecked Sendable {
    public let store: SandboxStore
    public let features: FeatureSet
    /// Every realm's RSA keys (signing, encryption), persisted with the store.
    public let keys: RealmKeyring
    /// The `jti`s of client assertions already accepted (Keycloak's single-use store).
    public let usedAssertionIDs = UsedAssertionIDs()
    private let lock = NSLock()
    private var currentBaseURL: String
    private var offset: Double = 0
    private let wallClock: @Sendable () -> Double

    /// `clock` returns seconds since the epoch; tests inject a fixed one.
    public init(
        store: SandboxStore, features: FeatureSet = .keycloakDefaults, keys: RealmKeyring = RealmKeyring(),
        baseURL: String = "http://127.0.0.1:8080", clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.store = store
        self.features = features
        self.keys = keys
        self.currentBaseURL = baseURL
        self.wallClock = clock
    }

    /// `http://127.0.0.1:PORT` without a trailing slash; the issuer is `baseURL + "/realms/" + realm`.
    public var baseURL: String {
        get { lock.withLock { currentBaseURL } }
        set { lock.withLock { currentBaseURL = newValue } }
    }

    /// Seconds since the epoch, shifted by the control API (`POST /_sandbox/clock`) so tests can expire tokens.
    public func now() -> Double { wallClock() + clockOffset }

    /// How far the clock has been moved forward, in seconds.
    public var clockOffset: Double { lock.withLock { offset } }

    /// Moves the clock forward (never back: tokens issued "in the future" would confuse every check).
    public func advanceClock(by seconds: Double) {
        guard seconds > 0 else { return }
        lock.withLock { offset += seconds }
    }
}
