// Test doubles for running Kcx.run in process: captured output, canned stdin, and a transport
// that answers a script of expected requests and records an issue for anything else.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

final class CapturedText: TextSink, @unchecked Sendable {
    private(set) var text = ""
    let isTerminal = false
    func write(_ text: String) { self.text += text }
}

final class CannedInput: InputSource, @unchecked Sendable {
    let bytes: [UInt8]
    init(_ text: String = "") { bytes = Array(text.utf8) }
    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8] { try readBounded(bytes, limit: limit) }
    let isTerminal = false
    func readSecret(prompt: String) -> String? { nil }
    func readLine(prompt: String) -> String? { nil }
}

/// Canned standard input through kcx's one bounded reader, in the chunks a pipe would give.
func readBounded(_ bytes: [UInt8], limit: ReadLimit) throws(FileSystemError) -> [UInt8] {
    var offset = 0
    return try FileSystem.readAll(name: "standard input", limit: limit) { buffer in
        let count = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
        }
        offset += count
        return count
    }
}

/// One expected request and the canned answer. `body` is compared as JSON (nil: no body at all).
struct ScriptedExchange {
    var method: String
    var url: String
    var body: JSON?
    var response: HTTPResponse

    init(_ method: String, _ url: String, body: JSON? = nil, respond response: HTTPResponse) {
        self.method = method
        self.url = url
        self.body = body
        self.response = response
    }
}

/// Answers the scripted requests in order; any other request is recorded as a test failure.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    private var script: [ScriptedExchange]
    private(set) var received: [HTTPRequest] = []
    let sourceLocation: SourceLocation

    init(_ script: [ScriptedExchange], sourceLocation: SourceLocation = #_sourceLocation) {
        self.script = script
        self.sourceLocation = sourceLocation
    }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        received.append(request)
        guard !script.isEmpty else {
            Issue.record("unexpected request \(request.method) \(request.url)", sourceLocation: sourceLocation)
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        let expected = script.removeFirst()
        let body = request.body.map { try? JSON.parse($0) } ?? nil
        guard request.method == expected.method, request.url == expected.url,
            (request.body == nil) == (expected.body == nil), body == expected.body
        else {
            Issue.record(
                """
                request mismatch
                expected: \(expected.method) \(expected.url) \(expected.body?.serialized() ?? "(no body)")
                got:      \(request.method) \(request.url) \(request.body.map { String(decoding: $0, as: UTF8.self) } ?? "(no body)")
                """, sourceLocation: sourceLocation)
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        if expected.body != nil {
            #expect(request.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        }
        return expected.response
    }

    /// Every scripted request was sent.
    var isFinished: Bool { script.isEmpty }
}

struct RunResult: Equatable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Runs kcx in process. Requests go to `transport` (default: one that accepts nothing) with a
/// given bearer token (KCX_TOKEN), so no session file is read or written.
func runKcx(
    _ arguments: [String], commands: [CommandSpec] = CommandTable.all, stdin: String = "",
    transport: ScriptedTransport? = nil, environment: [String: String] = [:],
    sourceLocation: SourceLocation = #_sourceLocation
) -> RunResult {
    let stdout = CapturedText()
    let stderr = CapturedText()
    let transport = transport ?? ScriptedTransport([], sourceLocation: sourceLocation)
    // A config directory that does not exist: the token run reads no stored session.
    var env = [
        "KCX_TOKEN": "test-token", "KCX_SERVER": "https://kc.test", "KCX_REALM": "demo",
        "XDG_CONFIG_HOME": "/nonexistent/kcx-cli-tests", "HOME": "/nonexistent/kcx-cli-tests",
    ]
    for (key, value) in environment { env[key] = value }
    let context = CommandContext(
        stdout: stdout, stderr: stderr, stdin: CannedInput(stdin), environment: env,
        makeTransport: { _ in transport })
    let status = Kcx.run(arguments, commands: commands, context: context)
    return RunResult(status: status, stdout: stdout.text, stderr: stderr.text)
}

func jsonResponse(_ text: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> HTTPResponse {
    HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
}
