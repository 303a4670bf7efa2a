// The control API takes only requests a web page cannot forge (ControlRoutes.refusal): a loopback
// Host, no Origin, JSON bodies only. Exact bytes over a real socket, and the sandbox's state after.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct ControlRequestGateTests {
    /// One request on its own connection: `lines` are the request line and headers.
    private func send(_ port: UInt16, _ lines: [String], body: String = "") throws -> RawResponse {
        let client = try RawHTTPClient(port: port)
        var head = lines
        if !body.isEmpty { head.append("Content-Length: \(body.utf8.count)") }
        client.send(head.joined(separator: "\r\n") + "\r\n\r\n" + body)
        return try client.readResponse()
    }

    private let hostRefusal =
        #"{"error":"the control API answers requests addressed to 127.0.0.1, localhost or [::1] only (Host header)"}"#

    // DNS rebinding: the page's own name arrives as Host; so do look-alikes and other addresses.
    @Test func refusesHostsOtherThanLoopbackNames() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        let hosts = [
            "evil.example", "evil.example:\(port)", "127.0.0.1.evil.example", "localhost.evil.example", "localhost.",
            "127.0.0.2", "0.0.0.0:\(port)", "[::2]", "[::1", "::1", "localhost:", "localhost:8o80", "localhost:123456",
            "127.0.0.1:\(port)@evil.example", "",
        ]
        for host in hosts {
            let response = try send(port, ["POST /_sandbox/expire-tokens HTTP/1.1", "Host: \(host)"])
            #expect(response.status == 403, "\(host)")
            #expect(response.bodyText == hostRefusal, "\(host)")
            #expect(response.header("Content-Type") == "application/json")
        }
        // HTTP/1.0 may omit Host; the control API may not.
        let noHost = try send(port, ["GET /_sandbox/stats HTTP/1.0"])
        #expect(noHost.status == 403)
        #expect(noHost.bodyText == hostRefusal)
        #expect(sandbox.context.clockOffset == 0)
    }

    @Test func acceptsLoopbackNamesWithOrWithoutPort() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        for host in ["127.0.0.1", "127.0.0.1:\(port)", "localhost", "LocalHost:\(port)", "[::1]", "[::1]:\(port)", "localhost:1"]
        {
            let response = try send(port, ["GET /_sandbox/clock HTTP/1.1", "Host: \(host)"])
            #expect(response.status == 200, "\(host)")
            #expect(response.bodyText.hasPrefix(#"{"now":"#), "\(host)")
        }
    }

    // CSRF by form post: a form can only send urlencoded, multipart or text/plain bodies.
    @Test func refusesBodiesThatAreNotJSON() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        let rule = #"{"path":"/x","action":"drop"}"#
        #expect(
            try send(port, ["POST /_sandbox/faults HTTP/1.1", "Host: localhost", "Content-Type: application/json"], body: rule)
                .status == 201)
        let refused: [(String, [String], String)] = [
            ("POST /_sandbox/expire-tokens", ["Content-Type: application/x-www-form-urlencoded"], "a=b"),
            ("POST /_sandbox/expire-tokens", ["Content-Type: text/plain"], #"{"x":1}"#),
            ("POST /_sandbox/expire-tokens", ["Content-Type: multipart/form-data; boundary=b"], "--b--"),
            ("POST /_sandbox/expire-tokens", ["Content-Type: application/x-www-form-urlencoded"], ""),
            ("POST /_sandbox/expire-tokens", [], "{}"),
            ("POST /_sandbox/clock", ["Content-Type: application/jsonp"], #"{"advanceSeconds":5}"#),
            ("POST /_sandbox/clock", ["Content-Type: text/plain;charset=application/json"], #"{"advanceSeconds":5}"#),
            ("DELETE /_sandbox/faults", ["Content-Type: text/plain"], "x"),
            ("DELETE /_sandbox/faults/fault-1", ["Content-Type: application/x-www-form-urlencoded"], ""),
        ]
        for (requestLine, headers, body) in refused {
            let response = try send(port, ["\(requestLine) HTTP/1.1", "Host: 127.0.0.1"] + headers, body: body)
            #expect(response.status == 415, "\(requestLine) \(headers)")
            #expect(
                response.bodyText == #"{"error":"send the body as Content-Type: application/json"}"#, "\(requestLine) \(headers)")
        }
        #expect(sandbox.context.clockOffset == 0)
        #expect(sandbox.faults.all.count == 1)
    }

    // Browsers put Origin on every cross-origin POST, also body-less `fetch(..., {mode: "no-cors"})`.
    @Test func refusesRequestsCarryingOrigin() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        for origin in ["http://evil.example", "null", "http://127.0.0.1:\(port)"] {
            let response = try send(
                port, ["POST /_sandbox/expire-tokens HTTP/1.1", "Host: 127.0.0.1:\(port)", "Origin: \(origin)"])
            #expect(response.status == 403, "\(origin)")
            #expect(
                response.bodyText == #"{"error":"the control API refuses requests from web pages (Origin header)"}"#, "\(origin)")
        }
        #expect(sandbox.context.clockOffset == 0)
    }

    // What the tests and kcx's harness send keeps working: body-less POST/DELETE, JSON with charset.
    @Test func acceptsBodylessAndJSONRequests() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        let clock = try send(
            port, ["POST /_sandbox/clock HTTP/1.1", "Host: localhost:\(port)", "Content-Type: Application/JSON; charset=utf-8"],
            body: #"{"advanceSeconds":30}"#)
        #expect(clock.status == 200)
        #expect(sandbox.context.clockOffset == 30)
        let expire = try send(port, ["POST /_sandbox/expire-tokens HTTP/1.1", "Host: 127.0.0.1:\(port)"])
        #expect(expire.status == 200)
        #expect(sandbox.context.clockOffset > 30)
        let emptyJSON = try send(
            port, ["DELETE /_sandbox/faults HTTP/1.1", "Host: [::1]:\(port)", "Content-Type: application/json"])
        #expect(emptyJSON.status == 204)
    }

    // The Keycloak-compatible API keeps answering any Host (hostnames, proxies, --allow-non-loopback).
    @Test func leavesTheKeycloakAPIAlone() throws {
        let sandbox = try makeSandbox()
        let port = try #require(UInt16(try sandbox.start().split(separator: ":").last ?? ""))
        defer { sandbox.stop() }
        let discovery = try send(
            port,
            [
                "GET /realms/master/.well-known/openid-configuration HTTP/1.1", "Host: keycloak.example:\(port)",
                "Origin: http://app.example",
            ])
        #expect(discovery.status == 200)
        let token = try send(
            port,
            [
                "POST /realms/master/protocol/openid-connect/token HTTP/1.1", "Host: keycloak.example",
                "Content-Type: application/x-www-form-urlencoded",
            ],
            body: "grant_type=password&client_id=admin-cli&username=admin&password=test-password")
        #expect(token.status == 200)
    }
}
