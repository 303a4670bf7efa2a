// POST …/logout with a refresh token (LogoutEndpoint.logoutToken) and POST …/revoke
// (TokenRevocationEndpoint, RFC 7009), as recorded in golden/oidc/logout/post-* and revocation/*.
import KcxJSON
import LoopbackHTTP

enum Logout {
    static func handleLogout(_ request: ServerRequest, realmName: String, context: SandboxContext) -> ServerResponse {
        let form = FormBody(request.body)
        let assertions = ClientAssertionCheck(context: context, realm: realmName)
        let claims = form.first("refresh_token").flatMap { SandboxJWT.verifiedClaims($0, realm: realmName, keys: context.keys) }
        let issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realmName)
        return context.store.withLock { state -> ServerResponse in
            guard let realmIndex = state.realmIndex(named: realmName) else { return OIDCResponse.realmNotFound }
            let realm = state.realms[realmIndex]
            let client: Client
            switch ClientAuthentication.authenticate(request, form, realm: realm, assertions: assertions) {
            // A logout without any client id is recorded as the unknown-client answer.
            case .failure(.missingClientId):
                return OIDCResponse.error(401, "invalid_client", "Invalid client or Invalid client credentials")
            case .failure(let failure): return OIDCResponse.error(failure.status, failure.error, failure.description)
            case .success(let authenticated): client = authenticated
            }
            guard form.first("refresh_token") != nil else {
                return OIDCResponse.error(400, "invalid_request", "No refresh token")
            }
            guard let claims, ["Refresh", "Offline"].contains(claims["typ"]?.stringValue ?? ""),
                claims["iss"]?.stringValue == issuer
            else {
                return OIDCResponse.error(400, "invalid_grant", "Invalid refresh token")
            }
            guard claims["azp"]?.stringValue == client.clientId else {
                return OIDCResponse.error(
                    400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")
            }
            // An already ended session is not an error: logout is idempotent.
            if let sessionId = claims["sid"]?.stringValue { Sessions.remove(&state, realmIndex: realmIndex, id: sessionId) }
            return ServerResponse(status: 204, headers: [("Cache-Control", "no-cache")])
        }
    }

    static func handleRevoke(_ request: ServerRequest, realmName: String, context: SandboxContext) -> ServerResponse {
        let form = FormBody(request.body)
        let assertions = ClientAssertionCheck(context: context, realm: realmName)
        let claims = form.first("token").flatMap { SandboxJWT.verifiedClaims($0, realm: realmName, keys: context.keys) }
        let now = context.now()
        return context.store.withLock { state -> ServerResponse in
            guard let realmIndex = state.realmIndex(named: realmName) else { return OIDCResponse.realmNotFound }
            let realm = state.realms[realmIndex]
            guard realm.enabled else { return OIDCResponse.error(403, "access_denied", "Realm not enabled") }
            let client: Client
            switch ClientAuthentication.authenticate(request, form, realm: realm, assertions: assertions) {
            case .failure(let failure): return OIDCResponse.error(failure.status, failure.error, failure.description)
            case .success(let authenticated): client = authenticated
            }
            if client.bearerOnly { return OIDCResponse.error(400, "invalid_client", "Bearer-only not allowed") }
            guard form.first("token") != nil else { return OIDCResponse.error(400, "invalid_request", "Token not provided") }
            // RFC 7009: an invalid token is answered 200, with Keycloak's error body.
            let invalid = OIDCResponse.error(200, "invalid_token", "Invalid token")
            guard let claims else { return invalid }
            let type = claims["typ"]?.stringValue ?? ""
            guard ["Refresh", "Offline", "Bearer"].contains(type) else {
                return OIDCResponse.error(400, "unsupported_token_type", "Unsupported token type")
            }
            guard let azp = claims["azp"]?.stringValue else { return invalid }
            guard azp == client.clientId else { return OIDCResponse.error(400, "invalid_request", "Unmatching clients") }
            let userId: String
            if let sessionId = claims["sid"]?.stringValue {
                guard let session = realm.sessions.first(where: { $0.id == sessionId }) else { return invalid }
                userId = session.userId
            } else {
                guard let sub = claims["sub"]?.stringValue, realm.user(id: sub) != nil else { return invalid }
                userId = sub
            }
            if type == "Bearer" {
                // Remembered until it would have expired anyway, at least ten seconds.
                let expiry = max(claims["exp"]?.intValue ?? 0, Int64(now) + 10)
                Revocations.revoke(
                    &state, realmIndex: realmIndex, jti: claims["jti"]?.stringValue ?? "", expiry: expiry, now: now)
            } else {
                // The client's sessions of this user end (each sandbox session belongs to one client).
                state.realms[realmIndex].sessions.removeAll { $0.userId == userId && $0.clientId == client.id }
            }
            return ServerResponse(status: 200)
        }
    }
}
