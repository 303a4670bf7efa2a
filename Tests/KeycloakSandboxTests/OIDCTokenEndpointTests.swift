// The token endpoint before any grant (token-exchange.md §0.1) and the password, client_credentials
// and refresh_token grants (admin-api.md §1.1), with exact statuses, bodies and headers.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct OIDCTokenEndpointTests {
    let fixture = OIDCFixture()

    init() {
        fixture.addClient(["clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true])
        fixture.addClient(["clientId": "svc", "secret": "svc-secret", "serviceAccountsEnabled": true])
        fixture.addClient(["clientId": "web", "protocol": "openid-connect"])
        fixture.addUser("alice") { user in
            user.firstName = "Alice"
            user.lastName = "Liddell"
            user.email = "alice@example.com"
        }
    }

    private func expectError(
        _ response: ServerResponse, _ status: Int, _ body: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.text == body, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        #expect(response.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
        #expect(response.header("Pragma") == "no-cache", sourceLocation: sourceLocation)
    }

    // §0.1 G2
    @Test func disabledRealmIsRefusedFirst() {
        fixture.updateRealm { $0.representation["enabled"] = false }
        expectError(fixture.token([]), 403, #"{"error":"access_denied","error_description":"Realm not enabled"}"#)
    }

    // §0.1 G3, recorded missing-grant-type.http
    @Test func missingGrantType() {
        expectError(
            fixture.token([("client_id", "nobody")]), 400,
            #"{"error":"invalid_request","error_description":"Missing form parameter: grant_type"}"#)
    }

    // §0.1 G4 comes before client authentication.
    @Test func unknownGrantTypeBeforeClientChecks() {
        expectError(
            fixture.token([("grant_type", "magic"), ("client_id", "nobody")]), 400,
            #"{"error":"unsupported_grant_type","error_description":"Unsupported grant_type"}"#)
    }

    // §0.1 G4: the exchange URN is unknown when every token-exchange feature is off.
    @Test func tokenExchangeGrantUnknownWithoutFeatures() throws {
        let features = try FeatureSet(enabling: [], disabling: ["token-exchange-standard"])
        let fixture = OIDCFixture(features: features)
        expectError(
            fixture.token([("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("client_id", "admin-cli")]),
            400, #"{"error":"unsupported_grant_type","error_description":"Unsupported grant_type"}"#)
    }

    // §0.1 G5–G9 in order.
    @Test func clientAuthenticationFailures() {
        expectError(
            fixture.token([("grant_type", "password")]), 400,
            #"{"error":"invalid_client","error_description":"Missing client_id parameter"}"#)
        expectError(
            fixture.token([("grant_type", "password"), ("client_id", "nobody")]), 401,
            #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#)
        fixture.updateClient("svc") { $0.fields["enabled"] = false }
        expectError(
            fixture.token([("grant_type", "client_credentials"), ("client_id", "svc"), ("client_secret", "svc-secret")]), 401,
            #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#)
        expectError(
            fixture.token([("grant_type", "password"), ("client_id", "app")]), 401,
            #"{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}"#)
        // Wrong secret through Basic (base64 of "app:wrong").
        expectError(
            fixture.token([("grant_type", "password")], headers: [("Authorization", "Basic YXBwOndyb25n")]), 401,
            #"{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}"#)
    }

    // §4.1: a form client_secret overrides the Basic header.
    @Test func formCredentialsOverrideBasic() {
        let response = fixture.token(
            [("grant_type", "password"), ("client_secret", "app-secret"), ("username", "alice"), ("password", "secret")],
            headers: [("Authorization", "Basic YXBwOndyb25n")])
        #expect(response.status == 200)
    }

    // §0.1 G10 and G11.
    @Test func bearerOnlyAndDuplicatedParameters() {
        fixture.addClient(["clientId": "api", "bearerOnly": true])
        // Keycloak keeps a bearer-only client's secret; set one so G8/G9 pass and G10 is reached.
        fixture.updateClient("api") { $0.fields["secret"] = "api-secret" }
        expectError(
            fixture.token([("grant_type", "client_credentials"), ("client_id", "api"), ("client_secret", "api-secret")]), 400,
            #"{"error":"invalid_client","error_description":"Bearer-only not allowed"}"#)
        expectError(
            fixture.token([
                ("grant_type", "password"), ("client_id", "app"), ("client_secret", "app-secret"), ("scope", "a"), ("scope", "b"),
            ]), 400, #"{"error":"invalid_request","error_description":"duplicated parameter"}"#)
    }

    // §1.1: password-grant refusals (recorded wrong-password.http, disabled-user.http: 400).
    @Test func passwordGrantRefusals() {
        func login(_ username: String, _ password: String, client: String = "app") -> ServerResponse {
            let secret = client == "app" ? "app-secret" : "svc-secret"
            return fixture.token([
                ("grant_type", "password"), ("client_id", client), ("client_secret", secret), ("username", username),
                ("password", password),
            ])
        }
        expectError(login("alice", "wrong"), 400, #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#)
        expectError(login("nobody", "secret"), 400, #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#)
        fixture.addUser("bob") { $0.enabled = false }
        // A disabled account is reported even with a wrong password (ValidateUsername runs first).
        expectError(login("bob", "wrong"), 400, #"{"error":"invalid_grant","error_description":"Account disabled"}"#)
        fixture.addUser("carol") { $0.requiredActions = ["UPDATE_PASSWORD"] }
        expectError(
            login("carol", "secret"), 400, #"{"error":"invalid_grant","error_description":"Account is not fully set up"}"#)
        expectError(
            login("alice", "secret", client: "svc"), 400,
            #"{"error":"unauthorized_client","error_description":"Client not allowed for direct access grants"}"#)
        expectError(
            fixture.token([
                ("grant_type", "password"), ("client_id", "app"), ("client_secret", "app-secret"), ("username", "alice"),
                ("password", "secret"), ("scope", "profile nonsense"),
            ]), 400, #"{"error":"invalid_scope","error_description":"Invalid scopes: profile nonsense"}"#)
    }

    // admin-api.md §1.1 (recorded password-grant-admin-cli.http): member order, lifespans, lightweight token.
    @Test func adminCLIPasswordGrantInMaster() throws {
        let body = fixture.passwordLogin("admin", password: OIDCFixture.adminPassword, clientId: "admin-cli", realm: "master")
        #expect(
            body.keys == [
                "access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type", "not-before-policy",
                "session_state", "scope",
            ])
        #expect(body["expires_in"] == 60)
        #expect(body["refresh_expires_in"] == 1800)
        #expect(body["token_type"] == "Bearer")
        #expect(body["not-before-policy"] == 0)
        #expect(body["scope"] == "email profile")
        let claims = jwtClaims(body["access_token"]?.stringValue)
        // Lightweight: no sub, aud, realm_access or profile claims; the session says who it is.
        #expect(claims.keys == ["exp", "iat", "jti", "iss", "typ", "azp", "sid", "scope"])
        #expect(claims["iss"] == .string(fixture.issuer("master")))
        #expect(claims["sid"] == body["session_state"])
        #expect(claims["exp"] == .int(Int64(oidcTestEpoch) + 60))
        let verified = try #require(verifyAccessToken(body["access_token"]!.stringValue!, context: fixture.context))
        let adminId = fixture.context.store.read { $0.realm(named: "master")!.user(username: "admin")!.id }
        #expect(verified.realmName == "master")
        #expect(verified.userId == adminId)
        #expect(verified.clientId == "admin-cli")
        #expect(verified.sessionId == claims["sid"]?.stringValue)
        let refresh = jwtClaims(body["refresh_token"]?.stringValue)
        #expect(refresh.keys == ["exp", "iat", "jti", "iss", "aud", "sub", "typ", "azp", "sid", "scope"])
        #expect(refresh["typ"] == "Refresh")
        #expect(refresh["aud"] == .string(fixture.issuer("master")))
        #expect(refresh["exp"] == .int(Int64(oidcTestEpoch) + 1800))
    }

    // token-exchange.md §4.2: the default claims of a full access token, in Keycloak's order.
    @Test func defaultAccessTokenClaims() throws {
        let body = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        #expect(body["expires_in"] == 300)
        let token = try #require(body["access_token"]?.stringValue)
        let claims = jwtClaims(token)
        let aliceId = fixture.context.store.read { $0.realm(named: "demo")!.user(username: "alice")!.id }
        #expect(
            claims.keys == [
                "exp", "iat", "jti", "iss", "aud", "sub", "typ", "azp", "sid", "acr", "realm_access", "resource_access", "scope",
                "email_verified", "name", "preferred_username", "given_name", "family_name", "email",
            ])
        #expect(claims["aud"] == "account")
        #expect(claims["sub"] == .string(aliceId))
        #expect(claims["typ"] == "Bearer")
        #expect(claims["azp"] == "app")
        #expect(claims["acr"] == "1")
        #expect(claims["realm_access"] == ["roles": ["default-roles-demo", "offline_access", "uma_authorization"]])
        #expect(claims["resource_access"] == ["account": ["roles": ["manage-account", "manage-account-links", "view-profile"]]])
        #expect(claims["scope"] == "email profile")
        #expect(claims["email_verified"] == false)
        #expect(claims["name"] == "Alice Liddell")
        #expect(claims["preferred_username"] == "alice")
        #expect(claims["email"] == "alice@example.com")
        #expect(claims["jti"]?.stringValue?.hasPrefix("onrtro:") == true)
        // Signed by the key the certs endpoint publishes (§4.4).
        let jwks = fixture.request("GET", "/realms/demo/protocol/openid-connect/certs").jsonObject
        let kid = jwtHeader(token)["kid"]
        #expect(jwks["keys"]?[0]?["kid"] == kid)
        #expect(SandboxJWT.verifiedClaims(token, realm: "demo", keys: fixture.context.keys)?["sub"] == .string(aliceId))
    }

    // §1.6: optional scopes only when requested; openid shows in `scope` and brings an ID token.
    @Test func optionalScopeAndOpenID() {
        let body = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret", scope: "openid phone")
        #expect(body["scope"] == "email openid phone profile")
        #expect(body.keys.contains("id_token"))
        let id = jwtClaims(body["id_token"]?.stringValue)
        #expect(id["typ"] == "ID")
        #expect(id["aud"] == "app")
        #expect(id["azp"] == "app")
    }

    // admin-api.md §1.1 (recorded client-credentials-grant.http).
    @Test func clientCredentialsGrant() {
        let response = fixture.token([
            ("grant_type", "client_credentials"), ("client_id", "svc"), ("client_secret", "svc-secret"),
        ])
        #expect(response.status == 200)
        let body = response.jsonObject
        #expect(body.keys == ["access_token", "expires_in", "refresh_expires_in", "token_type", "not-before-policy", "scope"])
        #expect(body["refresh_expires_in"] == 0)
        #expect(body["scope"] == "email profile")
        let claims = jwtClaims(body["access_token"]?.stringValue)
        #expect(claims["sid"] == nil)
        #expect(claims["azp"] == "svc")
        #expect(claims["preferred_username"] == "service-account-svc")
        #expect(claims["client_id"] == "svc")
        #expect(claims["clientAddress"] == "127.0.0.1")
        #expect(verifyAccessToken(body["access_token"]!.stringValue!, context: fixture.context)?.clientId == "svc")
        expectError(
            fixture.token([("grant_type", "client_credentials"), ("client_id", "app"), ("client_secret", "app-secret")]), 401,
            #"{"error":"unauthorized_client","error_description":"Client not enabled to retrieve service account"}"#)
        expectError(
            fixture.token([("grant_type", "client_credentials"), ("client_id", "web")]), 401,
            #"{"error":"unauthorized_client","error_description":"Public client not allowed to retrieve service account"}"#)
    }

    // admin-api.md §1.1: refresh, its refusals (recorded invalid-refresh-token.http, refresh-after-logout.http).
    @Test func refreshTokenGrant() {
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let refreshToken = login["refresh_token"]!.stringValue!
        fixture.advance(100)
        let response = fixture.token([
            ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"),
            ("refresh_token", refreshToken),
        ])
        #expect(response.status == 200)
        let body = response.jsonObject
        #expect(body["session_state"] == login["session_state"])
        #expect(jwtClaims(body["access_token"]?.stringValue)["iat"] == .int(Int64(oidcTestEpoch) + 100))
        expectError(
            fixture.token([("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret")]), 400,
            #"{"error":"invalid_request","error_description":"Missing parameter: refresh_token"}"#)
        expectError(
            fixture.token([
                ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"),
                ("refresh_token", "x.y.z"),
            ]), 400, #"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#)
        // An access token is not a refresh token.
        expectError(
            fixture.token([
                ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"),
                ("refresh_token", login["access_token"]!.stringValue!),
            ]), 400, #"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#)
        fixture.addClient(["clientId": "other", "secret": "other-secret"])
        expectError(
            fixture.token([
                ("grant_type", "refresh_token"), ("client_id", "other"), ("client_secret", "other-secret"),
                ("refresh_token", refreshToken),
            ]), 400, #"{"error":"invalid_grant","error_description":"Unmatching clients"}"#)
        let logout = fixture.request(
            "POST", "/realms/demo/protocol/openid-connect/logout",
            form: [("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", refreshToken)])
        #expect(logout.status == 204)
        expectError(
            fixture.token([
                ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"),
                ("refresh_token", refreshToken),
            ]), 400, #"{"error":"invalid_grant","error_description":"Session not active"}"#)
    }

    // SSO idle timeout (ssoSessionIdleTimeout, 1800 s by default) ends the session and its tokens.
    @Test func idleSessionExpires() {
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let access = login["access_token"]!.stringValue!
        #expect(verifyAccessToken(access, context: fixture.context) != nil)
        fixture.advance(301)
        // The access token itself expired (300 s).
        #expect(verifyAccessToken(access, context: fixture.context) == nil)
        fixture.advance(1500)
        expectError(
            fixture.token([
                ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"),
                ("refresh_token", login["refresh_token"]!.stringValue!),
            ]), 400, #"{"error":"invalid_grant","error_description":"Token is not active"}"#)
    }

    // Recorded unknown-realm answers for every OIDC path.
    @Test func unknownRealm() {
        let response = fixture.token([("grant_type", "password")], realm: "nosuchrealm")
        #expect(response.status == 404)
        #expect(response.text == #"{"error":"Realm does not exist"}"#)
    }
}
