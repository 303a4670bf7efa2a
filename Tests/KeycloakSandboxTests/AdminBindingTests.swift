// Request bodies bind as Keycloak's Jackson does, for every representation the sandbox reads: "true" for
// a Boolean field is true, "600" for an Integer is 600, a number for a String is its text; "yes" for a
// Boolean or "abc" for a number is refused. Sources: the recording golden/admin/users/create-enabled-wrong-type.http
// (400 {"error":"unknown_error","error_description":"Cannot parse the JSON"}, Content-Type application/json,
// no Cache-Control) and KeycloakErrorHandler.getStatusCode/getErrorRepresentation (a JsonProcessingException
// that is not a JsonParseException: 400, "unknown_error"; admin-api.md §10.2).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminBindingTests {
    let harness = AdminHarness()
    let refusal = #"{"error":"unknown_error","error_description":"Cannot parse the JSON"}"#

    init() { harness.createRealm("demo") }

    private func expectRefused(_ response: ServerResponse, _ label: String) {
        #expect(response.status == 400, "\(label)")
        #expect(response.bodyText == refusal, "\(label)")
        #expect(response.firstHeader("Content-Type") == "application/json", "\(label)")
        #expect(response.firstHeader("Cache-Control") == nil, "\(label)")
    }

    // The issue's example: `kcx create realms -s realm=demo -s enabled=true` sends "true" and got a
    // disabled realm. Realm fields are typed by their default value (Boolean, Integer, String).
    @Test func realmCreateCoercesScalars() {
        let created = harness.send(
            "POST", "/admin/realms",
            json:
                #"{"realm":"coerced","enabled":"true","accessTokenLifespan":"600","displayName":7,"registrationAllowed":" TRUE "}"#
        )
        #expect(created.status == 201)
        let realm = harness.realm("coerced")
        #expect(realm.enabled)
        #expect(realm.representation["enabled"] == true)
        #expect(realm.representation["accessTokenLifespan"] == 600)
        #expect(realm.accessTokenLifespan == 600)
        #expect(realm.representation["displayName"] == "7")
        #expect(realm.representation["registrationAllowed"] == true)
        let read = harness.send("GET", "/admin/realms/coerced").bodyJSON
        #expect(read["enabled"] == true)
        #expect(read["accessTokenLifespan"] == 600)

        // The realm importer answers every unreadable body alike (RealmRoutes.create), and creates nothing.
        for body in [
            #"{"realm":"bad","enabled":"yes"}"#, #"{"realm":"bad","accessTokenLifespan":"abc"}"#,
            #"{"realm":"bad","enabled":[true]}"#, #"{"realm":"bad","accessTokenLifespan":true}"#,
        ] {
            let refused = harness.send("POST", "/admin/realms", json: body)
            #expect(refused.status == 400, "\(body)")
            #expect(refused.bodyText == #"{"errorMessage":"unable to read contents from stream"}"#, "\(body)")
        }
        #expect(harness.context.store.read { $0.realm(named: "bad") } == nil)
    }

    @Test func realmUpdateCoercesAndRefuses() {
        #expect(
            harness.send("PUT", "/admin/realms/demo", json: #"{"enabled":"false","ssoSessionIdleTimeout":"900"}"#).status == 204)
        #expect(harness.realm("demo").representation["enabled"] == false)
        #expect(harness.realm("demo").representation["ssoSessionIdleTimeout"] == 900)
        expectRefused(harness.send("PUT", "/admin/realms/demo", json: #"{"enabled":"yes"}"#), "realm enabled yes")
        expectRefused(harness.send("PUT", "/admin/realms/demo", json: #"{"ssoSessionIdleTimeout":"abc"}"#), "realm number abc")
        // Integer fields hold 32 bits; a fraction is dropped (Jackson's ACCEPT_FLOAT_AS_INT).
        expectRefused(harness.send("PUT", "/admin/realms/demo", json: #"{"ssoSessionIdleTimeout":4294967296}"#), "realm overflow")
        #expect(harness.send("PUT", "/admin/realms/demo", json: #"{"ssoSessionIdleTimeout":901.7}"#).status == 204)
        #expect(harness.realm("demo").representation["ssoSessionIdleTimeout"] == 901)
        #expect(harness.realm("demo").representation["enabled"] == false)
    }

    @Test func scalarBindingTable() {
        #expect(AdminBody.bind(.int(4_294_967_296), to: .int) == nil)
        #expect(AdminBody.bind(.int(4_294_967_296), to: .long) == .int(4_294_967_296))
        #expect(AdminBody.bind(.int(2_147_483_647), to: .int) == .int(2_147_483_647))
        #expect(AdminBody.bind(.string(" 600 "), to: .int) == .int(600))
        #expect(AdminBody.bind(.string("6e2"), to: .int) == nil)
        #expect(AdminBody.bind(.string(""), to: .int) == .null)
        #expect(AdminBody.bind(.double(2.9), to: .int) == .int(2))
        #expect(AdminBody.bind(.bool(true), to: .int) == nil)
        #expect(AdminBody.bind(.string("True"), to: .bool) == .bool(true))
        #expect(AdminBody.bind(.string("FALSE"), to: .bool) == .bool(false))
        #expect(AdminBody.bind(.string("tRUE"), to: .bool) == nil)
        #expect(AdminBody.bind(.string("null"), to: .bool) == .null)
        #expect(AdminBody.bind(.int(2), to: .bool) == .bool(true))
        #expect(AdminBody.bind(.double(1.0), to: .bool) == nil)
        #expect(AdminBody.bind(.double(1.5), to: .string) == .string("1.5"))
        #expect(AdminBody.bind(.double(2), to: .string) == .string("2.0"))
        #expect(AdminBody.bind(.object(JSONObject()), to: .string) == nil)
        #expect(AdminBody.bind(.array([1, true, "x"]), to: .stringArray) == .array(["1", "true", "x"]))
        #expect(AdminBody.bind(.string("x"), to: .stringArray) == nil)
    }

    @Test func clientCoercesAndRefuses() {
        let id = harness.createClient(
            "demo",
            #"{"clientId":"app","publicClient":"true","enabled":"False","notBefore":"5","attributes":{"access.token.lifespan":600,"pkce.required":true}}"#
        )
        let client = harness.realm("demo").client(id: id)!
        #expect(client.publicClient)
        #expect(!client.enabled)
        #expect(client.fields["notBefore"] == 5)
        #expect(client.fields["attributes"]?["access.token.lifespan"] == "600")
        #expect(client.fields["attributes"]?["pkce.required"] == "true")
        expectRefused(
            harness.send("POST", "/admin/realms/demo/clients", json: #"{"clientId":"b","publicClient":"yes"}"#), "client create")
        expectRefused(
            harness.send("PUT", "/admin/realms/demo/clients/\(id)", json: #"{"clientId":"app","notBefore":"abc"}"#),
            "client update")
        expectRefused(
            harness.send("POST", "/admin/realms/demo/clients", json: #"{"clientId":"b","attributes":{"x":{"nested":1}}}"#),
            "client attribute object")
        #expect(harness.realm("demo").client(clientId: "b") == nil)
        #expect(
            harness.send("PUT", "/admin/realms/demo/clients/\(id)", json: #"{"clientId":"app","enabled":"true"}"#).status == 204)
        #expect(harness.realm("demo").client(id: id)!.enabled)
    }

    @Test func clientScopeCoercesAndRefuses() {
        let created = harness.send(
            "POST", "/admin/realms/demo/client-scopes",
            json: #"{"name":"scope-a","protocol":"openid-connect","attributes":{"include.in.token.scope":false,"gui.order":3}}"#)
        #expect(created.status == 201)
        let scope = harness.realm("demo").clientScope(name: "scope-a")!
        #expect(scope.attributes["include.in.token.scope"] == "false")
        #expect(scope.attributes["gui.order"] == "3")
        #expect(!scope.includeInTokenScope)
        expectRefused(
            harness.send(
                "POST", "/admin/realms/demo/client-scopes",
                json: #"{"name":"scope-b","protocol":"openid-connect","attributes":"x"}"#),
            "scope attributes string")
        expectRefused(
            harness.send("PUT", "/admin/realms/demo/client-scopes/\(scope.id)", json: #"{"name":["x"]}"#), "scope name list")
        #expect(harness.realm("demo").clientScope(name: "scope-b") == nil)
    }

    @Test func protocolMapperCoercesAndRefuses() {
        let scopeId = String(
            harness.send("POST", "/admin/realms/demo/client-scopes", json: #"{"name":"scope-m","protocol":"openid-connect"}"#)
                .location.split(separator: "/").last!)
        let models = "/admin/realms/demo/client-scopes/\(scopeId)/protocol-mappers/models"
        let created = harness.send(
            "POST", models,
            json:
                #"{"name":"aud","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","consentRequired":"false","config":{"included.client.audience":"api","access.token.claim":true,"id.token.claim":false}}"#
        )
        #expect(created.status == 201)
        let mapper = harness.realm("demo").clientScope(id: scopeId)!.protocolMappers[0]
        #expect(mapper.config["access.token.claim"] == "true")
        #expect(mapper.config["id.token.claim"] == "false")
        expectRefused(
            harness.send(
                "POST", models,
                json:
                    #"{"name":"aud2","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","consentRequired":"no"}"#
            ),
            "mapper consentRequired")
        expectRefused(
            harness.send(
                "POST", "/admin/realms/demo/client-scopes/\(scopeId)/protocol-mappers/add-models",
                json: #"[{"name":"aud3","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{"a":[1]}}]"#
            ),
            "add-models config list")
        #expect(harness.realm("demo").clientScope(id: scopeId)!.protocolMappers.count == 1)
    }

    @Test func userAndCredentialCoerceAndRefuse() {
        let created = harness.send(
            "POST", "/admin/realms/demo/users",
            json:
                #"{"username":"alice","enabled":0,"emailVerified":"TRUE","credentials":[{"type":"password","value":"pw","temporary":"true"}]}"#
        )
        #expect(created.status == 201)
        let user = harness.realm("demo").user(username: "alice")!
        #expect(!user.enabled)  // Jackson reads a whole number as a Boolean: 0 is false
        #expect(harness.send("PUT", "/admin/realms/demo/users/\(user.id)", json: #"{"enabled":"false"}"#).status == 204)
        #expect(!harness.realm("demo").user(id: user.id)!.enabled)
        #expect(user.emailVerified)
        #expect(user.password?.temporary == true)
        // The recorded case: a non-boolean `enabled` on user creation.
        expectRefused(
            harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"bob","enabled":"yes"}"#), "user enabled")
        expectRefused(
            harness.send(
                "POST", "/admin/realms/demo/users",
                json: #"{"username":"bob","credentials":[{"type":"password","value":"pw","temporary":"maybe"}]}"#),
            "inline credential temporary")
        #expect(harness.realm("demo").user(username: "bob") == nil)
        expectRefused(harness.send("PUT", "/admin/realms/demo/users/\(user.id)", json: #"{"notBefore":"soon"}"#), "user update")

        let reset = "/admin/realms/demo/users/\(user.id)/reset-password"
        #expect(harness.send("PUT", reset, json: #"{"type":"password","value":"new","temporary":"false"}"#).status == 204)
        #expect(harness.realm("demo").user(id: user.id)!.password?.temporary == false)
        #expect(harness.realm("demo").user(id: user.id)!.passwordMatches("new"))
        expectRefused(
            harness.send("PUT", reset, json: #"{"type":"password","value":"newer","temporary":"nope"}"#), "reset temporary")
        #expect(harness.realm("demo").user(id: user.id)!.passwordMatches("new"))
    }

    // Partial import binds its clients the same way; a refusal there is the import's 500 (admin-api.md §9.1).
    @Test func partialImportCoercesAndRefuses() {
        let path = "/admin/realms/demo/partialImport"
        let imported = harness.send(
            "POST", path, json: #"{"ifResourceExists":"FAIL","clients":[{"clientId":"imp","publicClient":"true"}]}"#)
        #expect(imported.status == 200)
        #expect(harness.realm("demo").client(clientId: "imp")?.publicClient == true)
        let refused = harness.send(
            "POST", path, json: #"{"ifResourceExists":"FAIL","clients":[{"clientId":"imp2","publicClient":"yes"}]}"#)
        #expect(refused.status == 500)
        #expect(refused.bodyText == refusal)
        #expect(harness.realm("demo").client(clientId: "imp2") == nil)
    }

    @Test func roleCoercesAndRefuses() {
        #expect(harness.send("POST", "/admin/realms/demo/roles", json: #"{"name":"reader","description":12}"#).status == 201)
        #expect(harness.realm("demo").realmRole(name: "reader")?.description == "12")
        expectRefused(
            harness.send("POST", "/admin/realms/demo/roles", json: #"{"name":"writer","composite":"yes"}"#), "role composite")
        #expect(harness.realm("demo").realmRole(name: "writer") == nil)
        expectRefused(
            harness.send("PUT", "/admin/realms/demo/roles/reader", json: #"{"name":"reader","clientRole":"perhaps"}"#),
            "role update")
    }
}

// The authorization objects of the V1 token-exchange setup bind the same way.
@Suite struct AuthorizationBindingTests {
    let fixture = OIDCFixture(
        features: try! FeatureSet(enabling: ["token-exchange", "admin-fine-grained-authz:v1"], disabling: []))

    @Test func managementPermissionsAndPoliciesCoerce() {
        fixture.addClient(["clientId": "target"])
        fixture.addClient(["clientId": "requester", "secret": "s"])
        let admin = AdminTestCaller(fixture)
        let target = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "target")!.id }
        let management = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "realm-management")!.id }
        let path = "/admin/realms/demo/clients/\(target)/management/permissions"
        let enabled = admin.send("PUT", path, #"{"enabled":"true"}"#)
        #expect(enabled.status == 200)
        #expect(enabled.jsonObject["enabled"] == true)
        let refused = admin.send("PUT", path, #"{"enabled":"yes"}"#)
        #expect(refused.status == 400)
        #expect(refused.text == #"{"error":"unknown_error","error_description":"Cannot parse the JSON"}"#)
        #expect(admin.send("GET", path, nil).jsonObject["enabled"] == true)

        let policies = "/admin/realms/demo/clients/\(management)/authz/resource-server/policy/client"
        let wrong = admin.send("POST", policies, #"{"name":"p","clients":"requester"}"#)
        #expect(wrong.status == 400)
        #expect(wrong.text == #"{"error":"unknown_error","error_description":"Cannot parse the JSON"}"#)
        let created = admin.send("POST", policies, #"{"name":42,"clients":["requester"]}"#)
        #expect(created.status == 201)
        #expect(created.jsonObject["name"] == "42")
    }
}
