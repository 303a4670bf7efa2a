// GET/POST …/userinfo: the user's claims for a valid access token that asked for `openid`
// (UserInfoEndpoint; recorded in golden/oidc/userinfo/*).
import KcxJSON
import LoopbackHTTP

enum UserInfo {
    static func handle(_ request: ServerRequest, realmName: String, context: SandboxContext) -> ServerResponse {
        var token: String?
        if let header = request.header("Authorization"), header.lowercased().hasPrefix("bearer ") {
            token = String(header.dropFirst(7))
        } else if request.method == "POST" {
            token = FormBody(request.body).first("access_token")
        }
        guard let token, !token.isEmpty else {
            return OIDCResponse.bearerChallenge(401, realm: realmName, error: nil, description: nil)
        }
        guard case .success(let verified) = AccessTokenVerifier.verify(token, context: context, expectedRealm: realmName) else {
            return OIDCResponse.bearerChallenge(
                401, realm: realmName, error: "invalid_token", description: "Token verification failed")
        }
        let issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realmName)
        return context.store.read { state -> ServerResponse in
            guard let realm = state.realm(named: realmName), let client = realm.client(clientId: verified.clientId),
                let user = realm.user(id: verified.userId)
            else {
                return OIDCResponse.bearerChallenge(
                    401, realm: realmName, error: "invalid_token", description: "Token verification failed")
            }
            if client.attribute("client.use.lightweight.access.token.enabled") == "true" {
                return OIDCResponse.bearerChallenge(
                    401, realm: realmName, error: "invalid_token",
                    description: "Lightweight access token not allowed for userinfo endpoint")
            }
            let scope = verified.claims["scope"]?.stringValue
            guard TokenClaims.words(scope).contains("openid") else {
                return OIDCResponse.bearerChallenge(
                    403, realm: realmName, error: "insufficient_scope", description: "Missing openid scope")
            }
            let notes = verified.sessionId.flatMap { id in realm.sessions.first { $0.id == id }?.notes } ?? JSONObject()
            let inputs = ClaimInputs(
                realm: realm, client: client, user: user, issuer: issuer, scopeParameter: scope, requestedAudience: nil,
                sessionNotes: notes)
            var body = JSONObject([("sub", .string(user.id))])
            for (key, value) in orderClaims(TokenClaims(inputs).mappedClaims(for: .userInfo).claims) where key != "sub" {
                body[key] = value
            }
            // Both Cache-Control headers, as recorded.
            return ServerResponse(
                status: 200,
                headers: [
                    ("Cache-Control", "no-store"), ("Cache-Control", "no-cache"), ("Content-Type", "application/json"),
                    ("Pragma", "no-cache"),
                ],
                body: JSON.object(body).serializedBytes())
        }
    }
}
