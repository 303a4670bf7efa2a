// Who may hand out which role (RoleGrants.swift, after Keycloak's RolePermissions): composites by
// name and by id, user role mappings, client and client-scope scope mappings. Every refusal is
// `403 {"error":"HTTP 403 Forbidden"}` and leaves the store as it was.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

/// Realm `demo` with users holding chosen `realm-management` roles.
private struct GrantFixture {
    let harness = AdminHarness()
    let forbidden = #"{"error":"HTTP 403 Forbidden"}"#

    init() { harness.createRealm("demo") }

    var realm: Realm { harness.realm("demo") }
    var management: Client { realm.client(clientId: "realm-management")! }
    func adminRole(_ name: String) -> Role { management.role(name: name)! }

    /// A `demo` user mapped (by the master admin) to the named `realm-management` roles.
    func caller(_ username: String, _ roles: [String]) -> AdminCaller {
        let created = harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"\#(username)","enabled":true}"#)
        let id = String(created.location.split(separator: "/").last!)
        if !roles.isEmpty {
            let mapped = harness.send(
                "POST", "/admin/realms/demo/users/\(id)/role-mappings/clients/\(management.id)", json: body(roles.map(adminRole)))
            #expect(mapped.status == 204)
        }
        return AdminCaller(realmName: "demo", userId: id)
    }

    func body(_ roles: [Role]) -> String {
        "[" + roles.map { #"{"id":"\#($0.id)","name":"\#($0.name)"}"# }.joined(separator: ",") + "]"
    }

    func names(_ ids: [String]) -> Set<String> { Set(ids.compactMap { realm.role(id: $0)?.name }) }
}

@Suite struct AdminRoleGrantTests {
    // RoleContainerResource.addComposites → RoleResource.addComposites: requireManage(container), then
    // requireMapComposite per composite (canMapComposite → checkAdminRoles).
    @Test func clientRoleCompositesByNameNeedTheAdminRolesGranted() {
        let fixture = GrantFixture()
        let mallory = fixture.caller("mallory", ["manage-clients"])
        let management = fixture.management
        let realmAdmin = fixture.adminRole("realm-admin")
        let composites = "/admin/realms/demo/clients/\(management.id)/roles/manage-clients/composites"

        // The reported escalation: realm-admin inside the role the caller holds.
        let escalation = fixture.harness.send("POST", composites, json: fixture.body([realmAdmin]), as: mallory)
        #expect(escalation.status == 403)
        #expect(escalation.bodyText == fixture.forbidden)
        #expect(fixture.adminRole("manage-clients").compositeIds.isEmpty)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/users", as: mallory).status == 403)

        // A role of a client the caller created: admin roles it lacks are refused, one batch at a time.
        let app = fixture.harness.send("POST", "/admin/realms/demo/clients", json: #"{"clientId":"app"}"#, as: mallory)
        let appId = String(app.location.split(separator: "/").last!)
        #expect(
            fixture.harness.send("POST", "/admin/realms/demo/clients/\(appId)/roles", json: #"{"name":"app-role"}"#, as: mallory)
                .status == 201)
        #expect(
            fixture.harness.send("POST", "/admin/realms/demo/clients/\(appId)/roles", json: #"{"name":"plain"}"#, as: mallory)
                .status == 201)
        let appComposites = "/admin/realms/demo/clients/\(appId)/roles/app-role/composites"
        let plain = fixture.realm.client(id: appId)!.role(name: "plain")!
        for name in ["realm-admin", "manage-users", "view-users", "manage-realm", "view-realm", "impersonation", "manage-events"]
        {
            let refused = fixture.harness.send(
                "POST", appComposites, json: fixture.body([plain, fixture.adminRole(name)]), as: mallory)
            #expect(refused.bodyText == fixture.forbidden, "\(name)")
        }
        #expect(fixture.realm.client(id: appId)!.role(name: "app-role")!.compositeIds.isEmpty)
        // Held (manage-clients), implied by it (view-clients, create-client), query roles, plain roles: allowed.
        let allowed =
            ["manage-clients", "view-clients", "create-client", "query-users", "query-realms"].map(fixture.adminRole) + [plain]
        #expect(fixture.harness.send("POST", appComposites, json: fixture.body(allowed), as: mallory).status == 204)
        #expect(
            fixture.names(fixture.realm.client(id: appId)!.role(name: "app-role")!.compositeIds)
                == ["manage-clients", "view-clients", "create-client", "query-users", "query-realms", "plain"])
        // Removing a composite checks only the container.
        #expect(fixture.harness.send("DELETE", appComposites, json: fixture.body([plain]), as: mallory).status == 204)

        // An unknown composite is a 404 before the permission check; the master admin may grant realm-admin.
        #expect(
            fixture.harness.send("POST", composites, json: #"[{"id":"nope"}]"#, as: mallory).bodyText
                == #"{"error":"Could not find composite role"}"#)
        #expect(fixture.harness.send("POST", appComposites, json: fixture.body([realmAdmin])).status == 204)
    }

    // Realm roles: requireManage(realm) = manage-realm on the parent; each composite needs
    // canManageDefault(composite) — manage-clients for a client role, even one the caller holds —
    // and then checkAdminRoles.
    @Test func realmRoleCompositesByNameNeedManageRealmAndTheAdminRolesGranted() {
        let fixture = GrantFixture()
        let mallory = fixture.caller("mallory", ["manage-clients"])
        let rita = fixture.caller("rita", ["manage-realm"])
        let rex = fixture.caller("rex", ["manage-realm", "manage-clients"])
        #expect(fixture.harness.send("POST", "/admin/realms/demo/roles", json: #"{"name":"team"}"#).status == 201)
        let composites = "/admin/realms/demo/roles/team/composites"
        let realmAdmin = fixture.adminRole("realm-admin")
        #expect(
            fixture.harness.send("POST", composites, json: fixture.body([realmAdmin]), as: mallory).bodyText == fixture.forbidden)
        #expect(
            fixture.harness.send(
                "POST", "/admin/realms/demo/roles/default-roles-demo/composites", json: fixture.body([realmAdmin]), as: mallory
            ).bodyText == fixture.forbidden)
        #expect(
            fixture.harness.send("POST", composites, json: fixture.body([fixture.adminRole("manage-realm")]), as: rita).bodyText
                == fixture.forbidden)
        #expect(
            fixture.harness.send(
                "POST", composites, json: fixture.body([fixture.realm.realmRole(name: "offline_access")!]), as: rita
            ).status == 204)
        for name in ["realm-admin", "manage-users", "view-users", "impersonation"] {
            #expect(
                fixture.harness.send("POST", composites, json: fixture.body([fixture.adminRole(name)]), as: rex).bodyText
                    == fixture.forbidden, "\(name)")
        }
        #expect(
            fixture.harness.send(
                "POST", composites,
                json: fixture.body(["manage-realm", "view-realm", "manage-clients", "query-users"].map(fixture.adminRole)),
                as: rex
            ).status == 204)
        #expect(
            fixture.names(fixture.realm.realmRole(name: "team")!.compositeIds) == [
                "offline_access", "manage-realm", "view-realm", "manage-clients", "query-users",
            ])
        #expect(fixture.realm.realmRole(name: "default-roles-demo")!.compositeIds.contains(realmAdmin.id) == false)
    }

    // RoleByIdResource: 404 `Could not find role with id` first, then requireView/requireManage(role),
    // then the same per-composite check.
    @Test func rolesByIdServeTheRoleAndItsCompositesWithTheSameChecks() {
        let fixture = GrantFixture()
        let mallory = fixture.caller("mallory", ["manage-clients"])
        let manageClients = fixture.adminRole("manage-clients")
        let realmAdmin = fixture.adminRole("realm-admin")
        let byId = "/admin/realms/demo/roles-by-id"
        #expect(fixture.harness.send("GET", "\(byId)/nope", as: mallory).bodyText == #"{"error":"Could not find role with id"}"#)
        #expect(
            fixture.harness.send("GET", "\(byId)/\(manageClients.id)/nothing", as: mallory).bodyText
                == #"{"error":"HTTP 404 Not Found"}"#)
        #expect(fixture.harness.send("GET", "\(byId)/\(manageClients.id)", as: mallory).bodyJSON["name"] == "manage-clients")
        let realmRole = fixture.realm.realmRole(name: "offline_access")!
        #expect(fixture.harness.send("GET", "\(byId)/\(realmRole.id)", as: mallory).bodyText == fixture.forbidden)
        #expect(
            fixture.harness.send("POST", "\(byId)/\(realmRole.id)/composites", json: fixture.body([manageClients]), as: mallory)
                .bodyText == fixture.forbidden)

        let escalation = fixture.harness.send(
            "POST", "\(byId)/\(manageClients.id)/composites", json: fixture.body([realmAdmin]), as: mallory)
        #expect(escalation.status == 403)
        #expect(escalation.bodyText == fixture.forbidden)
        #expect(fixture.adminRole("manage-clients").compositeIds.isEmpty)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/users", as: mallory).status == 403)

        let queryUsers = fixture.adminRole("query-users")
        #expect(
            fixture.harness.send("POST", "\(byId)/\(manageClients.id)/composites", json: fixture.body([queryUsers]), as: mallory)
                .status == 204)
        #expect(
            fixture.harness.send("GET", "\(byId)/\(manageClients.id)/composites", as: mallory).bodyJSON.arrayValue?.compactMap {
                $0["name"]?.stringValue
            } == ["query-users"])
        #expect(
            fixture.harness.send(
                "DELETE", "\(byId)/\(manageClients.id)/composites", json: fixture.body([queryUsers]), as: mallory
            ).status == 204)
        #expect(fixture.adminRole("manage-clients").compositeIds.isEmpty)
        #expect(
            fixture.harness.send("PUT", "\(byId)/\(manageClients.id)", json: #"{"description":"changed"}"#, as: mallory).status
                == 204)
        #expect(fixture.adminRole("manage-clients").description == "changed")
        // The master admin holds master's admin role: realm-admin may be granted.
        #expect(
            fixture.harness.send("POST", "\(byId)/\(realmRole.id)/composites", json: fixture.body([realmAdmin])).status == 204)
    }

    // RoleMapperResource / ClientRoleMappingsResource: manage-users, then requireMapRole per role on
    // POST and DELETE (canMapRole → checkAdminRoles); `available` lists only mappable roles.
    @Test func userRoleMappingsNeedManageUsersAndTheAdminRolesGranted() {
        let fixture = GrantFixture()
        let mallory = fixture.caller("mallory", ["manage-clients"])
        let uma = fixture.caller("uma", ["manage-users"])
        let target = fixture.caller("target", [])
        let mappings = "/admin/realms/demo/users/\(target.userId)/role-mappings/clients/\(fixture.management.id)"
        let realmAdmin = fixture.adminRole("realm-admin")
        #expect(
            fixture.harness.send("POST", mappings, json: fixture.body([realmAdmin]), as: mallory).bodyText == fixture.forbidden)
        #expect(
            fixture.harness.send(
                "POST", "/admin/realms/demo/users/\(mallory.userId)/role-mappings/clients/\(fixture.management.id)",
                json: fixture.body([realmAdmin]), as: mallory
            ).bodyText == fixture.forbidden)
        for name in ["realm-admin", "manage-clients", "view-clients", "manage-realm", "impersonation"] {
            #expect(
                fixture.harness.send("POST", mappings, json: fixture.body([fixture.adminRole(name)]), as: uma).bodyText
                    == fixture.forbidden, "\(name)")
        }
        #expect(fixture.realm.user(id: target.userId)!.roleIds.count == 1)  // default-roles-demo only
        #expect(
            fixture.harness.send(
                "POST", mappings, json: fixture.body(["manage-users", "view-users", "query-clients"].map(fixture.adminRole)),
                as: uma
            ).status == 204)
        #expect(
            fixture.names(fixture.realm.user(id: target.userId)!.roleIds) == [
                "default-roles-demo", "manage-users", "view-users", "query-clients",
            ])
        let available = fixture.harness.send("GET", "\(mappings)/available", as: uma).bodyJSON.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(Set(available ?? []) == ["query-groups", "query-realms", "query-users"])

        // Removing an admin role the caller lacks is refused too.
        #expect(fixture.harness.send("POST", mappings, json: fixture.body([realmAdmin])).status == 204)
        #expect(fixture.harness.send("DELETE", mappings, json: fixture.body([realmAdmin]), as: uma).bodyText == fixture.forbidden)
        #expect(fixture.realm.user(id: target.userId)!.roleIds.contains(realmAdmin.id))
        #expect(
            fixture.harness.send("DELETE", mappings, json: fixture.body([fixture.adminRole("query-clients")]), as: uma).status
                == 204)
    }

    // checkAdminRoles outside the managed realm's realm-management: in master, master's realm roles
    // with admin names and the `<realm>-realm` clients' roles are refused unless held.
    @Test func masterAdminRolesAreGrantedOnlyByTheirHolders() {
        let fixture = GrantFixture()
        let harness = fixture.harness
        let master = harness.realm("master")
        let masterRealm = master.client(clientId: "master-realm")!
        let created = harness.send("POST", "/admin/realms/master/users", json: #"{"username":"helper","enabled":true}"#)
        let helperId = String(created.location.split(separator: "/").last!)
        let manageUsers = masterRealm.role(name: "manage-users")!
        let mapping = "/admin/realms/master/users/\(helperId)/role-mappings"
        #expect(harness.send("POST", "\(mapping)/clients/\(masterRealm.id)", json: fixture.body([manageUsers])).status == 204)
        let helper = AdminCaller(realmName: "master", userId: helperId)
        let admin = master.realmRole(name: "admin")!
        let createRealm = master.realmRole(name: "create-realm")!
        let demoRealm = master.client(clientId: "demo-realm")!
        #expect(harness.send("POST", "\(mapping)/realm", json: fixture.body([admin]), as: helper).bodyText == fixture.forbidden)
        #expect(
            harness.send("POST", "\(mapping)/realm", json: fixture.body([createRealm]), as: helper).bodyText == fixture.forbidden)
        #expect(
            harness.send(
                "POST", "\(mapping)/clients/\(demoRealm.id)", json: fixture.body([demoRealm.role(name: "query-users")!]),
                as: helper
            ).bodyText == fixture.forbidden)
        #expect(
            harness.send(
                "POST", "\(mapping)/clients/\(masterRealm.id)", json: fixture.body([masterRealm.role(name: "query-users")!]),
                as: helper
            ).status == 204)
        #expect(
            harness.send("POST", "\(mapping)/realm", json: fixture.body([master.realmRole(name: "offline_access")!]), as: helper)
                .status == 204)
        #expect(harness.send("POST", "\(mapping)/realm", json: fixture.body([admin])).status == 204)
    }

    // ScopeMappedResource / ScopeMappedClientResource: canMapClientScope is manage-clients alone (a scope
    // mapping grants nothing), so Keycloak answers 204 even for realm-admin; the caller gains nothing.
    @Test func scopeMappingsNeedManageClientsOnlyAndGrantNothing() {
        let fixture = GrantFixture()
        let mallory = fixture.caller("mallory", ["manage-clients"])
        let viewer = fixture.caller("viewer", ["view-clients"])
        let realmAdmin = fixture.adminRole("realm-admin")
        let app = fixture.harness.send("POST", "/admin/realms/demo/clients", json: #"{"clientId":"app"}"#, as: mallory)
        let appId = String(app.location.split(separator: "/").last!)
        let scopeMappings = "/admin/realms/demo/clients/\(appId)/scope-mappings/clients/\(fixture.management.id)"
        #expect(
            fixture.harness.send("POST", scopeMappings, json: fixture.body([realmAdmin]), as: viewer).bodyText
                == fixture.forbidden)
        #expect(fixture.harness.send("POST", scopeMappings, json: fixture.body([realmAdmin]), as: mallory).status == 204)
        #expect(fixture.realm.client(id: appId)!.scopeMappingRoleIds == [realmAdmin.id])
        let scope = fixture.realm.clientScopes.first { $0.name == "profile" }!
        let scopeScopeMappings = "/admin/realms/demo/client-scopes/\(scope.id)/scope-mappings/clients/\(fixture.management.id)"
        #expect(fixture.harness.send("POST", scopeScopeMappings, json: fixture.body([realmAdmin]), as: mallory).status == 204)
        let available = fixture.harness.send("GET", "\(scopeMappings)/available", as: mallory).bodyJSON.arrayValue ?? []
        #expect(available.count == fixture.management.roles.count - 1)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/users", as: mallory).bodyText == fixture.forbidden)
        #expect(fixture.realm.user(id: mallory.userId)!.roleIds.contains(realmAdmin.id) == false)
    }
}
