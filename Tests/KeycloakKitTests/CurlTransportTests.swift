// CurlTransport against real servers: keep-alive, headers and bodies, gzip, timeouts, refused
// connections, redirects not followed, and TLS with a certificate made at test time.
import Foundation
import KeycloakKit
import LoopbackHTTP
import Testing

/// Requests a server handler saw, shared with the test thread.
final class ServerRequestLog: @unchecked Sendable {
    private let lock = NSLock()
    private var requests: [ServerRequest] = []
    func append(_ request: ServerRequest) { lock.withLock { requests.append(request) } }
    var all: [ServerRequest] { lock.withLock { requests } }
}

func startLoopbackServer(_ handler: @escaping @Sendable (ServerRequest) -> ServerAction) throws -> LoopbackHTTPServer {
    let server = LoopbackHTTPServer(handler: handler)
    try server.start()
    return server
}

@Suite("CurlTransport")
struct CurlTransportTests {
    @Test("several requests on one transport use one connection (keep-alive)")
    func keepAlive() async throws {
        let server = try startLoopbackServer { request in
            .respond(ServerResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array(request.path.utf8)))
        }
        defer { server.stop() }
        let base = server.baseURL
        let results = try await onDedicatedThread { () -> ([Int], [String], [Int]) in
            let transport = CurlTransport()
            var statuses: [Int] = []
            var bodies: [String] = []
            var opened: [Int] = []
            for path in ["/one", "/two", "/three", "/four"] {
                let response = try transport.send(HTTPRequest(method: "GET", url: base + path))
                statuses.append(response.status)
                bodies.append(response.bodyText)
                opened.append(transport.connectionsOpenedByLastRequest)
            }
            return (statuses, bodies, opened)
        }
        #expect(results.0 == [200, 200, 200, 200])
        #expect(results.1 == ["/one", "/two", "/three", "/four"])
        #expect(results.2 == [1, 0, 0, 0])
        #expect(server.acceptedConnectionCount == 1)
    }

    @Test("method, headers, User-Agent and JSON body arrive as sent; response headers and body come back")
    func roundTrip() async throws {
        let received = ServerRequestLog()
        let server = try startLoopbackServer { request in
            received.append(request)
            return .respond(
                ServerResponse(
                    status: 201, headers: [("Location", "/items/42"), ("X-Trace", "abc")], body: Array("{\"ok\":true}".utf8)))
        }
        defer { server.stop() }
        let url = server.baseURL + "/items?first=0&max=10"
        let response = try await onDedicatedThread {
            try CurlTransport().send(
                HTTPRequest(
                    method: "POST", url: url,
                    headers: [("Content-Type", "application/json"), ("Authorization", "Bearer abc")],
                    body: Array("{\"name\":\"x\"}".utf8)))
        }
        #expect(response.status == 201)
        #expect(response.header("Location") == "/items/42")
        #expect(response.header("x-trace") == "abc")
        #expect(response.bodyText == "{\"ok\":true}")
        let request = try #require(received.all.first)
        #expect(received.all.count == 1)
        #expect(request.method == "POST")
        #expect(request.target == "/items?first=0&max=10")
        #expect(request.body == Array("{\"name\":\"x\"}".utf8))
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Authorization") == "Bearer abc")
        #expect(request.header("User-Agent") == "kcx/\(KcxVersion.current)")
        #expect(request.header("Accept-Encoding")?.contains("gzip") == true)
        #expect(request.header("Expect") == nil)
    }

    @Test("PUT and DELETE without a body: PUT sends Content-Length 0 and no Content-Type, DELETE nothing")
    func bodylessMethods() async throws {
        let received = ServerRequestLog()
        let server = try startLoopbackServer { request in
            received.append(request)
            return .respond(ServerResponse(status: 204))
        }
        defer { server.stop() }
        let base = server.baseURL
        let statuses = try await onDedicatedThread { () -> [Int] in
            let transport = CurlTransport()
            return try [
                transport.send(HTTPRequest(method: "PUT", url: base + "/scopes/1")).status,
                transport.send(HTTPRequest(method: "DELETE", url: base + "/scopes/1")).status,
                transport.send(HTTPRequest(method: "GET", url: base + "/after")).status,
            ]
        }
        #expect(statuses == [204, 204, 204])
        let requests = received.all
        #expect(requests.map(\.method) == ["PUT", "DELETE", "GET"])
        #expect(requests[0].header("Content-Length") == "0")
        #expect(requests[0].header("Content-Type") == nil)
        #expect(requests[1].header("Content-Length") == nil)
        #expect(requests.allSatisfy { $0.body.isEmpty })
    }

    @Test("a gzip-encoded response is decoded")
    func gzipResponse() async throws {
        // gzip of {"compressed":"yes, gzip"}
        let compressed: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0xce, 0xcf, 0x2d, 0x28, 0x4a,
            0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0xb2, 0x52, 0xaa, 0x4c, 0x2d, 0xd6, 0x51, 0x48, 0xaf, 0xca, 0x2c, 0x50, 0xaa,
            0x05, 0x00, 0x1d, 0x49, 0x7d, 0xad, 0x1a, 0x00, 0x00, 0x00,
        ]
        let server = try startLoopbackServer { _ in
            .respond(
                ServerResponse(
                    status: 200, headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: compressed))
        }
        defer { server.stop() }
        let url = server.baseURL + "/gz"
        let response = try await onDedicatedThread { try CurlTransport().send(HTTPRequest(method: "GET", url: url)) }
        #expect(response.status == 200)
        #expect(response.bodyText == "{\"compressed\":\"yes, gzip\"}")
    }

    @Test("a server slower than the timeout gives .timedOut, and the handle still works afterwards")
    func timeout() async throws {
        let server = try startLoopbackServer { request in
            request.path == "/slow"
                ? .respondAfter(seconds: 2, ServerResponse(status: 200))
                : .respond(ServerResponse(status: 200, body: Array("fast".utf8)))
        }
        defer { server.stop() }
        let base = server.baseURL
        let outcome = try await onDedicatedThread { () -> (TransportError?, String) in
            var options = TransportOptions()
            options.timeoutSeconds = 0.3
            let transport = CurlTransport(options: options)
            var failure: TransportError?
            do throws(TransportError) { _ = try transport.send(HTTPRequest(method: "GET", url: base + "/slow")) } catch {
                failure = error
            }
            let after = try transport.send(HTTPRequest(method: "GET", url: base + "/fast")).bodyText
            return (failure, after)
        }
        #expect(outcome.0?.kind == .timedOut)
        #expect(outcome.0?.url == base + "/slow")
        #expect(outcome.1 == "fast")
    }

    @Test("a port nobody listens on gives .connectionRefused")
    func refused() async throws {
        let server = try startLoopbackServer { _ in .respond(ServerResponse(status: 200)) }
        let url = server.baseURL + "/x"
        server.stop()
        let failure = try await onDedicatedThread { () -> TransportError? in
            do throws(TransportError) { _ = try CurlTransport().send(HTTPRequest(method: "GET", url: url)) } catch {
                return error
            }
            return nil
        }
        #expect(failure?.kind == .connectionRefused)
    }

    @Test("redirects are returned, not followed, so Authorization never leaves for another host")
    func redirectNotFollowed() async throws {
        let received = ServerRequestLog()
        let server = try startLoopbackServer { request in
            received.append(request)
            return .respond(ServerResponse(status: 302, headers: [("Location", "http://127.0.0.2:9/steal")]))
        }
        defer { server.stop() }
        let url = server.baseURL + "/admin/realms"
        let response = try await onDedicatedThread {
            try CurlTransport().send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer t")]))
        }
        #expect(response.status == 302)
        #expect(response.header("Location") == "http://127.0.0.2:9/steal")
        #expect(received.all.count == 1)
    }

    @Test("non-HTTP schemes are refused")
    func otherSchemes() async throws {
        let failure = try await onDedicatedThread { () -> TransportError? in
            do throws(TransportError) {
                _ = try CurlTransport().send(HTTPRequest(method: "GET", url: "file:///etc/passwd"))
            } catch { return error }
            return nil
        }
        #expect(failure?.kind == .other)
    }

    @Test(
        "curl error codes map to the kinds users act on",
        arguments: [
            (7, TransportError.Kind.connectionRefused), (6, .couldNotResolveHost), (28, .timedOut), (35, .tls), (51, .tls),
            (58, .tls), (60, .tls), (77, .tls), (83, .tls), (90, .tls), (91, .tls), (18, .connectionLost), (52, .connectionLost),
            (55, .connectionLost), (56, .connectionLost), (23, .other), (1, .other),
        ])
    func curlCodes(code: Int, kind: TransportError.Kind) {
        #expect(CurlTransport.kind(ofCurlCode: code) == kind)
    }
}

/// A Python HTTPS server with a self-signed certificate for 127.0.0.1/localhost made by openssl.
final class TLSTestServer: @unchecked Sendable {
    let directory: String
    let certificate: String
    let process: Process
    let port: Int
    private let input = Pipe()

    init() throws {
        directory = try makeTemporaryDirectory()
        certificate = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw TLSServerError.openssl(openssl.terminationStatus) }

        let script = """
            import http.server, os, ssl, sys, threading
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    body = b'{"tls":true}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[1], sys.argv[2])
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            # Exit when the test process closes stdin (or dies), so no server outlives its test.
            threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
            server.serve_forever()
            """
        try script.write(toFile: directory + "/server.py", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory + "/server.py", certificate, key]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TLSServerError.noPort
        }
        self.port = port
    }

    var url: String { "https://127.0.0.1:\(port)/tls" }

    func stop() {
        // SIGKILL: a child spawned from a test's pool thread inherits a mask with SIGTERM blocked,
        // so terminate() would leave it running and waitUntilExit() spinning forever.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    enum TLSServerError: Error { case openssl(Int32), noPort }
}

@Suite("CurlTransport TLS")
struct CurlTransportTLSTests {
    @Test("a self-signed certificate is refused without --insecure or --cacert")
    func untrusted() async throws {
        let server = try await onDedicatedThread { try TLSTestServer() }
        defer { server.stop() }
        let url = server.url
        let failure = try await onDedicatedThread { () -> TransportError? in
            do throws(TransportError) { _ = try CurlTransport().send(HTTPRequest(method: "GET", url: url)) } catch {
                return error
            }
            return nil
        }
        #expect(failure?.kind == .tls)
    }

    @Test("insecure skips verification")
    func insecure() async throws {
        let server = try await onDedicatedThread { try TLSTestServer() }
        defer { server.stop() }
        let url = server.url
        let response = try await onDedicatedThread { () -> HTTPResponse in
            var options = TransportOptions()
            options.insecure = true
            return try CurlTransport(options: options).send(HTTPRequest(method: "GET", url: url))
        }
        #expect(response.status == 200)
        #expect(response.bodyText == "{\"tls\":true}")
    }

    @Test("caCertificateFile trusts the server's certificate")
    func caFile() async throws {
        let server = try await onDedicatedThread { try TLSTestServer() }
        defer { server.stop() }
        let url = server.url
        let certificate = server.certificate
        let response = try await onDedicatedThread { () -> HTTPResponse in
            var options = TransportOptions()
            options.caCertificateFile = certificate
            return try CurlTransport(options: options).send(HTTPRequest(method: "GET", url: url))
        }
        #expect(response.status == 200)
        #expect(response.bodyText == "{\"tls\":true}")
    }
}
