// `-s key=value` sends strings; Keycloak's Jackson binding reads "true" into a Boolean field and "600" into
// an Integer one, and refuses "yes" (recorded 26.7.1: golden/admin/users/create-enabled-wrong-type.http,
// 400 {"error":"unknown_error","error_description":"Cannot parse the JSON"}). The sandbox once stored the
// string, so `kcx create realms -s enabled=true` made a disabled realm whose logins failed with 403.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct ScalarBindingTests {
    @Test func stringScalarsFromSetBindToTheFieldTypes() throws {
        let keycloak = TestKeycloak.shared
        let env = try KcxEnvironment()
        try env.login(keycloak)
        let realm = "bind-\(UUID().uuidString.prefix(8).lowercased())"
        defer { _ = try? keycloak.adminSend("DELETE", realm) }

        let created = try env.kcx([
            "create", "realms", "-s", "realm=\(realm)", "-s", "enabled=true", "-s", "accessTokenLifespan=600",
        ])
        #expect(created.status == 0, "\(created)")
        let stored = try keycloak.adminGet(realm)
        #expect(stored.json?["enabled"] == true)
        #expect(stored.json?["accessTokenLifespan"] == 600)

        // The realm is usable: a client of it can log in (a disabled realm answers 403 "Realm not enabled").
        let client = try env.kcx([
            "create", "clients", "-r", realm, "-s", "clientId=svc", "-s", "secret=svc-secret-value", "-s",
            "serviceAccountsEnabled=true",
            "-s", "publicClient=false",
        ])
        #expect(client.status == 0, "\(client)")
        let token = try keycloak.request(
            "POST", "/realms/\(realm)/protocol/openid-connect/token",
            body: Data("grant_type=client_credentials&client_id=svc&client_secret=svc-secret-value".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(token.status == 200, "\(token.text)")

        // A value that is no Boolean is refused as Keycloak refuses it, and nothing is created.
        let refused = try env.kcx(["create", "users", "-r", realm, "-s", "username=u1", "-s", "enabled=yes"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr == "error: POST /admin/realms/\(realm)/users: 400 Cannot parse the JSON (unknown_error)\n")
        #expect(try keycloak.adminGet("\(realm)/users?username=u1&exact=true").json == [])
    }
}
