// Clients: create defaults, search, read, update, delete, secret, service account, scope
// assignment quirks (admin-api.md §3, §6).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminClientTests {
    // §3.2 generic path + recording clients/read-created.http.
    @Test func createWithoutProtocolIsConfidentialWithSecret() {
        let harness = AdminHarness()
        let id = harness.createClient("master", #"{"clientId":"probe"}"#)
        let body = harness.send("GET", "/admin/realms/master/clients/\(id)").bodyJSON.objectValue!
        #expect(
            body.keys == [
                "id", "clientId", "surrogateAuthRequired", "enabled", "alwaysDisplayInConsole", "clientAuthenticatorType",
                "secret", "redirectUris", "webOrigins", "notBefore", "bearerOnly", "consentRequired", "standardFlowEnabled",
                "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled", "publicClient",
                "frontchannelLogout", "protocol", "attributes", "authenticationFlowBindingOverrides", "fullScopeAllowed",
                "nodeReRegistrationTimeout", "defaultClientScopes", "optionalClientScopes", "access",
            ])
        #expect(body["secret"]?.stringValue?.count == 32)
        #expect(body["publicClient"] == false)
        #expect(body["directAccessGrantsEnabled"] == false)
        #expect(body["nodeReRegistrationTimeout"] == -1)
        #expect(body["attributes"] == ["client.secret.creation.time": "1700000000", "realm_client": "false"])
        #expect(body["defaultClientScopes"] == ["acr", "basic", "email", "profile", "roles", "web-origins"])
    }

    // §3.2: naming the OIDC protocol runs the factory defaults (public, direct grants).
    @Test func createWithOIDCProtocolIsPublic() {
        let harness = AdminHarness()
        let id = harness.createClient("master", #"{"clientId":"spa","protocol":"openid-connect"}"#)
        let client = harness.realm("master").client(id: id)!
        #expect(client.publicClient)
        #expect(client.directAccessGrantsEnabled)
        #expect(client.secret == nil)
        #expect(client.attribute("backchannel.logout.session.required") == "true")
    }

    // §3.2: Location, 409 text on create vs update, §3.3.
    @Test func createConflictsAndUpdateConflict() {
        let harness = AdminHarness()
        let response = harness.send("POST", "/admin/realms/master/clients", json: #"{"clientId":"a","id":"fixed-id"}"#)
        #expect(response.status == 201)
        #expect(response.location == "http://127.0.0.1:8080/admin/realms/master/clients/fixed-id")
        let duplicate = harness.send("POST", "/admin/realms/master/clients", json: #"{"clientId":"a"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.bodyText == #"{"errorMessage":"Client a already exists"}"#)
        _ = harness.createClient("master", #"{"clientId":"b"}"#)
        let rename = harness.send("PUT", "/admin/realms/master/clients/fixed-id", json: #"{"clientId":"b"}"#)
        #expect(rename.status == 409)
        #expect(rename.bodyText == #"{"errorMessage":"Client already exists"}"#)
    }

    // §3.1: exact clientId, search substring, paging, never 404.
    @Test func listFiltersAndPages() {
        let harness = AdminHarness()
        _ = harness.createClient("master", #"{"clientId":"My-API"}"#)
        func ids(_ query: String) -> [String] {
            harness.send("GET", "/admin/realms/master/clients?\(query)").bodyJSON.arrayValue?.compactMap {
                $0["clientId"]?.stringValue
            } ?? []
        }
        #expect(ids("clientId=My-API") == ["My-API"])
        #expect(ids("clientId=my-api") == [])
        #expect(ids("clientId=my-a&search=true") == ["My-API"])
        // Sorted by clientId, case-sensitively: "My-API" sorts before "account".
        #expect(ids("first=1&max=2") == ["account", "account-console"])
    }

    // §3.3: unknown id; internal client refuses deletion; delete cascades the service account.
    @Test func readAndDeleteErrors() {
        let harness = AdminHarness()
        let unknown = harness.send("GET", "/admin/realms/master/clients/nope")
        #expect(unknown.status == 404)
        #expect(unknown.bodyText == #"{"error":"Could not find client"}"#)
        #expect(unknown.firstHeader("Content-Type") == "application/json")
        let broker = harness.realm("master").client(clientId: "broker")!.id
        let refused = harness.send("DELETE", "/admin/realms/master/clients/\(broker)")
        #expect(refused.status == 400)
        #expect(refused.bodyText == #"{"error":"invalid_request","error_description":"Could not delete client"}"#)
        let id = harness.createClient("master", #"{"clientId":"svc","serviceAccountsEnabled":true}"#)
        #expect(harness.realm("master").user(username: "service-account-svc") != nil)
        #expect(harness.send("DELETE", "/admin/realms/master/clients/\(id)").status == 204)
        #expect(harness.realm("master").user(username: "service-account-svc") == nil)
    }

    // §3.4 / §3.5 and recordings secret-read.http, service-account-user.http.
    @Test func secretAndServiceAccountUser() {
        let harness = AdminHarness()
        let id = harness.createClient("master", #"{"clientId":"svc","serviceAccountsEnabled":true,"secret":"given"}"#)
        #expect(
            harness.send("GET", "/admin/realms/master/clients/\(id)/client-secret").bodyText
                == #"{"type":"secret","value":"given"}"#)
        let regenerated = harness.send("POST", "/admin/realms/master/clients/\(id)/client-secret", json: "{}")
        #expect(regenerated.status == 200)
        #expect(regenerated.bodyJSON["value"]?.stringValue != "given")
        let user = harness.send("GET", "/admin/realms/master/clients/\(id)/service-account-user").bodyJSON.objectValue!
        #expect(
            user.keys == [
                "id", "username", "emailVerified", "enabled", "createdTimestamp", "totp", "disableableCredentialTypes",
                "requiredActions", "notBefore",
            ])
        #expect(user["username"] == "service-account-svc")
        #expect(
            harness.realm("master").client(id: id)!.defaultScopeIds.contains(
                harness.realm("master").clientScope(name: "service_account")!.id))
        let plain = harness.createClient("master", #"{"clientId":"plain"}"#)
        let disabled = harness.send("GET", "/admin/realms/master/clients/\(plain)/service-account-user")
        #expect(disabled.status == 400)
        #expect(disabled.bodyText == #"{"error":"Service account not enabled for the client 'plain'"}"#)
    }

    // §3.2: naming one list replaces both; unknown names dropped; §3.3 PUT ignores the lists.
    @Test func scopeListsOnCreateAndUpdate() {
        let harness = AdminHarness()
        let id = harness.createClient("master", #"{"clientId":"c","defaultClientScopes":["profile","nope","role_list"]}"#)
        var client = harness.realm("master").client(id: id)!
        let names = { (ids: [String]) in ids.compactMap { harness.realm("master").clientScope(id: $0)?.name } }
        #expect(names(client.defaultScopeIds) == ["profile"])
        #expect(client.optionalScopeIds.isEmpty)
        #expect(
            harness.send("PUT", "/admin/realms/master/clients/\(id)", json: #"{"defaultClientScopes":["email"]}"#).status == 204)
        client = harness.realm("master").client(id: id)!
        #expect(names(client.defaultScopeIds) == ["profile"])
    }

    // §6: silent 204s (already attached elsewhere, wrong protocol), DELETE ignores the list.
    @Test func clientScopeAssignmentQuirks() {
        let harness = AdminHarness()
        let id = harness.createClient("master", #"{"clientId":"c"}"#)
        let realm = harness.realm("master")
        let email = realm.clientScope(name: "email")!.id
        let roleList = realm.clientScope(name: "role_list")!.id
        let base = "/admin/realms/master/clients/\(id)"
        #expect(harness.send("PUT", "\(base)/optional-client-scopes/\(email)").status == 204)
        #expect(harness.send("PUT", "\(base)/default-client-scopes/\(roleList)").status == 204)
        var client = harness.realm("master").client(id: id)!
        #expect(client.defaultScopeIds.contains(email))
        #expect(!client.optionalScopeIds.contains(email))
        #expect(!client.defaultScopeIds.contains(roleList))
        #expect(harness.send("DELETE", "\(base)/optional-client-scopes/\(email)").status == 204)
        client = harness.realm("master").client(id: id)!
        #expect(!client.defaultScopeIds.contains(email))
        let missing = harness.send("PUT", "\(base)/default-client-scopes/nope")
        #expect(missing.status == 404)
        #expect(missing.bodyText == #"{"error":"Client scope not found"}"#)
        let listed = harness.send("GET", "\(base)/default-client-scopes").bodyJSON.arrayValue ?? []
        #expect(listed.first?.objectValue?.keys == ["id", "name"])
    }

    // §10.4 unknown field, §10.2 malformed and wrong-type JSON, §10.3 content type.
    @Test func bodyErrors() {
        let harness = AdminHarness()
        let unknown = harness.send("POST", "/admin/realms/master/clients", json: #"{"clientId":"x", "bogus":1}"#)
        #expect(unknown.status == 400)
        #expect(
            unknown.bodyText
                == #"{"error":"Invalid json representation for ClientRepresentation. Unrecognized field \"bogus\" at line 1 column 26."}"#
        )
        let malformed = harness.send("POST", "/admin/realms/master/clients", json: #"{"clientId":"#)
        #expect(malformed.bodyText == #"{"error":"invalid_request","error_description":"Cannot parse the JSON"}"#)
        let wrongType = harness.send("POST", "/admin/realms/master/clients", json: #"{"clientId":"x","enabled":"yes"}"#)
        #expect(wrongType.status == 400)
        #expect(wrongType.bodyText == #"{"error":"unknown_error","error_description":"Cannot parse the JSON"}"#)
        let form = harness.send(
            "POST", "/admin/realms/master/clients", json: "clientId=x", contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 415)
        let empty = harness.send("POST", "/admin/realms/master/clients", json: "")
        #expect(empty.status == 500)
        #expect(harness.realm("master").client(clientId: "x") == nil)
    }
}
