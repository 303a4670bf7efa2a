// SHA-256, SHA-1 and random bytes from libcrypto.
import CCrypto

enum Digest {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { digest(256, bytes, length: 32) }

    /// Only for the JWK `x5t` thumbprint, which RFC 7517 defines as SHA-1.
    static func sha1(_ bytes: [UInt8]) -> [UInt8] { digest(1, bytes, length: 20) }

    private static func digest(_ algorithm: Int32, _ bytes: [UInt8], length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        let ok = bytes.withUnsafeBufferPointer { input in
            kcx_digest(algorithm, input.baseAddress, input.count, &out)
        }
        precondition(ok == 1, "libcrypto digest failed")
        return out
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        precondition(RAND_bytes(&out, Int32(count)) == 1, "libcrypto has no entropy")
        return out
    }
}
