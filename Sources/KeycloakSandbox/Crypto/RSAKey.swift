// One RSA-2048 key of a realm: generation, DER export/import for persistence, RS256 signing and
// its public JWK with a self-signed certificate (`x5c`, `x5t`, `x5t#S256`), as Keycloak publishes.
import CCrypto
import Foundation
import KcxJSON

public final class RSAKey: @unchecked Sendable {
    /// What the key is for, in JWK terms: Keycloak's realms publish an RS256 signing key and an
    /// RSA-OAEP encryption key.
    public enum Purpose: String, Sendable {
        case signing = "sig"
        case encryption = "enc"

        var algorithm: String { self == .signing ? "RS256" : "RSA-OAEP" }
    }

    // EVP_PKEY*; owned, freed in deinit. libcrypto keys are safe to use from several threads.
    private let key: OpaquePointer
    public let purpose: Purpose
    /// Keycloak's key id: base64url(SHA-256(SubjectPublicKeyInfo DER)).
    public let kid: String
    public let certificateDER: [UInt8]

    private init(key: OpaquePointer, purpose: Purpose, certificateDER: [UInt8]?, commonName: String) throws {
        self.key = key
        self.purpose = purpose
        self.kid = Base64URL.encode(Digest.sha256(try RSAKey.publicKeyDER(key)))
        if let certificateDER {
            self.certificateDER = certificateDER
        } else {
            self.certificateDER = try RSAKey.selfSignedCertificate(key, commonName: commonName)
        }
    }

    deinit { EVP_PKEY_free(key) }

    /// The public key as SubjectPublicKeyInfo DER (the realm's `public_key`, base64).
    public var publicKeyDER: [UInt8] { (try? RSAKey.publicKeyDER(key)) ?? [] }

    /// A fresh 2048-bit key; the certificate's subject is `CN=<realm name>` like Keycloak's generated keys.
    public static func generate(purpose: Purpose, realmName: String) throws -> RSAKey {
        guard let key = kcx_rsa_generate(2048) else { throw CryptoError("RSA key generation failed") }
        return try RSAKey(key: key, purpose: purpose, certificateDER: nil, commonName: realmName)
    }

    /// A key restored from `privateKeyDER` (and its certificate, when kept) as saved by `snapshot`.
    public static func restore(_ snapshot: JSON, realmName: String) throws -> RSAKey {
        guard let privateText = snapshot["privateKey"]?.stringValue,
            let privateBytes = Data(base64Encoded: privateText),
            let purpose = (snapshot["use"]?.stringValue).flatMap(Purpose.init(rawValue:))
        else { throw CryptoError("key snapshot is missing privateKey or use") }
        let der = [UInt8](privateBytes)
        guard let key = der.withUnsafeBufferPointer({ kcx_private_key_from_der($0.baseAddress, $0.count) }) else {
            throw CryptoError("key snapshot holds no readable private key")
        }
        let certificate = (snapshot["certificate"]?.stringValue).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
        return try RSAKey(key: key, purpose: purpose, certificateDER: certificate, commonName: realmName)
    }

    /// The private key (PKCS#8 DER, base64) and certificate, for `--state` persistence. Never logged.
    public func snapshot() -> JSON {
        var out: UnsafeMutablePointer<UInt8>?
        let length = kcx_private_key_der(key, &out)
        defer { kcx_free(out) }
        precondition(length > 0 && out != nil, "libcrypto could not export a key it generated")
        let der = [UInt8](UnsafeBufferPointer(start: out, count: Int(length)))
        return .object(
            JSONObject([
                ("use", .string(purpose.rawValue)),
                ("privateKey", .string(Data(der).base64EncodedString())),
                ("certificate", .string(Data(certificateDER).base64EncodedString())),
            ]))
    }

    public func sign(_ data: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 512)
        let length = data.withUnsafeBufferPointer { input in
            kcx_rs256_sign(key, input.baseAddress, input.count, &signature, signature.count)
        }
        precondition(length > 0, "RS256 signing failed")
        return Array(signature[0..<Int(length)])
    }

    public func verify(_ data: [UInt8], signature: [UInt8]) -> Bool {
        data.withUnsafeBufferPointer { input in
            signature.withUnsafeBufferPointer { sig in
                kcx_rs256_verify(key, input.baseAddress, input.count, sig.baseAddress, sig.count) == 1
            }
        }
    }

    public var modulus: [UInt8] { parameter("n") }
    public var exponent: [UInt8] { parameter("e") }

    /// The public JWK in the key order of Keycloak's certs endpoint.
    public var jwk: JSONObject {
        JSONObject([
            ("kid", .string(kid)),
            ("kty", "RSA"),
            ("alg", .string(purpose.algorithm)),
            ("use", .string(purpose.rawValue)),
            ("x5c", .array([.string(Data(certificateDER).base64EncodedString())])),
            ("x5t", .string(Base64URL.encode(Digest.sha1(certificateDER)))),
            ("x5t#S256", .string(Base64URL.encode(Digest.sha256(certificateDER)))),
            ("n", .string(Base64URL.encode(modulus))),
            ("e", .string(Base64URL.encode(exponent))),
        ])
    }

    private func parameter(_ name: String) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let length = kcx_rsa_param(key, name, &buffer, Int32(buffer.count))
        precondition(length > 0, "RSA key without parameter \(name)")
        return Array(buffer[0..<Int(length)])
    }

    private static func publicKeyDER(_ key: OpaquePointer) throws -> [UInt8] {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { throw CryptoError("cannot encode the public key") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { throw CryptoError("cannot encode the public key") }
        return bytes
    }

    private static func selfSignedCertificate(_ key: OpaquePointer, commonName: String) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        // Ten years, like the certificates of Keycloak's generated RSA keys.
        let length = kcx_self_signed_certificate(key, commonName, 3650, &out)
        defer { kcx_free(out) }
        guard length > 0, let out else { throw CryptoError("cannot create the key's certificate") }
        return [UInt8](UnsafeBufferPointer(start: out, count: Int(length)))
    }
}

public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
