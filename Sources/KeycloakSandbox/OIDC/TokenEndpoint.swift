// POST /realms/{realm}/protocol/openid-connect/token: the checks before any grant, in Keycloak's
// order (token-exchange.md §0.1 G2–G11), then the password, client_credentials and refresh_token grants
// (admin-api.md §1.1). Token exchange is in TokenExchange.swift.
import Foundation
import KcxJSON
import LoopbackHTTP

enum GrantType {
    static let password = "password"
    static let clientCredentials = "client_credentials"
    static let refreshToken = "refresh_token"
    static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
}

enum TokenEndpoint {
    static func handle(_ request: ServerRequest, realmName: String, context: SandboxContext) -> ServerResponse {
        let form = FormBody(request.body)
        let assertions = ClientAssertionCheck(context: context, realm: realmName)
        // Keys are made before taking the store lock: a first RSA generation takes tens of milliseconds.
        let keys = context.keys
        _ = keys.signingKey(realm: realmName)
        let now = context.now()
        let issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realmName)
        return context.store.withLock { state -> ServerResponse in
            guard let realmIndex = state.realmIndex(named: realmName) else { return OIDCResponse.realmNotFound }
            let realm = state.realms[realmIndex]
            // G1 (HTTPS required) never applies: the sandbox listens on loopback, which `external` exempts.
            guard realm.enabled else { return OIDCResponse.tokenError(403, "access_denied", "Realm not enabled") }
            guard let grantType = form.first("grant_type") else {
                return OIDCResponse.tokenError(400, "invalid_request", "Missing form parameter: grant_type")
            }
            guard supportedGrants(context.features).contains(grantType) else {
                return OIDCResponse.tokenError(400, "unsupported_grant_type", "Unsupported grant_type")
            }
            let client: Client
            switch ClientAuthentication.authenticate(request, form, realm: realm, assertions: assertions) {
            case .failure(let failure):
                let response = OIDCResponse.tokenError(failure.status, failure.error, failure.description)
                // Events/ (issue 8): the event type is set before client authentication, so it fails as `<TYPE>_ERROR`.
                TokenEvents.record(
                    &state, realmIndex: realmIndex, grantType: grantType, client: nil, form: form, response: response, notes: nil,
                    now: now, ipAddress: request.remoteAddress)
                return response
            case .success(let authenticated): client = authenticated
            }
            if client.bearerOnly { return OIDCResponse.tokenError(400, "invalid_client", "Bearer-only not allowed") }
            let repeatable: Set<String> = grantType == GrantType.tokenExchange ? ["audience", "resource"] : []
            if form.duplicatedParameter(allowing: repeatable) != nil {
                return OIDCResponse.tokenError(400, "invalid_request", "duplicated parameter")
            }
            let grant = GrantRequest(
                form: form, client: client, realmIndex: realmIndex, issuer: issuer, now: now, keys: keys,
                features: context.features, remoteAddress: request.remoteAddress)
            let response: ServerResponse
            switch grantType {
            case GrantType.password: response = grant.password(&state)
            case GrantType.clientCredentials: response = grant.clientCredentials(&state)
            case GrantType.refreshToken: response = grant.refresh(&state)
            default: response = TokenExchange(grant: grant).handle(&state)
            }
            // Events/ (issue 8): LOGIN, CLIENT_LOGIN, REFRESH_TOKEN, TOKEN_EXCHANGE and their errors.
            TokenEvents.record(
                &state, realmIndex: realmIndex, grantType: grantType, client: client, form: form, response: response,
                notes: grant.eventNotes, now: now, ipAddress: request.remoteAddress)
            return response
        }
    }

    /// The token-exchange URN is registered only while some token-exchange feature is on (§1.1).
    static func supportedGrants(_ features: FeatureSet) -> Set<String> {
        var grants: Set<String> = [GrantType.password, GrantType.clientCredentials, GrantType.refreshToken]
        if features.contains("token-exchange-standard:v2") || features.contains("token-exchange:v1") {
            grants.insert(GrantType.tokenExchange)
        }
        return grants
    }
}

/// One authenticated grant request; the methods run under the store lock.
struct GrantRequest {
    var form: FormBody
    var client: Client
    var realmIndex: Int
    var issuer: String
    var now: Double
    var keys: RealmKeyring
    var features: FeatureSet
    var remoteAddress: String
    /// Details a grant leaves for its event (Events/TokenEvents.swift).
    let eventNotes = GrantEventNotes()

    func error(_ status: Int, _ error: String, _ description: String) -> ServerResponse {
        OIDCResponse.tokenError(status, error, description)
    }

    /// ResourceOwnerPasswordCredentialsGrantType.process and the direct-grant authenticators.
    func password(_ state: inout StoreState) -> ServerResponse {
        let realm = state.realms[realmIndex]
        guard client.directAccessGrantsEnabled else {
            return error(400, "unauthorized_client", "Client not allowed for direct access grants")
        }
        if client.consentRequired { return error(400, "invalid_client", "Client requires user consent") }
        let scope = form.first("scope")
        // ValidateUsername finds the user and checks `enabled` before ValidatePassword (recorded: 400).
        guard let username = form.first("username"),
            let user = realm.user(username: username)
                ?? realm.users.first(where: { $0.email?.lowercased() == username.lowercased() })
        else {
            return error(400, "invalid_grant", "Invalid user credentials")
        }
        guard user.enabled else { return error(400, "invalid_grant", "Account disabled") }
        guard user.serviceAccountClientId == nil, let password = form.first("password"), user.passwordMatches(password) else {
            return error(400, "invalid_grant", "Invalid user credentials")
        }
        if !user.requiredActions.isEmpty || user.password?.temporary == true {
            return error(400, "invalid_grant", "Account is not fully set up")
        }
        let invalid = TokenClaims.invalidScopes(scope, client: client, realm: realm)
        if !invalid.isEmpty { return error(400, "invalid_scope", "Invalid scopes: \(scope ?? "")") }
        let session = Sessions.create(&state, realmIndex: realmIndex, userId: user.id, clientId: client.id, now: now)
        let inputs = ClaimInputs(
            realm: state.realms[realmIndex], client: client, user: user, issuer: issuer, scopeParameter: scope,
            requestedAudience: nil, sessionNotes: session.notes)
        let issuer = TokenIssuer(claims: TokenClaims(inputs), now: now, session: session.facts, grantShortcut: "ro")
        let withRefresh = client.attribute("use.refresh.tokens") != "false"
        let tokens = issuer.issue(keys: keys, withRefresh: withRefresh, withIDToken: TokenClaims.words(scope).contains("openid"))
        return OIDCResponse.token(200, tokens.responseBody())
    }

    /// ClientCredentialsGrantType.process: a transient session for the service-account user.
    func clientCredentials(_ state: inout StoreState) -> ServerResponse {
        let realm = state.realms[realmIndex]
        if client.publicClient {
            return error(401, "unauthorized_client", "Public client not allowed to retrieve service account")
        }
        guard client.serviceAccountsEnabled, let userId = client.serviceAccountUserId, let user = realm.user(id: userId) else {
            return error(401, "unauthorized_client", "Client not enabled to retrieve service account")
        }
        guard user.enabled else { return error(400, "invalid_request", "User '\(user.username)' disabled") }
        let scope = form.first("scope")
        let invalid = TokenClaims.invalidScopes(scope, client: client, realm: realm)
        if !invalid.isEmpty { return error(400, "invalid_scope", "Invalid scopes: \(scope ?? "")") }
        let notes = Sessions.serviceAccountNotes(clientId: client.clientId, address: remoteAddress)
        let inputs = ClaimInputs(
            realm: realm, client: client, user: user, issuer: issuer, scopeParameter: scope, requestedAudience: nil,
            sessionNotes: notes)
        let issuer = TokenIssuer(claims: TokenClaims(inputs), now: now, session: nil, grantShortcut: "cc")
        let tokens = issuer.issue(keys: keys, withRefresh: false, withIDToken: TokenClaims.words(scope).contains("openid"))
        return OIDCResponse.token(200, tokens.responseBody())
    }

    /// RefreshTokenGrantType / TokenManager.refreshAccessToken.
    func refresh(_ state: inout StoreState) -> ServerResponse {
        guard let token = form.first("refresh_token") else {
            return error(400, "invalid_request", "Missing parameter: refresh_token")
        }
        let realm = state.realms[realmIndex]
        guard let claims = SandboxJWT.verifiedClaims(token, realm: realm.name, keys: keys),
            ["Refresh", "Offline"].contains(claims["typ"]?.stringValue ?? ""), claims["iss"]?.stringValue == issuer
        else {
            return error(400, "invalid_grant", "Invalid refresh token")
        }
        if let exp = claims["exp"]?.intValue, Double(exp) < now.rounded(.down) {
            return error(400, "invalid_grant", "Token is not active")
        }
        guard claims["azp"]?.stringValue == client.clientId else { return error(400, "invalid_grant", "Unmatching clients") }
        guard let sessionId = claims["sid"]?.stringValue,
            let session = Sessions.active(state.realms[realmIndex], id: sessionId, now: now)
        else {
            return error(400, "invalid_grant", "Session not active")
        }
        guard let user = realm.user(id: session.userId), user.enabled else {
            return error(400, "invalid_grant", "User disabled")
        }
        Sessions.touch(&state, realmIndex: realmIndex, id: sessionId, now: now)
        var scope = claims["scope"]?.stringValue ?? ""
        if let requested = form.first("scope") {
            // A refresh may narrow the scope, never widen it (TokenManager.refreshAccessToken).
            let granted = Set(TokenClaims.words(scope))
            let asked = TokenClaims.words(requested)
            if asked.contains(where: { !granted.contains($0) }) {
                return error(400, "invalid_scope", "Invalid scopes: \(requested)")
            }
            scope = requested
        }
        let inputs = ClaimInputs(
            realm: state.realms[realmIndex], client: client, user: user, issuer: issuer, scopeParameter: scope,
            requestedAudience: nil, sessionNotes: session.notes)
        let facts = SessionFacts(id: session.id, started: session.started, lastRefresh: now)
        let issuer = TokenIssuer(claims: TokenClaims(inputs), now: now, session: facts, grantShortcut: "rt")
        let tokens = issuer.issue(keys: keys, withRefresh: true, withIDToken: TokenClaims.words(scope).contains("openid"))
        return OIDCResponse.token(200, tokens.responseBody())
    }
}
