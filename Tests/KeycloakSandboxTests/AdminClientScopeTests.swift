// Client scopes (§4), protocol mappers (§5), realm default scopes (§2.4) and scope mappings (§7).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminClientScopeTests {
    let base = "/admin/realms/master/client-scopes"

    // §4.3 validation order and messages.
    @Test func createValidation() {
        let harness = AdminHarness()
        #expect(
            harness.send("POST", base, json: "{}").bodyText
                == #"{"error":"unknown_error","error_description":"For more on this error consult the server log."}"#)
        #expect(harness.send("POST", base, json: #"{"name":"x"}"#).bodyText == #"{"errorMessage":"Unexpected protocol"}"#)
        let badName = harness.send("POST", base, json: #"{"name":"a b","protocol":"openid-connect"}"#)
        #expect(badName.status == 400)
        #expect(badName.bodyText == #"{"errorMessage":"Unexpected name \"a b\" for ClientScope"}"#)
        let created = harness.send("POST", base, json: #"{"name":"api","protocol":"openid-connect","unknownField":true}"#)
        #expect(created.status == 201)
        #expect(created.location.hasPrefix("http://127.0.0.1:8080/admin/realms/master/client-scopes/"))
        let duplicate = harness.send("POST", base, json: #"{"name":"api","protocol":"saml"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.bodyText == #"{"errorMessage":"Client Scope api already exists"}"#)
        let id = String(created.location.split(separator: "/").last!)
        #expect(
            harness.send("GET", "\(base)/\(id)").bodyText
                == #"{"id":"\#(id)","name":"api","protocol":"openid-connect","attributes":{}}"#)
        #expect(harness.send("GET", "\(base)/nope").bodyText == #"{"error":"Could not find client scope"}"#)
    }

    // §4.5: deleting an attached scope cascades.
    @Test func deleteCascades() {
        let harness = AdminHarness()
        let profile = harness.realm("master").clientScope(name: "profile")!.id
        #expect(harness.send("DELETE", "\(base)/\(profile)").status == 204)
        let realm = harness.realm("master")
        #expect(!realm.defaultDefaultScopeIds.contains(profile))
        #expect(!realm.clients.contains { $0.defaultScopeIds.contains(profile) })
    }

    // §2.4: repeated PUT and other-list PUT are 409 conflict; DELETE ignores the list.
    @Test func realmDefaultScopeQuirks() {
        let harness = AdminHarness()
        let created = harness.send("POST", base, json: #"{"name":"api","protocol":"openid-connect"}"#)
        let id = String(created.location.split(separator: "/").last!)
        let defaults = "/admin/realms/master/default-default-client-scopes"
        let optionals = "/admin/realms/master/default-optional-client-scopes"
        #expect(harness.send("PUT", "\(defaults)/\(id)").status == 204)
        let again = harness.send("PUT", "\(optionals)/\(id)")
        #expect(again.status == 409)
        #expect(again.bodyText == #"{"error":"conflict","error_description":"Duplicate resource error"}"#)
        #expect(harness.send("DELETE", "\(optionals)/\(id)").status == 204)
        #expect(!harness.realm("master").defaultDefaultScopeIds.contains(id))
        #expect(harness.send("DELETE", "\(optionals)/nope").bodyText == #"{"error":"Client scope not found"}"#)
    }

    // §5.3 create rules and §5.4 effective model on read.
    @Test func protocolMappers() {
        let harness = AdminHarness()
        let created = harness.send("POST", base, json: #"{"name":"api","protocol":"openid-connect"}"#)
        let scope = String(created.location.split(separator: "/").last!)
        let models = "\(base)/\(scope)/protocol-mappers/models"
        let unknownProvider = harness.send(
            "POST", models, json: #"{"name":"m","protocol":"openid-connect","protocolMapper":"nope"}"#)
        #expect(unknownProvider.status == 404)
        #expect(unknownProvider.bodyText == #"{"error":"ProtocolMapper provider not found"}"#)
        let audience =
            #"{"name":"aud","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{"included.client.audience":"my-api","access.token.claim":"true","id.token.claim":"","lightweight.claim":null}}"#
        let mapper = harness.send("POST", models, json: audience)
        #expect(mapper.status == 201)
        let mapperId = String(mapper.location.split(separator: "/").last!)
        #expect(
            harness.send("POST", models, json: audience).bodyText == #"{"errorMessage":"Protocol mapper exists with same name"}"#)
        #expect(
            harness.send("GET", "\(models)/\(mapperId)").bodyText
                == #"{"id":"\#(mapperId)","name":"aud","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","consentRequired":false,"config":{"included.client.audience":"my-api","access.token.claim":"true","introspection.token.claim":"true"}}"#
        )
        let batch =
            #"[{"name":"h","protocol":"openid-connect","protocolMapper":"oidc-hardcoded-claim-mapper"},{"name":"aud","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper"}]"#
        let addModels = harness.send("POST", "\(base)/\(scope)/protocol-mappers/add-models", json: batch)
        #expect(addModels.status == 409)
        #expect(
            addModels.bodyText == #"{"error":"conflict","error_description":"Protocol mapper name must be unique per protocol"}"#)
        #expect(harness.realm("master").clientScope(id: scope)!.protocolMappers.count == 1)
        let noName = harness.send("POST", models, json: #"{"protocol":"openid-connect","protocolMapper":"oidc-audience-mapper"}"#)
        #expect(noName.bodyText == #"{"error":"conflict","error_description":"Duplicate resource error"}"#)
        #expect(harness.send("GET", "\(models)/nope").bodyText == #"{"error":"Model not found"}"#)
        let put = harness.send(
            "PUT", "\(models)/\(mapperId)",
            json:
                #"{"id":"\#(mapperId)","name":"renamed","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{"included.custom.audience":"x"}}"#
        )
        #expect(put.status == 204)
        let stored = harness.realm("master").clientScope(id: scope)!.protocolMappers[0]
        #expect(stored.name == "aud")
        #expect(JSON.object(stored.config) == ["included.custom.audience": "x"])
    }

    // §7: scope mappings on a client scope, MappingsRepresentation shape.
    @Test func scopeMappings() {
        let harness = AdminHarness()
        let created = harness.send("POST", base, json: #"{"name":"api","protocol":"openid-connect"}"#)
        let scope = String(created.location.split(separator: "/").last!)
        let clientId = harness.createClient("master", #"{"clientId":"my-api"}"#)
        #expect(harness.send("POST", "/admin/realms/master/clients/\(clientId)/roles", json: #"{"name":"read"}"#).status == 201)
        let role = harness.realm("master").client(id: clientId)!.role(name: "read")!
        let path = "\(base)/\(scope)/scope-mappings/clients/\(clientId)"
        #expect(harness.send("POST", path, json: #"[{"id":"\#(role.id)","name":"read"}]"#).status == 204)
        let mappings = harness.send("GET", "\(base)/\(scope)/scope-mappings").bodyText
        #expect(
            mappings
                == #"{"clientMappings":{"my-api":{"id":"\#(clientId)","client":"my-api","mappings":[{"id":"\#(role.id)","name":"read","composite":false,"clientRole":true,"containerId":"\#(clientId)"}]}}}"#
        )
        #expect(harness.send("GET", "\(path)/available").bodyJSON == [])
        #expect(harness.send("DELETE", path, json: #"[{"id":"\#(role.id)"}]"#).status == 204)
        #expect(harness.send("GET", "\(base)/\(scope)/scope-mappings").bodyText == "{}")
    }
}
