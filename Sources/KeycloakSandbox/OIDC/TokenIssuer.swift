// Mints access, ID and refresh tokens (TokenManager.initToken + mappers) and the token response
// (AccessTokenResponse member order as recorded from 26.7.1).
import Foundation
import KcxJSON

/// A minted token set, ready to be sent.
struct IssuedTokens {
    var accessToken: String
    var accessClaims: JSONObject
    var expiresIn: Int
    var refreshToken: String?
    var refreshExpiresIn: Int
    var idToken: String?
    var sessionId: String?
    var scope: String
}

/// What the session contributes to a token; nil session means a transient one (no `sid`).
struct SessionFacts {
    var id: String
    var started: Double
    var lastRefresh: Double
}

struct TokenIssuer {
    let claims: TokenClaims
    let now: Double
    let session: SessionFacts?
    /// Two letters of Keycloak's `jti` prefix naming the grant (`ro` password, `cc` client credentials,
    /// `rt` refresh, `te` token exchange); the exact shortcuts of other grants were not checked.
    let grantShortcut: String

    private var inputs: ClaimInputs { claims.inputs }
    private var realm: Realm { inputs.realm }
    private var issuedAt: Int64 { Int64(now) }

    static func issuer(baseURL: String, realm: String) -> String { baseURL + "/realms/" + realm }

    var isLightweight: Bool {
        inputs.client.attribute("client.use.lightweight.access.token.enabled") == "true"
    }

    /// Access-token lifetime: the client's `access.token.lifespan`, else the realm's, capped by the
    /// session's maximum lifetime (TokenManager.getTokenExpiration).
    var accessTokenExpiry: Int64 {
        let lifespan = inputs.client.attribute("access.token.lifespan").flatMap(Int64.init) ?? Int64(realm.accessTokenLifespan)
        var expiry = issuedAt + lifespan
        if let session { expiry = min(expiry, Int64(session.started) + Int64(SessionRules.maxLifespan(realm))) }
        return expiry
    }

    /// Access-token claims in Keycloak's order; `audience` narrowing applied when requested.
    func accessTokenClaims(target: ClaimTarget? = nil) -> (claims: JSONObject, audience: [String]) {
        let target = target ?? (isLightweight ? .lightweightAccessToken : .accessToken)
        var (mapped, audience) = claims.mappedClaims(for: target)
        if let requested = inputs.requestedAudience {
            // TokenManager.restrictRequestedAudience: keep only the requested clients.
            audience = audience.filter { requested.contains($0) }
            if var access = mapped["resource_access"]?.objectValue {
                for key in access.keys where !requested.contains(key) { access.removeValue(forKey: key) }
                mapped["resource_access"] = access.isEmpty ? nil : .object(access)
            }
        }
        var out = mapped
        out["exp"] = .int(accessTokenExpiry)
        out["iat"] = .int(issuedAt)
        out["jti"] = .string(jti(tokenType: "rt"))
        out["iss"] = .string(inputs.issuer)
        out["aud"] = audienceClaim(audience)
        out["typ"] = "Bearer"
        out["azp"] = .string(inputs.client.clientId)
        if let session { out["sid"] = .string(session.id) }
        let scope = claims.scopeClaim
        out["scope"] = .string(scope)
        return (orderClaims(out), audience)
    }

    func idTokenClaims() -> JSONObject {
        var out = claims.mappedClaims(for: .idToken).claims
        out["exp"] = .int(accessTokenExpiry)
        out["iat"] = .int(issuedAt)
        out["jti"] = .string(jti(tokenType: "id"))
        out["iss"] = .string(inputs.issuer)
        out["aud"] = .string(inputs.client.clientId)
        out["sub"] = .string(inputs.user.id)
        out["typ"] = "ID"
        out["azp"] = .string(inputs.client.clientId)
        if let session { out["sid"] = .string(session.id) }
        return orderClaims(out)
    }

    /// Refresh token: audience is the issuer, expiry follows SSO idle/max (TokenManager.generateRefreshToken).
    func refreshTokenClaims(scope: String) -> (claims: JSONObject, expiry: Int64)? {
        guard let session else { return nil }
        let expiry = Int64(SessionRules.refreshExpiry(realm, started: session.started, now: now))
        var out = JSONObject()
        out["exp"] = .int(expiry)
        out["iat"] = .int(issuedAt)
        out["jti"] = .string(SandboxStore.newId())
        out["iss"] = .string(inputs.issuer)
        out["aud"] = .string(inputs.issuer)
        out["sub"] = .string(inputs.user.id)
        out["typ"] = "Refresh"
        out["azp"] = .string(inputs.client.clientId)
        out["sid"] = .string(session.id)
        out["scope"] = .string(scope)
        return (out, expiry)
    }

    private func jti(tokenType: String) -> String {
        (session == nil ? "tr" : "on") + tokenType + grantShortcut + ":" + SandboxStore.newId()
    }

    /// Signs the token set. `withRefresh` false for grants without refresh tokens.
    func issue(keys: RealmKeyring, withRefresh: Bool, withIDToken: Bool) -> IssuedTokens {
        let key = keys.signingKey(realm: realm.name)
        let access = accessTokenClaims().claims
        let scope = access["scope"]?.stringValue ?? ""
        var refresh: String?
        var refreshExpiresIn = 0
        if withRefresh, let (claims, expiry) = refreshTokenClaims(scope: scope) {
            refresh = SandboxJWT.sign(claims, with: key)
            refreshExpiresIn = Int(max(0, expiry - issuedAt))
        }
        let idToken = withIDToken ? SandboxJWT.sign(idTokenClaims(), with: key) : nil
        return IssuedTokens(
            accessToken: SandboxJWT.sign(access, with: key), accessClaims: access,
            expiresIn: Int(max(0, (access["exp"]?.intValue ?? issuedAt) - issuedAt)), refreshToken: refresh,
            refreshExpiresIn: refreshExpiresIn, idToken: idToken, sessionId: session?.id, scope: scope)
    }
}

extension IssuedTokens {
    /// The AccessTokenResponse body: null members omitted, `not-before-policy` always 0.
    func responseBody(tokenType: String = "Bearer", issuedTokenType: String? = nil) -> JSONObject {
        var body = JSONObject()
        body["access_token"] = .string(accessToken)
        body["expires_in"] = .int(Int64(expiresIn))
        body["refresh_expires_in"] = .int(Int64(refreshExpiresIn))
        if let refreshToken { body["refresh_token"] = .string(refreshToken) }
        body["token_type"] = .string(tokenType)
        if let idToken { body["id_token"] = .string(idToken) }
        body["not-before-policy"] = 0
        if let sessionId { body["session_state"] = .string(sessionId) }
        body["scope"] = .string(scope)
        if let issuedTokenType { body["issued_token_type"] = .string(issuedTokenType) }
        return body
    }
}

/// SSO session lifetimes from the realm (`ssoSessionIdleTimeout`, `ssoSessionMaxLifespan`).
enum SessionRules {
    static func idleTimeout(_ realm: Realm) -> Double {
        Double(realm.representation["ssoSessionIdleTimeout"]?.intValue ?? 1800)
    }

    static func maxLifespan(_ realm: Realm) -> Double {
        Double(realm.representation["ssoSessionMaxLifespan"]?.intValue ?? 36000)
    }

    static func refreshExpiry(_ realm: Realm, started: Double, now: Double) -> Double {
        min(now + idleTimeout(realm), started + maxLifespan(realm)).rounded(.down)
    }

    /// A session is alive while used within the idle timeout and younger than the maximum lifespan.
    static func isActive(_ session: UserSession, realm: Realm, now: Double) -> Bool {
        now <= session.lastRefresh + idleTimeout(realm) && now <= session.started + maxLifespan(realm)
    }
}
