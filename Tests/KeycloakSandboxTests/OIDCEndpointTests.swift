// Discovery, JWKS, introspection, userinfo, logout and revocation (token-exchange.md §4.3, §4.4; the
// 26.7.1 recordings under golden/oidc/{discovery,certs,introspection,userinfo,logout,revocation}).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct OIDCEndpointTests {
    let fixture = OIDCFixture()
    let introspectPath = "/realms/demo/protocol/openid-connect/token/introspect"

    init() {
        fixture.addClient(["clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true])
        fixture.addClient(["clientId": "api", "secret": "api-secret"])
        fixture.addClient(["clientId": "web", "protocol": "openid-connect"])
        fixture.addUser("alice")
    }

    // §4.4, recorded discovery/master.http: endpoints under the realm issuer, token exchange advertised.
    @Test func discoveryDocument() {
        let response = fixture.request("GET", "/realms/demo/.well-known/openid-configuration")
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-cache, must-revalidate, no-transform, no-store")
        #expect(response.header("Content-Type") == "application/json")
        let body = response.jsonObject
        let issuer = fixture.issuer()
        #expect(
            body.keys.prefix(6) == [
                "issuer", "authorization_endpoint", "token_endpoint", "introspection_endpoint", "userinfo_endpoint",
                "end_session_endpoint",
            ])
        #expect(body["issuer"] == .string(issuer))
        #expect(body["token_endpoint"] == .string(issuer + "/protocol/openid-connect/token"))
        #expect(body["jwks_uri"] == .string(issuer + "/protocol/openid-connect/certs"))
        #expect(body["revocation_endpoint"] == .string(issuer + "/protocol/openid-connect/revoke"))
        #expect(body["grant_types_supported"]?.arrayValue?.contains("urn:ietf:params:oauth:grant-type:token-exchange") == true)
        #expect(
            body["scopes_supported"] == [
                "acr", "address", "basic", "email", "microprofile-jwt", "offline_access", "openid", "organization", "phone",
                "profile", "roles", "service_account", "web-origins",
            ])
        #expect(body.keys.last == "authorization_response_iss_parameter_supported")
        let missing = fixture.request("GET", "/realms/nosuchrealm/.well-known/openid-configuration")
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":"Realm does not exist"}"#)
    }

    // §3 detection: without any token-exchange feature the URN is not advertised.
    @Test func discoveryWithoutTokenExchange() throws {
        let fixture = OIDCFixture(features: try FeatureSet(enabling: [], disabling: ["token-exchange-standard"]))
        let grants = fixture.request("GET", "/realms/demo/.well-known/openid-configuration").jsonObject["grant_types_supported"]
        #expect(grants?.arrayValue?.contains("urn:ietf:params:oauth:grant-type:token-exchange") == false)
    }

    // §4.4, recorded certs/master.http: a signing key and an encryption key, members in that order.
    @Test func certs() {
        let response = fixture.request("GET", "/realms/demo/protocol/openid-connect/certs")
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-cache")
        let keys = response.jsonObject["keys"]?.arrayValue ?? []
        #expect(keys.count == 2)
        #expect(keys.map { $0["use"] } == ["sig", "enc"])
        #expect(keys.map { $0["alg"] } == ["RS256", "RSA-OAEP"])
        #expect(keys.first?.objectValue?.keys == ["kid", "kty", "alg", "use", "x5c", "x5t", "x5t#S256", "n", "e"])
        #expect(fixture.request("POST", "/realms/demo/protocol/openid-connect/certs").status == 405)
    }

    // §4.3 and recorded introspection/active-access-token.http: member order, client_id/username/token_type/active.
    // As recorded, the introspecting client is in the token's `aud` (bob holds one of its roles) and
    // is not the client the token was issued to.
    @Test func introspectActiveAccessToken() {
        fixture.addClientRole("api", "reader")
        fixture.addUser("bob", roles: ["api/reader"])
        let login = fixture.passwordLogin("bob", clientId: "app", secret: "app-secret")
        #expect(jwtClaims(login["access_token"]?.stringValue)["aud"] == ["account", "api"])
        let response = fixture.request(
            "POST", introspectPath,
            form: [("client_id", "api"), ("client_secret", "api-secret"), ("token", login["access_token"]!.stringValue!)])
        #expect(response.status == 200)
        #expect(response.header("Cache-Control") == "no-cache")
        let body = response.jsonObject
        #expect(
            body.keys == [
                "exp", "iat", "jti", "iss", "aud", "sub", "typ", "azp", "sid", "acr", "realm_access", "resource_access", "scope",
                "email_verified", "preferred_username", "client_id", "username", "token_type", "active",
            ])
        #expect(body["client_id"] == "app")
        #expect(body["username"] == "bob")
        #expect(body["token_type"] == "Bearer")
        #expect(body["active"] == true)
        #expect(body["jti"] == jwtClaims(login["access_token"]?.stringValue)["jti"])
    }

    // Recorded introspection/active-refresh-token.http: mappers re-run, `aud` gains the issuer.
    @Test func introspectRefreshToken() {
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let body = fixture.request(
            "POST", introspectPath,
            form: [
                ("client_id", "app"), ("client_secret", "app-secret"), ("token", login["refresh_token"]!.stringValue!),
                ("token_type_hint", "refresh_token"),
            ]
        ).jsonObject
        #expect(body["typ"] == "Refresh")
        #expect(body["token_type"] == "Refresh")
        #expect(body["aud"] == ["account", .string(fixture.issuer())])
        #expect(body["realm_access"] == ["roles": ["default-roles-demo", "offline_access", "uma_authorization"]])
        #expect(body["active"] == true)
    }

    // §4.3: inactive tokens are 200 {"active":false}; a caller outside the audience too (recorded).
    @Test func introspectInactive() {
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let token = login["access_token"]!.stringValue!
        func introspect(_ token: String, as client: String = "app", secret: String = "app-secret") -> ServerResponse {
            fixture.request("POST", introspectPath, form: [("client_id", client), ("client_secret", secret), ("token", token)])
        }
        #expect(introspect("garbage").text == #"{"active":false}"#)
        #expect(introspect(token, as: "api", secret: "api-secret").text == #"{"active":false}"#)
        // Recorded 26.7.1, golden/oidc/introspection/access-token-outside-audience.http: the client the
        // access token was issued to (its `azp`) is not in its `aud` (["account"]), so even it gets
        // inactive, with Cache-Control: no-cache.
        #expect(jwtClaims(token)["azp"] == "app")
        #expect(jwtClaims(token)["aud"] == "account")
        let own = introspect(token)
        #expect(own.status == 200)
        #expect(own.text == #"{"active":false}"#)
        #expect(own.header("Cache-Control") == "no-cache")
        fixture.advance(301)
        #expect(introspect(token).text == #"{"active":false}"#)
    }

    // §4.3 request errors (recorded unauthenticated-client.http for the 401).
    @Test func introspectErrors() {
        let token = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")["access_token"]!.stringValue!
        let cases: [([(String, String)], Int, String)] = [
            // Recorded 26.7.1, golden/oidc/introspection/unauthenticated-client.http: no credentials at all
            // is 401 invalid_client (the token endpoint answers 400 "Missing client_id parameter").
            (
                [("token", token)], 401,
                #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#
            ),
            (
                [("client_id", "app"), ("client_secret", "wrong"), ("token", token)], 401,
                #"{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}"#
            ),
            (
                [("client_id", "nobody"), ("token", token)], 401,
                #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#
            ),
            (
                [("client_id", "web"), ("token", token)], 403,
                #"{"error":"invalid_request","error_description":"Client not allowed."}"#
            ),
            (
                [("client_id", "app"), ("client_secret", "app-secret")], 400,
                #"{"error":"invalid_request","error_description":"Token not provided."}"#
            ),
            (
                [("client_id", "app"), ("client_secret", "app-secret"), ("token", token), ("token_type_hint", "id_token")], 400,
                #"{"error":"invalid_request","error_description":"Unsupported token type [id_token]."}"#
            ),
            (
                [("client_id", "app"), ("client_secret", "app-secret"), ("token", token), ("token", token)], 400,
                #"{"error":"invalid_request","error_description":"duplicated parameter"}"#
            ),
        ]
        for (form, status, body) in cases {
            let response = fixture.request("POST", introspectPath, form: form)
            #expect(response.status == status, "\(form)")
            #expect(response.text == body)
            // Recorded: the refusals carry no Cache-Control and no Pragma.
            #expect(response.header("Cache-Control") == nil)
            #expect(response.header("Pragma") == nil)
        }
    }

    // Recorded userinfo/*: claims for an openid token; refusals carried in WWW-Authenticate.
    @Test func userInfo() {
        let path = "/realms/demo/protocol/openid-connect/userinfo"
        let withOpenID = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret", scope: "openid")["access_token"]!
            .stringValue!
        let response = fixture.request("GET", path, headers: [("Authorization", "Bearer " + withOpenID)])
        #expect(response.status == 200)
        #expect(response.headerValues("Cache-Control") == ["no-store", "no-cache"])
        let aliceId = fixture.context.store.read { $0.realm(named: "demo")!.user(username: "alice")!.id }
        #expect(response.text == #"{"sub":"\#(aliceId)","email_verified":false,"preferred_username":"alice"}"#)

        let missing = fixture.request("GET", path)
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate") == #"Bearer realm="demo""#)
        #expect(missing.body.isEmpty)
        let invalid = fixture.request("GET", path, headers: [("Authorization", "Bearer nonsense")])
        #expect(
            invalid.header("WWW-Authenticate")
                == #"Bearer realm="demo", error="invalid_token", error_description="Token verification failed""#)
        let noOpenID = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")["access_token"]!.stringValue!
        let forbidden = fixture.request("GET", path, headers: [("Authorization", "Bearer " + noOpenID)])
        #expect(forbidden.status == 403)
        #expect(
            forbidden.header("WWW-Authenticate")
                == #"Bearer realm="demo", error="insufficient_scope", error_description="Missing openid scope""#)
        let adminToken = fixture.passwordLogin(
            "admin", password: OIDCFixture.adminPassword, clientId: "admin-cli", scope: "openid", realm: "master")[
                "access_token"]!.stringValue!
        let lightweight = fixture.request(
            "GET", "/realms/master/protocol/openid-connect/userinfo", headers: [("Authorization", "Bearer " + adminToken)])
        #expect(lightweight.status == 401)
        #expect(
            lightweight.header("WWW-Authenticate")
                == #"Bearer realm="master", error="invalid_token", error_description="Lightweight access token not allowed for userinfo endpoint""#
        )
    }

    // Recorded logout/post-*: 204, then the session's access tokens stop verifying.
    @Test func logout() {
        let path = "/realms/demo/protocol/openid-connect/logout"
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let refresh = login["refresh_token"]!.stringValue!
        let cases: [([(String, String)], Int, String)] = [
            (
                [("refresh_token", refresh)], 401,
                #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#
            ),
            (
                [("client_id", "app"), ("refresh_token", refresh)], 401,
                #"{"error":"unauthorized_client","error_description":"Invalid client or Invalid client credentials"}"#
            ),
            (
                [("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", "x")], 400,
                #"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#
            ),
            (
                [("client_id", "api"), ("client_secret", "api-secret"), ("refresh_token", refresh)], 400,
                #"{"error":"invalid_grant","error_description":"Invalid refresh token. Token client and authorized client don't match"}"#
            ),
        ]
        for (form, status, body) in cases {
            let response = fixture.request("POST", path, form: form)
            #expect(response.status == status)
            #expect(response.text == body)
        }
        #expect(verifyAccessToken(login["access_token"]!.stringValue!, context: fixture.context) != nil)
        let done = fixture.request(
            "POST", path, form: [("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", refresh)])
        #expect(done.status == 204)
        #expect(done.body.isEmpty)
        #expect(verifyAccessToken(login["access_token"]!.stringValue!, context: fixture.context) == nil)
    }

    // Recorded revocation/*: 200 with no body; unknown tokens get 200 with an error body (RFC 7009).
    @Test func revoke() {
        let path = "/realms/demo/protocol/openid-connect/revoke"
        let login = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        let access = login["access_token"]!.stringValue!
        let unknown = fixture.request(
            "POST", path, form: [("client_id", "app"), ("client_secret", "app-secret"), ("token", "garbage")])
        #expect(unknown.status == 200)
        #expect(unknown.text == #"{"error":"invalid_token","error_description":"Invalid token"}"#)
        let wrongSecret = fixture.request("POST", path, form: [("client_id", "app"), ("client_secret", "x"), ("token", access)])
        #expect(wrongSecret.status == 401)
        let otherClient = fixture.request(
            "POST", path, form: [("client_id", "api"), ("client_secret", "api-secret"), ("token", access)])
        #expect(otherClient.status == 400)
        #expect(otherClient.text == #"{"error":"invalid_request","error_description":"Unmatching clients"}"#)

        let revoked = fixture.request(
            "POST", path, form: [("client_id", "app"), ("client_secret", "app-secret"), ("token", access)])
        #expect(revoked.status == 200)
        #expect(revoked.body.isEmpty)
        #expect(verifyAccessToken(access, context: fixture.context) == nil)
        // The session lives on until its refresh token is revoked.
        let refresh = login["refresh_token"]!.stringValue!
        let renewed = fixture.token([
            ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", refresh),
        ])
        #expect(renewed.status == 200)
        #expect(
            fixture.request("POST", path, form: [("client_id", "app"), ("client_secret", "app-secret"), ("token", refresh)])
                .status == 200)
        let after = fixture.token([
            ("grant_type", "refresh_token"), ("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", refresh),
        ])
        #expect(after.text == #"{"error":"invalid_grant","error_description":"Session not active"}"#)
    }
}
