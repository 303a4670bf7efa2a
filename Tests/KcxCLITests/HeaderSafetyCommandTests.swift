// Headers and plain-http:// credentials through Kcx.run: a user's token with a control character is
// a usage error that sends nothing, a server's is a server error, and a password or client secret
// for another machine over plain http:// is warned about once per command (loopback and https stay quiet).
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("header safety in commands")
struct HeaderSafetyCommandTests {
    static let tokenHint =
        "hint: a token is one line of base64url text: check how it was read (a Windows line ending leaves a CR at its end)\n"

    @Test("KCX_TOKEN with CR LF: exit 2 naming KCX_TOKEN and the character, never the token; nothing sent, even with -v")
    func userTokenFromEnvironment() {
        for (token, name) in [
            ("abc\r\nX-Injected: yes", "CR"), ("abc\nX-Injected: yes", "LF"), ("abc\u{0}", "NUL"), ("abc\u{7F}", "DEL"),
        ] {
            let transport = ScriptedTransport([])
            let result = runKcx(["get", "realms", "-v"], transport: transport, environment: ["KCX_TOKEN": token])
            #expect(
                result
                    == RunResult(
                        status: 2, stdout: "",
                        stderr: "error: the token from KCX_TOKEN contains a control character (\(name))\n" + Self.tokenHint))
            #expect(transport.received.isEmpty)
        }
    }

    @Test("--token with LF: the argv warning, then exit 2 naming --token; nothing sent")
    func userTokenFromArgv() {
        let transport = ScriptedTransport([])
        let result = runKcx(["get", "clients", "--token", "abc\nX-Injected: yes"], transport: transport)
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "warning: --token on the command line is visible to other users and kept in shell history; use KCX_TOKEN\n"
                + "error: the token from --token contains a control character (LF)\n" + Self.tokenHint)
        #expect(!result.stderr.contains("X-Injected"))
        #expect(transport.received.isEmpty)
    }

    @Test("a token response whose access_token holds CR LF: exit 1, nothing stored, no further request")
    func hostileServerAtLogin() throws {
        let world = try SessionWorld()
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect(
            "POST", "https://kc/realms/master/protocol/openid-connect/token",
            json: #"{"access_token":"A1\r\nX-Injected: yes","expires_in":60,"refresh_token":"R1","refresh_expires_in":1800}"#)
        let status = world.run([
            "config", "credentials", "--server", "https://kc", "--realm", "master", "--user", "admin", "--password-stdin",
        ])
        #expect(status == 1)
        #expect(
            world.stderr.text == """
                error: POST /realms/master/protocol/openid-connect/token: the access_token in the answer contains a control character (CR)
                hint: no Keycloak sends such a token: check the server URL and what sits between kcx and the server; nothing was stored

                """)
        #expect(world.transport.remaining == 0 && world.transport.received.count == 1)
        #expect(!FileManager.default.fileExists(atPath: world.configPath))
    }

    @Test("a refresh answered with a token holding LF: exit 1, the old session is kept, the admin request is never sent")
    func hostileServerAtRefresh() throws {
        let world = try SessionWorld()
        try world.storeSession(accessExpiresIn: 5)
        world.transport.expect("POST", sessionTokenURL, json: sessionTokenJSON(#"A2\nX-Injected: yes"#, "R2"))
        #expect(world.run(["get", "clients"]) == 1)
        #expect(
            world.stderr.text.hasPrefix(
                "error: POST /realms/master/protocol/openid-connect/token: the access_token in the answer contains a control character (LF)\n"
            ))
        #expect(world.transport.received.count == 1)
        #expect(try world.store.session(named: "default")?.accessToken == "A1")
    }

    static let passwordWarning =
        "warning: sending the password over plain http:// to kc, where the network can read it; use https://\n"

    @Test("http:// to another machine: one warning although the command logs in twice (expired session, then a 401)")
    func oneWarningPerCommand() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.now = world.now.addingTimeInterval(3600)
        world.environment["KCX_PASSWORD"] = "pw"
        let form = "grant_type=password&client_id=admin-cli&username=admin&password=pw"
        world.transport.expect("POST", sessionTokenURL, body: form, json: sessionTokenJSON("A8", nil))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", status: 401)
        world.transport.expect("POST", sessionTokenURL, body: form, json: sessionTokenJSON("A9", nil))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer A9")
        }
        #expect(world.run(["get", "clients"]) == 0)
        #expect(world.transport.remaining == 0)
        #expect(world.stderr.text == Self.passwordWarning)
        // The next command warns again: once per command, not once ever.
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]")
        #expect(world.run(["get", "clients"]) == 0)
        #expect(world.stderr.text == Self.passwordWarning, "a fresh token sends no password, so no warning")
    }

    @Test("token get with a password and a client secret over http:// to another host: one warning naming both")
    func tokenGetNamesBoth() throws {
        let world = try SessionWorld()
        world.input = SessionInput(piped: "pw\n")
        world.environment["KCX_CLIENT_SECRET"] = "cs"
        world.transport.expect(
            "POST", "http://SSO.example.com:8080/realms/demo/protocol/openid-connect/token",
            body: "grant_type=password&client_id=app&client_secret=cs&username=alice&password=pw", json: #"{"access_token":"T1"}"#
        )
        let status = world.run([
            "token", "get", "--client", "app", "--user", "alice", "--password-stdin", "--server", "http://SSO.example.com:8080",
            "-r", "demo",
        ])
        #expect(status == 0)
        #expect(world.stdout.text == "T1\n")
        #expect(
            world.stderr.text
                == "warning: sending the password and the client secret over plain http:// to sso.example.com, where the network can read it; use https://\n"
        )
    }

    @Test(
        "loopback over http:// and any host over https:// log in without a warning",
        arguments: [
            "http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "http://127.0.0.2", "https://kc.example.com",
        ])
    func noWarning(server: String) throws {
        let world = try SessionWorld()
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect(
            "POST", server + "/realms/master/protocol/openid-connect/token", json: sessionTokenJSON("A1", "R1"))
        #expect(
            world.run(["config", "credentials", "--server", server, "--realm", "master", "--user", "admin", "--password-stdin"])
                == 0)
        #expect(world.stderr.text == "Logged in to \(server) realm master as admin (profile default)\n")
    }
}
