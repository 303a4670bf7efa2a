// Groups (GroupRoutes.swift, after Keycloak 26's GroupsResource/GroupResource): the tree, sub-groups,
// members, role mappings, counts, paging and the admin roles each route checks. Found missing by
// python-keycloak's test_groups, test_user_groups_pagination and test_realm_roles.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

extension AdminHarness {
    /// A harness over an existing store with other features (FGAP v1).
    init(context: SandboxContext, admin: AdminCaller) {
        self.context = context
        self.admin = admin
    }
}

private struct GroupFixture {
    let harness = AdminHarness()
    init() { harness.createRealm("demo") }

    /// Creates a group (top level, or under `parent`) and returns its id from Location.
    func group(_ name: String, parent: String? = nil, as caller: AdminCaller? = nil) -> String {
        let path = parent.map { "/admin/realms/demo/groups/\($0)/children" } ?? "/admin/realms/demo/groups"
        let response = harness.send("POST", path, json: #"{"name":"\#(name)"}"#, as: caller)
        #expect(response.status == 201)
        #expect(response.location.hasPrefix("http://127.0.0.1:8080/admin/realms/demo/groups/"))
        return String(response.location.split(separator: "/").last!)
    }

    func user(_ username: String, roles: [String] = []) -> String {
        let created = harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"\#(username)","enabled":true}"#)
        let id = String(created.location.split(separator: "/").last!)
        if !roles.isEmpty {
            let management = harness.realm("demo").client(clientId: "realm-management")!
            let body = "[" + roles.map { #"{"id":"\#(management.role(name: $0)!.id)"}"# }.joined(separator: ",") + "]"
            #expect(
                harness.send("POST", "/admin/realms/demo/users/\(id)/role-mappings/clients/\(management.id)", json: body).status
                    == 204)
        }
        return id
    }

    func caller(_ username: String, _ roles: [String]) -> AdminCaller {
        AdminCaller(realmName: "demo", userId: user(username, roles: roles))
    }
}

@Suite struct AdminGroupTests {
    @Test func treeChildrenPathsAndCounts() {
        let fixture = GroupFixture()
        let main = fixture.group("main-group")
        let sub1 = fixture.group("subgroup-1", parent: main)
        let sub2 = fixture.group("subgroup-2", parent: main)
        let deep = fixture.group("subsubgroup-1", parent: sub2)

        // GET /groups: top level only, brief, with subGroupCount and an empty subGroups list.
        let list = fixture.harness.send("GET", "/admin/realms/demo/groups")
        #expect(list.status == 200)
        #expect(list.bodyJSON.arrayValue?.count == 1)
        let top = list.bodyJSON[0]!
        #expect(top["id"]?.stringValue == main)
        #expect(top["path"]?.stringValue == "/main-group")
        #expect(top["subGroupCount"]?.intValue == 2)
        #expect(top["subGroups"]?.arrayValue?.isEmpty == true)
        #expect(top["attributes"] == nil)
        #expect(top["access"]?["manage"]?.boolValue == true)

        // Single group: full representation with parentId.
        let single = fixture.harness.send("GET", "/admin/realms/demo/groups/\(sub1)").bodyJSON
        #expect(single["path"]?.stringValue == "/main-group/subgroup-1")
        #expect(single["parentId"]?.stringValue == main)
        #expect(single["realmRoles"]?.arrayValue?.isEmpty == true)
        #expect(single["attributes"]?.objectValue?.isEmpty == true)

        // Children sorted by name, paged; counts; group-by-path with its sub-tree.
        let children = fixture.harness.send("GET", "/admin/realms/demo/groups/\(main)/children?max=1").bodyJSON.arrayValue ?? []
        #expect(children.map { $0["name"]?.stringValue } == ["subgroup-1"])
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups/count").bodyText == #"{"count":4}"#)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups/count?top=true").bodyText == #"{"count":1}"#)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups/count?search=notpresent").bodyText == #"{"count":0}"#)
        let byPath = fixture.harness.send("GET", "/admin/realms/demo/group-by-path/main-group/subgroup-2")
        #expect(byPath.bodyJSON["id"]?.stringValue == sub2)
        #expect(byPath.bodyJSON["subGroups"]?[0]?["id"]?.stringValue == deep)
        let missingPath = fixture.harness.send("GET", "/admin/realms/demo/group-by-path/main-group/subgroup-2/nope")
        #expect(missingPath.status == 404)
        #expect(missingPath.bodyText == #"{"error":"Group path does not exist"}"#)

        // search populates the branch down to the match.
        let searched = fixture.harness.send("GET", "/admin/realms/demo/groups?search=subsub").bodyJSON
        #expect(searched[0]?["subGroups"]?[0]?["id"]?.stringValue == sub2)
        #expect(searched[0]?["subGroups"]?[0]?["subGroups"]?[0]?["id"]?.stringValue == deep)
        #expect(searched[0]?["subGroups"]?.arrayValue?.count == 1)

        // Deleting the top group removes the sub-tree.
        #expect(fixture.harness.send("DELETE", "/admin/realms/demo/groups/\(main)").status == 204)
        #expect(fixture.harness.realm("demo").groups.isEmpty)
    }

    @Test func keycloaksErrorsForGroups() {
        let fixture = GroupFixture()
        let main = fixture.group("main-group")
        _ = fixture.group("child", parent: main)
        let notFound = #"{"error":"Could not find group by id"}"#
        for (method, path) in [
            ("GET", "does-not-exist"), ("PUT", "does-not-exist"), ("DELETE", "does-not-exist"), ("GET", "does-not-exist/members"),
        ] {
            let response = fixture.harness.send(method, "/admin/realms/demo/groups/\(path)", json: method == "PUT" ? "{}" : nil)
            #expect(response.status == 404)
            #expect(response.bodyText == notFound)
        }
        let topDuplicate = fixture.harness.send("POST", "/admin/realms/demo/groups", json: #"{"name":"main-group"}"#)
        #expect(topDuplicate.status == 409)
        #expect(topDuplicate.bodyText == #"{"errorMessage":"Top level group named 'main-group' already exists."}"#)
        let siblingDuplicate = fixture.harness.send(
            "POST", "/admin/realms/demo/groups/\(main)/children", json: #"{"name":"child"}"#)
        #expect(siblingDuplicate.status == 409)
        #expect(siblingDuplicate.bodyText == #"{"errorMessage":"Sibling group named 'child' already exists."}"#)
        let noName = fixture.harness.send("POST", "/admin/realms/demo/groups", json: #"{"name":" "}"#)
        #expect(noName.status == 400)
        #expect(noName.bodyText == #"{"errorMessage":"Group name is missing"}"#)
        #expect(fixture.harness.realm("demo").groups.count == 2)
    }

    @Test func membersRoleMappingsAndEffectiveRoles() {
        let fixture = GroupFixture()
        let group = fixture.group("staff")
        let child = fixture.group("team", parent: group)
        let alice = fixture.user("alice")
        #expect(fixture.harness.send("PUT", "/admin/realms/demo/users/\(alice)/groups/\(child)").status == 204)
        let missingGroup = fixture.harness.send("PUT", "/admin/realms/demo/users/\(alice)/groups/nope")
        #expect(missingGroup.status == 404)
        #expect(missingGroup.bodyText == #"{"error":"Group not found"}"#)

        let members = fixture.harness.send("GET", "/admin/realms/demo/groups/\(child)/members").bodyJSON.arrayValue ?? []
        #expect(members.map { $0["username"]?.stringValue } == ["alice"])
        let userGroups = fixture.harness.send("GET", "/admin/realms/demo/users/\(alice)/groups").bodyJSON.arrayValue ?? []
        #expect(userGroups.map { $0["path"]?.stringValue } == ["/staff/team"])
        #expect(fixture.harness.send("GET", "/admin/realms/demo/users/\(alice)/groups/count").bodyText == #"{"count":1}"#)

        // A role mapped on the parent group reaches the member through the child (composite view).
        let role = fixture.harness.send("POST", "/admin/realms/demo/roles", json: #"{"name":"staff-role"}"#)
        #expect(role.status == 201)
        let roleId = fixture.harness.realm("demo").realmRole(name: "staff-role")!.id
        #expect(
            fixture.harness.send(
                "POST", "/admin/realms/demo/groups/\(group)/role-mappings/realm",
                json: #"[{"id":"\#(roleId)","name":"staff-role"}]"#
            ).status == 204)
        let groupRoles =
            fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)/role-mappings/realm").bodyJSON.arrayValue ?? []
        #expect(groupRoles.map { $0["name"]?.stringValue } == ["staff-role"])
        let composite =
            fixture.harness.send("GET", "/admin/realms/demo/users/\(alice)/role-mappings/realm/composite").bodyJSON.arrayValue
            ?? []
        #expect(composite.contains { $0["name"]?.stringValue == "staff-role" })
        let realm = fixture.harness.realm("demo")
        #expect(realm.effectiveRoleIds(of: realm.user(id: alice)!).contains(roleId))
        let roleGroups = fixture.harness.send("GET", "/admin/realms/demo/roles/staff-role/groups").bodyJSON.arrayValue ?? []
        #expect(roleGroups.map { $0["id"]?.stringValue } == [group])

        // An unknown client in a group's client mappings: ClientRoleMappingsResource's message.
        let badClient = fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)/role-mappings/clients/bad")
        #expect(badClient.status == 404)
        #expect(badClient.bodyText == #"{"error":"Client not found"}"#)

        #expect(fixture.harness.send("DELETE", "/admin/realms/demo/users/\(alice)/groups/\(child)").status == 204)
        #expect(fixture.harness.realm("demo").group(id: child)?.memberIds.isEmpty == true)

        // Deleting a user ends its memberships.
        let bob = fixture.user("bob")
        #expect(fixture.harness.send("PUT", "/admin/realms/demo/users/\(bob)/groups/\(group)").status == 204)
        #expect(fixture.harness.realm("demo").group(id: group)?.memberIds == [bob])
        #expect(fixture.harness.send("DELETE", "/admin/realms/demo/users/\(bob)").status == 204)
        #expect(fixture.harness.realm("demo").group(id: group)?.memberIds.isEmpty == true)
    }

    @Test func userGroupsPageWithNegativeBoundsAndEmptySearch() {
        let fixture = GroupFixture()
        let alice = fixture.user("alice")
        for index in 0..<15 {
            let id = fixture.group("group_\(index)")
            #expect(fixture.harness.send("PUT", "/admin/realms/demo/users/\(alice)/groups/\(id)").status == 204)
        }
        let rest = fixture.harness.send("GET", "/admin/realms/demo/users/\(alice)/groups?first=10&max=-1&search=")
        #expect(rest.bodyJSON.arrayValue?.count == 5)
        let firstTwenty = fixture.harness.send("GET", "/admin/realms/demo/users/\(alice)/groups?first=-1&max=4&search=")
        #expect(firstTwenty.bodyJSON.arrayValue?.count == 4)
    }

    // GroupPermissions: listing needs query-groups (or view-users), reading view-users, writing manage-users.
    @Test func adminRolesEachGroupRouteChecks() {
        let fixture = GroupFixture()
        let group = fixture.group("staff")
        let forbidden = #"{"error":"HTTP 403 Forbidden"}"#
        let querier = fixture.caller("querier", ["query-groups"])
        let viewer = fixture.caller("viewer", ["view-users"])
        let nobody = fixture.caller("nobody", [])

        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups", as: querier).status == 200)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups", as: nobody).bodyText == forbidden)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)", as: querier).status == 403)
        #expect(fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)", as: viewer).status == 200)
        let viewerAccess = fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)", as: viewer).bodyJSON["access"]
        #expect(viewerAccess?["manage"]?.boolValue == false)
        #expect(viewerAccess?["view"]?.boolValue == true)

        for response in [
            fixture.harness.send("POST", "/admin/realms/demo/groups", json: #"{"name":"x"}"#, as: viewer),
            fixture.harness.send("PUT", "/admin/realms/demo/groups/\(group)", json: #"{"name":"renamed"}"#, as: viewer),
            fixture.harness.send("DELETE", "/admin/realms/demo/groups/\(group)", as: viewer),
            fixture.harness.send("PUT", "/admin/realms/demo/users/\(viewer.userId)/groups/\(group)", as: viewer),
        ] {
            #expect(response.status == 403)
            #expect(response.bodyText == forbidden)
        }
        let realm = fixture.harness.realm("demo")
        #expect(realm.groups.map(\.name) == ["staff"])
        #expect(realm.groups[0].memberIds.isEmpty)
    }

    @Test func managementPermissionsNeedFGAPv1AndABoolean() {
        let fixture = GroupFixture()
        let group = fixture.group("staff")
        let off = fixture.harness.send("GET", "/admin/realms/demo/groups/\(group)/management/permissions")
        #expect(off.status == 501)

        let store = fixture.harness.context.store
        let context = SandboxContext(
            store: store, features: try! FeatureSet(featuresOption: "admin-fine-grained-authz:v1"),
            baseURL: "http://127.0.0.1:8080", clock: { 1_700_000_000 })
        let harness = AdminHarness(context: context, admin: fixture.harness.admin)
        let enabled = harness.send("PUT", "/admin/realms/demo/groups/\(group)/management/permissions", json: #"{"enabled":true}"#)
        #expect(enabled.status == 200)
        #expect(enabled.bodyJSON["enabled"]?.boolValue == true)
        #expect(
            enabled.bodyJSON["scopePermissions"]?.objectValue?.keys == [
                "view", "manage", "view-members", "manage-members", "manage-membership",
            ])
        let bad = harness.send("PUT", "/admin/realms/demo/groups/\(group)/management/permissions", json: #"{"enabled":"blah"}"#)
        #expect(bad.status == 400)
        #expect(bad.bodyJSON["error"]?.stringValue == "unknown_error")
        let disabled = harness.send(
            "PUT", "/admin/realms/demo/groups/\(group)/management/permissions", json: #"{"enabled":false}"#)
        #expect(disabled.bodyText == #"{"enabled":false}"#)
    }
}
