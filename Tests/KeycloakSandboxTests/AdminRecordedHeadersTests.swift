// Answers checked byte for byte against recordings of a live Keycloak 26.7.1 (ekalinin/gloak,
// internal/conformance/testdata/golden/admin/...): which writes carry `Cache-Control: no-cache` (the
// resource methods annotated @NoCache) and how a protocol mapper's config reads back.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminRecordedHeadersTests {
    let harness = AdminHarness()

    init() { harness.createRealm("demo") }

    // Each row: the write, its status, and the Cache-Control the recording shows (nil: none).
    @Test func cacheControlOnWritesFollowsTheRecordings() {
        let base = "/admin/realms/demo"
        var rows: [(String, String, String?, Int, String?, String)] = []
        func check(
            _ method: String, _ path: String, _ json: String? = nil, _ status: Int, _ cacheControl: String?, _ recording: String
        ) {
            let response = harness.send(method, path, json: json)
            #expect(response.status == status, "\(recording)")
            #expect(response.firstHeader("Cache-Control") == cacheControl, "\(recording)")
            rows.append((method, path, json, status, cacheControl, recording))
        }
        // Realms: create and delete carry none (realms-admin/create.http, realms-admin/delete.http).
        check("POST", "/admin/realms", #"{"realm":"other"}"#, 201, nil, "realms-admin/create.http")
        check("DELETE", "/admin/realms/other", nil, 204, nil, "realms-admin/delete.http")
        // Clients: create, update and the secret's POST none; delete no-cache.
        check("POST", "\(base)/clients", #"{"clientId":"app","secret":"s"}"#, 201, nil, "clients/create.http")
        let app = harness.realm("demo").client(clientId: "app")!.id
        check("PUT", "\(base)/clients/\(app)", #"{"clientId":"app","description":"x"}"#, 204, nil, "clients/update.http")
        check("POST", "\(base)/clients/\(app)/client-secret", nil, 200, nil, "clients/secret-regenerate.http")
        // clients/secret-read.http
        #expect(harness.send("GET", "\(base)/clients/\(app)/client-secret").firstHeader("Cache-Control") == "no-cache")
        // Client scopes: create and delete no-cache, update none.
        check(
            "POST", "\(base)/client-scopes", #"{"name":"s1","protocol":"openid-connect"}"#, 201, "no-cache",
            "client-scopes/create.http")
        let scope = harness.realm("demo").clientScope(name: "s1")!.id
        check("PUT", "\(base)/client-scopes/\(scope)", #"{"name":"s1","description":"d"}"#, 204, nil, "client-scopes/update.http")
        // A client's default scopes and the realm's: add and remove no-cache.
        check(
            "PUT", "\(base)/clients/\(app)/default-client-scopes/\(scope)", nil, 204, "no-cache",
            "clients/default-client-scope-add.http")
        check(
            "DELETE", "\(base)/clients/\(app)/default-client-scopes/\(scope)", nil, 204, "no-cache",
            "clients/default-client-scope-remove.http")
        check(
            "PUT", "\(base)/default-default-client-scopes/\(scope)", nil, 204, "no-cache",
            "realms-admin/default-default-client-scope-add.http")
        check(
            "DELETE", "\(base)/default-default-client-scopes/\(scope)", nil, 204, "no-cache",
            "realms-admin/default-default-client-scope-remove.http")
        // Protocol mappers: every write no-cache.
        let models = "\(base)/client-scopes/\(scope)/protocol-mappers/models"
        check(
            "POST", models, #"{"name":"m","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{}}"#, 201,
            "no-cache",
            "protocol-mappers/create.http")
        let mapper = harness.realm("demo").clientScope(id: scope)!.protocolMappers[0].id
        check(
            "PUT", "\(models)/\(mapper)",
            #"{"id":"\#(mapper)","name":"m","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{}}"#,
            204, "no-cache", "protocol-mappers/update.http")
        check(
            "POST", "\(base)/client-scopes/\(scope)/protocol-mappers/add-models",
            #"[{"name":"m2","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{}}]"#, 204, "no-cache",
            "protocol-mappers/add-models.http")
        check("DELETE", "\(models)/\(mapper)", nil, 204, "no-cache", "protocol-mappers/delete.http")
        check("DELETE", "\(base)/client-scopes/\(scope)", nil, 204, "no-cache", "client-scopes/delete.http")
        // Roles: create, update, composites none; delete no-cache.
        check("POST", "\(base)/roles", #"{"name":"parent"}"#, 201, nil, "roles/create.http")
        check("POST", "\(base)/roles", #"{"name":"child"}"#, 201, nil, "roles/create.http")
        check("PUT", "\(base)/roles/parent", #"{"name":"parent","description":"d"}"#, 204, nil, "roles/update.http")
        let child = harness.realm("demo").realmRole(name: "child")!
        check(
            "POST", "\(base)/roles/parent/composites", #"[{"id":"\#(child.id)","name":"child"}]"#, 204, nil,
            "roles/composites-add.http")
        check(
            "DELETE", "\(base)/roles/parent/composites", #"[{"id":"\#(child.id)","name":"child"}]"#, 204, nil,
            "roles/composites-remove.http")
        check("DELETE", "\(base)/roles/parent", nil, 204, "no-cache", "roles/delete.http")
        // Users: create, update, reset-password none; delete no-cache.
        check("POST", "\(base)/users", #"{"username":"alice"}"#, 201, nil, "users/create.http")
        let alice = harness.realm("demo").user(username: "alice")!.id
        check("PUT", "\(base)/users/\(alice)", #"{"firstName":"A"}"#, 204, nil, "users/update.http")
        check(
            "PUT", "\(base)/users/\(alice)/reset-password", #"{"type":"password","value":"pw","temporary":false}"#, 204, nil,
            "users/reset-password.http")
        // Role mappings: no @NoCache on RoleMapperResource.addRealmRoleMappings / deleteRealmRoleMappings.
        check(
            "POST", "\(base)/users/\(alice)/role-mappings/realm", #"[{"id":"\#(child.id)","name":"child"}]"#, 204, nil,
            "RoleMapperResource.addRealmRoleMappings")
        check(
            "DELETE", "\(base)/users/\(alice)/role-mappings/realm", #"[{"id":"\#(child.id)","name":"child"}]"#, 204, nil,
            "RoleMapperResource.deleteRealmRoleMappings")
        check("DELETE", "\(base)/users/\(alice)", nil, 204, "no-cache", "users/delete.http")
        check("DELETE", "\(base)/clients/\(app)", nil, 204, "no-cache", "clients/delete.http")
        #expect(rows.count == 29)
    }

    // protocol-mappers/config-key-order.http: a mapper's config reads back in java.util.HashMap order,
    // not in the order it was sent (user.attribute and jsonType.label share a bucket, so those two keep
    // the order they were sent in).
    @Test func mapperConfigReadsBackInHashMapOrder() {
        let scope = String(
            harness.send("POST", "/admin/realms/demo/client-scopes", json: #"{"name":"m","protocol":"openid-connect"}"#).location
                .split(separator: "/").last!)
        let models = "/admin/realms/demo/client-scopes/\(scope)/protocol-mappers/models"
        let plain = harness.send(
            "POST", models,
            json:
                #"{"name":"plain","protocol":"openid-connect","protocolMapper":"oidc-nonce-backwards-compatible-mapper","config":{"user.attribute":"u","jsonType.label":"String","claim.name":"c"}}"#
        )
        let plainId = String(plain.location.split(separator: "/").last!)
        #expect(
            harness.send("GET", "\(models)/\(plainId)").bodyText
                == #"{"id":"\#(plainId)","name":"plain","protocol":"openid-connect","protocolMapper":"oidc-nonce-backwards-compatible-mapper","consentRequired":false,"config":{"claim.name":"c","user.attribute":"u","jsonType.label":"String"}}"#
        )

        // protocol-mappers/config-key-order-grown.http: four keys sent, two derived on read
        // (introspection.token.claim from access.token.claim, userinfo.token.claim from id.token.claim);
        // the table is sized for the four sent, so the six come back in its order.
        let grown = harness.send(
            "POST", models,
            json:
                #"{"name":"grown","protocol":"openid-connect","protocolMapper":"oidc-usermodel-attribute-mapper","config":{"claim.name":"c","jsonType.label":"String","access.token.claim":"true","id.token.claim":"true"}}"#
        )
        let grownId = String(grown.location.split(separator: "/").last!)
        #expect(
            harness.send("GET", "\(models)/\(grownId)").bodyText
                == #"{"id":"\#(grownId)","name":"grown","protocol":"openid-connect","protocolMapper":"oidc-usermodel-attribute-mapper","consentRequired":false,"config":{"id.token.claim":"true","access.token.claim":"true","introspection.token.claim":"true","claim.name":"c","jsonType.label":"String","userinfo.token.claim":"true"}}"#
        )

        // protocol-mappers/read-created.http: the list route serves the same order.
        let list = harness.send("GET", models).bodyJSON.arrayValue ?? []
        #expect(list.first?["config"]?.objectValue?.keys == ["claim.name", "user.attribute", "jsonType.label"])
        #expect(
            list.last?["config"]?.objectValue?.keys == [
                "id.token.claim", "access.token.claim", "introspection.token.claim", "claim.name", "jsonType.label",
                "userinfo.token.claim",
            ])
    }

    @Test func javaHashOrderMatchesJava() {
        // Known values of String.hashCode.
        #expect(JavaHashMapOrder.javaHash("") == 0)
        #expect(JavaHashMapOrder.javaHash("a") == 97)
        #expect(JavaHashMapOrder.javaHash("hello") == 99_162_322)
        #expect(JavaHashMapOrder.javaHash("polygenelubricants") == Int32.min)
        #expect(JavaHashMapOrder.tableSize(for: 4) == 4)
        #expect(JavaHashMapOrder.tableSize(for: 6) == 8)
    }
}
