// The realms' keys: one RS256 signing key and one RSA-OAEP encryption key per realm, generated on
// first use so start-up stays fast (RSA-2048 generation takes tens of milliseconds per key), and a
// cache of tokens whose signature was already checked.
import Foundation
import KcxJSON

public final class RealmKeyring: @unchecked Sendable {
    private let lock = NSLock()
    private var signingKeys: [String: RSAKey] = [:]
    private var encryptionKeys: [String: RSAKey] = [:]
    /// Counts changes to the keys (a key generated, a realm's keys dropped, a restore), so `--state`
    /// journals them only when they changed.
    private var changeCount = 0

    /// A token whose RS256 signature matched `key`, with its parsed claims.
    struct Verification {
        let realm: String
        let key: RSAKey
        let claims: JSONObject
    }

    /// Verified tokens by their text. Only the signature check and the parsing are cached: expiry,
    /// revocation, session and user checks run on every request (AccessTokenVerifier.check). An entry
    /// counts only while its key is still the realm's signing key, so deleting a realm or restoring
    /// keys invalidates it.
    private var verifications: [String: Verification] = [:]
    /// Tests and benchmarks hold a handful of live tokens; the bound only stops unbounded growth.
    static let verificationCacheLimit = 4096

    public init() {}

    /// The cached verification of `token`, when its key is still the realm's signing key.
    func cachedVerification(of token: String) -> Verification? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = verifications[token] else { return nil }
        guard signingKeys[entry.realm] === entry.key else {
            verifications[token] = nil
            return nil
        }
        return entry
    }

    /// Records that `token` carries a valid signature by `key`, `realm`'s signing key.
    func rememberVerification(of token: String, realm: String, key: RSAKey, claims: JSONObject) {
        lock.lock()
        defer { lock.unlock() }
        // Dropping everything when full is simpler than LRU and costs one re-verification per live token.
        if verifications.count >= Self.verificationCacheLimit { verifications.removeAll(keepingCapacity: true) }
        verifications[token] = Verification(realm: realm, key: key, claims: claims)
    }

    /// How many verified tokens are cached (for tests).
    var cachedVerificationCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return verifications.count
    }

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
        changeCount += 1
        verifications = verifications.filter { $0.value.realm != realm }
    }

    /// The number of changes so far (see `changeCount`).
    public var generation: Int {
        lock.lock()
        defer { lock.unlock() }
        return changeCount
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
        changeCount += 1
        verifications.removeAll()
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
        changeCount += 1
        return fresh
    }
}
