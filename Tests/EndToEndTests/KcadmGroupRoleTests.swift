// kcadm's role commands on groups (--gname, --gpath, --gid), from kcadm's GetRolesCmd, AddRolesCmd,
// RemoveRolesCmd and GroupOperations: realm and client roles, by name and id, mapped, listed
// (--effective, --available, --all) and removed under both names, each change read back through
// the admin API (GroupResource's role-mappings, Keycloak's RoleMapperResource).
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct KcadmGroupRoleTests {
    let keycloak = TestKeycloak.shared

    func names(_ path: String) -> [String] {
        (keycloak.adminGetOrNil(path)?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
    }

    @Test(arguments: ["kcx", "kcadm.sh"])
    func groupTargets(_ name: String) throws {
        let shell = try KcadmShell()
        let realm = try keycloak.createRealm("kcgroups")
        func run(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
            try shell.run(name, arguments + ["-r", realm], stdin: stdin)
        }
        @discardableResult
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
            let result = try run(arguments)
            #expect(result.status == 0, "\(name) \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
            return result
        }
        let login = try shell.run(
            name, ["config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser],
            stdin: keycloak.adminPassword + "\n")
        #expect(login.status == 0, "\(login)")

        // Roles: power is a composite holding auditor; client api has reader and writer.
        for role in ["user", "auditor", "power"] { try ok(["create", "roles", "-s", "name=\(role)"]) }
        try ok(["add-roles", "--rname", "power", "--rolename", "auditor"])
        let apiId = try ok(["create", "clients", "-s", "clientId=api", "-i"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        for role in ["reader", "writer"] { try ok(["create", "clients/\(apiId)/roles", "-s", "name=\(role)"]) }
        let writerId = try #require(keycloak.adminGetOrNil("\(realm)/clients/\(apiId)/roles/writer")?["id"]?.stringValue)
        // Groups: staff, and staff/ops below it.
        let staffId = try ok(["create", "groups", "-s", "name=staff", "-i"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let opsId = try ok(["create", "groups/\(staffId)/children", "-s", "name=ops", "-i"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(!staffId.isEmpty && !opsId.isEmpty)

        // Realm roles by group name and by id; client roles by group path and by name with --cid/--roleid.
        try ok(["add-roles", "--gname", "staff", "--rolename", "user", "--rolename", "power"])
        try ok(["add-roles", "--gid", opsId, "--rolename", "auditor"])
        try ok(["add-roles", "--gpath", "/staff/ops", "--cclientid", "api", "--rolename", "reader"])
        try ok(["add-roles", "--gname", "staff", "--cid", apiId, "--roleid", writerId])
        #expect(names("\(realm)/groups/\(staffId)/role-mappings/realm") == ["power", "user"])
        #expect(names("\(realm)/groups/\(opsId)/role-mappings/realm") == ["auditor"])
        #expect(names("\(realm)/groups/\(opsId)/role-mappings/clients/\(apiId)") == ["reader"])
        #expect(names("\(realm)/groups/\(staffId)/role-mappings/clients/\(apiId)") == ["writer"])

        // get-roles: mapped, --effective (through power's composite), --available (Keycloak 26:
        // every role not mapped directly, so auditor, reached through power, is still listed),
        // client roles, --all.
        func csv(_ arguments: [String]) throws -> [String] {
            try ok(["get-roles"] + arguments + ["-F", "name", "--format", "csv", "--noquotes"]).stdout.split(separator: "\n").map(
                String.init
            ).sorted()
        }
        #expect(try csv(["--gname", "staff"]) == ["power", "user"])
        #expect(try csv(["--gid", staffId, "--effective"]) == ["auditor", "power", "user"])
        let realmRoles = names("\(realm)/roles")
        let available = try csv(["--gpath", "/staff", "--available"])
        #expect(available == realmRoles.filter { !["power", "user"].contains($0) }, "\(available) of \(realmRoles)")
        #expect(try csv(["--gpath", "/staff/ops", "--cclientid", "api"]) == ["reader"])
        #expect(try csv(["--gid", opsId, "--cclientid", "api", "--available"]) == ["writer"])
        #expect(try csv(["--gname", "staff", "--cid", apiId, "--effective"]) == ["writer"])
        let all = try #require(try ok(["get-roles", "--gname", "staff", "--all"]).json)
        #expect((all["realmMappings"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted() == ["power", "user"])
        #expect(all["clientMappings"]?["api"]?["mappings"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["writer"])

        // remove-roles by each kind of target.
        try ok(["remove-roles", "--gname", "staff", "--rolename", "power"])
        try ok(["remove-roles", "--gpath", "/staff/ops", "--cclientid", "api", "--rolename", "reader"])
        try ok(["remove-roles", "--gid", staffId, "--cid", apiId, "--roleid", writerId])
        #expect(names("\(realm)/groups/\(staffId)/role-mappings/realm") == ["user"])
        #expect(names("\(realm)/groups/\(opsId)/role-mappings/clients/\(apiId)") == [])
        #expect(names("\(realm)/groups/\(staffId)/role-mappings/clients/\(apiId)") == [])

        // Unknown groups and conflicting options: kcadm's exit 1 under kcadm.sh, kcx's codes under kcx; nothing changes.
        let noName = try run(["add-roles", "--gname", "nobody", "--rolename", "user"])
        #expect(noName.status == (name == "kcx" ? 3 : 1))
        #expect(noName.stderr == "error: group not found for name: nobody\n")
        let noPath = try run(["get-roles", "--gpath", "/staff/nobody"])
        #expect(noPath.status == (name == "kcx" ? 3 : 1), "\(noPath)")
        #expect(noPath.stdout == "")
        let both = try run(["add-roles", "--gname", "staff", "--gid", staffId, "--rolename", "auditor"])
        #expect(both.status == (name == "kcx" ? 2 : 1))
        #expect(both.stderr == "error: options --gid and --gname exclude each other\n")
        let userAndGroup = try run(["add-roles", "--gname", "staff", "--uusername", "x", "--rolename", "auditor"])
        #expect(userAndGroup.status == (name == "kcx" ? 2 : 1))
        #expect(
            userAndGroup.stderr
                == "error: give one target: a user (--uusername/--uid), a group (--gname/--gpath/--gid) or a composite role (--rname/--rid)\n"
        )
        #expect(names("\(realm)/groups/\(staffId)/role-mappings/realm") == ["user"])
    }
}
