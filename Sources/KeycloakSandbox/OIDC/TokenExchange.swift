// The token-exchange grant (RFC 8693): provider selection, standard V2 (token-exchange.md §0.2, §0.3, §1)
// and legacy V1 (§0.5, §2.2), each check in Keycloak's order.
import KcxJSON
import LoopbackHTTP

enum TokenType {
    static let accessToken = "urn:ietf:params:oauth:token-type:access_token"
    static let refreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
    static let idToken = "urn:ietf:params:oauth:token-type:id_token"
    static let saml2 = "urn:ietf:params:oauth:token-type:saml2"
}

struct TokenExchange {
    let grant: GrantRequest
    private var form: FormBody { grant.form }
    private var requester: Client { grant.client }

    private func error(_ status: Int, _ error: String, _ description: String) -> ServerResponse {
        OIDCResponse.tokenError(status, error, description)
    }

    func handle(_ state: inout StoreState) -> ServerResponse {
        // Providers by descending order: standard (10) before V1 (0); V1 accepts whatever is left.
        if grant.features.contains("token-exchange-standard:v2") {
            if let reason = standardUnsupportedReason() {
                if grant.features.contains("token-exchange:v1") {
                    return withClientPolicies(&state) { state, _ in legacy(&state) }
                }
                return error(400, "invalid_request", reason)
            }
            return withClientPolicies(&state) { standard(&$0, restrictedScopes: $1) }
        }
        return withClientPolicies(&state) { state, _ in legacy(&state) }
    }

    /// Client policies run once a provider is chosen and before it exchanges (client-policies-events.md
    /// §1.5); a rejection is answered as the executor raised it. V1 takes the rejection only: it
    /// builds its scopes from the subject token already, so the restriction adds nothing visible there.
    private func withClientPolicies(
        _ state: inout StoreState, _ exchange: (inout StoreState, Set<String>?) -> ServerResponse
    ) -> ServerResponse {
        switch ClientPolicyEnforcement.onTokenExchange(realm: state.realms[grant.realmIndex], requester: requester, form: form) {
        case .failure(let rejection):
            grant.eventNotes.details = JSONObject([
                ("reason", "client_policy_error"), ("client_policy_error", .string(rejection.error)),
                ("client_policy_error_detail", .string(rejection.detail)),
            ])
            return error(rejection.status, rejection.error, rejection.detail)
        case .success(let restricted): return exchange(&state, restricted)
        }
    }

    /// StandardTokenExchangeProvider.supports, rows S1–S7.
    private func standardUnsupportedReason() -> String? {
        for parameter in ["requested_subject", "requested_issuer", "subject_issuer"] where form.first(parameter) != nil {
            return "Parameter '\(parameter)' is not supported for standard token exchange"
        }
        if requester.attribute("standard.token.exchange.enabled") != "true" {
            return "Standard token exchange is not enabled for the requested client"
        }
        if form.first("subject_token") == nil { return "Parameter 'subject_token' required for standard token exchange" }
        guard let type = form.first("subject_token_type") else {
            return "Parameter 'subject_token_type' required for standard token exchange"
        }
        if type != TokenType.accessToken { return "Parameter 'subject_token' supports access tokens only" }
        return nil
    }

    /// The subject token's verified identity (P1: any failure is `Invalid token`).
    private func subject(_ state: StoreState) -> VerifiedToken? {
        let realm = state.realms[grant.realmIndex]
        guard let token = form.first("subject_token"),
            let claims = SandboxJWT.verifiedClaims(token, realm: realm.name, keys: grant.keys),
            claims["iss"]?.stringValue == grant.issuer,
            case .success(let verified) = AccessTokenVerifier.check(claims, realm: realm, now: grant.now)
        else { return nil }
        return verified
    }

    // MARK: Standard token exchange V2

    private func standard(_ state: inout StoreState, restrictedScopes: Set<String>?) -> ServerResponse {
        let realm = state.realms[grant.realmIndex]
        guard let subject = subject(state) else { return error(400, "invalid_request", "Invalid token") }
        // P2–P5 (sender-constrained subject tokens) cannot occur: the sandbox never issues `cnf`.
        let requestedType = form.first("requested_token_type") ?? TokenType.accessToken
        let refreshAllowed =
            requester.attribute("use.refresh.tokens") != "false"
            && requester.attribute("standard.token.exchange.enableRefreshRequestedTokenType") == "SAME_SESSION"
        let earlyGate =
            [TokenType.accessToken, TokenType.idToken, TokenType.saml2] + (refreshAllowed ? [TokenType.refreshToken] : [])
        guard earlyGate.contains(requestedType) else { return error(400, "invalid_request", "requested_token_type unsupported") }
        let audienceNames = form.all("audience")
        var targets: [Client] = []
        for name in audienceNames {
            guard let target = realm.client(clientId: name) else { return error(400, "invalid_client", "Audience not found") }
            targets.append(target)
        }
        if requester.publicClient { return error(400, "invalid_client", "Public client is not allowed to exchange token") }
        if targets.contains(where: { !$0.enabled }) { return error(400, "invalid_client", "Client disabled") }
        let subjectAudience = JWTAudience.list(subject.claims["aud"])
        if subject.clientId != requester.clientId && !subjectAudience.contains(requester.clientId) {
            return error(403, "access_denied", "Client is not within the token audience")
        }
        let scope = form.first("scope")
        if !TokenClaims.invalidScopes(scope, client: requester, realm: realm).isEmpty {
            return error(400, "invalid_scope", "Invalid scopes: \(scope ?? "")")
        }
        if requestedType == TokenType.saml2 { return error(400, "invalid_request", "requested_token_type unsupported") }
        guard let user = realm.user(id: subject.userId) else { return error(400, "invalid_request", "Invalid token") }
        let session = subject.sessionId.flatMap { id in realm.sessions.first { $0.id == id } }
        let inputs = ClaimInputs(
            realm: realm, client: requester, user: user, issuer: grant.issuer, scopeParameter: scope,
            requestedAudience: audienceNames.isEmpty ? nil : audienceNames, sessionNotes: session?.notes ?? JSONObject(),
            restrictedScopeNames: restrictedScopes)
        let claims = TokenClaims(inputs)
        if requestedType == TokenType.refreshToken {
            if session == nil {
                return error(
                    400, "invalid_request",
                    "Refresh token not valid as requested_token_type because creating a new session is needed")
            }
            if claims.scopes.contains(where: { $0.name == "offline_access" }) {
                return error(400, "invalid_request", "Scope offline_access not allowed for token exchange")
            }
        }
        // P14: the sandbox keeps no consents, so a consent-requiring requester never has them.
        if requester.consentRequired,
            claims.scopes.contains(where: { $0.attributes["display.on.consent.screen"]?.stringValue != "false" })
        {
            return error(400, "invalid_scope", "Missing consents for Token Exchange in client \(requester.clientId)")
        }
        let issuer = TokenIssuer(claims: claims, now: grant.now, session: session?.facts, grantShortcut: "te")
        if !audienceNames.isEmpty {
            // TokenUtils.checkRequestedAudiences compares counts first, then names.
            let audience = issuer.accessTokenClaims().audience
            let missing = audienceNames.filter { !audience.contains($0) }
            if audience.count < audienceNames.count || !missing.isEmpty {
                var seen: [String] = []
                for name in missing where !seen.contains(name) { seen.append(name) }
                return error(400, "invalid_request", "Requested audience not available: \(seen.joined(separator: ", "))")
            }
        }
        if let session { Sessions.touch(&state, realmIndex: grant.realmIndex, id: session.id, now: grant.now) }
        let key = grant.keys.signingKey(realm: realm.name)
        if requestedType == TokenType.idToken {
            // The ID token travels in `access_token`, typed N_A (§1.8).
            var tokens = issuer.issue(keys: grant.keys, withRefresh: false, withIDToken: false)
            tokens.accessToken = SandboxJWT.sign(issuer.idTokenClaims(), with: key)
            return OIDCResponse.token(200, tokens.responseBody(tokenType: "N_A", issuedTokenType: TokenType.idToken))
        }
        let tokens = issuer.issue(keys: grant.keys, withRefresh: requestedType == TokenType.refreshToken, withIDToken: false)
        return OIDCResponse.token(200, tokens.responseBody(issuedTokenType: requestedType))
    }

    // MARK: Legacy token exchange V1

    private func legacy(_ state: inout StoreState) -> ServerResponse {
        let realm = state.realms[grant.realmIndex]
        if let type = form.first("subject_token_type"), type != TokenType.accessToken {
            return error(400, "invalid_request", "Invalid token type, must be access token")
        }
        // Without a subject token V1 would impersonate (`requested_subject`) or import an external
        // token; neither is emulated, so the token is simply invalid.
        guard let subject = subject(state) else { return error(400, "invalid_request", "Invalid token") }
        // Impersonation (DefaultTokenExchangeProvider, `requested_subject` with a subject token): the
        // requested user by username or id, and the subject token's user must be allowed to impersonate
        // (UserPermissions.canImpersonate: realm-management's `impersonation` role, held directly, through
        // a composite such as realm-admin, or through a group). Every refusal is the same 403, so that
        // usernames cannot be probed. The new token gets a new session of the impersonated user.
        var impersonated: User?
        if let requested = form.first("requested_subject") {
            let denied = error(403, "access_denied", "Client not allowed to exchange")
            guard let found = realm.user(username: requested) ?? realm.user(id: requested), found.enabled,
                let tokenUser = realm.user(id: subject.userId),
                let impersonation = realm.client(clientId: "realm-management")?.role(name: "impersonation"),
                realm.effectiveRoleIds(of: tokenUser).contains(impersonation.id)
            else { return denied }
            impersonated = found
        }
        // The sandbox has no identity providers: no issuer is valid.
        if form.first("requested_issuer") != nil { return error(400, "invalid_request", "Invalid issuer") }
        let requestedType = form.first("requested_token_type") ?? TokenType.refreshToken
        // saml2 would need a SAML target client, which the sandbox does not emulate.
        guard [TokenType.accessToken, TokenType.refreshToken].contains(requestedType) else {
            return error(400, "invalid_request", "requested_token_type unsupported")
        }
        var target = requester
        if let audience = form.first("audience") {
            // Only the first audience counts (Keycloak logs a warning for the rest).
            guard let client = realm.client(clientId: audience) else { return error(400, "invalid_client", "Audience not found") }
            target = client
        }
        if target.consentRequired { return error(400, "invalid_client", "Client requires user consent") }
        if !target.enabled { return error(400, "invalid_client", "Client disabled") }
        let holder = subject.clientId == requester.clientId
        if target.id == requester.id {
            if requester.publicClient {
                if !holder { return error(403, "access_denied", "Client is not the holder of the token") }
            } else if !holder && !JWTAudience.list(subject.claims["aud"]).contains(requester.clientId) {
                return error(403, "access_denied", "Client is not within the token audience")
            }
        } else {
            guard grant.features.contains("admin-fine-grained-authz:v1") else {
                // ClientPermissionsV2.canExchangeTo throws UnsupportedOperationException: a 500 (§2.5).
                return error(500, "unknown_error", "For more on this error consult the server log.")
            }
            if requester.publicClient || !FineGrainedPermissions.canExchange(realm: realm, requester: requester, target: target) {
                return error(403, "access_denied", "Client not allowed to exchange")
            }
        }
        guard let user = impersonated ?? realm.user(id: subject.userId) else {
            return error(400, "invalid_request", "Invalid token")
        }
        // Scopes: the subject token's (plus `scope`), kept only where the target has them, plus openid.
        var wanted = TokenClaims.words(subject.claims["scope"]?.stringValue)
        for word in TokenClaims.words(form.first("scope")) where !wanted.contains(word) { wanted.append(word) }
        let targetScopes = Set((target.defaultScopeIds + target.optionalScopeIds).compactMap { realm.clientScope(id: $0)?.name })
        let scope = wanted.filter { $0 == "openid" || targetScopes.contains($0) }.joined(separator: " ")
        let session =
            impersonated.map {
                Sessions.create(&state, realmIndex: grant.realmIndex, userId: $0.id, clientId: requester.id, now: grant.now)
            }
            ?? subject.sessionId.flatMap { id in realm.sessions.first { $0.id == id } }
        let inputs = ClaimInputs(
            realm: realm, client: target, user: user, issuer: grant.issuer, scopeParameter: scope, requestedAudience: nil,
            sessionNotes: session?.notes ?? JSONObject())
        let issuer = TokenIssuer(claims: TokenClaims(inputs), now: grant.now, session: session?.facts, grantShortcut: "te")
        var (claims, audience) = issuer.accessTokenClaims()
        // Built for the target, issued to the requester: `azp` is the requester, the target joins `aud` first.
        claims["azp"] = .string(requester.clientId)
        if target.id != requester.id {
            audience.removeAll { $0 == target.clientId }
            audience.insert(target.clientId, at: 0)
        }
        claims["aud"] = audienceClaim(audience)
        claims = orderClaims(claims)
        let key = grant.keys.signingKey(realm: realm.name)
        let now = Int64(grant.now)
        var tokens = IssuedTokens(
            accessToken: SandboxJWT.sign(claims, with: key), accessClaims: claims,
            expiresIn: Int((claims["exp"]?.intValue ?? now) - now), refreshToken: nil, refreshExpiresIn: 0, idToken: nil,
            sessionId: session?.id, scope: claims["scope"]?.stringValue ?? "")
        var issuedType = TokenType.accessToken
        // A refresh token only for a requester using them and a real session; otherwise silently none.
        if requestedType == TokenType.refreshToken, requester.attribute("use.refresh.tokens") != "false",
            let (claims, expiry) = issuer.refreshTokenClaims(scope: tokens.scope)
        {
            var refresh = claims
            refresh["azp"] = .string(requester.clientId)
            tokens.refreshToken = SandboxJWT.sign(refresh, with: key)
            tokens.refreshExpiresIn = Int(max(0, expiry - now))
            issuedType = TokenType.refreshToken
        }
        if let session { Sessions.touch(&state, realmIndex: grant.realmIndex, id: session.id, now: grant.now) }
        return OIDCResponse.token(200, tokens.responseBody(issuedTokenType: issuedType))
    }
}
