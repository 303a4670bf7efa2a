// kcadm's --server on a request command without credentials (BaseAuthOptionsCmd.copyWithServerInfo,
// ConfigUtil.credentialsAvailable): the session stored for that server is used; for another server
// there is no token, so kcx refuses before sending anything. --token and one-time credentials work.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("kcadm's --server without credentials")
struct KcadmServerOptionTests {
    static let hint =
        "hint: log in for this command with --realm REALM and --user NAME (--password, a prompt or standard input) "
        + "or --client ID --secret SECRET, or give --token TOKEN\n"

    @Test("the stored session's own server: its token is used")
    func sameServerUsesSession() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") { request in
            #expect(request.header("Authorization") == "Bearer A1")
        }
        #expect(world.run(["get", "clients", "--server", "http://kc/"]) == 0)
        #expect(world.stderr.text == "")
        #expect(world.transport.remaining == 0)
    }

    @Test("another server: exit 4 (1 under kcadm.sh) naming both servers; nothing is sent", arguments: ["kcx", "kcadm.sh"])
    func otherServerIsRefused(_ name: String) throws {
        let world = try SessionWorld()
        try world.storeSession()
        for command in [
            ["get", "clients"], ["create", "roles", "-s", "name=x"], ["get-roles"],
            ["add-roles", "--uusername", "a", "--rolename", "r"],
        ] {
            let before = world.stderr.text
            #expect(
                Kcx.run(command + ["--server", "http://other:8080"], programName: name, context: world.context)
                    == (name == "kcx" ? 4 : 1))
            #expect(
                String(world.stderr.text.dropFirst(before.count))
                    == "error: no credentials for --server http://other:8080: the stored session is for http://kc\n" + Self.hint)
        }
        #expect(world.transport.received.isEmpty)
    }

    @Test("no stored session, and --no-config: refused the same way")
    func noSession() throws {
        let world = try SessionWorld()
        #expect(world.run(["get", "clients", "--server", "http://kc"]) == 4)
        #expect(
            world.stderr.text == "error: no credentials for --server http://kc: no session 'default' in \(world.configPath)\n"
                + Self.hint)
        try world.storeSession()
        let noConfig = try SessionWorld()
        #expect(noConfig.run(["get", "clients", "--server", "http://kc", "--no-config"]) == 4)
        #expect(
            noConfig.stderr.text == "error: no credentials for --server http://kc: --no-config keeps no session\n" + Self.hint)
        #expect(world.transport.received.isEmpty && noConfig.transport.received.isEmpty)
    }

    @Test("--server with --token uses the token against that server")
    func tokenStillWorks() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://other/admin/realms/master/clients", json: "[]") { request in
            #expect(request.header("Authorization") == "Bearer T0")
        }
        #expect(world.run(["get", "clients", "--server", "http://other", "--token", "T0"]) == 0)
    }
    @Test("-a/--admin-root: ENDPOINT relative to another admin root on the same server, as kcadm's composeAdminRoot")
    func adminRoot() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/auth/admin/realms/master/clients", json: "[]")
        world.transport.expect("GET", "http://kc/auth/admin/realms", json: "[]")
        world.transport.expect(
            "GET", "http://kc/auth/admin/realms/demo/users?username=a&exact=true", json: #"[{"id":"u1","username":"a"}]"#)
        world.transport.expect("GET", "http://kc/auth/admin/realms/demo/users/u1/role-mappings/realm", json: "[]")
        #expect(world.run(["get", "clients", "-a", "http://kc/auth/admin/"]) == 0)
        #expect(world.run(["get", "realms", "--admin-root", "http://kc/auth/admin"]) == 0)
        #expect(world.run(["get-roles", "-r", "demo", "--uusername", "a", "-a", "http://kc/auth/admin"]) == 0)
        #expect(world.transport.remaining == 0)
    }

    @Test("-a on another server, or not a URL: a usage error, nothing sent")
    func adminRootElsewhere() throws {
        let world = try SessionWorld()
        try world.storeSession()
        #expect(world.run(["get", "clients", "-a", "http://evil.example/admin"]) == 2)
        #expect(
            world.stderr.text
                == "error: --admin-root http://evil.example/admin is not on the session's server http://kc: it would receive your bearer token\n"
                + "hint: add --allow-other-host if you mean to send it there\n")
        let roles = try SessionWorld()
        try roles.storeSession()
        #expect(roles.run(["get-roles", "-a", "http://evil.example/admin"]) == 2)
        #expect(roles.stderr.text.hasSuffix("hint: give an admin root on http://kc\n"))
        let bad = try SessionWorld()
        try bad.storeSession()
        #expect(bad.run(["get", "clients", "-a", "kc/admin"]) == 2)
        #expect(
            bad.stderr.text == "error: --admin-root 'kc/admin' is not an http:// or https:// URL without user info\n"
                + "hint: e.g. -a http://localhost:8080/auth/admin\n")
        #expect(world.transport.received.isEmpty && roles.transport.received.isEmpty && bad.transport.received.isEmpty)
    }
}
