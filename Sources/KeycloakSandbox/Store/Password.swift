// Password hashing for stored users: salted PBKDF2-HMAC-SHA256, so snapshots never hold plaintext.
import CCrypto
import Foundation

enum Password {
    /// Far below Keycloak's 210,000 (pbkdf2-sha512): the sandbox hashes on every password grant
    /// and at start-up, and its secrets are test fixtures; a salted slow hash still keeps
    /// plaintext out of `--state` files.
    static let iterations = 1_000

    static func credential(for password: String, temporary: Bool, now: Double) -> PasswordCredential {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return PasswordCredential(
            id: SandboxStore.newId(), salt: salt, hash: derive(password, salt: salt, iterations: iterations),
            iterations: iterations, temporary: temporary, createdDate: Int64(now * 1000))
    }

    static func matches(_ password: String, _ credential: PasswordCredential) -> Bool {
        let candidate = derive(password, salt: credential.salt, iterations: credential.iterations)
        guard candidate.count == credential.hash.count else { return false }
        // Constant-time comparison: no early exit on the first differing byte.
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, credential.hash) { difference |= a ^ b }
        return difference == 0
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let passwordBytes = Array(password.utf8)
        let ok = passwordBytes.withUnsafeBufferPointer { pass in
            pass.withMemoryRebound(to: CChar.self) { passChars in
                PKCS5_PBKDF2_HMAC(
                    passChars.baseAddress, Int32(passChars.count), salt, Int32(salt.count), Int32(iterations),
                    EVP_sha256(), Int32(out.count), &out)
            }
        }
        precondition(ok == 1, "libcrypto PBKDF2 failed")
        return out
    }
}

extension User {
    /// True when the user has a password and `password` matches it.
    public func passwordMatches(_ password: String) -> Bool {
        guard let credential = self.password else { return false }
        return Password.matches(password, credential)
    }

    /// Replaces the user's password (reset-password, create with credentials, bootstrap).
    public mutating func setPassword(_ password: String, temporary: Bool, now: Double) {
        self.password = Password.credential(for: password, temporary: temporary, now: now)
    }
}
