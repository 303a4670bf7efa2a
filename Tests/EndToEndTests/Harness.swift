// Runs the real kcx binary against a Keycloak: a kcx-sandbox process started per suite, or a real
// Keycloak when KCX_TEST_KEYCLOAK_URL (with KCX_TEST_ADMIN_USER / KCX_TEST_ADMIN_PASSWORD) is set.
import Foundation
import KcxJSON
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Where the built binaries are: next to the test bundle, unless KCX_BIN_DIR says otherwise.
enum Binaries {
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["KCX_BIN_DIR"] {
            return URL(fileURLWithPath: dir)
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        // The test runner lives inside `<scratch>/<config>/kcxPackageTests.xctest` on Linux.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kcx").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    static var kcx: URL { directory.appendingPathComponent("kcx") }
    static var sandbox: URL { directory.appendingPathComponent("kcx-sandbox") }
}

struct ProcessResult: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    var json: JSON? { try? JSON.parse(stdout) }
    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs a program to completion with the given standard input (text, or a file such as /dev/zero or
/// a FIFO read directly), capturing both output streams.
func runProcess(
    _ executable: URL, _ arguments: [String], environment: [String: String], stdin: String? = nil, stdinFile: String? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    let outPipe = Pipe()
    let errPipe = Pipe()
    let inPipe = Pipe()
    let inFile = try stdinFile.map { path in
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HarnessError("cannot open \(path) for standard input")
        }
        return handle
    }
    defer { try? inFile?.close() }
    process.standardOutput = outPipe
    process.standardError = errPipe
    process.standardInput = inFile ?? inPipe
    try process.run()
    if let stdin { inPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child cannot block on a full pipe.
    nonisolated(unsafe) var errData = Data()
    let done = DispatchSemaphore(value: 0)
    let reader = Thread {
        errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        done.signal()
    }
    reader.start()
    let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// A Keycloak to test against, with the master admin's credentials.
final class TestKeycloak: @unchecked Sendable {
    let baseURL: String
    let adminUser: String
    let adminPassword: String
    /// True when this is a real Keycloak (tests that need the sandbox's control API skip then).
    let isReal: Bool
    private let process: Process?

    private init(baseURL: String, adminUser: String, adminPassword: String, isReal: Bool, process: Process?) {
        self.baseURL = baseURL
        self.adminUser = adminUser
        self.adminPassword = adminPassword
        self.isReal = isReal
        self.process = process
    }

    static var realKeycloakURL: String? { ProcessInfo.processInfo.environment["KCX_TEST_KEYCLOAK_URL"] }

    /// One server for the whole test process (each test works in realms of its own): the real
    /// Keycloak when configured, else a sandbox with Keycloak 26's default features.
    static let shared: TestKeycloak = {
        do { return try start() } catch { fatalError("cannot start kcx-sandbox: \(error)") }
    }()

    /// A sandbox in legacy mode (token exchange V1 with fine-grained admin permissions v1), or nil
    /// against a real Keycloak, whose features the tests cannot switch.
    static let legacy: TestKeycloak? = {
        guard realKeycloakURL == nil else { return nil }
        do { return try start(extraArguments: ["--features", "token-exchange,admin-fine-grained-authz:v1"]) } catch {
            fatalError("cannot start kcx-sandbox in legacy mode: \(error)")
        }
    }()

    /// Starts a fresh sandbox on a free loopback port, or returns the real Keycloak from the environment.
    static func start(extraArguments: [String] = []) throws -> TestKeycloak {
        let env = ProcessInfo.processInfo.environment
        if let url = realKeycloakURL {
            return TestKeycloak(
                baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url,
                adminUser: env["KCX_TEST_ADMIN_USER"] ?? "admin",
                adminPassword: env["KCX_TEST_ADMIN_PASSWORD"] ?? "admin", isReal: true, process: nil)
        }
        let password = "pw-" + UUID().uuidString
        let process = Process()
        process.executableURL = Binaries.sandbox
        process.arguments = ["--port", "0", "--control"] + extraArguments
        var environment = env
        environment["KCX_SANDBOX_ADMIN_PASSWORD"] = password
        process.environment = environment
        let outPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        SandboxProcesses.register(process)
        let url = try readFirstLine(outPipe.fileHandleForReading)
        guard url.hasPrefix("http") else {
            process.terminate()
            throw HarnessError("kcx-sandbox printed '\(url)' instead of its base URL")
        }
        return TestKeycloak(baseURL: url, adminUser: "admin", adminPassword: password, isReal: false, process: process)
    }

    private static func readFirstLine(_ handle: FileHandle) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = handle.readData(ofLength: 1)
            if chunk.isEmpty { break }
            if chunk[chunk.startIndex] == UInt8(ascii: "\n") { break }
            bytes.append(chunk[chunk.startIndex])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit { stop() }

    // MARK: Independent admin API access, to check state without going through kcx.

    /// A master admin token obtained directly from the token endpoint.
    func adminToken() throws -> String {
        let form =
            "grant_type=password&client_id=admin-cli&username=\(formEncode(adminUser))&password=\(formEncode(adminPassword))"
        let response = try request(
            "POST", "/realms/master/protocol/openid-connect/token", body: Data(form.utf8),
            contentType: "application/x-www-form-urlencoded")
        guard response.status == 200, let token = response.json?["access_token"]?.stringValue else {
            throw HarnessError("admin login failed: \(response.status) \(response.text)")
        }
        return token
    }

    /// GET an admin endpoint relative to /admin/realms/ and return its JSON.
    func adminGet(_ path: String) throws -> (status: Int, json: JSON?) {
        let response = try request("GET", "/admin/realms/" + path, bearer: try adminToken())
        return (response.status, response.json)
    }

    func adminSend(_ method: String, _ path: String, json: JSON? = nil) throws -> HTTPResult {
        try request(
            method, "/admin/realms/" + path, bearer: try adminToken(), body: json.map { Data($0.serialized().utf8) },
            contentType: json == nil ? nil : "application/json")
    }

    struct HTTPResult {
        let status: Int
        let headers: [String: String]
        let data: Data
        var text: String { String(decoding: data, as: UTF8.self) }
        var json: JSON? { try? JSON.parse(Array(data)) }
    }

    func request(_ method: String, _ path: String, bearer: String? = nil, body: Data? = nil, contentType: String? = nil)
        throws -> HTTPResult
    {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        request.httpBody = body
        nonisolated(unsafe) var result: Result<HTTPResult, Error> = .failure(HarnessError("no response"))
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
                result = .success(HTTPResult(status: http.statusCode, headers: headers, data: data ?? Data()))
            }
            done.signal()
        }.resume()
        done.wait()
        return try result.get()
    }

    /// Creates a realm for one test (enabled, as a user would), unique per call.
    func createRealm(_ prefix: String = "e2e") throws -> String {
        let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let response = try adminSend("POST", "", json: ["realm": .string(name), "enabled": true])
        guard response.status == 201 else { throw HarnessError("creating realm \(name): \(response.status) \(response.text)") }
        return name
    }
}

/// Sandboxes started by this test process, stopped when it exits so none outlive the run.
enum SandboxProcesses {
    nonisolated(unsafe) private static var processes: [Process] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registered = false

    static func register(_ process: Process) {
        lock.lock()
        defer { lock.unlock() }
        processes.append(process)
        if !registered {
            registered = true
            atexit { SandboxProcesses.stopAll() }
        }
    }

    static func stopAll() {
        lock.lock()
        defer { lock.unlock() }
        for process in processes where process.isRunning { process.terminate() }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func formEncode(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}

/// A private kcx environment: its own config directory, no inherited KCX_* variables.
struct KcxEnvironment {
    let home: URL
    var extra: [String: String] = [:]

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    var variables: [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("KCX_") }
        env["HOME"] = home.path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
        env["NO_COLOR"] = "1"
        for (key, value) in extra { env[key] = value }
        return env
    }

    var configFile: URL { home.appendingPathComponent("config/kcx/config.json") }

    /// Runs kcx with these arguments; `stdin` is fed to standard input.
    func kcx(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(Binaries.kcx, arguments, environment: variables, stdin: stdin)
    }

    /// Logs in as the master admin through kcx itself, password on stdin.
    func login(_ keycloak: TestKeycloak) throws {
        let result = try kcx(
            [
                "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
                "--password-stdin",
            ],
            stdin: keycloak.adminPassword + "\n")
        guard result.status == 0 else { throw HarnessError("kcx login failed: \(result)") }
    }
}
