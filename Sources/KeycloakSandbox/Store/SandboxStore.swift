// The in-memory realm store: all realm state behind one lock, plus id and secret generators.
import Foundation
import KcxJSON

/// Everything the sandbox knows about realms. Mutated only inside `SandboxStore.withLock`.
public struct StoreState: Sendable {
    /// Realms in creation order (`GET /admin/realms` answers in this order).
    public var realms: [Realm] = []

    public init() {}

    public func realm(named name: String) -> Realm? { realms.first { $0.name == name } }
    public func realmIndex(named name: String) -> Int? { realms.firstIndex { $0.name == name } }
    public var master: Realm? { realm(named: "master") }
}

public final class SandboxStore: @unchecked Sendable {
    private let lock = NSLock()
    private var state = StoreState()

    public init() {}

    /// Runs `body` with exclusive access to the state; every read and write goes through here.
    public func withLock<T>(_ body: (inout StoreState) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    /// A read-only view under the same lock.
    public func read<T>(_ body: (StoreState) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(state)
    }

    /// A new lower-case UUID, as Keycloak generates for every entity id.
    public static func newId() -> String { UUID().uuidString.lowercased() }

    /// A client secret like Keycloak's: 32 random alphanumeric characters.
    public static func newSecret() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
