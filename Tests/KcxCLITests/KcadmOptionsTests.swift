// The pure parse steps of kcadm's role commands, set-password and config truststore: the typed
// options each command line becomes, and every usage error, checked without a server or a session.
import Foundation
@testable import KcxCLI
import KeycloakKit
import Testing

@Suite("kcadm commands' typed options")
struct KcadmOptionsTests {
    static func invocation(_ arguments: [String]) throws -> Invocation {
        guard case .run(let invocation) = try Router(commands: CommandTable.all).route(arguments) else {
            throw KcxError.usage("not a command: \(arguments)")
        }
        return invocation
    }

    static func roles(_ arguments: [String]) throws -> RoleCommands.RoleOptions {
        let command: RoleCommands.RoleOptions.Command =
            arguments[0] == "get-roles" ? .get : arguments[0] == "add-roles" ? .add : .remove
        return try RoleCommands.RoleOptions.parse(invocation(arguments), command)
    }

    static func message(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as KcxError {
            #expect(error.code == .usage, "\(error)")
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("command lines become typed options")
    func parsed() throws {
        let add = try Self.roles([
            "add-roles", "-r", "demo", "--gpath", "/staff/ops", "--cclientid", "api", "--rolename", "a", "--roleid", "7",
            "--rolename", "b",
        ])
        #expect(
            add
                == RoleCommands.RoleOptions(
                    realm: "demo", target: .group(.path("/staff/ops")), client: .name("api"),
                    roles: [.name("a"), .name("b"), .id("7")]))
        let get = try Self.roles([
            "get-roles", "--uid", "u1", "--cid", "c1", "--effective", "-F", "name", "--format", "csv", "--noquotes",
        ])
        #expect(get.target == .user(.id("u1")) && get.client == .id("c1") && get.view == .effective)
        #expect(get.output.format == .csv && get.output.noQuotes && get.output.fields != nil)
        // kcadm: with --available and --effective, --available wins.
        #expect(try Self.roles(["get-roles", "--gname", "g", "--available", "--effective"]).view == .available)
        #expect(try Self.roles(["get-roles", "--rname", "power", "--all"]).target == .composite(.name("power")))
        #expect(try Self.roles(["get-roles"]).target == .none)

        let password = try RoleCommands.PasswordOptions.parse(
            Self.invocation(["set-password", "-r", "demo", "--username", "alice", "-t"]))
        #expect(password == RoleCommands.PasswordOptions(realm: "demo", user: .name("alice"), password: nil, temporary: true))
        #expect(
            try Truststore.parse(Self.invocation(["config", "truststore", "ca.p12", "--trustpass", "-"]))
                == .trust(file: "ca.p12"))
        #expect(try Truststore.parse(Self.invocation(["config", "truststore", "--delete"])) == .delete)
    }

    static let roleErrors: [([String], String)] = [
        (["add-roles", "--uid", "1", "--uusername", "a", "--rolename", "r"], "options --uid and --uusername exclude each other"),
        (["add-roles", "--gid", "1", "--gname", "g", "--rolename", "r"], "options --gid and --gname exclude each other"),
        (["remove-roles", "--gname", "g", "--gpath", "/g", "--rolename", "r"], "options --gname and --gpath exclude each other"),
        (
            ["add-roles", "--uusername", "a", "--cid", "1", "--cclientid", "c", "--rolename", "r"],
            "options --cid and --cclientid exclude each other"
        ),
        (["get-roles", "--rid", "1", "--rname", "p"], "options --rid and --rname exclude each other"),
        (
            ["add-roles", "--uusername", "a", "--gname", "g", "--rolename", "r"],
            "give one target: a user (--uusername/--uid), a group (--gname/--gpath/--gid) or a composite role (--rname/--rid)"
        ),
        (
            ["get-roles", "--gid", "1", "--rname", "p"],
            "give one target: a user (--uusername/--uid), a group (--gname/--gpath/--gid) or a composite role (--rname/--rid)"
        ),
        (["add-roles", "--uusername", "a"], "no role given: use --rolename NAME or --roleid ID (repeatable)"),
        (["remove-roles", "--rolename", "r"], "no target: give --uusername/--uid, --gname/--gpath/--gid or --rname/--rid"),
        (["add-roles", "--uusername", "", "--rolename", "r"], "--uusername is empty"),
        (["add-roles", "--gpath", "", "--rolename", "r"], "--gpath is empty"),
        (["add-roles", "--uusername", "a", "--rolename", ""], "a role name or id is empty"),
        (["get-roles", "--uusername", "a", "--all", "--effective"], "options --all and --effective exclude each other"),
        (["get-roles", "--gname", "g", "--all", "--available"], "options --all and --available exclude each other"),
        (["get-roles", "--rname", "p", "--effective"], "--effective does not apply to a composite role"),
        (["get-roles", "--rid", "1", "--available"], "--available does not apply to a composite role"),
        (["get-roles", "--rolename", "a", "--roleid", "1"], "options --rolename and --roleid exclude each other"),
    ]

    @Test("every usage error of get-roles, add-roles and remove-roles", arguments: roleErrors)
    func roleUsageErrors(_ arguments: [String], _ expected: String) {
        #expect(Self.message { try Self.roles(arguments) } == expected)
    }

    @Test("every usage error of set-password and config truststore")
    func otherUsageErrors() {
        let password: [([String], String)] = [
            (["set-password"], "no user: give --username NAME or --userid ID"),
            (["set-password", "--username", "a", "--userid", "1"], "options --userid and --username exclude each other"),
            (["set-password", "--username", ""], "--username is empty"),
            (["set-password", "--userid", "1", "--new-password", ""], "--new-password is empty"),
        ]
        for (arguments, expected) in password {
            #expect(
                Self.message { try RoleCommands.PasswordOptions.parse(Self.invocation(arguments)) } == expected, "\(arguments)")
        }
        let truststore: [([String], String)] = [
            (["config", "truststore"], "missing TRUSTSTORE file (or --delete)"),
            (["config", "truststore", ""], "TRUSTSTORE is empty"),
            (["config", "truststore", "a.p12", "--delete"], "--delete and a TRUSTSTORE file cannot be given together"),
            (["config", "truststore", "--delete", "--trustpass", "x"], "--trustpass and --delete cannot be given together"),
        ]
        for (arguments, expected) in truststore {
            #expect(Self.message { try Truststore.parse(Self.invocation(arguments)) } == expected, "\(arguments)")
        }
    }

    @Test("a usage error sends nothing and exits 2 (1 under kcadm.sh)", arguments: ["kcx", "kcadm.sh"])
    func usageErrorSendsNothing(_ name: String) throws {
        let world = try SessionWorld()
        try world.storeSession()
        #expect(
            Kcx.run(["get-roles", "--rname", "p", "--effective"], programName: name, context: world.context)
                == (name == "kcx" ? 2 : 1))
        #expect(world.transport.received.isEmpty)
        #expect(world.stderr.text.hasPrefix("error: --effective does not apply to a composite role\n"))
    }
    @Test("get-roles --rname NAME --all lists every composite (realm and client), as kcadm's /composites")
    func compositeAll() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/roles/power", json: #"{"id":"p1","name":"power"}"#)
        world.transport.expect(
            "GET", "http://kc/admin/realms/master/roles-by-id/p1/composites", json: #"[{"name":"auditor"},{"name":"reader"}]"#)
        #expect(world.run(["get-roles", "--rname", "power", "--all", "-F", "name", "--format", "csv", "--noquotes"]) == 0)
        #expect(world.stdout.text == "auditor\nreader\n")
        #expect(world.transport.remaining == 0)
    }
    @Test("config credentials: typed options and every usage error, before anything is read or sent")
    func credentials() throws {
        let parse = { (arguments: [String]) throws -> ConfigCommands.CredentialsOptions in
            try ConfigCommands.CredentialsOptions.parse(Self.invocation(["config", "credentials"] + arguments))
        }
        #expect(
            try parse(["--server", "http://kc/", "--realm", "master"])
                == .init(server: "http://kc", realm: "master", user: nil, client: nil))
        #expect(try parse(["--server", "http://kc", "--realm", "master"]).grant == nil)
        #expect(try parse(["--server", "http://kc", "--realm", "r", "--user", "u"]).grant == .password)
        #expect(
            try parse(["--server", "http://kc", "--realm", "r", "--client", "c", "--secret-stdin"]).grant == .clientCredentials)
        let hint =
            "usage: kcx config credentials --server URL --realm REALM (--user NAME | --client ID); see 'kcx config credentials --help'"
        let cases: [([String], String)] = [
            (
                ["--server", "http://kc", "--realm", "r", "--no-config"],
                "config credentials stores a session, so it cannot run with --no-config"
            ),
            (
                ["--server", "http://kc", "--realm", "r", "--token", "t"],
                "config credentials logs in itself, so it does not take --token"
            ),
            (["--realm", "r"], "missing --server URL"),
            (["--server", "kc.example.com", "--realm", "r"], "--server: 'kc.example.com' is not an http:// or https:// URL"),
            (["--server", "http://kc"], "missing --realm REALM"),
            (["--server", "http://kc", "--realm", ""], "missing --realm REALM"),
            (["--server", "http://kc", "--realm", "r", "--user", ""], "--user is empty"),
            (["--server", "http://kc", "--realm", "r", "--client", ""], "--client is empty"),
            (
                ["--server", "http://kc", "--realm", "r", "--password-stdin"],
                "say who logs in: --user NAME (password grant) or --client ID with a secret (client credentials)"
            ),
            (
                ["--server", "http://kc", "--realm", "r", "--user", "u", "--password-stdin", "--secret-stdin"],
                "--password-stdin and --secret-stdin cannot both read standard input"
            ),
            (
                ["--server", "http://kc", "--realm", "r", "--client", "c", "--password-file", "f"],
                "--password-* options need --user NAME; a client logs in with --secret-*"
            ),
            (
                ["--server", "http://kc", "--realm", "r", "--user", "u", "--password-stdin", "--password-file", "f"],
                "give only one of --password-stdin, --password-file"
            ),
            (
                ["--server", "http://kc", "--realm", "r", "--client", "c", "--secret-file", "f", "--secret", "s"],
                "give only one of --secret-file, --secret"
            ),
        ]
        for (arguments, expected) in cases {
            #expect(Self.message { try parse(arguments) } == expected, "\(arguments)")
        }
        #expect(throws: KcxError.usage("missing --server URL", hint: hint)) { try parse(["--realm", "r"]) }
    }
    @Test("under kcadm.sh get-roles alone lists the realm's roles (GetRolesCmd always has something to do)")
    func getRolesAloneLists() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/roles", json: #"[{"name":"user"}]"#)
        #expect(Kcx.run(["get-roles"], programName: "kcadm.sh", context: world.context) == 0)
        #expect(world.stdout.text == "[ {\n  \"name\" : \"user\"\n} ]")
        #expect(world.stderr.text == "\n")
    }
}
