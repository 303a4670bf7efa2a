// Bootstrap of master and of new realms, checked against admin-api.md §2.2/§2.4 and the 26.7.1 recordings.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminBootstrapTests {
    // Recording clients/list-all.http: master's clients sorted by clientId, with their flags.
    @Test func masterHasKeycloaksBuiltInClients() {
        let harness = AdminHarness()
        let response = harness.send("GET", "/admin/realms/master/clients")
        #expect(response.status == 200)
        #expect(response.firstHeader("Content-Type") == "application/json;charset=UTF-8")
        #expect(response.firstHeader("Cache-Control") == "no-cache")
        let clients = response.bodyJSON.arrayValue ?? []
        #expect(
            clients.compactMap { $0["clientId"]?.stringValue } == [
                "account", "account-console", "admin-cli", "broker", "master-realm", "security-admin-console",
            ])
        let adminCLI = clients[2]
        #expect(adminCLI["publicClient"] == true)
        #expect(adminCLI["directAccessGrantsEnabled"] == true)
        #expect(adminCLI["standardFlowEnabled"] == false)
        #expect(adminCLI["attributes"] == ["client.use.lightweight.access.token.enabled": "true", "realm_client": "false"])
        #expect(adminCLI["defaultClientScopes"] == ["acr", "basic", "email", "profile", "roles", "web-origins"])
        #expect(adminCLI["optionalClientScopes"] == ["address", "microprofile-jwt", "offline_access", "organization", "phone"])
        #expect(clients[4]["access"] == ["view": true, "configure": false, "manage": false])
        #expect(clients[4]["protocol"] == nil)
    }

    // §2.2: a new realm gets 6 clients, 15 scopes, 3 realm roles, and `<name>-realm` in master.
    @Test func newRealmIsBootstrapped() {
        let harness = AdminHarness()
        let response = harness.send("POST", "/admin/realms", json: #"{"realm":"demo"}"#)
        #expect(response.status == 201)
        #expect(response.location == "http://127.0.0.1:8080/admin/realms/demo")
        #expect(response.body.isEmpty)
        let realm = harness.realm("demo")
        #expect(realm.enabled == false)
        #expect(
            realm.clients.map(\.clientId).sorted() == [
                "account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console",
            ])
        #expect(realm.clientScopes.count == 15)
        #expect(realm.roles.map(\.name).sorted() == ["default-roles-demo", "offline_access", "uma_authorization"])
        let management = realm.client(clientId: "realm-management")!
        #expect(management.roles.count == 19)
        let realmAdmin = management.role(name: "realm-admin")!
        #expect(realmAdmin.compositeIds.count == 18)
        #expect(harness.realm("master").client(clientId: "demo-realm")?.roles.count == 18)
    }

    // §2.4: default and optional lists, in insertion order, with protocol.
    @Test func realmDefaultScopeLists() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let defaults = harness.send("GET", "/admin/realms/demo/default-default-client-scopes").bodyJSON.arrayValue ?? []
        #expect(
            defaults.compactMap { $0["name"]?.stringValue } == [
                "role_list", "saml_organization", "AuthnContextClassRef", "profile", "email", "roles", "web-origins", "acr",
                "basic",
            ])
        #expect(defaults[0].objectValue?.keys == ["id", "name", "protocol"])
        #expect(defaults[0]["protocol"] == "saml")
        let optionals = harness.send("GET", "/admin/realms/demo/default-optional-client-scopes").bodyJSON.arrayValue ?? []
        #expect(
            optionals.compactMap { $0["name"]?.stringValue } == [
                "offline_access", "address", "phone", "microprofile-jwt", "organization",
            ])
    }

    // Recording realm-created-26.7.1.json: key order of a created realm, defaultRole in place.
    @Test func realmRepresentationFollowsKeycloakOrder() {
        let harness = AdminHarness()
        harness.createRealm("p4a", enabled: false)
        let body = harness.send("GET", "/admin/realms/p4a").bodyJSON.objectValue!
        #expect(Array(body.keys.prefix(4)) == ["id", "realm", "notBefore", "defaultSignatureAlgorithm"])
        let keys = body.keys
        let defaultRole = keys.firstIndex(of: "defaultRole")!
        #expect(keys[defaultRole - 1] == "maxSecondaryAuthFailures")
        #expect(keys[defaultRole + 1] == "requiredCredentials")
        #expect(body["defaultRole"]?["name"] == "default-roles-p4a")
        #expect(body["accessTokenLifespan"] == 300)
        #expect(body["enabled"] == false)
    }

    // The store survives a snapshot/restore round trip, with no plaintext password in it.
    @Test func snapshotRoundTripKeepsNoPlaintext() throws {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let snapshot = harness.context.store.snapshot()
        #expect(!snapshot.serialized().contains("s3cret-admin"))
        let restored = SandboxStore()
        try restored.restore(snapshot)
        #expect(restored.snapshot() == snapshot)
        let admin = restored.read { $0.master!.user(username: "admin")! }
        #expect(admin.passwordMatches("s3cret-admin"))
        #expect(!admin.passwordMatches("wrong"))
    }
}
