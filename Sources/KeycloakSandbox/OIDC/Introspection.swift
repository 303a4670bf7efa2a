// POST …/token/introspect (TokenIntrospectionEndpoint, AccessTokenIntrospectionProvider; token-exchange.md §4.3
// and the 26.7.1 recordings golden/oidc/introspection/*).
import KcxJSON
import LoopbackHTTP

enum Introspection {
    static func handle(_ request: ServerRequest, realmName: String, context: SandboxContext) -> ServerResponse {
        let form = FormBody(request.body)
        let assertions = ClientAssertionCheck(context: context, realm: realmName)
        let now = context.now()
        let issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realmName)
        let claims = form.first("token").flatMap { SandboxJWT.verifiedClaims($0, realm: realmName, keys: context.keys) }
        return context.store.read { state -> ServerResponse in
            guard let realm = state.realm(named: realmName) else { return OIDCResponse.realmNotFound }
            guard realm.enabled else { return OIDCResponse.error(403, "access_denied", "Realm not enabled") }
            let caller: Client
            switch ClientAuthentication.authenticate(request, form, realm: realm, assertions: assertions) {
            case .failure(.missingClientId):
                // No credentials at all: 401 invalid_client here, not the token endpoint's 400 "Missing
                // client_id parameter" (recorded 26.7.1: golden/oidc/introspection/unauthenticated-client.http).
                return OIDCResponse.error(401, "invalid_client", "Invalid client or Invalid client credentials")
            case .failure(let failure): return OIDCResponse.error(failure.status, failure.error, failure.description)
            case .success(let client): caller = client
            }
            if caller.publicClient { return OIDCResponse.error(403, "invalid_request", "Client not allowed.") }
            if form.duplicatedParameter() != nil { return OIDCResponse.error(400, "invalid_request", "duplicated parameter") }
            guard form.first("token") != nil else { return OIDCResponse.error(400, "invalid_request", "Token not provided.") }
            let hint = form.first("token_type_hint") ?? "access_token"
            // `requesting_party_token` (RPTIntrospectionProvider) checks the token as an access token;
            // the sandbox issues no RPTs, so a valid token reads as its access-token introspection.
            guard ["access_token", "refresh_token", "requesting_party_token"].contains(hint) else {
                return OIDCResponse.error(400, "invalid_request", "Unsupported token type [\(hint)].")
            }
            guard let claims, claims["iss"]?.stringValue == issuer,
                let body = activeBody(claims, caller: caller, realm: realm, issuer: issuer, now: now)
            else {
                return OIDCResponse.json(200, JSONObject([("active", false)]))
            }
            return OIDCResponse.json(200, body)
        }
    }

    /// The introspection of a valid token, or nil when it is inactive for this caller: expired, revoked,
    /// session ended, user or client disabled, or, for an access token, the caller not in its `aud`:
    /// being its `azp` is not enough (recorded 26.7.1: golden/oidc/introspection/access-token-outside-audience.http,
    /// a client introspecting a token it obtained itself gets `{"active":false}`). A refresh token has no
    /// such check (golden/oidc/introspection/active-refresh-token.http).
    static func activeBody(_ claims: JSONObject, caller: Client, realm: Realm, issuer: String, now: Double) -> JSONObject? {
        let type = claims["typ"]?.stringValue ?? ""
        var checked = claims
        if type == "Refresh" { checked["typ"] = "Bearer" }
        guard ["Bearer", "Refresh"].contains(type),
            case .success(let verified) = AccessTokenVerifier.check(checked, realm: realm, now: now),
            let client = realm.client(clientId: verified.clientId), let user = realm.user(id: verified.userId)
        else { return nil }
        let tokenAudience = JWTAudience.list(claims["aud"])
        if type == "Bearer" && !tokenAudience.contains(caller.clientId) { return nil }
        // Introspection re-runs the mappers with their introspection switch (lightweight tokens come out whole).
        let notes =
            verified.sessionId.flatMap { id in realm.sessions.first { $0.id == id }?.notes }
            ?? Sessions.serviceAccountNotes(clientId: client.clientId, address: "127.0.0.1")
        let inputs = ClaimInputs(
            realm: realm, client: client, user: user, issuer: issuer, scopeParameter: claims["scope"]?.stringValue,
            requestedAudience: nil, sessionNotes: notes)
        let (mapped, mappedAudience) = TokenClaims(inputs).mappedClaims(for: .introspection)
        var body = mapped
        for name in ["exp", "iat", "jti", "iss", "typ", "azp", "nonce", "sid", "scope", "cnf"] {
            if let value = claims[name] { body[name] = value }
        }
        // An access token keeps its own audience (token exchange may have narrowed it); a refresh
        // token's (the issuer) follows the mappers' audiences, as recorded.
        var audience = type == "Bearer" ? tokenAudience : mappedAudience
        if type == "Refresh" { for value in tokenAudience where !audience.contains(value) { audience.append(value) } }
        body["aud"] = audienceClaim(audience)
        if body["scope"]?.stringValue == "" { body["scope"] = nil }
        body = orderClaims(body)
        body["client_id"] = .string(verified.clientId)
        body["username"] = body["preferred_username"] ?? .string(user.username)
        body["token_type"] = .string(type)
        body["active"] = true
        return body
    }
}

enum JWTAudience {
    /// `aud` as a list (a string or an array in the token).
    static func list(_ value: JSON?) -> [String] {
        switch value {
        case .string(let one)?: return [one]
        case .array(let many)?: return many.compactMap(\.stringValue)
        default: return []
        }
    }
}
