// Compact JWTs on the client side: decoding without verification (to show or inspect a token) and
// RS256 verification against a JWKS document with `exp`/`nbf`, `iss` and audience checks.
import CCrypto
import FoundationEssentials
import KcxJSON

public enum JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a compact JWS; the associated text says which part is wrong.
    case malformed(String)
    case unsupportedAlgorithm(String)
    case invalidJWKS(String)
    /// No RS256 signing key in the JWKS matches the token's `kid` (nil when the token has none).
    case unknownKey(kid: String?)
    case badSignature
    case expired(expiresAt: Int64, now: Int64)
    case notYetValid(notBefore: Int64, now: Int64)
    case wrongIssuer(expected: String, actual: String?)
    case wrongAudience(expected: String, actual: [String])

    public var description: String {
        switch self {
        case .malformed(let what): return "malformed token: \(what)"
        case .unsupportedAlgorithm(let alg): return "unsupported token signature algorithm '\(alg)' (only RS256 is verified)"
        case .invalidJWKS(let what): return "invalid JWKS document: \(what)"
        case .unknownKey(let kid?): return "no RS256 signing key with kid '\(kid)' in the JWKS"
        case .unknownKey(nil): return "the token has no kid and the JWKS does not hold exactly one RS256 signing key"
        case .badSignature: return "token signature does not verify"
        case .expired(let exp, let now): return "token expired at \(exp) (now \(now))"
        case .notYetValid(let nbf, let now): return "token not valid before \(nbf) (now \(now))"
        case .wrongIssuer(let expected, let actual):
            return "token issuer is \(actual.map { "'\($0)'" } ?? "missing"), expected '\(expected)'"
        case .wrongAudience(let expected, let actual):
            let list = actual.isEmpty ? "no audience" : "audience [\(actual.joined(separator: ", "))]"
            return "token has \(list), expected '\(expected)'"
        }
    }
}

/// A decoded compact JWT. Decoding checks only the shape; see `verify` for trust.
public struct JWT: Sendable {
    public let header: JSONObject
    public let claims: JSONObject
    let signingInput: [UInt8]
    let signature: [UInt8]

    public static func decode(_ token: String) throws(JWTError) -> JWT {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("expected three dot-separated parts, found \(parts.count)")
        }
        let header = try object(parts[0], name: "header")
        let claims = try object(parts[1], name: "payload")
        guard let signature = JWTBase64URL.decode(parts[2]) else { throw .malformed("signature is not base64url") }
        return JWT(header: header, claims: claims, signingInput: Array((parts[0] + "." + parts[1]).utf8), signature: signature)
    }

    private static func object(_ part: Substring, name: String) throws(JWTError) -> JSONObject {
        guard let bytes = JWTBase64URL.decode(part) else { throw .malformed("\(name) is not base64url") }
        guard let json = try? JSON.parse(bytes) else { throw .malformed("\(name) is not JSON") }
        guard let object = json.objectValue else { throw .malformed("\(name) is not a JSON object") }
        return object
    }

    /// `aud` as a list: Keycloak writes one audience as a string and several as an array.
    public var audiences: [String] {
        switch claims["aud"] {
        case .string(let one)?: return [one]
        case .array(let many)?: return many.compactMap(\.stringValue)
        default: return []
        }
    }

    public var issuer: String? { claims["iss"]?.stringValue }
    public var expiresAt: Int64? { claims["exp"]?.intValue }
    public var keyID: String? { header["kid"]?.stringValue }
}

/// What a verified token must satisfy besides its signature.
public struct JWTExpectations: Sendable {
    public var issuer: String?
    public var audience: String?
    /// Seconds since the epoch.
    public var now: Int64
    /// Tolerated clock skew for `exp` and `nbf`, in seconds.
    public var leeway: Int64

    public init(issuer: String? = nil, audience: String? = nil, now: Int64, leeway: Int64 = 10) {
        self.issuer = issuer
        self.audience = audience
        self.now = now
        self.leeway = leeway
    }
}

/// The RSA public keys of a JWKS document (`{"keys":[…]}`), e.g. a realm's `…/protocol/openid-connect/certs`.
public struct JWKS: Sendable {
    struct RSAPublicKey: Sendable {
        var kid: String?
        var modulus: [UInt8]
        var exponent: [UInt8]
        var isRS256Signing: Bool
    }

    let keys: [RSAPublicKey]

    public init(_ document: JSON) throws(JWTError) {
        guard let entries = document["keys"]?.arrayValue else { throw .invalidJWKS("no \"keys\" array") }
        var keys: [RSAPublicKey] = []
        for entry in entries where entry["kty"]?.stringValue == "RSA" {
            guard let n = entry["n"]?.stringValue.flatMap({ JWTBase64URL.decode(Substring($0)) }), !n.isEmpty,
                let e = entry["e"]?.stringValue.flatMap({ JWTBase64URL.decode(Substring($0)) }), !e.isEmpty
            else { throw .invalidJWKS("RSA key \(entry["kid"]?.stringValue ?? "without kid") lacks a valid n or e") }
            // A key without `use`/`alg` may sign; Keycloak's encryption keys say `enc` / `RSA-OAEP`.
            let use = entry["use"]?.stringValue ?? "sig"
            let alg = entry["alg"]?.stringValue ?? "RS256"
            keys.append(
                RSAPublicKey(
                    kid: entry["kid"]?.stringValue, modulus: n, exponent: e, isRS256Signing: use == "sig" && alg == "RS256"))
        }
        self.keys = keys
    }

    func signingKey(kid: String?) -> RSAPublicKey? {
        let candidates = keys.filter(\.isRS256Signing)
        guard let kid else { return candidates.count == 1 ? candidates[0] : nil }
        return candidates.first { $0.kid == kid }
    }
}

extension JWT {
    /// Decodes `token` and checks, in this order: RS256 signature by the JWKS key named by `kid`,
    /// `exp` and `nbf` against `expectations.now` (with leeway), `iss`, then `aud`.
    public static func verify(_ token: String, jwks: JWKS, expectations: JWTExpectations) throws(JWTError) -> JWT {
        let jwt = try decode(token)
        let alg = jwt.header["alg"]?.stringValue ?? "(none)"
        guard alg == "RS256" else { throw .unsupportedAlgorithm(alg) }
        guard let key = jwks.signingKey(kid: jwt.keyID) else { throw .unknownKey(kid: jwt.keyID) }
        guard verifyRS256(jwt.signingInput, jwt.signature, key) else { throw .badSignature }
        if let exp = jwt.claims["exp"] {
            guard let value = exp.intValue else { throw .malformed("exp is not a number") }
            if expectations.now > value + expectations.leeway { throw .expired(expiresAt: value, now: expectations.now) }
        }
        if let nbf = jwt.claims["nbf"] {
            guard let value = nbf.intValue else { throw .malformed("nbf is not a number") }
            if value > 0, expectations.now + expectations.leeway < value {
                throw .notYetValid(notBefore: value, now: expectations.now)
            }
        }
        if let issuer = expectations.issuer, jwt.issuer != issuer {
            throw .wrongIssuer(expected: issuer, actual: jwt.issuer)
        }
        if let audience = expectations.audience, !jwt.audiences.contains(audience) {
            throw .wrongAudience(expected: audience, actual: jwt.audiences)
        }
        return jwt
    }

    private static func verifyRS256(_ input: [UInt8], _ signature: [UInt8], _ key: JWKS.RSAPublicKey) -> Bool {
        let publicKey = key.modulus.withUnsafeBufferPointer { n in
            key.exponent.withUnsafeBufferPointer { e in
                kcx_rsa_public_key(n.baseAddress, n.count, e.baseAddress, e.count)
            }
        }
        guard let publicKey else { return false }
        defer { EVP_PKEY_free(publicKey) }
        return input.withUnsafeBufferPointer { data in
            signature.withUnsafeBufferPointer { sig in
                kcx_rs256_verify(publicKey, data.baseAddress, data.count, sig.baseAddress, sig.count) == 1
            }
        }
    }
}

/// Base64url without padding (RFC 7515 §2); strict: padding, whitespace and `+`/`/` are rejected.
enum JWTBase64URL {
    static func decode(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // 6 leftover bits means a length of 4k+1 characters, which no byte string encodes to.
        return bits >= 6 ? nil : out
    }
}
