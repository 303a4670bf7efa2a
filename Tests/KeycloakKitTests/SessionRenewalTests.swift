// Renewals that must happen once: an apply's workers refused together, and kcx processes sharing
// one config file (the renewal re-reads the stored profile under the file lock first).
import Foundation
import KcxJSON
import Synchronization
import Testing

@testable import KeycloakKit

/// A token endpoint that answers every refresh with the next numbered token pair, counting the
/// requests; anything else is a test failure. Thread-safe.
final class NumberingTokenEndpoint: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var issued = 0
    private let delay: Double

    /// `delay` seconds per answer widen the window in which concurrent renewals overlap.
    init(delay: Double = 0) { self.delay = delay }

    var requests: Int { lock.withLock { issued } }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let body = request.body.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard request.url == "http://kc/realms/master/protocol/openid-connect/token", body.hasPrefix("grant_type=refresh_token&")
        else {
            Issue.record("unexpected request \(request.method) \(request.url) \(body)")
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let number = lock.withLock {
            issued += 1
            return issued + 1
        }
        let json = #"{"access_token":"A\#(number)","expires_in":60,"refresh_token":"R\#(number)","refresh_expires_in":1800}"#
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
    }
}

/// Runs `body(index)` on `count` threads of their own at once (DispatchQueue.concurrentPerform
/// would run only as many at a time as there are cores) and waits for all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

@Suite("Session renewal")
struct SessionRenewalTests {
    let clock = TestClock()

    func session(access: String = "A1", expiresIn: Double = 60) -> StoredSession {
        StoredSession(
            server: "http://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
            passwordSource: .file("/run/secrets/pw"), accessToken: access,
            accessTokenExpiresAt: clock.now.addingTimeInterval(expiresIn),
            refreshToken: "R1", refreshTokenExpiresAt: clock.now.addingTimeInterval(1800))
    }

    func manager(_ session: StoredSession, _ transport: HTTPTransport, storage: SessionStorage? = nil) -> TokenManager {
        let clock = self.clock
        return TokenManager(
            session: session, transport: transport, environment: [:], now: { clock.now }, loginHint: "log in again",
            storage: storage)
    }

    @Test("workers refused together: the first renews, the others get its token without a request")
    func concurrentRejectionsRenewOnce() throws {
        let endpoint = NumberingTokenEndpoint(delay: 0.02)
        let shared = SerializedTokenProvider(manager(session(), endpoint))
        let tokens = Box(Mutex<[String?]>(Array(repeating: nil, count: 8)))
        onThreads(8) { worker in
            let renewed = try? shared.renewAfterRejection(of: "A1")
            tokens.value.withLock { $0[worker] = renewed }
        }
        #expect(endpoint.requests == 1)
        #expect(tokens.value.withLock { $0 } == Array(repeating: "A2", count: 8))
        // A refusal of the new token is a new revocation: renewed once more.
        #expect(try shared.renewAfterRejection(of: "A2") == "A3")
        #expect(endpoint.requests == 2)
    }

    @Test("a token another process stored meanwhile is used instead of renewing again")
    func adoptsANewerStoredToken() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ConfigStore(path: directory + "/config.json")
        var newer = session(access: "A9")
        newer.refreshToken = "R9"
        try store.save(newer, as: "default")
        let endpoint = NumberingTokenEndpoint()
        let tokens = manager(session(expiresIn: 5), endpoint, storage: SessionStorage(store: store, profile: "default"))
        #expect(try tokens.accessToken() == "A9")
        #expect(tokens.session.refreshToken == "R9")
        #expect(endpoint.requests == 0)
        #expect(try store.session(named: "default") == newer)
    }

    @Test("a renewal is stored in the profile; the other profiles and the secret source stay")
    func renewalIsStored() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ConfigStore(path: directory + "/config.json")
        try store.save(session(), as: "default")
        var other = session(access: "B1")
        other.realm = "apps"
        try store.save(other, as: "apps")
        let tokens = manager(session(), NumberingTokenEndpoint(), storage: SessionStorage(store: store, profile: "default"))
        #expect(try tokens.renewAfterRejection(of: "A1") == "A2")
        var expected = session(access: "A2")
        expected.refreshToken = "R2"
        #expect(try store.session(named: "default") == expected)
        #expect(try store.session(named: "apps") == other)
        #expect(try store.profileNames() == ["default", "apps"])
        #expect(FileSystem.mode(of: store.path) == 0o600)
    }

    @Test("a profile replaced by another login (or removed) meanwhile is left alone")
    func replacedProfileIsNotOverwritten() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ConfigStore(path: directory + "/config.json")
        var replacement = session(access: "Z1")
        replacement.username = "someone-else"
        try store.save(replacement, as: "default")
        let tokens = manager(session(), NumberingTokenEndpoint(), storage: SessionStorage(store: store, profile: "default"))
        #expect(try tokens.renewAfterRejection(of: "A1") == "A2")
        #expect(try store.session(named: "default") == replacement)

        try store.save(nil, as: "default")
        #expect(try tokens.renewAfterRejection(of: "A2") == "A3")
        #expect(try store.profileNames() == [])
    }

    @Test("managers of one stored profile (as separate processes would) renewing at once: one refresh")
    func managersSharingAProfileRefreshOnce() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = ConfigStore(path: directory + "/config.json")
        try store.save(session(), as: "default")
        let endpoint = NumberingTokenEndpoint(delay: 0.02)
        // Each manager locks the file through its own descriptor, as another process would.
        let managers = (0..<6).map { _ in manager(session(), endpoint, storage: SessionStorage(store: store, profile: "default"))
        }
        let boxed = managers.map { Box($0) }
        let tokens = Box(Mutex<[String?]>(Array(repeating: nil, count: 6)))
        onThreads(6) { index in
            let renewed = try? boxed[index].value.renewAfterRejection(of: "A1")
            tokens.value.withLock { $0[index] = renewed }
        }
        #expect(endpoint.requests == 1)
        #expect(tokens.value.withLock { $0 } == Array(repeating: "A2", count: 6))
        #expect(try store.session(named: "default")?.accessToken == "A2")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(leftovers == ["config.json", "config.json.lock"])
    }
}

final class Box<T: ~Copyable>: @unchecked Sendable {
    let value: T
    init(_ value: consuming T) { self.value = value }
}
