// User events of the token endpoint: LOGIN, CLIENT_LOGIN, REFRESH_TOKEN and TOKEN_EXCHANGE, each with
// its `_ERROR` twin, with the details Keycloak sets (client-policies-events.md §2.2, §2.5).
import KcxJSON
import LoopbackHTTP

/// What a grant learned that its response does not show (a client-policy rejection's details).
final class GrantEventNotes {
    var details = JSONObject()
}

enum TokenEvents {
    static func eventType(_ grantType: String) -> String? {
        switch grantType {
        case GrantType.password: return "LOGIN"
        case GrantType.clientCredentials: return "CLIENT_LOGIN"
        case GrantType.refreshToken: return "REFRESH_TOKEN"
        case GrantType.tokenExchange: return "TOKEN_EXCHANGE"
        default: return nil
        }
    }

    /// Records the outcome of one token request. `client` is nil when client authentication failed.
    static func record(
        _ state: inout StoreState, realmIndex: Int, grantType: String, client: Client?, form: FormBody, response: ServerResponse,
        notes: GrantEventNotes?, now: Double, ipAddress: String
    ) {
        guard let type = eventType(grantType), EventStore.enabled(state.realms[realmIndex]) else { return }
        let exchange = grantType == GrantType.tokenExchange
        var details = JSONObject([("grant_type", .string(grantType))])
        if client != nil { details["client_auth_method"] = "client-secret" }
        if client != nil { details["auth_method"] = exchange ? "token_exchange" : "openid-connect" }
        let body = (try? JSON.parse(response.body))?.objectValue ?? JSONObject()
        let clientId = client?.clientId ?? form.first("client_id")
        if response.status != 200 {
            let error = body["error"]?.stringValue ?? "unknown_error"
            if let notes, !notes.details.isEmpty {
                for (key, value) in notes.details { details[key] = value }
            } else if client != nil, let reason = body["error_description"]?.stringValue {
                // Choice: the response's description stands in for Keycloak's free-text `reason`.
                details["reason"] = .string(reason)
            }
            EventStore.record(
                &state.realms[realmIndex], type: type + "_ERROR", time: now, clientId: clientId, ipAddress: ipAddress,
                error: error, details: details)
            return
        }
        let claims = SandboxJWT.decode(body["access_token"]?.stringValue ?? "")?.claims ?? JSONObject()
        let userId = claims["sub"]?.stringValue
        let realm = state.realms[realmIndex]
        if exchange {
            details["requested_token_type"] = .string(form.first("requested_token_type") ?? TokenType.accessToken)
            let subject = SandboxJWT.decode(form.first("subject_token") ?? "")?.claims
            if let azp = subject?["azp"]?.stringValue { details["subject_token_client_id"] = .string(azp) }
            let audience = JWTAudience.list(claims["aud"])
            if !audience.isEmpty { details["audience"] = .string(audience.joined(separator: " ")) }
        }
        if let user = userId.flatMap({ realm.user(id: $0) }) { details["username"] = .string(user.username) }
        if let jti = claims["jti"]?.stringValue { details["token_id"] = .string(jti) }
        if let refresh = body["refresh_token"]?.stringValue, let refreshClaims = SandboxJWT.decode(refresh)?.claims {
            if let id = refreshClaims["jti"]?.stringValue { details["refresh_token_id"] = .string(id) }
            if let kind = refreshClaims["typ"]?.stringValue { details["refresh_token_type"] = .string(kind) }
        }
        if let scope = body["scope"]?.stringValue { details["scope"] = .string(scope) }
        EventStore.record(
            &state.realms[realmIndex], type: type, time: now, clientId: clientId, userId: userId,
            sessionId: claims["sid"]?.stringValue, ipAddress: ipAddress, details: details)
    }
}
