// Standard token exchange V2 (token-exchange.md §0.2, §0.3, §1) and legacy V1 (§0.5, §2): every error
// row in Keycloak's order, and the claims of successful exchanges.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

let exchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
let accessTokenType = "urn:ietf:params:oauth:token-type:access_token"

/// Keycloak's own test realm in small (AbstractBaseTokenExchangeTest): a subject client whose tokens name
/// the requester in `aud`, two target clients whose roles reach `aud` through scopes of the requester.
func makeExchangeRealm(features: FeatureSet = .keycloakDefaults) -> OIDCFixture {
    let fixture = OIDCFixture(features: features)
    fixture.addClient([
        "clientId": "subject-client", "secret": "subject-secret", "directAccessGrantsEnabled": true,
        "serviceAccountsEnabled": true,
        "protocolMappers": [
            [
                "name": "requester-audience", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                "config": ["included.client.audience": "requester-client", "access.token.claim": "true"],
            ]
        ],
    ])
    fixture.addClient([
        "clientId": "requester-client", "secret": "requester-secret", "fullScopeAllowed": false,
        "attributes": ["standard.token.exchange.enabled": "true"],
    ])
    fixture.addClient(["clientId": "target-client1", "secret": "t1-secret"])
    fixture.addClient(["clientId": "target-client2", "secret": "t2-secret"])
    fixture.addClient(["clientId": "target-client3", "secret": "t3-secret"])
    fixture.addClient([
        "clientId": "public-client", "publicClient": true, "attributes": ["standard.token.exchange.enabled": "true"],
    ])
    let role1 = fixture.addClientRole("target-client1", "target-client1-role")
    let role2 = fixture.addClientRole("target-client2", "target-client2-role")
    fixture.updateRealm { realm in
        var scope1 = ClientScope(
            id: SandboxStore.newId(), name: "default-scope1", description: nil, loginProtocol: "openid-connect",
            attributes: JSONObject([("include.in.token.scope", "true")]))
        scope1.scopeMappingRoleIds = [role1]
        var scope2 = ClientScope(
            id: SandboxStore.newId(), name: "optional-scope2", description: nil, loginProtocol: "openid-connect",
            attributes: JSONObject([("include.in.token.scope", "true")]))
        scope2.scopeMappingRoleIds = [role2]
        realm.clientScopes += [scope1, scope2]
        let requester = realm.clients.firstIndex { $0.clientId == "requester-client" }!
        realm.clients[requester].defaultScopeIds.append(scope1.id)
        realm.clients[requester].optionalScopeIds.append(scope2.id)
    }
    fixture.addUser("john", roles: ["target-client1/target-client1-role", "target-client2/target-client2-role"])
    return fixture
}

extension OIDCFixture {
    func subjectToken(_ username: String = "john", clientId: String = "subject-client", secret: String = "subject-secret")
        -> String
    {
        passwordLogin(username, clientId: clientId, secret: secret)["access_token"]!.stringValue!
    }

    func exchange(
        _ subjectToken: String?, clientId: String = "requester-client", secret: String? = "requester-secret",
        _ extra: [(String, String)] = [], subjectTokenType: String? = accessTokenType
    ) -> ServerResponse {
        var form = [("grant_type", exchangeGrant), ("client_id", clientId)]
        if let secret { form.append(("client_secret", secret)) }
        if let subjectToken { form.append(("subject_token", subjectToken)) }
        if let subjectTokenType { form.append(("subject_token_type", subjectTokenType)) }
        return token(form + extra)
    }
}

private func expectError(
    _ response: ServerResponse, _ status: Int, _ error: String, _ description: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(
        response.text
            == JSON.object(JSONObject([("error", .string(error)), ("error_description", .string(description))])).serialized(),
        sourceLocation: sourceLocation)
}

@Suite struct StandardTokenExchangeTests {
    let fixture = makeExchangeRealm()

    // §0.2 S1–S7 in order: each row fires while the later ones would too.
    @Test func providerSelectionReasons() {
        let token = fixture.subjectToken()
        expectError(
            fixture.exchange(nil, [("requested_subject", "x"), ("requested_issuer", "y")], subjectTokenType: nil), 400,
            "invalid_request", "Parameter 'requested_subject' is not supported for standard token exchange")
        expectError(
            fixture.exchange(nil, [("requested_issuer", "y"), ("subject_issuer", "z")], subjectTokenType: nil), 400,
            "invalid_request", "Parameter 'requested_issuer' is not supported for standard token exchange")
        expectError(
            fixture.exchange(token, [("subject_issuer", "z")]), 400, "invalid_request",
            "Parameter 'subject_issuer' is not supported for standard token exchange")
        expectError(
            fixture.exchange(nil, clientId: "target-client1", secret: "t1-secret", subjectTokenType: nil), 400, "invalid_request",
            "Standard token exchange is not enabled for the requested client")
        expectError(
            fixture.exchange(nil, subjectTokenType: nil), 400, "invalid_request",
            "Parameter 'subject_token' required for standard token exchange")
        expectError(
            fixture.exchange(token, subjectTokenType: nil), 400, "invalid_request",
            "Parameter 'subject_token_type' required for standard token exchange")
        for type in ["urn:ietf:params:oauth:token-type:refresh_token", "urn:ietf:params:oauth:token-type:jwt", "garbage"] {
            expectError(
                fixture.exchange(token, subjectTokenType: type), 400, "invalid_request",
                "Parameter 'subject_token' supports access tokens only")
        }
    }

    // §0.3 P1: bad signature, expired, ended session, refresh token as subject.
    @Test func invalidSubjectTokens() {
        let login = fixture.passwordLogin("john", clientId: "subject-client", secret: "subject-secret")
        let token = login["access_token"]!.stringValue!
        expectError(fixture.exchange("not-a-token"), 400, "invalid_request", "Invalid token")
        expectError(fixture.exchange(login["refresh_token"]!.stringValue!), 400, "invalid_request", "Invalid token")
        let otherRealm = fixture.passwordLogin(
            "admin", password: OIDCFixture.adminPassword, clientId: "admin-cli", realm: "master")
        expectError(fixture.exchange(otherRealm["access_token"]!.stringValue!), 400, "invalid_request", "Invalid token")
        #expect(fixture.exchange(token).status == 200)
        #expect(
            fixture.request(
                "POST", "/realms/demo/protocol/openid-connect/logout",
                form: [
                    ("client_id", "subject-client"), ("client_secret", "subject-secret"),
                    ("refresh_token", login["refresh_token"]!.stringValue!),
                ]
            ).status == 204)
        expectError(fixture.exchange(token), 400, "invalid_request", "Invalid token")
        let fresh = fixture.subjectToken()
        fixture.advance(301)
        expectError(fixture.exchange(fresh), 400, "invalid_request", "Invalid token")
    }

    // §0.3 P6–P11 in order; P8 (public requester) only after the subject token was validated (§6.7).
    @Test func processingErrorsInOrder() {
        let token = fixture.subjectToken()
        expectError(
            fixture.exchange(token, [("requested_token_type", "urn:ietf:params:oauth:token-type:jwt"), ("audience", "nowhere")]),
            400, "invalid_request", "requested_token_type unsupported")
        expectError(
            fixture.exchange(token, [("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")]), 400,
            "invalid_request", "requested_token_type unsupported")
        expectError(
            fixture.exchange(token, [("audience", "target-client1"), ("audience", "https://api.example.com")]), 400,
            "invalid_client", "Audience not found")
        expectError(fixture.exchange("garbage", clientId: "public-client", secret: nil), 400, "invalid_request", "Invalid token")
        expectError(
            fixture.exchange(token, clientId: "public-client", secret: nil, [("audience", "target-client1")]), 400,
            "invalid_client", "Public client is not allowed to exchange token")
        fixture.updateClient("target-client3") { $0.fields["enabled"] = false }
        expectError(fixture.exchange(token, [("audience", "target-client3")]), 400, "invalid_client", "Client disabled")
        // A requester that is neither the token's azp nor in its aud: the only 403 of V2.
        fixture.addClient([
            "clientId": "outsider", "secret": "outsider-secret", "attributes": ["standard.token.exchange.enabled": "true"],
        ])
        expectError(
            fixture.exchange(token, clientId: "outsider", secret: "outsider-secret"), 403, "access_denied",
            "Client is not within the token audience")
        expectError(
            fixture.exchange(token, [("scope", "optional-scope2 bogus")]), 400, "invalid_scope",
            "Invalid scopes: optional-scope2 bogus")
        expectError(
            fixture.exchange(token, [("requested_token_type", "urn:ietf:params:oauth:token-type:saml2")]), 400,
            "invalid_request", "requested_token_type unsupported")
        expectError(
            fixture.exchange(token, [("audience", "target-client2")]), 400, "invalid_request",
            "Requested audience not available: target-client2")
    }

    // §1.7 worked examples from the docs, §1.8 response and claims.
    @Test func audienceAndScopeOfExchangedTokens() {
        let token = fixture.subjectToken()
        let subject = jwtClaims(token)
        // The audience mapper names the requester; audience resolve adds the clients whose roles john holds.
        #expect(subject["aud"] == ["account", "target-client1", "target-client2", "requester-client"])

        let plain = fixture.exchange(token)
        #expect(plain.status == 200)
        #expect(plain.header("Cache-Control") == "no-store")
        let body = plain.jsonObject
        #expect(
            body.keys == [
                "access_token", "expires_in", "refresh_expires_in", "token_type", "not-before-policy", "session_state", "scope",
                "issued_token_type",
            ])
        #expect(body["issued_token_type"] == .string(accessTokenType))
        #expect(body["refresh_expires_in"] == 0)
        #expect(body["scope"] == "default-scope1 email profile")
        let claims = jwtClaims(body["access_token"]?.stringValue)
        #expect(claims["aud"] == "target-client1")
        #expect(claims["azp"] == "requester-client")
        #expect(claims["sub"] == subject["sub"])
        #expect(claims["sid"] == subject["sid"])
        #expect(body["session_state"] == subject["sid"])
        #expect(claims["act"] == nil)
        #expect(claims["jti"]?.stringValue?.hasPrefix("onrtte:") == true)
        #expect(claims["exp"] == .int(Int64(oidcTestEpoch) + 300))

        let upscoped = jwtClaims(fixture.exchange(token, [("scope", "optional-scope2")]).jsonObject["access_token"]?.stringValue)
        #expect(upscoped["aud"] == ["target-client1", "target-client2"])
        #expect(upscoped["scope"] == "default-scope1 email optional-scope2 profile")

        let narrowed = fixture.exchange(token, [("scope", "optional-scope2"), ("audience", "target-client2")]).jsonObject
        let narrowedClaims = jwtClaims(narrowed["access_token"]?.stringValue)
        #expect(narrowedClaims["aud"] == "target-client2")
        #expect(narrowedClaims["resource_access"] == ["target-client2": ["roles": ["target-client2-role"]]])
        #expect(narrowed["scope"] == "email optional-scope2 profile")

        expectError(
            fixture.exchange(
                token, [("scope", "optional-scope2"), ("audience", "target-client2"), ("audience", "target-client3")]),
            400, "invalid_request", "Requested audience not available: target-client3")
    }

    // §1.8: an ID token travels in access_token with token_type N_A.
    @Test func idTokenRequested() {
        let response = fixture.exchange(
            fixture.subjectToken(), [("requested_token_type", "urn:ietf:params:oauth:token-type:id_token")])
        #expect(response.status == 200)
        let body = response.jsonObject
        #expect(body["token_type"] == "N_A")
        #expect(body["issued_token_type"] == "urn:ietf:params:oauth:token-type:id_token")
        let claims = jwtClaims(body["access_token"]?.stringValue)
        #expect(claims["typ"] == "ID")
        #expect(claims["aud"] == "requester-client")
    }

    // §0.3 P12, P13 and §1.8 refresh tokens (SAME_SESSION).
    @Test func refreshTokenRequested() {
        fixture.updateClient("requester-client") { client in
            var attributes = client.fields["attributes"]!.objectValue!
            attributes["standard.token.exchange.enableRefreshRequestedTokenType"] = "SAME_SESSION"
            client.fields["attributes"] = .object(attributes)
        }
        let refreshType = [("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token")]
        let response = fixture.exchange(fixture.subjectToken(), refreshType)
        #expect(response.status == 200)
        let body = response.jsonObject
        #expect(body["issued_token_type"] == "urn:ietf:params:oauth:token-type:refresh_token")
        #expect(body["refresh_expires_in"] == 1800)
        let refreshed = fixture.token([
            ("grant_type", "refresh_token"), ("client_id", "requester-client"), ("client_secret", "requester-secret"),
            ("refresh_token", body["refresh_token"]!.stringValue!),
        ])
        #expect(refreshed.status == 200)
        #expect(jwtClaims(refreshed.jsonObject["access_token"]?.stringValue)["azp"] == "requester-client")

        // A client_credentials subject token has a transient session.
        let serviceToken = fixture.token([
            ("grant_type", "client_credentials"), ("client_id", "subject-client"), ("client_secret", "subject-secret"),
        ])
        .jsonObject["access_token"]!.stringValue!
        expectError(
            fixture.exchange(serviceToken, refreshType), 400, "invalid_request",
            "Refresh token not valid as requested_token_type because creating a new session is needed")
        let plain = fixture.exchange(serviceToken).jsonObject
        #expect(plain["session_state"] == nil)
        #expect(jwtClaims(plain["access_token"]?.stringValue)["sid"] == nil)

        fixture.updateRealm { realm in
            let offline = realm.clientScope(name: "offline_access")!.id
            let requester = realm.clients.firstIndex { $0.clientId == "requester-client" }!
            realm.clients[requester].defaultScopeIds.append(offline)
        }
        expectError(
            fixture.exchange(fixture.subjectToken(), refreshType), 400, "invalid_request",
            "Scope offline_access not allowed for token exchange")
    }

    // §0.3 P14: the sandbox keeps no consents.
    @Test func consentRequiredRequester() {
        fixture.updateClient("requester-client") { $0.fields["consentRequired"] = true }
        expectError(
            fixture.exchange(fixture.subjectToken()), 400, "invalid_scope",
            "Missing consents for Token Exchange in client requester-client")
    }
}

@Suite struct LegacyTokenExchangeTests {
    // §2.1: --features token-exchange,admin-fine-grained-authz:v1
    let fixture = makeExchangeRealm(
        features: try! FeatureSet(enabling: ["token-exchange", "admin-fine-grained-authz:v1"], disabling: []))

    // §2.2: a client without standard exchange falls through to V1, whose default is a refresh token.
    @Test func selfExchangeFallsThroughToV1() {
        fixture.addClient(["clientId": "legacy-client", "secret": "legacy-secret"])
        let token = fixture.subjectToken(clientId: "subject-client")
        expectError(
            fixture.exchange(token, clientId: "legacy-client", secret: "legacy-secret"), 403, "access_denied",
            "Client is not within the token audience")
        let own = fixture.passwordLogin("john", clientId: "subject-client", secret: "subject-secret")["access_token"]!
            .stringValue!
        let response = fixture.exchange(own, clientId: "subject-client", secret: "subject-secret")
        #expect(response.status == 200)
        #expect(response.jsonObject["issued_token_type"] == "urn:ietf:params:oauth:token-type:refresh_token")
        #expect(response.jsonObject.keys.contains("refresh_token"))
        expectError(
            fixture.exchange(
                own, clientId: "subject-client", secret: "subject-secret",
                subjectTokenType: "urn:ietf:params:oauth:token-type:jwt"),
            400, "invalid_request", "Invalid token type, must be access token")
        expectError(
            fixture.exchange(
                own, clientId: "subject-client", secret: "subject-secret",
                [("requested_token_type", "urn:ietf:params:oauth:token-type:id_token")]),
            400, "invalid_request", "requested_token_type unsupported")
    }

    // §0.5 in order for another audience, then §2.3: enable permissions, attach a client policy.
    @Test func crossClientExchangeNeedsThePermission() throws {
        // Without standard exchange enabled, requests of this client go to V1.
        fixture.addClient(["clientId": "legacy-requester", "secret": "legacy-secret"])
        let token = fixture.subjectToken()
        let requester = [("audience", "target-client1")]
        func exchange(_ token: String, _ extra: [(String, String)]) -> ServerResponse {
            fixture.exchange(token, clientId: "legacy-requester", secret: "legacy-secret", extra)
        }
        expectError(exchange(token, [("audience", "nowhere")]), 400, "invalid_client", "Audience not found")
        fixture.updateClient("target-client2") { $0.fields["consentRequired"] = true }
        expectError(exchange(token, [("audience", "target-client2")]), 400, "invalid_client", "Client requires user consent")
        fixture.updateClient("target-client3") { $0.fields["enabled"] = false }
        expectError(exchange(token, [("audience", "target-client3")]), 400, "invalid_client", "Client disabled")
        expectError(exchange(token, requester), 403, "access_denied", "Client not allowed to exchange")

        let admin = AdminTestCaller(fixture)
        let target = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "target-client1")!.id }
        let management = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "realm-management")!.id }
        let enabled = admin.send("PUT", "/admin/realms/demo/clients/\(target)/management/permissions", #"{"enabled":true}"#)
        #expect(enabled.status == 200)
        let permissions = enabled.jsonObject
        #expect(permissions.keys == ["enabled", "resource", "scopePermissions"])
        #expect(
            permissions["scopePermissions"]?.objectValue?.keys == [
                "view", "manage", "configure", "map-roles", "map-roles-client-scope", "map-roles-composite", "token-exchange",
            ])
        let permissionId = try #require(permissions["scopePermissions"]?["token-exchange"]?.stringValue)
        // Still denied: the permission starts with no policies.
        expectError(exchange(token, requester), 403, "access_denied", "Client not allowed to exchange")

        let policy = admin.send(
            "POST", "/admin/realms/demo/clients/\(management)/authz/resource-server/policy/client",
            #"{"name":"allow-requester","clients":["legacy-requester"],"logic":"POSITIVE","decisionStrategy":"UNANIMOUS"}"#)
        #expect(policy.status == 201)
        #expect(policy.jsonObject.keys.first == "id")
        let duplicate = admin.send(
            "POST", "/admin/realms/demo/clients/\(management)/authz/resource-server/policy/client",
            #"{"name":"allow-requester","clients":["requester-client"]}"#)
        #expect(duplicate.status == 409)
        #expect(
            duplicate.text
                == #"{"error":"Policy with name [allow-requester] already exists","error_description":"Conflicting policy"}"#)
        let permissionPath = "/admin/realms/demo/clients/\(management)/authz/resource-server/permission/scope/\(permissionId)"
        let read = admin.send("GET", permissionPath, nil).jsonObject
        #expect(read["name"] == .string("token-exchange.permission.client.\(target)"))
        #expect(read["decisionStrategy"] == "UNANIMOUS")
        let attached = admin.send(
            "PUT", permissionPath,
            #"{"id":"\#(permissionId)","name":"token-exchange.permission.client.\#(target)","type":"scope","logic":"POSITIVE","decisionStrategy":"UNANIMOUS","resources":["\#(permissions["resource"]!.stringValue!)"],"scopes":["token-exchange"],"policies":["allow-requester"]}"#
        )
        #expect(attached.status == 201)
        #expect(attached.body.isEmpty)
        #expect(admin.send("GET", permissionPath + "/associatedPolicies", nil).json[0]?["name"] == "allow-requester")

        let response = exchange(token, requester + [("requested_token_type", accessTokenType)])
        #expect(response.status == 200)
        let claims = jwtClaims(response.jsonObject["access_token"]?.stringValue)
        // Built for the target, issued to the requester (§2.2).
        #expect(claims["azp"] == "legacy-requester")
        #expect(claims["aud"]?[0] == "target-client1" || claims["aud"] == "target-client1")
        #expect(response.jsonObject["issued_token_type"] == .string(accessTokenType))

        // A PUT of the client policy replaces its clients (clientIds or UUIDs, stored as UUIDs).
        let policyPath =
            "/admin/realms/demo/clients/\(management)/authz/resource-server/policy/client/\(policy.jsonObject["id"]!.stringValue!)"
        let other = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "requester-client")!.id }
        let legacyRequester = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "legacy-requester")!.id }
        let replaced = admin.send("PUT", policyPath, #"{"name":"allow-requester","clients":["legacy-requester","\#(other)"]}"#)
        #expect(replaced.status == 201)
        #expect(admin.send("GET", policyPath, nil).jsonObject["clients"] == [.string(legacyRequester), .string(other)])
        #expect(admin.send("PUT", policyPath, #"{"name":"allow-requester","clients":["nobody"]}"#).status == 500)
        #expect(admin.send("GET", policyPath, nil).jsonObject["clients"] == [.string(legacyRequester), .string(other)])
    }

    // §2.5: under FGAP v2 the cross-client V1 path is a server error and management/permissions is 501.
    @Test func fineGrainedV2BreaksCrossClientV1() throws {
        let fixture = makeExchangeRealm(features: try FeatureSet(enabling: ["token-exchange"], disabling: []))
        fixture.addClient(["clientId": "legacy-client", "secret": "legacy-secret", "fullScopeAllowed": true])
        let token = fixture.subjectToken()
        expectError(
            fixture.exchange(token, clientId: "legacy-client", secret: "legacy-secret", [("audience", "target-client1")]), 500,
            "unknown_error", "For more on this error consult the server log.")
        let target = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "target-client1")!.id }
        let admin = AdminTestCaller(fixture)
        for method in ["GET", "PUT"] {
            let response = admin.send(
                method, "/admin/realms/demo/clients/\(target)/management/permissions",
                method == "PUT" ? #"{"enabled":true}"# : nil)
            #expect(response.status == 501)
            #expect(
                response.text
                    == #"{"error":"Feature not enabled","error_description":"For more on this error consult the server log."}"#)
        }
        let missing = admin.send(
            "GET", "/admin/realms/demo/clients/00000000-0000-0000-0000-000000000000/management/permissions", nil)
        #expect(missing.status == 404)
        #expect(missing.text == #"{"error":"Could not find client"}"#)
    }
}

/// Calls the admin routes as the master realm's admin (authorization is the admin layer's, tested there).
struct AdminTestCaller {
    let fixture: OIDCFixture

    init(_ fixture: OIDCFixture) { self.fixture = fixture }

    func send(_ method: String, _ path: String, _ body: String?) -> ServerResponse {
        let adminId = fixture.context.store.read { $0.realm(named: "master")!.user(username: "admin")!.id }
        let target = path
        let parts = target.split(separator: "?", maxSplits: 1)
        let query: [(name: String, value: String)] =
            parts.count > 1
            ? parts[1].split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                return (kv[0], FormBody.decode(ArraySlice(Array((kv.count > 1 ? kv[1] : "").utf8))))
            } : []
        let request = ServerRequest(
            method: method, target: target, path: String(parts[0]), query: query,
            headers: body == nil ? [] : [("Content-Type", "application/json")], body: Array((body ?? "").utf8))
        return AdminRoutes.handle(request, fixture.context, caller: AdminCaller(realmName: "master", userId: adminId))
    }
}
