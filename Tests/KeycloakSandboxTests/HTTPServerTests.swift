// LoopbackHTTP over raw sockets: framing, keep-alive, limits, malformed input, fault actions (RFC 9112).
import Foundation
import KeycloakSandbox
import LoopbackHTTP
import Testing

@Suite struct HTTPServerFramingTests {
    // RFC 9112 §9.3: persistent connections are the HTTP/1.1 default.
    @Test func servesSeveralRequestsOverOneKeepAliveConnection() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        for path in ["/a", "/b", "/c"] {
            client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.statusLine == "HTTP/1.1 200 OK")
            #expect(response.bodyText == "GET \(path)\n")
            #expect(response.header("Connection") == nil)
            #expect(response.header("Content-Length") == String("GET \(path)\n".utf8.count))
        }
        #expect(server.acceptedConnectionCount == 1)
        #expect(server.servedRequestCount == 3)
    }

    // RFC 9112 §9.3.2: pipelined requests are answered in order.
    @Test func answersPipelinedRequestsInOrder() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        #expect(try client.readResponse().bodyText == "GET /1\n")
        #expect(try client.readResponse().bodyText == "POST /2\nabc")
        #expect(try client.readResponse().bodyText == "GET /3\n")
    }

    @Test func passesTheContentLengthBodyAndDecodedQuery() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("PUT /realms/a%2Fb/x?first=0&q=a+b%2Fc&flag HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        let response = try client.readResponse()
        #expect(response.bodyText == "PUT /realms/a%2Fb/x\nhello")
        #expect(response.header("X-Query") == "first=0&q=a b/c&flag=")
        #expect(response.header("X-Remote") == "127.0.0.1")
    }

    // RFC 9112 §7.1: chunked transfer coding, with extensions and trailers.
    @Test func decodesAChunkedBody() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send(
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n"
        )
        #expect(try client.readResponse().bodyText == "POST /c\nhello, world!!!")
        client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().bodyText == "GET /after\n")
    }

    @Test func closesAfterConnectionClose() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(try client.readsEndOfStream())
    }

    // RFC 9112 §9.3: HTTP/1.0 closes unless keep-alive is asked for.
    @Test func treatsHTTP10ClientsAsHTTP10() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let closing = try RawHTTPClient(port: server.port)
        closing.send("GET /old HTTP/1.0\r\n\r\n")
        let first = try closing.readResponse()
        #expect(first.statusLine == "HTTP/1.1 200 OK")
        #expect(first.bodyText == "GET /old\n")
        #expect(first.header("Connection") == "close")
        #expect(try closing.readsEndOfStream())

        let keeping = try RawHTTPClient(port: server.port)
        keeping.send("GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try keeping.readResponse().header("Connection") == "keep-alive")
        keeping.send("GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try keeping.readResponse().bodyText == "GET /two\n")
    }

    // RFC 9110 §9.3.2: HEAD gets GET's headers (including Content-Length) and no body.
    @Test func answersHeadWithoutABody() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(forHead: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "7")  // "GET /h\n": the handler sees GET
        #expect(try client.readResponse().bodyText == "GET /next\n")
    }

    // RFC 9110 §10.1.1: Expect: 100-continue gets an interim 100 before the body is sent.
    @Test func answersExpectContinue() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse(forHead: true)
        #expect(interim.statusLine == "HTTP/1.1 100 Continue")
        #expect(interim.headers.isEmpty)
        client.send("data")
        #expect(try client.readResponse().bodyText == "POST /e\ndata")
    }

    @Test func refusesAnUnknownExpectation() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: something\r\n\r\n")
        #expect(try client.readResponse().statusLine == "HTTP/1.1 417 Expectation Failed")
        #expect(try client.readsEndOfStream())
    }

    @Test func omitsTheBodyAndLengthOf204() throws {
        let server = LoopbackHTTPServer { _ in .respond(ServerResponse(status: 204, body: Array("ignored".utf8))) }
        try server.start()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\nDELETE /y HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.statusLine == "HTTP/1.1 204 No Content")
        #expect(first.header("Content-Length") == nil)
        #expect(try client.readResponse().status == 204)
    }

    @Test func dropsHandlerHeadersThatWouldSplitTheResponse() throws {
        let server = LoopbackHTTPServer { _ in
            .respond(
                ServerResponse(status: 200, headers: [("X-Ok", "1"), ("X-Bad", "a\r\nInjected: yes"), ("Content-Length", "99")]))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.headers.map(\.name) == ["X-Ok", "Content-Length"])
        #expect(response.header("Content-Length") == "0")
    }
}

@Suite struct HTTPServerRobustnessTests {
    // RFC 9112 §3, §5, §6: malformed heads and framing get 400 (or the named status) and a closed connection.
    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /\r\n\r\n", 400),
        ("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET nopath HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET / FTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\n folded: v\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n", 400),
    ])
    func refusesMalformedRequests(request: String, status: Int) throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(response.body.isEmpty)
        #expect(try client.readsEndOfStream())
    }

    @Test func refusesAnOversizeBodyWith413() throws {
        var limits = LoopbackHTTPLimits()
        limits.maxBodyBytes = 16
        let server = try makeEchoServer(limits: limits)
        defer { server.stop() }
        let fits = try RawHTTPClient(port: server.port)
        fits.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
        #expect(try fits.readResponse().status == 200)

        let tooLarge = try RawHTTPClient(port: server.port)
        tooLarge.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n0123456789abcdefg")
        #expect(try tooLarge.readResponse().statusLine == "HTTP/1.1 413 Content Too Large")
        #expect(try tooLarge.readsEndOfStream())

        let chunked = try RawHTTPClient(port: server.port)
        chunked.send(
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n")
        #expect(try chunked.readResponse().status == 413)
        #expect(try chunked.readsEndOfStream())

        // With Expect, the 413 comes instead of 100 Continue, before any body is sent.
        let expecting = try RawHTTPClient(port: server.port)
        expecting.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nExpect: 100-continue\r\n\r\n")
        #expect(try expecting.readResponse().status == 413)
    }

    @Test func refusesAnOversizeHeadWith431() throws {
        var limits = LoopbackHTTPLimits()
        limits.maxHeadBytes = 256
        let server = try makeEchoServer(limits: limits)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 300))\r\n\r\n")
        #expect(try client.readResponse().statusLine == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(try client.readsEndOfStream())

        // A head that never ends is cut off at the limit too.
        let endless = try RawHTTPClient(port: server.port)
        endless.send("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 100))
        #expect(try endless.readResponse().status == 431)
    }

    // Slowloris: a request that does not arrive in time gets 408 and the connection closes.
    @Test func dropsASlowClient() throws {
        var limits = LoopbackHTTPLimits()
        limits.requestTimeout = 0.3
        let server = try makeEchoServer(limits: limits)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        #expect(try client.readResponse(timeout: 5).statusLine == "HTTP/1.1 408 Request Timeout")
        #expect(try client.readsEndOfStream())

        let slowBody = try RawHTTPClient(port: server.port)
        slowBody.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(try slowBody.readResponse(timeout: 5).status == 408)
    }

    @Test func closesAnIdleKeepAliveConnection() throws {
        var limits = LoopbackHTTPLimits()
        limits.idleTimeout = 0.2
        let server = try makeEchoServer(limits: limits)
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(try client.readsEndOfStream(timeout: 5))
    }

    // Random bytes never bring the server down; it keeps answering well-formed requests afterwards.
    @Test func survivesRandomBytes() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        var generator = SplitMix64(seed: 42)
        for round in 0..<40 {
            let client = try RawHTTPClient(port: server.port)
            var bytes = (0..<Int.random(in: 1...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 { bytes = Array("POST / HTTP/1.1\r\nHost: x\r\n".utf8) + bytes + Array("\r\n\r\n".utf8) }
            client.send(bytes)
            shutdown(client.fd, Int32(SHUT_WR))
            _ = try client.readAll()
        }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().bodyText == "GET /alive\n")
    }

    @Test func peerClosingMidResponseDoesNotStopTheServer() throws {
        let server = LoopbackHTTPServer { _ in
            .respond(ServerResponse(status: 200, body: [UInt8](repeating: 65, count: 4 * 1024 * 1024)))
        }
        try server.start()
        defer { server.stop() }
        for _ in 0..<3 {
            let client = try RawHTTPClient(port: server.port)
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().body.count == 4 * 1024 * 1024)
    }
}

@Suite struct HTTPServerActionTests {
    @Test func dropActionClosesWithoutAnswer() throws {
        let server = LoopbackHTTPServer { request in
            request.path == "/drop" ? .dropConnection : .respond(ServerResponse(status: 200))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET /drop HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readAll().isEmpty)
        let next = try RawHTTPClient(port: server.port)
        next.send("GET /fine HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try next.readResponse().status == 200)
    }

    @Test func delayedActionAnswersAfterTheDelay() throws {
        let server = LoopbackHTTPServer { _ in .respondAfter(seconds: 0.2, ServerResponse(status: 503, body: Array("later".utf8)))
        }
        try server.start()
        defer { server.stop() }
        let client = try RawHTTPClient(port: server.port)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.statusLine == "HTTP/1.1 503 Service Unavailable")
        #expect(response.bodyText == "later")
    }

    @Test func stopClosesHangingAndIdleConnections() throws {
        let server = LoopbackHTTPServer { _ in .respondAfter(seconds: 3600, ServerResponse(status: 200)) }
        try server.start()
        let hanging = try RawHTTPClient(port: server.port)
        hanging.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try RawHTTPClient(port: server.port)
        while server.acceptedConnectionCount < 2 { usleep(1000) }
        server.stop()
        #expect(try hanging.readAll().isEmpty)
        #expect(try idle.readsEndOfStream())
        #expect(throws: RawClientError.self) { try RawHTTPClient(port: server.port) }
    }
}

@Suite struct HTTPServerBindingTests {
    // Issue 7: never listen beyond loopback by accident.
    @Test func refusesANonLoopbackBindUnlessAllowed() throws {
        let server = LoopbackHTTPServer(host: "0.0.0.0") { _ in .respond(ServerResponse(status: 200)) }
        #expect(throws: LoopbackHTTPError.nonLoopbackHost("0.0.0.0")) { try server.start() }
        #expect(
            LoopbackHTTPError.nonLoopbackHost("0.0.0.0").description
                == "refusing to bind to non-loopback address '0.0.0.0' (pass allowNonLoopback to permit it)")

        let allowed = LoopbackHTTPServer(host: "0.0.0.0", allowNonLoopback: true) { _ in .respond(ServerResponse(status: 200)) }
        try allowed.start()
        defer { allowed.stop() }
        #expect(allowed.port != 0)
    }

    @Test func refusesAnUnresolvableHost() {
        let server = LoopbackHTTPServer(host: "no such host") { _ in .respond(ServerResponse(status: 200)) }
        #expect(throws: LoopbackHTTPError.invalidHost("no such host")) { try server.start() }
    }

    @Test func bindsIPv6LoopbackWithABracketedBaseURL() throws {
        let server = LoopbackHTTPServer(host: "::1") { request in
            .respond(ServerResponse(status: 200, body: Array(request.remoteAddress.utf8)))
        }
        try server.start()
        defer { server.stop() }
        #expect(server.baseURL == "http://[::1]:\(server.port)")
        let client = try RawHTTPClient(port: server.port, host: "::1")
        client.send("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n")
        #expect(try client.readResponse().bodyText == "::1")
    }

    @Test func reportsThePortItBound() throws {
        let server = try makeEchoServer()
        defer { server.stop() }
        #expect(server.port != 0)
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
        let second = LoopbackHTTPServer(port: server.port) { _ in .respond(ServerResponse(status: 200)) }
        #expect(throws: LoopbackHTTPError.self) { try second.start() }
    }
}
