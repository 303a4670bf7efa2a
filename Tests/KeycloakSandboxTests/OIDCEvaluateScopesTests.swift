// evaluate-scopes under a client (admin-api.md §8, token-exchange.md §5), compared with the 26.7.1
// recordings golden/admin/clients/evaluate-*.http.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct OIDCEvaluateScopesTests {
    let fixture = OIDCFixture()
    var admin: AdminTestCaller { AdminTestCaller(fixture) }

    func clientUUID(_ clientId: String, realm: String = "demo") -> String {
        fixture.context.store.read { $0.realm(named: realm)!.client(clientId: clientId)!.id }
    }

    func userId(_ username: String, realm: String = "demo") -> String {
        fixture.context.store.read { $0.realm(named: realm)!.user(username: username)!.id }
    }

    // Recorded evaluate-example-access-token.http: master's `account` client for the admin user.
    @Test func exampleAccessTokenMatchesTheRecording() {
        let account = clientUUID("account", realm: "master")
        let response = admin.send(
            "GET",
            "/admin/realms/master/clients/\(account)/evaluate-scopes/generate-example-access-token?userId=\(userId("admin", realm: "master"))",
            nil)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json;charset=UTF-8")
        let body = response.jsonObject
        #expect(
            body.keys == [
                "exp", "iat", "jti", "iss", "sub", "typ", "azp", "sid", "acr", "resource_access", "scope", "email_verified",
                "preferred_username",
            ])
        #expect(body["azp"] == "account")
        #expect(body["resource_access"] == ["account": ["roles": ["manage-account", "manage-account-links", "view-profile"]]])
        #expect(body["scope"] == "email profile")
        // exp - iat is the realm's access-token lifespan (60 s in master).
        #expect((body["exp"]?.intValue ?? 0) - (body["iat"]?.intValue ?? 0) == 60)
    }

    // Recorded evaluate-example-id-token.http.
    @Test func exampleIDToken() {
        let account = clientUUID("account", realm: "master")
        let body = admin.send(
            "GET",
            "/admin/realms/master/clients/\(account)/evaluate-scopes/generate-example-id-token?userId=\(userId("admin", realm: "master"))",
            nil
        ).jsonObject
        #expect(
            body.keys == [
                "exp", "iat", "jti", "iss", "aud", "sub", "typ", "azp", "sid", "acr", "email_verified", "preferred_username",
            ])
        #expect(body["aud"] == "account")
        #expect(body["typ"] == "ID")
    }

    // §8: audience narrowing, unknown audiences dropped, unreachable ones a 404; user errors.
    @Test func audienceAndErrors() {
        fixture.addClient(["clientId": "app", "secret": "app-secret"])
        fixture.addClient(["clientId": "api", "secret": "api-secret"])
        fixture.addClientRole("api", "reader")
        let alice = fixture.addUser("alice", roles: ["api/reader"])
        let base = "/admin/realms/demo/clients/\(clientUUID("app"))/evaluate-scopes/generate-example-access-token"
        #expect(admin.send("GET", base + "?userId=\(alice)", nil).jsonObject["aud"] == ["account", "api"])
        let narrowed = admin.send("GET", base + "?userId=\(alice)&audience=api%20unknown-client", nil)
        #expect(narrowed.status == 200)
        #expect(narrowed.jsonObject["aud"] == "api")
        let unreachable = admin.send("GET", base + "?userId=\(alice)&audience=app", nil)
        #expect(unreachable.status == 404)
        #expect(unreachable.text == #"{"error":"Requested audience not available: app"}"#)
        let noUser = admin.send("GET", base, nil)
        #expect(noUser.status == 404)
        #expect(noUser.text == #"{"error":"No userId provided"}"#)
        #expect(admin.send("GET", base + "?userId=nobody", nil).text == #"{"error":"No user found"}"#)
        let userInfo = admin.send(
            "GET", "/admin/realms/demo/clients/\(clientUUID("app"))/evaluate-scopes/generate-example-userinfo?userId=\(alice)",
            nil)
        #expect(userInfo.text == #"{"sub":"\#(alice)","email_verified":false,"preferred_username":"alice"}"#)
    }

    // Recorded evaluate-protocol-mappers.http: sorted by mapper name; optional scopes only when asked.
    @Test func protocolMappers() {
        let account = clientUUID("account", realm: "master")
        let path = "/admin/realms/master/clients/\(account)/evaluate-scopes/protocol-mappers"
        let rows = admin.send("GET", path, nil).json.arrayValue ?? []
        #expect(
            rows.first?.objectValue?.keys == [
                "mapperId", "mapperName", "containerId", "containerName", "containerType", "protocolMapper",
            ])
        let names = rows.compactMap { $0["mapperName"]?.stringValue }
        #expect(names == names.sorted())
        #expect(names.prefix(4) == ["acr loa level", "allowed web origins", "audience resolve", "auth_time"])
        #expect(rows.first?["containerName"] == "acr")
        #expect(rows.first?["containerType"] == "client-scope")
        #expect(!names.contains("phone number"))
        let withPhone =
            admin.send("GET", path + "?scope=phone", nil).json.arrayValue?.compactMap { $0["mapperName"]?.stringValue } ?? []
        #expect(withPhone.contains("phone number"))
        #expect(admin.send("POST", path, "{}").status == 405)
    }

    // Recorded evaluate-scope-mappings-*.http.
    @Test func scopeMappings() {
        fixture.addClient(["clientId": "app", "secret": "app-secret", "fullScopeAllowed": false])
        let app = clientUUID("app")
        let granted = admin.send("GET", "/admin/realms/demo/clients/\(app)/evaluate-scopes/scope-mappings/demo/granted", nil)
        #expect(granted.status == 200)
        // offline_access is mapped in the offline_access scope, which is optional and not requested.
        #expect(granted.json == [])
        let offline = admin.send(
            "GET", "/admin/realms/demo/clients/\(app)/evaluate-scopes/scope-mappings/demo/granted?scope=offline_access", nil)
        #expect(offline.json.arrayValue?.compactMap { $0["name"]?.stringValue } == ["offline_access"])
        let notGranted = admin.send(
            "GET", "/admin/realms/demo/clients/\(app)/evaluate-scopes/scope-mappings/demo/not-granted", nil)
        #expect(
            notGranted.json.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                "default-roles-demo", "offline_access", "uma_authorization",
            ])
        #expect(notGranted.json[0]?.objectValue?.keys == ["id", "name", "description", "composite", "clientRole", "containerId"])
        let unknown = admin.send(
            "GET",
            "/admin/realms/demo/clients/\(app)/evaluate-scopes/scope-mappings/00000000-0000-0000-0000-000000000000/granted", nil)
        #expect(unknown.status == 404)
        #expect(unknown.text == #"{"error":"Role Container not found"}"#)
    }
}
