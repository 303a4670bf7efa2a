// kcx config credentials/status/logout through Kcx.run: secret sources and their order, grants,
// what is stored (never a secret), exact output, and usage errors that send nothing.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("config credentials")
struct ConfigCredentialsTests {
    let login = ["config", "credentials", "--server", "http://kc/", "--realm", "master", "--user", "admin"]
    let passwordForm = "grant_type=password&client_id=admin-cli&username=admin&password="

    @Test("--password-stdin: logs in, stores the session without a source, confirms on stderr only")
    func passwordFromStdin() throws {
        let world = try SessionWorld()
        world.input = SessionInput(piped: "s3cret\n")
        world.environment["KCX_PASSWORD"] = "ignored-because-an-option-was-given"
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "s3cret", json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login + ["--password-stdin"]) == 0)
        #expect(world.stdout.text == "")
        // http://kc is another machine: the password crossed the network in the clear.
        #expect(
            world.stderr.text
                == "warning: sending the password over plain http:// to kc, where the network can read it; use https://\nLogged in to http://kc realm master as admin (profile default)\n"
        )
        #expect(
            try world.store.session(named: "default")
                == StoredSession(
                    server: "http://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
                    accessToken: "A1", accessTokenExpiresAt: world.now.addingTimeInterval(60),
                    refreshToken: "R1", refreshTokenExpiresAt: world.now.addingTimeInterval(1800)))
        let file = try String(contentsOfFile: world.configPath, encoding: .utf8)
        #expect(!file.contains("s3cret"))
        #expect(FileSystem.mode(of: world.configPath) == 0o600)
    }

    @Test("KCX_PASSWORD is used when no option is given, and recorded as the re-login source")
    func passwordFromEnvironment() throws {
        let world = try SessionWorld()
        world.environment["KCX_PASSWORD"] = "envpw"
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "envpw", json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login) == 0)
        #expect(try world.store.session(named: "default")?.passwordSource == .environment("KCX_PASSWORD"))
        #expect(!(try String(contentsOfFile: world.configPath, encoding: .utf8)).contains("envpw"))
    }

    @Test("--password-file reads the first line and records the absolute path")
    func passwordFromFile() throws {
        let world = try SessionWorld()
        try "filepw\nrest\n".write(toFile: world.directory + "/pw", atomically: false, encoding: .utf8)
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "filepw", json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login + ["--password-file", world.directory + "/pw"]) == 0)
        #expect(try world.store.session(named: "default")?.passwordSource == .file(world.directory + "/pw"))
    }

    @Test("--password on argv works but warns")
    func passwordOnArgv() throws {
        let world = try SessionWorld()
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "argvpw", json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login + ["--password", "argvpw"]) == 0)
        #expect(
            world.stderr.text == """
                warning: --password on the command line is visible to other users and kept in shell history; use --password-stdin, --password-file or KCX_PASSWORD
                warning: sending the password over plain http:// to kc, where the network can read it; use https://
                Logged in to http://kc realm master as admin (profile default)

                """)
        #expect(try world.store.session(named: "default")?.passwordSource == nil)
    }

    @Test("on a terminal without other sources kcx prompts without echo")
    func prompt() throws {
        let world = try SessionWorld()
        let input = SessionInput(terminalTyping: "typed")
        world.input = input
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "typed", json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login) == 0)
        #expect(input.prompts == ["Password for admin at http://kc realm master: "])
    }

    @Test(
        "usage errors exit 2 and send nothing",
        arguments: [
            (["config", "credentials", "--realm", "master", "--user", "admin"], "error: missing --server URL"),
            (
                ["config", "credentials", "--server", "kc:8080", "--realm", "master", "--user", "admin"],
                "error: --server: 'kc:8080' is not an http:// or https:// URL"
            ),
            (["config", "credentials", "--server", "http://kc", "--user", "admin"], "error: missing --realm REALM"),
            (
                ["config", "credentials", "--server", "http://kc", "--realm", "master", "--password-file", "/x"],
                "error: say who logs in: --user NAME (password grant) or --client ID with a secret (client credentials)"
            ),
            (
                ["config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin"],
                "error: no password for user admin: give --password-stdin, --password-file FILE or KCX_PASSWORD (or run on a terminal to be prompted)"
            ),
            (
                [
                    "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin", "--password-stdin",
                    "--password", "x",
                ],
                "error: give only one of --password-stdin, --password"
            ),
            (
                ["config", "credentials", "--server", "http://kc", "--realm", "master", "--client", "ci"],
                "error: no secret for client ci: give --secret-stdin, --secret-file FILE or KCX_CLIENT_SECRET (or run on a terminal to be prompted)"
            ),
            (
                [
                    "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin", "--password-file",
                    "/nonexistent/pw",
                ],
                "error: --password-file: cannot read /nonexistent/pw: No such file or directory"
            ),
            (
                [
                    "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "a", "--client", "c",
                    "--password-stdin", "--secret-stdin",
                ],
                "error: --password-stdin and --secret-stdin cannot both read standard input"
            ),
        ])
    func usageErrors(arguments: [String], firstLine: String) throws {
        let world = try SessionWorld()
        #expect(world.run(arguments) == 2)
        #expect(world.stderr.text.split(separator: "\n").first.map(String.init) == firstLine)
        #expect(world.transport.received.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: world.configPath))
    }

    @Test("client credentials: secret from KCX_CLIENT_SECRET in the form, source recorded")
    func clientCredentials() throws {
        let world = try SessionWorld()
        world.environment["KCX_CLIENT_SECRET"] = "cs"
        world.transport.expect(
            "POST", "http://kc/realms/apps/protocol/openid-connect/token",
            body: "grant_type=client_credentials&client_id=prov&client_secret=cs",
            json: sessionTokenJSON("C1", nil))
        #expect(
            world.run([
                "config", "credentials", "--server", "http://kc", "--realm", "apps", "--client", "prov", "--profile", "ci",
            ]) == 0)
        #expect(
            world.stderr.text
                == "warning: sending the client secret over plain http:// to kc, where the network can read it; use https://\nLogged in to http://kc realm apps as the service account of client prov (profile ci)\n"
        )
        let session = try #require(try world.store.session(named: "ci"))
        #expect(session.grant == .clientCredentials && session.clientSecretSource == .environment("KCX_CLIENT_SECRET"))
        #expect(session.refreshToken == nil)
        #expect(try world.store.session(named: "default") == nil)
    }

    @Test("a password grant on admin-cli ignores a stray KCX_CLIENT_SECRET; with --client it is sent")
    func secretOnlyForNamedClients() throws {
        let world = try SessionWorld()
        world.environment.merge(["KCX_PASSWORD": "pw", "KCX_CLIENT_SECRET": "cs"]) { $1 }
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=pw",
            json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login) == 0)
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=tool&client_secret=cs&username=admin&password=pw",
            json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login + ["--client", "tool"]) == 0)
        #expect(world.transport.remaining == 0)
    }

    @Test("wrong password: exit 4 with Keycloak's message and a hint; nothing stored")
    func wrongPassword() throws {
        let world = try SessionWorld()
        world.environment["KCX_PASSWORD"] = "bad"
        world.transport.expect(
            "POST", sessionTokenURL, status: 400,
            json: #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#)
        #expect(world.run(login) == 4)
        #expect(
            world.stderr.text == """
                warning: sending the password over plain http:// to kc, where the network can read it; use https://
                error: POST /realms/master/protocol/openid-connect/token: 400 Invalid user credentials (invalid_grant)
                hint: check the user name and password

                """)
        #expect(!FileManager.default.fileExists(atPath: world.configPath))
    }

    @Test("--config FILE and KCX_PROFILE choose where the session goes")
    func configFileAndProfile() throws {
        let world = try SessionWorld()
        world.environment.merge(["KCX_PASSWORD": "pw", "KCX_PROFILE": "staging"]) { $1 }
        world.transport.expect("POST", sessionTokenURL, json: sessionTokenJSON("A1", "R1"))
        let path = world.directory + "/elsewhere/kcx.json"
        #expect(world.run(login + ["--config", path]) == 0)
        #expect(try ConfigStore(path: path).profileNames() == ["staging"])
        #expect(!FileManager.default.fileExists(atPath: world.configPath))
    }
}

@Suite("config status and logout")
struct ConfigStatusTests {
    @Test("status shows who, where and until when, never a token")
    func status() throws {
        let world = try SessionWorld()
        try world.storeSession(accessExpiresIn: 60, refreshExpiresIn: 1800)
        world.now = world.now.addingTimeInterval(75)
        #expect(world.run(["config", "status"]) == 0)
        #expect(
            world.stdout.text == """
                profile:       default (\(world.configPath))
                server:        http://kc
                realm:         master
                client:        admin-cli (password grant)
                user:          admin
                access token:  expired at 2026-05-01 12:01:00 UTC (15s ago)
                refresh token: valid until 2026-05-01 12:30:00 UTC (28m 45s left)
                re-login:      automatic, password from $KCX_PASSWORD

                """)
        // The config path holds a random UUID, which may itself contain "A1": look past it.
        let shown = world.stdout.text.replacingOccurrences(of: world.configPath, with: "")
        #expect(!shown.contains("A1") && !shown.contains("R1"))
        #expect(world.stderr.text == "")
        #expect(world.transport.received.isEmpty)
    }

    @Test("status of a profile without a session: exit 4 and the login hint")
    func statusNotLoggedIn() throws {
        let world = try SessionWorld()
        #expect(world.run(["config", "status", "--profile", "prod"]) == 4)
        #expect(
            world.stderr.text == """
                error: not logged in: no session 'prod' in \(world.configPath)
                hint: log in with: kcx config credentials --server URL --realm REALM --user NAME --profile prod

                """)
    }

    @Test("logout ends the server session and removes only that profile")
    func logout() throws {
        let world = try SessionWorld()
        try world.storeSession(profile: "default")
        try world.storeSession(profile: "other")
        world.transport.expect(
            "POST", "http://kc/realms/master/protocol/openid-connect/logout", body: "client_id=admin-cli&refresh_token=R1",
            status: 204)
        #expect(world.run(["config", "logout"]) == 0)
        #expect(world.stderr.text == "Logged out of http://kc realm master (profile default)\n")
        #expect(try world.store.profileNames() == ["other"])
        #expect(world.transport.remaining == 0)
    }

    @Test("logout removes the profile even when the server refuses, with a warning; twice is harmless")
    func logoutRefused() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect(
            "POST", "http://kc/realms/master/protocol/openid-connect/logout", status: 400,
            json: #"{"error":"invalid_grant","error_description":"Session not active"}"#)
        #expect(world.run(["config", "logout"]) == 0)
        #expect(world.run(["config", "logout"]) == 0)
        #expect(
            world.stderr.text == """
                warning: the server did not end the session: POST /realms/master/protocol/openid-connect/logout: 400 Session not active (invalid_grant)
                Logged out of http://kc realm master (profile default)
                Not logged in (profile default); nothing to do

                """)
        #expect(try world.store.profileNames() == [])
    }

    @Test(
        "date and duration formatting",
        arguments: [
            (0.0, "1970-01-01 00:00:00 UTC"), (951_782_400, "2000-02-29 00:00:00 UTC"),
            (1_777_636_859, "2026-05-01 12:00:59 UTC"),
            (4_102_444_799, "2099-12-31 23:59:59 UTC"),
        ])
    func formatUTC(seconds: Double, text: String) {
        #expect(ConfigCommands.formatUTC(Date(timeIntervalSince1970: seconds)) == text)
    }

    @Test("durations read short", arguments: [(5, "5s"), (65, "1m 05s"), (3_725, "1h 02m"), (90_061, "1d 1h")])
    func durations(seconds: Int, text: String) {
        #expect(ConfigCommands.formatDuration(seconds) == text)
    }
}
