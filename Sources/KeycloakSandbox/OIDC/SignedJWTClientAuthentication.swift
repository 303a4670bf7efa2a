// Keycloak's "client-jwt" client authenticator (JWTClientAuthenticator, JWTClientValidator,
// AbstractJWTClientValidator, AbstractBaseJWTValidator): the request carries
// `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a
// `client_assertion` signed with the client's private key. Checked in Keycloak's order, each
// refusal 400 invalid_client with Keycloak's description: the parameters; `sub` (and a client_id
// parameter, when sent, equal to it); the algorithm (the client's `token.endpoint.auth.signing.alg`
// when set); the signature, against the certificate in `jwt.credential.certificate` (base64 DER, as
// Keycloak stores it) or the key in `jwt.credential.public.key`; `aud` (one audience: the realm's
// issuer, or its token, introspection, PAR or CIBA endpoint URL); `exp`/`nbf`/`iat` with 15 seconds
// of clock skew and at most `token.endpoint.auth.signing.max.exp` seconds (default 60) of use; and
// `jti`, accepted once.
import CCrypto
import Foundation
import KcxJSON

/// What verifying an assertion needs besides the request: the realm's issuer URL, the clock and
/// the ids already used.
struct ClientAssertionCheck {
    var issuer: String
    var now: Double
    var usedIDs: UsedAssertionIDs

    init(context: SandboxContext, realm: String) {
        issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realm)
        now = context.now()
        usedIDs = context.usedAssertionIDs
    }
}

/// Keycloak's single-use store for assertion ids: an id is accepted once while its lifespan lasts.
public final class UsedAssertionIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var expiries: [String: Double] = [:]

    public init() {}

    /// True when `id` was not in use; it then is for `lifespan` seconds from `now`.
    func putIfAbsent(_ id: String, lifespan: Double, now: Double) -> Bool {
        lock.withLock {
            expiries = expiries.filter { $0.value > now }
            if expiries[id] != nil { return false }
            expiries[id] = now + lifespan
            return true
        }
    }
}

enum SignedJWTClientAuthentication {
    static let providerId = "client-jwt"
    static let assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    static let allowedClockSkew: Int64 = 15

    static func verify(_ form: FormBody, client: Client, check: ClientAssertionCheck) -> Result<Void, ClientAuthenticationFailure>
    {
        func failure(_ description: String) -> Result<Void, ClientAuthenticationFailure> { .failure(.assertion(description)) }
        guard let type = form.first("client_assertion_type") else { return failure("Parameter client_assertion_type is missing") }
        guard type == assertionType else {
            return failure("Parameter client_assertion_type has value '\(type)' but expected is '\(assertionType)'")
        }
        guard let assertion = form.first("client_assertion") else { return failure("client_assertion parameter missing") }
        guard let decoded = SandboxJWT.decode(assertion) else {
            return failure("Client authentication with signed JWT failed: Parsing error")
        }
        let claims = decoded.claims
        guard let subject = claims["sub"]?.stringValue else { return failure("Token sub claim is required") }
        if let clientIdParameter = form.first("client_id"), clientIdParameter != subject {
            return failure("client_id parameter does not match sub claim")
        }
        // An assertion another party issued (iss ≠ sub) is not this authenticator's: no client is authenticated.
        guard claims["iss"]?.stringValue == subject, subject == client.clientId else { return .failure(.wrongSecret) }
        guard let algorithm = decoded.header["alg"]?.stringValue else { return failure("Invalid signature algorithm") }
        if let expected = client.attribute("token.endpoint.auth.signing.alg"), !expected.isEmpty, expected != algorithm {
            return failure("Invalid signature algorithm")
        }
        guard let key = publicKey(of: client) else { return failure("Unable to load public key") }
        defer { EVP_PKEY_free(key) }
        let verified =
            algorithm == "RS256"
            && decoded.signingInput.withUnsafeBufferPointer { input in
                decoded.signature.withUnsafeBufferPointer { signature in
                    kcx_rs256_verify(key, input.baseAddress, input.count, signature.baseAddress, signature.count) == 1
                }
            }
        guard verified else {
            return failure("Client authentication with signed JWT failed: Signature on JWT token failed validation")
        }

        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.stringValue)
        default: audiences = []
        }
        let endpoints = "/protocol/openid-connect"
        let expected = [
            check.issuer, check.issuer + endpoints + "/token", check.issuer + endpoints + "/token/introspect",
            check.issuer + endpoints + "/ext/par/request", check.issuer + endpoints + "/ext/ciba/auth",
        ]
        guard audiences.contains(where: expected.contains) else { return failure("Invalid token audience") }
        if audiences.count > 1 { return failure("Multiple audiences not allowed") }

        let now = Int64(check.now.rounded(.down))
        let maxExp = Int64(client.attribute("token.endpoint.auth.signing.max.exp") ?? "").flatMap { $0 > 0 ? $0 : nil } ?? 60
        guard let exp = claims["exp"]?.intValue else { return failure("Token exp claim is required") }
        let expired = exp != 0 && now > exp
        let notYet = claims["nbf"]?.intValue.map { now + allowedClockSkew < $0 } ?? false
        if expired || notYet { return failure("Token is not active") }
        var lifespan = exp - now
        if let iat = claims["iat"]?.intValue {
            if iat - allowedClockSkew > now { return failure("Token was issued in the future") }
            lifespan = min(lifespan, maxExp)
            if lifespan <= 0 { return failure("Token is not active") }
            if now > iat + maxExp { return failure("Token was issued too far in the past to be used now") }
        } else if lifespan > maxExp {
            return failure("Token expiration is too far in the future and iat claim not present in token")
        }
        guard let jti = claims["jti"]?.stringValue else { return failure("Token jti claim is required") }
        guard check.usedIDs.putIfAbsent(jti, lifespan: Double(lifespan), now: check.now) else {
            return failure("Token reuse detected")
        }
        return .success(())
    }

    /// The client's public key: its certificate (`jwt.credential.certificate`, base64 DER) or its
    /// key (`jwt.credential.public.key`, base64 SubjectPublicKeyInfo). The sandbox fetches no JWKS
    /// URL (`use.jwks.url`). Free the key with EVP_PKEY_free.
    static func publicKey(of client: Client) -> OpaquePointer? {
        if client.attribute("use.jwks.url") == "true" { return nil }
        for (attribute, isCertificate) in [("jwt.credential.certificate", Int32(1)), ("jwt.credential.public.key", Int32(0))] {
            guard let text = client.attribute(attribute), !text.isEmpty else { continue }
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined().filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: body) else { continue }
            let der = [UInt8](data)
            if let key = der.withUnsafeBufferPointer({ kcx_public_key_from_der($0.baseAddress, $0.count, isCertificate) }) {
                return key
            }
        }
        return nil
    }
}
