// kcx-sandbox under hostile clients, at the socket level: malformed requests and non-UTF-8 bytes, oversize
// heads and bodies, slow, idle and vanishing clients, many connections at once; and the real binary's bind
// refusal and limits. The sandbox must never crash, must keep serving others, and answers like Keycloak.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// An in-process sandbox on a free loopback port.
final class RunningSandbox {
    let sandbox: Sandbox
    let port: UInt16

    init(_ configure: (inout SandboxOptions) -> Void = { _ in }) throws {
        var options = SandboxOptions(adminPassword: "admin-pw")
        configure(&options)
        sandbox = try Sandbox(options: options)
        let url = try sandbox.start()
        port = try #require(UInt16(url.split(separator: ":").last ?? ""))
    }

    deinit { sandbox.stop() }

    static let discovery = "GET /realms/master/.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n"

    /// The sandbox still answers a well-formed request on a new connection.
    func expectStillServes(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let client = try RawHTTPClient(port: port)
        client.send(Self.discovery)
        let response = try client.readResponse()
        #expect(response.status == 200, sourceLocation: sourceLocation)
        #expect(response.bodyText.contains(#""issuer":"#), sourceLocation: sourceLocation)
    }

    func adminToken() throws -> String {
        let client = try RawHTTPClient(port: port)
        let form = "grant_type=password&client_id=admin-cli&username=admin&password=admin-pw"
        client.send(
            "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: \(form.utf8.count)\r\n\r\n\(form)")
        let response = try client.readResponse()
        return try #require(try JSON.parse(response.body)["access_token"]?.stringValue)
    }

    /// Waits (up to 5 s) until every connection is closed; true when they all are.
    func connectionsDrain() -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while sandbox.openConnectionCount > 0 && Date() < deadline { usleep(10_000) }
        return sandbox.openConnectionCount == 0
    }
}

@Suite struct SandboxMalformedRequestTests {
    /// Each refused with the status Keycloak's HTTP layer (Vert.x) gives, then the connection closes.
    static let cases: [(name: String, bytes: [UInt8], status: Int)] = [
        ("garbage", Array("GARBAGE\r\n\r\n".utf8), 400),
        ("HTTP/0.9 request line, no empty line after it", Array("GET /\r\n".utf8), 400),
        ("request line with a missing target", Array("GET HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 400),
        ("HTTP/2 preface", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8), 505),
        ("header without a colon", Array("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".utf8), 400),
        ("header name with a space", Array("GET / HTTP/1.1\r\nHost: x\r\nX Y: 1\r\n\r\n".utf8), 400),
        ("NUL in a header value", Array("GET / HTTP/1.1\r\nHost: x\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), 400),
        (
            "non-UTF-8 bytes in the target",
            Array("GET /realms/".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 400
        ),
        ("non-UTF-8 bytes in the method", [0x47, 0xC3, 0x28, 0x54] + Array(" / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 400),
        (
            "non-UTF-8 bytes in a header name",
            Array("GET / HTTP/1.1\r\nHost: x\r\nX-".utf8) + [0xC0, 0xAF] + Array(": 1\r\n\r\n".utf8), 400
        ),
        ("no Host on HTTP/1.1", Array("GET / HTTP/1.1\r\n\r\n".utf8), 400),
        (
            "Content-Length not a number",
            Array("POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n".utf8),
            400
        ),
        ("negative Content-Length", Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".utf8), 400),
        (
            "two different Content-Lengths",
            Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab".utf8), 400
        ),
        (
            "Content-Length and chunked",
            Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8), 400
        ),
        ("chunk size not hex", Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n".utf8), 400),
        (
            "chunk longer than its size",
            Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n".utf8), 400
        ),
        (
            "chunk size overflowing",
            Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff\r\n".utf8), 400
        ),
        ("unknown transfer coding", Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".utf8), 501),
    ]

    @Test(arguments: cases.indices)
    func refusesAndKeepsServing(index: Int) throws {
        let (name, bytes, status) = Self.cases[index]
        // A long request timeout: each refusal must come from parsing, not from waiting.
        let running = try RunningSandbox { $0.limits.requestTimeout = 60 }
        let client = try RawHTTPClient(port: running.port)
        client.send(bytes)
        let response = try client.readResponse(timeout: 5)
        #expect(response.status == status, "\(name)")
        #expect(response.header("Connection") == "close", "\(name)")
        #expect(try client.readsEndOfStream(), "\(name)")
        try running.expectStillServes()
    }

    // RFC 9110 §5.5: obs-text (bytes 0x80-0xFF) is allowed in a field value; Keycloak serves such a request.
    @Test func acceptsNonUTF8BytesInAHeaderValue() throws {
        let running = try RunningSandbox()
        let client = try RawHTTPClient(port: running.port)
        client.send(
            Array("GET /realms/master/.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\nX-Junk: ".utf8) + [
                0xFF, 0xFE, 0x80,
            ] + Array("\r\n\r\n".utf8))
        #expect(try client.readResponse().status == 200)
    }

    @Test func refusesAJSONBodyThatIsNotUTF8LikeKeycloak() throws {
        let running = try RunningSandbox()
        let token = try running.adminToken()
        let client = try RawHTTPClient(port: running.port)
        let body: [UInt8] = Array(#"{"clientId":"a"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        client.send(
            Array(
                "POST /admin/realms/master/clients HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                    .utf8)
                + body)
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        #expect(try JSON.parse(response.body)["error"] != nil, "\(response.bodyText)")
        // Nothing was created and the connection stays usable.
        client.send("GET /admin/realms/master/clients?clientId=a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let list = try client.readResponse()
        #expect(list.status == 200)
        #expect(list.bodyText == "[]")
    }

    @Test func refusesAHugeHeaderSectionWith431() throws {
        let running = try RunningSandbox()
        let manyFields = try RawHTTPClient(port: running.port)
        manyFields.send(
            "GET / HTTP/1.1\r\nHost: x\r\n" + String(repeating: "X-Field: 0123456789012345678901234567890\r\n", count: 2000)
                + "\r\n")
        #expect(try manyFields.readResponse().statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(try manyFields.readsEndOfStream())

        let oneLongField = try RawHTTPClient(port: running.port)
        oneLongField.send("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + String(repeating: "a", count: 64 * 1024) + "\r\n\r\n")
        #expect(try oneLongField.readResponse().status == 431)
        try running.expectStillServes()
    }

    @Test func refusesAnOversizeBodyWith413AtTheConfiguredLimit() throws {
        let running = try RunningSandbox { $0.limits.maxBodyBytes = 2048 }
        let head =
            "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        let fits = try RawHTTPClient(port: running.port)
        let form =
            "grant_type=password&client_id=admin-cli&username=admin&password=wrong&pad="
            + String(repeating: "p", count: 2048 - 74)
        #expect(form.utf8.count == 2048)
        fits.send(head + "Content-Length: 2048\r\n\r\n" + form)
        // A body at the limit reaches the token endpoint, which refuses the password as 26.7.1 does (recorded: 400).
        let answer = try fits.readResponse()
        #expect(answer.status == 400)
        #expect(answer.bodyText == #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#)

        let declared = try RawHTTPClient(port: running.port)
        declared.send(head + "Content-Length: 2049\r\n\r\n" + String(repeating: "a", count: 2049))
        #expect(try declared.readResponse().statusLine == "HTTP/1.1 413 Content Too Large")
        #expect(try declared.readsEndOfStream())

        let chunked = try RawHTTPClient(port: running.port)
        chunked.send(
            head + "Transfer-Encoding: chunked\r\n\r\n800\r\n" + String(repeating: "a", count: 2048) + "\r\n1\r\na\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 413)
        try running.expectStillServes()
    }
}

@Suite struct SandboxSlowAndVanishingClientTests {
    @Test func aClientTricklingItsHeadDoesNotBlockOthersAndIsCutOff() throws {
        let running = try RunningSandbox { $0.limits.requestTimeout = 3 }
        let trickler = try RawHTTPClient(port: running.port)
        trickler.send("GET /realms/master/.well-known/openid-configuration HTTP/1.1\r\nHo")
        // Twenty other clients are served while the trickler's request is still open.
        for _ in 0..<20 { try running.expectStillServes() }
        var pending = pollfd(fd: trickler.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pending, 1, 0) == 0, "the trickler has had no answer yet")
        // More bytes do not buy more time: the deadline counts from the request's first byte.
        for byte in "st: x\r\nX-A: ".utf8 {
            trickler.send([byte])
            usleep(20_000)
        }
        #expect(try trickler.readResponse(timeout: 10).statusLine == "HTTP/1.1 408 Request Timeout")
        #expect(try trickler.readsEndOfStream())
    }

    @Test func aSlowBodyIsCutOffWith408() throws {
        let running = try RunningSandbox { $0.limits.requestTimeout = 0.5 }
        let client = try RawHTTPClient(port: running.port)
        client.send(
            "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ngrant_type=")
        #expect(try client.readResponse(timeout: 10).status == 408)
        try running.expectStillServes()
    }

    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() throws {
        let running = try RunningSandbox { $0.limits.idleTimeout = 0.3 }
        let silent = try RawHTTPClient(port: running.port)
        #expect(try silent.readsEndOfStream(timeout: 10), "a connection that never sends is closed")
        let keptAlive = try RawHTTPClient(port: running.port)
        keptAlive.send(RunningSandbox.discovery)
        #expect(try keptAlive.readResponse().status == 200)
        #expect(try keptAlive.readsEndOfStream(timeout: 10), "and so is one idle after its request")
        #expect(running.connectionsDrain())
    }

    @Test func clientsVanishingMidHeadMidBodyAndMidChunkLeaveNothingOpen() throws {
        let running = try RunningSandbox()
        let head = "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\n"
        let partials = [
            "GET /realms/master HTTP/1.1\r\nHo",
            head + "Content-Length: 1000\r\n\r\ngrant_type=pass",
            head + "Transfer-Encoding: chunked\r\n\r\n400\r\nabc",
            head + "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n",
        ]
        for round in 0..<60 {
            let client = try RawHTTPClient(port: running.port)
            client.send(partials[round % partials.count])
            // Closing with unread data (the 100 Continue) sends a reset; otherwise a FIN.
        }
        #expect(running.connectionsDrain(), "every vanished client's connection is closed")
        try running.expectStillServes()
        #expect(running.connectionsDrain())
    }

    @Test func manyConnectionsAtOnceAreAllServed() throws {
        let running = try RunningSandbox()
        let clients = try (0..<150).map { _ in try RawHTTPClient(port: running.port) }
        for client in clients { client.send(RunningSandbox.discovery) }
        var statuses: [Int: Int] = [:]
        for client in clients { statuses[try client.readResponse(timeout: 30).status, default: 0] += 1 }
        #expect(statuses == [200: 150])
    }

    @Test func connectionsBeyondTheLimitGet503AndTheServerRecovers() throws {
        let running = try RunningSandbox { $0.limits.maxConnections = 4 }
        var idle = try (0..<4).map { _ in try RawHTTPClient(port: running.port) }
        let deadline = Date().addingTimeInterval(5)
        while running.sandbox.openConnectionCount < 4 && Date() < deadline { usleep(5_000) }
        let refused = try RawHTTPClient(port: running.port)
        #expect(try refused.readResponse().statusLine == "HTTP/1.1 503 Service Unavailable")
        #expect(try refused.readsEndOfStream())
        idle.removeAll()
        #expect(running.connectionsDrain())
        try running.expectStillServes()
    }
}

/// The kcx-sandbox binary built next to this test bundle.
enum SandboxBinary {
    static let url: URL = {
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/"
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("kcx-sandbox").path)
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("kcx-sandbox")
    }()

    /// Runs it until it exits (for refusals at start-up).
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ["KCX_SANDBOX_ADMIN_PASSWORD": "admin-pw"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Starts it and returns the process with the base URL it printed; stop it with SIGKILL.
    static func start(_ arguments: [String]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = ["KCX_SANDBOX_ADMIN_PASSWORD": "admin-pw"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first, first != UInt8(ascii: "\n") else { break }
            line.append(first)
        }
        return (process, String(decoding: line, as: UTF8.self))
    }

    static func kill(_ process: Process) {
        // Threads spawning processes from tests block SIGTERM in the child's inherited mask: SIGKILL always works.
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

@Suite struct SandboxBinaryTests {
    @Test(arguments: ["0.0.0.0", "::"])
    func refusesANonLoopbackBindUnlessAllowed(host: String) throws {
        let refused = try SandboxBinary.run(["--host", host])
        #expect(refused.status == 1)
        #expect(refused.stdout.isEmpty)
        #expect(
            refused.stderr == """
                error: refusing to bind to non-loopback address '\(host)' (pass --allow-non-loopback to permit it)
                hint: use --host 127.0.0.1 or ::1, or add --allow-non-loopback if other machines must reach this sandbox

                """)
    }

    @Test func bindsAnyAddressWhenAllowedExplicitly() throws {
        let (process, url) = try SandboxBinary.start(["--host", "0.0.0.0", "--allow-non-loopback"])
        defer { SandboxBinary.kill(process) }
        #expect(url.hasPrefix("http://0.0.0.0:"))
        let port = try #require(UInt16(url.split(separator: ":").last ?? ""))
        let client = try RawHTTPClient(port: port)
        client.send(RunningSandbox.discovery)
        #expect(try client.readResponse().status == 200)
    }

    @Test func appliesTheBodyLimitAndTimeoutsFromItsOptions() throws {
        let (process, url) = try SandboxBinary.start([
            "--max-body-bytes", "2048", "--request-timeout", "0.5", "--idle-timeout", "0.5",
        ])
        defer { SandboxBinary.kill(process) }
        let port = try #require(UInt16(url.split(separator: ":").last ?? ""))

        let large = try RawHTTPClient(port: port)
        large.send(
            "POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n"
                + String(repeating: "a", count: 4096))
        #expect(try large.readResponse().status == 413)

        let slow = try RawHTTPClient(port: port)
        slow.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        #expect(try slow.readResponse(timeout: 10).status == 408)

        let idle = try RawHTTPClient(port: port)
        #expect(try idle.readsEndOfStream(timeout: 10))

        // After all that, it still serves.
        let fine = try RawHTTPClient(port: port)
        fine.send(RunningSandbox.discovery)
        #expect(try fine.readResponse().status == 200)
    }

    @Test(arguments: [
        (
            ["--request-timeout", "0"],
            "error: --request-timeout '0' is not a number of seconds from 0.05 to 86400\nhint: e.g. --request-timeout 10\n"
        ),
        (
            ["--idle-timeout", "soon"],
            "error: --idle-timeout 'soon' is not a number of seconds from 0.05 to 86400\nhint: e.g. --idle-timeout 10\n"
        ),
        (
            ["--idle-timeout", "nan"],
            "error: --idle-timeout 'nan' is not a number of seconds from 0.05 to 86400\nhint: e.g. --idle-timeout 10\n"
        ),
        (
            ["--max-connections", "0"],
            "error: --max-connections '0' is not a number from 1 to 100000\nhint: e.g. --max-connections 512\n"
        ),
    ])
    func refusesBadLimitOptions(arguments: [String], stderr: String) throws {
        let result = try SandboxBinary.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == stderr)
    }

    @Test func parsesTheLimitOptions() throws {
        guard
            case .run(let options, _) = try SandboxCommandLine.parse(
                ["--request-timeout", "2.5", "--idle-timeout", "30", "--max-connections", "64"],
                environment: ["KCX_SANDBOX_ADMIN_PASSWORD": "pw"],
                readFile: { _ in "" })
        else {
            Issue.record("not a run command")
            return
        }
        #expect(options.limits.requestTimeout == 2.5)
        #expect(options.limits.idleTimeout == 30)
        #expect(options.limits.maxConnections == 64)
    }
}
