// Compact JWTs on the client side: decoding without verification (to show or inspect a token) and
// RS256 verification against the JWKS of an issuer the caller pins, with `iss`, `exp`/`nbf` and
// audience checks. The token never chooses whom to trust.
import CCrypto
import FoundationEssentials
import KcxJSON

public enum JWTError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a compact JWS; the associated text says which part is wrong.
    case malformed(String)
    /// The header's `alg` is not RS256 (`none`, HS256 with the public key as a secret, ...).
    case unsupportedAlgorithm(String)
    /// The header marks parameters critical (`crit`); kcx understands none, so it must refuse.
    case criticalHeader([String])
    /// The header names no key: kcx picks a key by `kid` only, never by trying each one.
    case missingKeyID
    case invalidJWKS(String)
    /// No key in the JWKS has the token's `kid`.
    case unknownKey(kid: String)
    /// The key with the token's `kid` may not verify it; the text says why (kty, use or alg).
    case unusableKey(kid: String, reason: String)
    /// Several signing keys share the token's `kid`.
    case ambiguousKey(kid: String)
    case badSignature
    case expired(expiresAt: Int64, now: Int64)
    case notYetValid(notBefore: Int64, now: Int64)
    case wrongIssuer(expected: String, actual: String?)
    case wrongAudience(expected: String, actual: [String])

    /// Everything quoted from the token is escaped: a claim is the token author's text.
    public var description: String {
        func quoted(_ text: String) -> String { "'\(TerminalText.escape(text, newlines: false))'" }
        switch self {
        case .malformed(let what): return "malformed token: \(what)"
        case .unsupportedAlgorithm(let alg): return "the token's alg is \(quoted(alg)); only RS256 is accepted"
        case .criticalHeader(let names):
            return
                "the token marks header parameters critical (\(names.map(quoted).joined(separator: ", "))); kcx understands none"
        case .missingKeyID: return "the token names no signing key (no kid in its header)"
        case .invalidJWKS(let what): return "invalid JWKS document: \(what)"
        case .unknownKey(let kid): return "no key with kid \(quoted(kid)) in the issuer's JWKS"
        case .unusableKey(let kid, let reason): return "key \(quoted(kid)) cannot verify the token: \(reason)"
        case .ambiguousKey(let kid): return "several signing keys have kid \(quoted(kid)) in the issuer's JWKS"
        case .badSignature: return "token signature does not verify"
        case .expired(let exp, let now): return "token expired at \(exp) (now \(now))"
        case .notYetValid(let nbf, let now): return "token not valid before \(nbf) (now \(now))"
        case .wrongIssuer(let expected, let actual):
            return "token issuer is \(actual.map(quoted) ?? "missing"), expected \(quoted(expected))"
        case .wrongAudience(let expected, let actual):
            let list =
                actual.isEmpty
                ? "no audience" : "audience [\(actual.map { TerminalText.escape($0, newlines: false) }.joined(separator: ", "))]"
            return "token has \(list), expected \(quoted(expected))"
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
    /// The issuer the caller trusts, chosen before the token was read (never the token's own `iss`):
    /// the JWKS must come from this issuer, and `iss` must equal it exactly.
    public var issuer: String
    public var audience: String?
    /// Seconds since the epoch.
    public var now: Int64
    /// Tolerated clock skew for `exp` and `nbf`, in seconds.
    public var leeway: Int64

    public init(issuer: String, audience: String? = nil, now: Int64, leeway: Int64 = 10) {
        self.issuer = issuer
        self.audience = audience
        self.now = now
        self.leeway = leeway
    }
}

/// The keys of a JWKS document (`{"keys":[…]}`), e.g. a realm's `…/protocol/openid-connect/certs`.
public struct JWKS: Sendable {
    struct Key: Sendable {
        var kid: String?
        var kty: String?
        var use: String?
        var alg: String?
        /// RSA keys only.
        var modulus: [UInt8]
        var exponent: [UInt8]
    }

    let keys: [Key]

    public init(_ document: JSON) throws(JWTError) {
        guard let entries = document["keys"]?.arrayValue else { throw .invalidJWKS("no \"keys\" array") }
        var keys: [Key] = []
        for entry in entries {
            var key = Key(
                kid: entry["kid"]?.stringValue, kty: entry["kty"]?.stringValue, use: entry["use"]?.stringValue,
                alg: entry["alg"]?.stringValue, modulus: [], exponent: [])
            if key.kty == "RSA" {
                guard let n = entry["n"]?.stringValue.flatMap({ JWTBase64URL.decode(Substring($0)) }), !n.isEmpty,
                    let e = entry["e"]?.stringValue.flatMap({ JWTBase64URL.decode(Substring($0)) }), !e.isEmpty
                else {
                    throw .invalidJWKS(
                        "RSA key \(key.kid.map { TerminalText.escape($0, newlines: false) } ?? "without kid") lacks a valid n or e"
                    )
                }
                key.modulus = n
                key.exponent = e
            }
            keys.append(key)
        }
        self.keys = keys
    }

    /// Why `key` may not verify a token signed with `alg`, or nil when it may: an RSA key
    /// (`kty`), for signatures (`use`, when stated) and for that algorithm (`alg`, when stated).
    static func unusable(_ key: Key, for alg: String) -> String? {
        guard key.kty == "RSA" else {
            return "its kty is \(key.kty.map { "'\(TerminalText.escape($0, newlines: false))'" } ?? "missing"), not RSA"
        }
        if let use = key.use, use != "sig" { return "it is for use '\(TerminalText.escape(use, newlines: false))', not sig" }
        if let keyAlg = key.alg, keyAlg != alg {
            return "it is for alg '\(TerminalText.escape(keyAlg, newlines: false))', the token says '\(alg)'"
        }
        return nil
    }

    /// The one key with this `kid` that may verify an `alg` signature.
    func signingKey(kid: String, alg: String) throws(JWTError) -> Key {
        let named = keys.filter { $0.kid == kid }
        guard let first = named.first else { throw .unknownKey(kid: kid) }
        let usable = named.filter { JWKS.unusable($0, for: alg) == nil }
        guard usable.count <= 1 else { throw .ambiguousKey(kid: kid) }
        guard let key = usable.first else { throw .unusableKey(kid: kid, reason: JWKS.unusable(first, for: alg) ?? "") }
        return key
    }
}

extension JWT {
    /// The checks that need no key, so a caller can make them before fetching any: the header
    /// asks for RS256 (not `none`, not HS256 keyed with the public key), marks nothing critical,
    /// names its key by `kid`; and `iss` is exactly the issuer the caller trusts. Header
    /// parameters that point elsewhere for keys (`jku`, `x5u`, `jwk`, `x5c`) are never used.
    public func checkBeforeFetchingKeys(trusting issuer: String) throws(JWTError) {
        let alg = header["alg"]?.stringValue ?? (header["alg"] == nil ? "(missing)" : "(not a string)")
        guard alg == "RS256" else { throw .unsupportedAlgorithm(alg) }
        if let critical = header["crit"] {
            throw .criticalHeader(critical.arrayValue?.map { $0.stringValue ?? $0.serialized() } ?? [critical.serialized()])
        }
        guard keyID != nil else { throw .missingKeyID }
        guard self.issuer == issuer else { throw .wrongIssuer(expected: issuer, actual: self.issuer) }
    }

    /// Decodes `token` and checks, in this order: `checkBeforeFetchingKeys` (alg, crit, kid, iss);
    /// the RS256 signature by the JWKS key named by `kid`, which must be an RSA signing key for
    /// RS256; `exp` and `nbf` against `expectations.now` (with leeway); then `aud`.
    public static func verify(_ token: String, jwks: JWKS, expectations: JWTExpectations) throws(JWTError) -> JWT {
        let jwt = try decode(token)
        try jwt.checkBeforeFetchingKeys(trusting: expectations.issuer)
        let key = try jwks.signingKey(kid: jwt.keyID ?? "", alg: "RS256")
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
        if let audience = expectations.audience, !jwt.audiences.contains(audience) {
            throw .wrongAudience(expected: audience, actual: jwt.audiences)
        }
        return jwt
    }

    private static func verifyRS256(_ input: [UInt8], _ signature: [UInt8], _ key: JWKS.Key) -> Bool {
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
