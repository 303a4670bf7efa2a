// Users and role mappings, realms CRUD, authorization (§1.2), partial import/export (§9), routing (§10.2).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct AdminUserRealmTests {
    // Recordings users/create-*.http, read-unknown.http, reset-password-no-value.http.
    @Test func usersLifecycle() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let users = "/admin/realms/demo/users"
        #expect(harness.send("POST", users, json: "{}").bodyText == #"{"errorMessage":"User name is missing"}"#)
        let created = harness.send(
            "POST", users, json: #"{"username":"Alice","enabled":true,"credentials":[{"type":"password","value":"pw"}]}"#)
        #expect(created.status == 201)
        let id = String(created.location.split(separator: "/").last!)
        #expect(
            harness.send("POST", users, json: #"{"username":"alice"}"#).bodyText
                == #"{"errorMessage":"User exists with same username"}"#)
        #expect(harness.realm("demo").user(id: id)!.passwordMatches("pw"))
        let found = harness.send("GET", "\(users)?username=ali").bodyJSON.arrayValue ?? []
        #expect(found.compactMap { $0["username"]?.stringValue } == ["alice"])
        #expect(harness.send("GET", "\(users)?username=ali&exact=true").bodyJSON == [])
        #expect(harness.send("GET", "\(users)/nope").bodyText == #"{"error":"User not found"}"#)
        #expect(
            harness.send("PUT", "\(users)/\(id)/reset-password", json: #"{"type":"password"}"#).bodyText
                == #"{"error":"No password provided"}"#)
        #expect(
            harness.send("PUT", "\(users)/\(id)/reset-password", json: #"{"type":"password","value":"new","temporary":false}"#)
                .status == 204)
        #expect(harness.realm("demo").user(id: id)!.passwordMatches("new"))
        let management = harness.realm("demo").client(clientId: "realm-management")!
        let viewClients = management.role(name: "view-clients")!
        let mapping = harness.send(
            "POST", "\(users)/\(id)/role-mappings/clients/\(management.id)",
            json: #"[{"id":"\#(viewClients.id)","name":"view-clients"}]"#)
        #expect(mapping.status == 204)
        let composite =
            harness.send("GET", "\(users)/\(id)/role-mappings/clients/\(management.id)/composite").bodyJSON.arrayValue ?? []
        #expect(Set(composite.compactMap { $0["name"]?.stringValue }) == ["view-clients", "query-clients"])
        #expect(harness.send("DELETE", "\(users)/\(id)").status == 204)
        #expect(harness.realm("demo").user(id: id) == nil)
    }

    // §1.2: realm-local callers with realm-management roles; other realms and missing roles are 403;
    // an unknown realm is a 404 first.
    @Test func authorization() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        harness.createRealm("other")
        let id = harness.createClient("demo", #"{"clientId":"ops","serviceAccountsEnabled":true}"#)
        let serviceUser = harness.realm("demo").client(id: id)!.serviceAccountUserId!
        let caller = AdminCaller(realmName: "demo", userId: serviceUser)
        #expect(harness.send("GET", "/admin/realms/demo/clients", as: caller).bodyText == #"{"error":"HTTP 403 Forbidden"}"#)
        #expect(harness.send("GET", "/admin/realms/nope/clients", as: caller).bodyText == #"{"error":"Realm not found."}"#)
        let management = harness.realm("demo").client(clientId: "realm-management")!
        let manageClients = management.role(name: "manage-clients")!
        _ = harness.send(
            "POST", "/admin/realms/demo/users/\(serviceUser)/role-mappings/clients/\(management.id)",
            json: #"[{"id":"\#(manageClients.id)"}]"#)
        #expect(harness.send("GET", "/admin/realms/demo/clients", as: caller).status == 200)
        #expect(harness.send("GET", "/admin/realms/demo/users", as: caller).status == 403)
        #expect(harness.send("GET", "/admin/realms/other/clients", as: caller).status == 403)
        #expect(harness.send("POST", "/admin/realms", json: #"{"realm":"x"}"#, as: caller).status == 403)
        #expect(harness.send("GET", "/admin/realms", as: caller).bodyJSON == [["realm": "demo"]])
        let noRoles = harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"bob"}"#)
        let bob = AdminCaller(realmName: "demo", userId: String(noRoles.location.split(separator: "/").last!))
        #expect(harness.send("GET", "/admin/realms", as: bob).status == 403)
        let request = ServerRequest(
            method: "GET", target: "/admin/realms", path: "/admin/realms", query: [], headers: [], body: [])
        #expect(AdminRoutes.handle(request, harness.context)?.bodyText == #"{"error":"HTTP 401 Unauthorized"}"#)
    }

    // §2.2 / §2.3 realm errors.
    @Test func realmErrors() {
        let harness = AdminHarness()
        #expect(
            harness.send("POST", "/admin/realms", json: #"{"realm":"master"}"#).bodyText
                == #"{"errorMessage":"Realm master already exists"}"#)
        #expect(
            harness.send("POST", "/admin/realms", json: #"{"enabled":true}"#).bodyText
                == #"{"errorMessage":"Realm name cannot be empty"}"#)
        #expect(
            harness.send("POST", "/admin/realms", json: "{").bodyText
                == #"{"errorMessage":"unable to read contents from stream"}"#)
        #expect(
            harness.send("POST", "/admin/realms", json: "realm=x", contentType: "application/x-www-form-urlencoded").bodyText
                == #"{"error":"The content-type header value did not match the value in @Consumes"}"#)
        #expect(harness.send("DELETE", "/admin/realms/master").bodyText == #"{"errorMessage":"Can't remove master realm"}"#)
        #expect(
            harness.send("PUT", "/admin/realms/master", json: #"{"realm":"m2"}"#).bodyText
                == #"{"errorMessage":"Can't rename master realm"}"#)
        harness.createRealm("demo")
        #expect(harness.send("PUT", "/admin/realms/demo", json: #"{"realm":"renamed","displayName":"Demo"}"#).status == 204)
        #expect(harness.realm("master").client(clientId: "renamed-realm") != nil)
        #expect(harness.send("GET", "/admin/realms/renamed").bodyJSON["displayName"] == "Demo")
        #expect(harness.send("DELETE", "/admin/realms/renamed").status == 204)
        #expect(harness.realm("master").client(clientId: "renamed-realm") == nil)
        #expect(harness.send("GET", "/admin/realms/demo/nothing-here").bodyText == #"{"error":"Realm not found."}"#)
        #expect(harness.send("GET", "/admin/realms/master/nothing-here").bodyText == #"{"error":"HTTP 404 Not Found"}"#)
    }

    // §9.1: FAIL/SKIP/OVERWRITE, 409 text, parse errors are 500.
    @Test func partialImport() {
        let harness = AdminHarness()
        let path = "/admin/realms/master/partialImport"
        let added = harness.send(
            "POST", path, json: #"{"clients":[{"clientId":"imp","id":"imp-id"}],"clientScopes":[{"name":"ignored"}]}"#)
        #expect(
            added.bodyText
                == #"{"overwritten":0,"added":1,"skipped":0,"results":[{"action":"ADDED","resourceType":"CLIENT","resourceName":"imp","id":"imp-id"}]}"#
        )
        #expect(harness.realm("master").clientScope(name: "ignored") == nil)
        #expect(
            harness.send("POST", path, json: #"{"clients":[{"clientId":"imp"}]}"#).bodyText
                == #"{"errorMessage":"Client id 'imp' already exists"}"#)
        #expect(
            harness.send("POST", path, json: #"{"ifResourceExists":"SKIP","clients":[{"clientId":"imp"}]}"#).bodyJSON["skipped"]
                == 1)
        let overwritten = harness.send("POST", path, json: #"{"ifResourceExists":"OVERWRITE","clients":[{"clientId":"imp"}]}"#)
        #expect(overwritten.bodyJSON["overwritten"] == 1)
        #expect(harness.realm("master").client(clientId: "imp")?.id != "imp-id")
        #expect(harness.send("POST", path, json: "{").status == 500)
        #expect(
            harness.send("POST", path, json: #"{"ifResourceExists":"fail"}"#).bodyText
                == #"{"error":"unknown_error","error_description":"Cannot parse the JSON"}"#)
    }

    // §9.2: secrets masked, plain application/json.
    @Test func partialExport() {
        let harness = AdminHarness()
        _ = harness.createClient("master", #"{"clientId":"exp","secret":"hidden"}"#)
        let response = harness.send("POST", "/admin/realms/master/partial-export?exportClients=true")
        #expect(response.status == 200)
        #expect(response.firstHeader("Content-Type") == "application/json")
        #expect(!response.bodyText.contains("hidden"))
        let client = response.bodyJSON["clients"]?.arrayValue?.first { $0["clientId"] == "exp" }
        #expect(client?["secret"] == "**********")
        #expect(response.bodyJSON["roles"] == nil)
    }
}
