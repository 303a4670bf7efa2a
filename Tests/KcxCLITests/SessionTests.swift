// openAdminClient: stored profile (refresh, 401 retry, expiry), --token, --no-config, transport
// options (--insecure warning, --timeout, --cacert) and the -v trace; plus this file's test world.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

/// Answers a script of exact requests (method, URL, raw body) and records an issue for anything else.
final class SessionScriptedTransport: HTTPTransport, @unchecked Sendable {
    struct Step {
        var method: String
        var url: String
        var body: String?
        var status: Int
        var json: String
        var check: ((HTTPRequest) -> Void)?
    }

    private var script: [Step] = []
    private(set) var received: [HTTPRequest] = []

    func expect(
        _ method: String, _ url: String, body: String? = nil, status: Int = 200, json: String = "",
        check: ((HTTPRequest) -> Void)? = nil
    ) {
        script.append(Step(method: method, url: url, body: body, status: status, json: json, check: check))
    }

    var remaining: Int { script.count }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        received.append(request)
        let body = request.body.map { String(decoding: $0, as: UTF8.self) }
        guard !script.isEmpty else {
            Issue.record("unexpected request \(request.method) \(request.url) \(body ?? "")")
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        let step = script.removeFirst()
        guard step.method == request.method, step.url == request.url, step.body == nil || step.body == body else {
            Issue.record(
                "expected \(step.method) \(step.url) \(step.body ?? ""), got \(request.method) \(request.url) \(body ?? "")")
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        step.check?(request)
        let headers: [(name: String, value: String)] = step.json.isEmpty ? [] : [("Content-Type", "application/json")]
        return HTTPResponse(status: step.status, headers: headers, body: Array(step.json.utf8))
    }
}

final class SessionTextSink: TextSink, @unchecked Sendable {
    private(set) var text = ""
    let isTerminal = false
    func write(_ text: String) { self.text += text }
}

/// Standard input as a test wants it: piped bytes, or a terminal that answers prompts.
final class SessionInput: InputSource, @unchecked Sendable {
    let bytes: [UInt8]
    let isTerminal: Bool
    let typed: String?
    private(set) var prompts: [String] = []

    init(piped text: String = "") {
        bytes = Array(text.utf8)
        isTerminal = false
        typed = nil
    }

    init(terminalTyping typed: String?) {
        bytes = []
        isTerminal = true
        self.typed = typed
    }

    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8] { try readBounded(bytes, limit: limit) }
    func readSecret(prompt: String) -> String? {
        prompts.append(prompt)
        return typed
    }
    /// No session prompt echoes: asking for a visible line here is a defect.
    func readLine(prompt: String) -> String? {
        Issue.record("unexpected echoing prompt: \(prompt)")
        return nil
    }
}

/// A private config directory, a fixed clock, a scripted transport and captured output.
final class SessionWorld: @unchecked Sendable {
    let directory: String
    let transport = SessionScriptedTransport()
    var input = SessionInput()
    var environment: [String: String]
    var now = Date(timeIntervalSince1970: 1_777_636_800)  // 2026-05-01 12:00:00 UTC
    private(set) var transportOptions: [TransportOptions] = []
    let stdout = SessionTextSink()
    let stderr = SessionTextSink()

    init() throws {
        directory = NSTemporaryDirectory() + "kcx-session-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        environment = ["XDG_CONFIG_HOME": directory, "HOME": directory + "/home"]
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var configPath: String { directory + "/kcx/config.json" }
    var store: ConfigStore { ConfigStore(path: configPath) }

    var context: CommandContext {
        CommandContext(
            stdout: stdout, stderr: stderr, stdin: input, environment: environment,
            makeTransport: { [unowned self] options in
                transportOptions.append(options)
                return transport
            },
            now: { [unowned self] in now })
    }

    /// Runs a command line against the whole table.
    func run(_ arguments: [String]) -> Int32 {
        Kcx.run(arguments, context: context)
    }

    func invocation(_ values: [String: [String]] = [:]) -> Invocation {
        let spec = CommandSpec(["test"], summary: "test", handler: { _, _ in .ok })
        return Invocation(command: spec, values: values, positionals: [])
    }

    func storeSession(
        accessExpiresIn: Double = 60, refreshExpiresIn: Double = 1800, source: SecretSource? = .environment("KCX_PASSWORD"),
        profile: String = "default"
    ) throws {
        try store.save(
            StoredSession(
                server: "http://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
                passwordSource: source, accessToken: "A1", accessTokenExpiresAt: now.addingTimeInterval(accessExpiresIn),
                refreshToken: "R1", refreshTokenExpiresAt: now.addingTimeInterval(refreshExpiresIn)),
            as: profile)
    }
}

let sessionTokenURL = "http://kc/realms/master/protocol/openid-connect/token"

func sessionTokenJSON(_ access: String, _ refresh: String?) -> String {
    let refreshPart = refresh.map { #","refresh_expires_in":1800,"refresh_token":"\#($0)""# } ?? #","refresh_expires_in":0"#
    return #"{"access_token":"\#(access)","expires_in":60\#(refreshPart),"token_type":"Bearer"}"#
}

@Suite("Session")
struct SessionTests {
    @Test("a stored session's token is sent as is while it is fresh")
    func storedSession() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer A1")
        }
        let client = try openAdminClient(world.invocation(), world.context)
        #expect(client.server == "http://kc" && client.realm == "master")
        #expect(try client.send(method: "GET", endpoint: "clients").json == [])
        #expect(world.transport.remaining == 0)
        #expect(world.stderr.text == "")
    }

    @Test("an expiring token is refreshed first and the new tokens are written back to the profile")
    func refreshIsStored() throws {
        let world = try SessionWorld()
        try world.storeSession(accessExpiresIn: 5)
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=refresh_token&refresh_token=R1&client_id=admin-cli",
            json: sessionTokenJSON("A2", "R2"))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer A2")
        }
        _ = try openAdminClient(world.invocation(), world.context).send(method: "GET", endpoint: "clients")
        let stored = try #require(try world.store.session(named: "default"))
        #expect(stored.accessToken == "A2" && stored.refreshToken == "R2")
        #expect(stored.accessTokenExpiresAt == world.now.addingTimeInterval(60))
        #expect(world.transport.remaining == 0)
    }

    @Test("a 401 refreshes once and repeats the request")
    func retryAfter401() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect(
            "GET", "http://kc/admin/realms/master/clients", status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=refresh_token&refresh_token=R1&client_id=admin-cli",
            json: sessionTokenJSON("A2", "R2"))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer A2")
        }
        _ = try openAdminClient(world.invocation(), world.context).send(method: "GET", endpoint: "clients")
        #expect(world.transport.remaining == 0)
    }

    @Test("refresh token expired, password source in the environment: kcx logs in again by itself")
    func reloginFromEnvironment() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.now = world.now.addingTimeInterval(3600)
        world.environment["KCX_PASSWORD"] = "pw"
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=pw",
            json: sessionTokenJSON("A9", "R9"))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer A9")
        }
        _ = try openAdminClient(world.invocation(), world.context).send(method: "GET", endpoint: "clients")
        #expect(try world.store.session(named: "default")?.refreshToken == "R9")
    }

    @Test("refresh token expired and no source: exit 4 with the exact login command as hint")
    func expiredSession() throws {
        let world = try SessionWorld()
        try world.storeSession(source: nil, profile: "prod")
        world.now = world.now.addingTimeInterval(3600)
        let status = world.run(["get", "clients", "--profile", "prod"])
        #expect(status == 4)
        #expect(
            world.stderr.text == """
                error: the session for user admin at http://kc realm master has expired
                hint: log in again with: kcx config credentials --server http://kc --realm master --user admin --profile prod

                """)
        #expect(world.transport.received.isEmpty)
    }

    @Test("no stored session: exit 4, naming the profile and file")
    func notLoggedIn() throws {
        let world = try SessionWorld()
        #expect(world.run(["get", "clients"]) == 4)
        #expect(
            world.stderr.text == """
                error: not logged in: no session 'default' in \(world.configPath)
                hint: log in with: kcx config credentials --server URL --realm REALM --user NAME

                """)
    }

    @Test("--token uses the token with KCX_SERVER/KCX_REALM and reads or writes no session")
    func tokenOption() throws {
        let world = try SessionWorld()
        world.environment["KCX_SERVER"] = "https://kc.example.com/"
        world.environment["KCX_REALM"] = "apps"
        world.transport.expect("GET", "https://kc.example.com/admin/realms/apps/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer T0K")
        }
        let client = try openAdminClient(world.invocation(["token": ["T0K"]]), world.context)
        _ = try client.send(method: "GET", endpoint: "clients")
        #expect(!FileManager.default.fileExists(atPath: world.configPath))

        // Without a server anywhere it is a usage error.
        let bare = try SessionWorld()
        bare.environment["KCX_TOKEN"] = "T0K"
        let error = #expect(throws: KcxError.self) { try openAdminClient(bare.invocation(), bare.context) }
        #expect(error?.code == .usage)
        #expect(error?.message == "--token needs a server: set KCX_SERVER (and KCX_REALM)")
    }

    @Test("--no-config logs in from KCX_* variables and stores nothing")
    func noConfig() throws {
        let world = try SessionWorld()
        world.environment.merge(["KCX_SERVER": "http://kc", "KCX_CLIENT": "ci", "KCX_CLIENT_SECRET": "s3"]) { $1 }
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=client_credentials&client_id=ci&client_secret=s3",
            json: sessionTokenJSON("C1", nil))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]") {
            #expect($0.header("Authorization") == "Bearer C1")
        }
        _ = try openAdminClient(world.invocation(["no-config": ["true"]]), world.context).send(method: "GET", endpoint: "clients")
        #expect(!FileManager.default.fileExists(atPath: world.directory + "/kcx"))

        let missing = try SessionWorld()
        missing.environment["KCX_SERVER"] = "http://kc"
        missing.environment["KCX_USER"] = "admin"
        let error = #expect(throws: KcxError.self) {
            try openAdminClient(missing.invocation(["no-config": ["true"]]), missing.context)
        }
        #expect(error == KcxError.usage("--no-config with KCX_USER needs KCX_PASSWORD"))
    }

    @Test("--insecure warns every time; --timeout and --cacert reach the transport")
    func transportOptions() throws {
        let world = try SessionWorld()
        try world.storeSession()
        try "pem".write(toFile: world.directory + "/ca.pem", atomically: false, encoding: .utf8)
        _ = try openAdminClient(
            world.invocation(["insecure": ["true"], "timeout": ["2.5"], "cacert": [world.directory + "/ca.pem"]]), world.context)
        _ = try openAdminClient(world.invocation(["insecure": ["true"]]), world.context)
        #expect(
            world.stderr.text == """
                warning: TLS certificate verification is disabled (--insecure)
                warning: TLS certificate verification is disabled (--insecure)

                """)
        var expected = TransportOptions()
        expected.insecure = true
        expected.timeoutSeconds = 2.5
        expected.caCertificateFile = world.directory + "/ca.pem"
        #expect(world.transportOptions.first == expected)
    }

    @Test(
        "bad --timeout or an unreadable --cacert is a usage error before anything is sent",
        arguments: [
            (["timeout": ["soon"]], "--timeout: 'soon' is not a number of seconds between 0 and 86400"),
            (["timeout": ["0"]], "--timeout: '0' is not a number of seconds between 0 and 86400"),
            (["cacert": ["/nonexistent/ca.pem"]], "--cacert: cannot read /nonexistent/ca.pem: No such file or directory"),
        ])
    func badTransportOptions(values: [String: [String]], message: String) throws {
        let world = try SessionWorld()
        try world.storeSession()
        let error = #expect(throws: KcxError.self) { try openAdminClient(world.invocation(values), world.context) }
        #expect(error?.code == .usage)
        #expect(error?.message == message)
        #expect(world.transportOptions.isEmpty)
    }

    @Test("-v traces the refresh and the request with every secret redacted")
    func verboseRedacts() throws {
        let world = try SessionWorld()
        try world.storeSession(accessExpiresIn: 1)
        world.transport.expect("POST", sessionTokenURL, json: sessionTokenJSON("A2", "R2"))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: #"[{"clientId":"x","secret":"hush"}]"#)
        _ = try openAdminClient(world.invocation(["verbose": ["true"]]), world.context).send(method: "GET", endpoint: "clients")
        #expect(
            world.stderr.text == """
                > POST http://kc/realms/master/protocol/openid-connect/token
                > Content-Type: application/x-www-form-urlencoded
                > Accept: application/json
                > grant_type=refresh_token&refresh_token=<redacted>&client_id=admin-cli
                < 200 OK (0 ms)
                < Content-Type: application/json
                < {"access_token":"<redacted>","expires_in":60,"refresh_expires_in":1800,"refresh_token":"<redacted>","token_type":"Bearer"}
                > GET http://kc/admin/realms/master/clients
                > Authorization: Bearer <redacted>
                > Accept: application/json
                < 200 OK (0 ms)
                < Content-Type: application/json
                < [{"clientId":"x","secret":"<redacted>"}]

                """)
    }
}
