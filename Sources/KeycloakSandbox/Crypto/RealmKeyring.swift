// The realms' keys: one RS256 signing key and one RSA-OAEP encryption key per realm, generated on
// first use so start-up stays fast (RSA-2048 generation takes tens of milliseconds per key).
import Foundation
import KcxJSON

public final class RealmKeyring: @unchecked Sendable {
    private let lock = NSLock()
    private var signingKeys: [String: RSAKey] = [:]
    private var encryptionKeys: [String: RSAKey] = [:]

    public init() {}

    /// The realm's signing key, created on first call.
    public func signingKey(realm: String) -> RSAKey { key(realm: realm, purpose: .signing) }

    /// The keys published in the realm's JWKS, signing key first (as Keycloak lists them).
    public func publishedKeys(realm: String) -> [RSAKey] {
        [key(realm: realm, purpose: .signing), key(realm: realm, purpose: .encryption)]
    }

    /// A signing key by `kid`, without creating anything (verification of a presented token).
    public func existingSigningKey(realm: String, kid: String) -> RSAKey? {
        lock.lock()
        defer { lock.unlock() }
        guard let key = signingKeys[realm], key.kid == kid else { return nil }
        return key
    }

    /// Forgets a realm's keys (realm deleted): tokens it issued stop verifying, as in Keycloak.
    public func removeRealm(_ realm: String) {
        lock.lock()
        defer { lock.unlock() }
        signingKeys[realm] = nil
        encryptionKeys[realm] = nil
    }

    /// Every realm's keys as `{"<realm>":[{use,privateKey,certificate},…]}` for `--state` files.
    public func snapshot() -> JSON {
        lock.lock()
        defer { lock.unlock() }
        var out = JSONObject()
        for realm in Set(signingKeys.keys).union(encryptionKeys.keys).sorted() {
            out[realm] = .array([signingKeys[realm], encryptionKeys[realm]].compactMap { $0?.snapshot() })
        }
        return .object(out)
    }

    /// Replaces all keys with those of a `snapshot()`.
    public func restore(_ snapshot: JSON) throws {
        guard let realms = snapshot.objectValue else { throw CryptoError("key snapshot is not an object") }
        var signing: [String: RSAKey] = [:]
        var encryption: [String: RSAKey] = [:]
        for (realm, keys) in realms {
            for entry in keys.arrayValue ?? [] {
                let key = try RSAKey.restore(entry, realmName: realm)
                if key.purpose == .signing { signing[realm] = key } else { encryption[realm] = key }
            }
        }
        lock.lock()
        defer { lock.unlock() }
        signingKeys = signing
        encryptionKeys = encryption
    }

    private func key(realm: String, purpose: RSAKey.Purpose) -> RSAKey {
        lock.lock()
        if let existing = purpose == .signing ? signingKeys[realm] : encryptionKeys[realm] {
            lock.unlock()
            return existing
        }
        lock.unlock()
        // Generated outside the lock so other realms are not held up; a racing caller's key is dropped.
        guard let fresh = try? RSAKey.generate(purpose: purpose, realmName: realm) else {
            fatalError("libcrypto could not generate an RSA key")
        }
        lock.lock()
        defer { lock.unlock() }
        if purpose == .signing {
            if let raced = signingKeys[realm] { return raced }
            signingKeys[realm] = fresh
        } else {
            if let raced = encryptionKeys[realm] { return raced }
            encryptionKeys[realm] = fresh
        }
        return fresh
    }
}
