// Test doubles for the HTTP seam: a scripted transport that fails on anything unexpected, and a
// way to run blocking libcurl calls off Swift's cooperative pool.
import Foundation
import KeycloakKit
import Testing

/// Runs `body` on a thread of its own: libcurl blocks, and blocking the 2-thread cooperative pool
/// would starve in-process servers and other tests.
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Answers a fixed script of exchanges in order; any request that differs from the next expected
/// one (method, URL, body) is recorded as a test failure and answered with a transport error.
final class ScriptedHTTPTransport: HTTPTransport, @unchecked Sendable {
    struct Exchange {
        var method: String
        var url: String
        var body: String?
        var result: Result<HTTPResponse, TransportError>
        var check: ((HTTPRequest) -> Void)?
    }

    private var script: [Exchange] = []
    private(set) var received: [HTTPRequest] = []
    private let sourceLocation: SourceLocation

    init(sourceLocation: SourceLocation = #_sourceLocation) {
        self.sourceLocation = sourceLocation
    }

    @discardableResult
    func expect(
        _ method: String, _ url: String, body: String? = nil, status: Int, json: String? = nil,
        headers: [(name: String, value: String)] = [], check: ((HTTPRequest) -> Void)? = nil
    ) -> Self {
        var allHeaders = headers
        if json != nil { allHeaders.append(("Content-Type", "application/json")) }
        let response = HTTPResponse(status: status, headers: allHeaders, body: Array((json ?? "").utf8))
        script.append(Exchange(method: method, url: url, body: body, result: .success(response), check: check))
        return self
    }

    @discardableResult
    func expect(_ method: String, _ url: String, respond response: HTTPResponse) -> Self {
        script.append(Exchange(method: method, url: url, body: nil, result: .success(response), check: nil))
        return self
    }

    @discardableResult
    func expect(_ method: String, _ url: String, fail error: TransportError) -> Self {
        script.append(Exchange(method: method, url: url, body: nil, result: .failure(error), check: nil))
        return self
    }

    /// Exchanges not yet requested.
    var remaining: Int { script.count }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        received.append(request)
        guard !script.isEmpty else {
            Issue.record("unexpected request \(request.method) \(request.url)", sourceLocation: sourceLocation)
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        let next = script.removeFirst()
        let bodyText = request.body.map { String(decoding: $0, as: UTF8.self) }
        guard request.method == next.method, request.url == next.url, next.body == nil || bodyText == next.body else {
            Issue.record(
                "expected \(next.method) \(next.url) \(next.body ?? ""), got \(request.method) \(request.url) \(bodyText ?? "")",
                sourceLocation: sourceLocation)
            throw TransportError(kind: .other, message: "unexpected request", url: request.url)
        }
        next.check?(request)
        return try next.result.get()
    }
}

/// A fixed clock the test moves by hand.
final class TestClock: @unchecked Sendable {
    var now: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_777_636_800)) { now = start }  // 2026-05-01 12:00:00 UTC
    func advance(_ seconds: Double) { now = now.addingTimeInterval(seconds) }
}

/// A fresh directory under the system temp dir, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "kcx-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    // Private whatever the umask: kcx refuses a config file in a directory others can write.
    chmod(path, 0o700)
    return path
}
