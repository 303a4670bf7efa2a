// Header injection with the real binary: a user's token holding CR LF (KCX_TOKEN, --token) is refused
// before anything is sent, and a fake token endpoint on loopback answering an access_token with
// "\r\nX-Injected: yes" never gets a request carrying that header. Logins over plain http:// to
// loopback (the sandbox, a fake server on localhost) print no plain-http warning.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

/// A Keycloak impostor on loopback: its token endpoint answers `accessToken`, every other request
/// gets `[]`; every request is recorded with its headers.
final class RecordingTokenServer: @unchecked Sendable {
    let server: LoopbackHTTPServer
    private let lock = NSLock()
    private var received: [ServerRequest] = []

    init(accessToken: String) throws {
        let box = Box()
        let tokenBody = (["access_token": .string(accessToken), "expires_in": 300, "token_type": "Bearer"] as JSON).serialized()
        server = LoopbackHTTPServer { request in
            box.server?.record(request)
            let body = request.path.hasSuffix("/protocol/openid-connect/token") ? tokenBody : "[]"
            return .respond(ServerResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        }
        try server.start()
        box.server = self
    }

    private final class Box: @unchecked Sendable { weak var server: RecordingTokenServer? }
    private func record(_ request: ServerRequest) { lock.withLock { received.append(request) } }
    var requests: [ServerRequest] { lock.withLock { received } }
    var baseURL: String { server.baseURL }
    func stop() { server.stop() }
}

@Suite(.serialized) struct HeaderAttackTests {
    static let tokenHint =
        "hint: a token is one line of base64url text: check how it was read (a Windows line ending leaves a CR at its end)\n"

    @Test func aUserTokenWithCRLFIsRefusedBeforeAnythingIsSent() throws {
        let fake = try RecordingTokenServer(accessToken: "unused")
        defer { fake.stop() }
        var env = try KcxEnvironment()
        env.extra["KCX_SERVER"] = fake.baseURL
        env.extra["KCX_REALM"] = "master"
        for (token, name) in [("abc\r\nX-Injected: yes", "CR"), ("abc\nX-Injected: yes", "LF"), ("abc\u{1B}[2J", "ESC")] {
            env.extra["KCX_TOKEN"] = token
            for arguments in [["get", "realms"], ["get", "realms", "-v"], ["delete", "clients/x"]] {
                let result = try env.kcx(arguments)
                #expect(
                    result
                        == ProcessResult(
                            status: 2, stdout: "",
                            stderr: "error: the token from KCX_TOKEN contains a control character (\(name))\n" + Self.tokenHint),
                    "\(arguments)")
            }
        }
        env.extra["KCX_TOKEN"] = nil
        let argv = try env.kcx(["get", "realms", "--token", "abc\r\nX-Injected: yes"])
        #expect(argv.status == 2)
        #expect(
            argv.stderr
                == "warning: --token on the command line is visible to other users and kept in shell history; use KCX_TOKEN\n"
                + "error: the token from --token contains a control character (CR)\n" + Self.tokenHint)
        #expect(fake.requests.isEmpty, "requests reached the server: \(fake.requests.map { "\($0.method) \($0.target)" })")
    }

    @Test func aTokenFromTheServerWithCRLFIsNeverSentAsAHeader() throws {
        let fake = try RecordingTokenServer(accessToken: "abc\r\nX-Injected: yes")
        defer { fake.stop() }
        let error = """
            error: POST /realms/master/protocol/openid-connect/token: the access_token in the answer contains a control character (CR)
            hint: no Keycloak sends such a token: check the server URL and what sits between kcx and the server; nothing was stored

            """

        // A --no-config run logs in, then would send the admin request with the token.
        var env = try KcxEnvironment()
        env.extra = ["KCX_SERVER": fake.baseURL, "KCX_REALM": "master", "KCX_USER": "admin", "KCX_PASSWORD": "pw"]
        let run = try env.kcx(["get", "realms", "--no-config"])
        #expect(run == ProcessResult(status: 1, stdout: "", stderr: error))

        // config credentials stores nothing.
        let login = try KcxEnvironment()
        let stored = try login.kcx(
            ["config", "credentials", "--server", fake.baseURL, "--realm", "master", "--user", "admin", "--password-stdin"],
            stdin: "pw\n")
        #expect(stored == ProcessResult(status: 1, stdout: "", stderr: error))
        #expect(!FileManager.default.fileExists(atPath: login.configFile.path))

        // Only the two logins arrived; none carried the injected header or a bearer token.
        #expect(
            fake.requests.map { "\($0.method) \($0.path)" }
                == Array(repeating: "POST /realms/master/protocol/openid-connect/token", count: 2))
        #expect(fake.requests.allSatisfy { $0.header("X-Injected") == nil && $0.header("Authorization") == nil })
    }

    @Test func passwordsOverHTTPToLoopbackGetNoWarning() throws {
        let keycloak = TestKeycloak.shared
        try #require(keycloak.baseURL.hasPrefix("http://127.0.0.1:") || !onSandbox, "the sandbox listens on loopback")
        let fixture = try RealmFixture(keycloak, prefix: "hdrlo")
        let secret = try fixture.confidentialClient("svc")
        let alice = try fixture.user("alice")

        // The login, a service-account token, a password grant with a confidential client's secret.
        let env = try KcxEnvironment()
        let login = try env.kcx(
            [
                "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
                "--password-stdin",
            ],
            stdin: keycloak.adminPassword + "\n")
        #expect(
            login
                == ProcessResult(
                    status: 0, stdout: "",
                    stderr: "Logged in to \(keycloak.baseURL) realm master as \(keycloak.adminUser) (profile default)\n"))
        let service = try fixture.kcx(["token", "get", "--client", "svc", "--secret-file", secret, "-r", fixture.realm])
        #expect(service.status == 0 && service.stderr == "", "\(service)")
        let password = try fixture.kcx(
            [
                "token", "get", "--client", "svc", "--secret-file", secret, "--user", "alice", "--password-file", alice, "-r",
                fixture.realm,
            ])
        #expect(password.status == 0 && password.stderr == "", "\(password)")

        // localhost spelled as a name is loopback too.
        let fake = try RecordingTokenServer(accessToken: "T1")
        defer { fake.stop() }
        let local = fake.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let byName = try env.kcx(
            ["token", "get", "--client", "svc", "--user", "alice", "--password-stdin", "--server", local, "-r", "demo"],
            stdin: "pw\n")
        #expect(byName == ProcessResult(status: 0, stdout: "T1\n", stderr: ""))
        #expect(fake.requests.count == 1)
    }
}
