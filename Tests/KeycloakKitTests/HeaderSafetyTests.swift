// Header values with control characters are never sent (the rule, libcurl's side of it against a
// real server, a hostile token response), and the plain-http:// credential warning's decision.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakKit

@Suite("header values")
struct HeaderValueTests {
    @Test("C0 controls except HTAB, and DEL, are named; other text passes")
    func controlCharactersInValues() {
        let refused: [(String, String)] = [
            ("abc\r\nX-Injected: yes", "CR"), ("abc\nX", "LF"), ("abc\u{0}", "NUL"), ("\u{1B}[31m", "ESC"), ("a\u{7F}", "DEL"),
            ("a\u{1}", "U+0001"), ("a\u{1F}", "U+001F"), ("\u{B}", "U+000B"), ("\u{C}", "U+000C"),
        ]
        for (value, name) in refused {
            let request = HTTPRequest(
                method: "GET", url: "http://kc/x",
                headers: [("Accept", "application/json"), ("Authorization", "Bearer " + value)])
            #expect(
                request.headerProblem == "the Authorization header contains a control character (\(name))",
                "\(value.debugDescription)")
        }
        for value in ["Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "a\tb", "café ☕", "", "x y  z", "\u{85}\u{2028}"] {
            #expect(
                HTTPRequest(method: "GET", url: "http://kc/x", headers: [("X-Value", value)]).headerProblem == nil,
                "\(value.debugDescription)")
        }
    }

    @Test("a header name must be an HTTP token")
    func headerNames() {
        for name in ["Content-Type", "X-Custom_1", "a!#$%&'*+-.^_`|~9"] {
            #expect(HTTPRequest(method: "GET", url: "http://kc/x", headers: [(name, "v")]).headerProblem == nil, "\(name)")
        }
        let cases: [(String, String)] = [
            ("", "the header name '' is not an HTTP token"), ("X Injected", "the header name 'X Injected' is not an HTTP token"),
            ("X:Y", "the header name 'X:Y' is not an HTTP token"), ("X\r\nY", #"the header name 'X\r\nY' is not an HTTP token"#),
            ("Ünicode", "the header name 'Ünicode' is not an HTTP token"),
        ]
        for (name, problem) in cases {
            #expect(HTTPRequest(method: "GET", url: "http://kc/x", headers: [(name, "v")]).headerProblem == problem)
        }
    }

    @Test("CurlTransport sends no request whose header holds a CR or LF, and says which header")
    func curlRefusesBeforeConnecting() async throws {
        let received = ServerRequestLog()
        let server = try startLoopbackServer { request in
            received.append(request)
            return .respond(ServerResponse(status: 200, body: Array("{}".utf8)))
        }
        defer { server.stop() }
        let url = server.baseURL + "/admin/realms"
        let outcome = try await onDedicatedThread { () -> (TransportError?, Int) in
            let transport = CurlTransport()
            var refusal: TransportError?
            do {
                _ = try transport.send(
                    HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer abc\r\nX-Injected: yes")]))
            } catch let error as TransportError { refusal = error }
            // The same transport still sends a clean request afterwards.
            let clean = try transport.send(HTTPRequest(method: "GET", url: url, headers: [("Authorization", "Bearer abc")]))
            return (refusal, clean.status)
        }
        #expect(outcome.0?.kind == .invalidRequest)
        #expect(
            outcome.0?.message == "kcx refused to send the request: the Authorization header contains a control character (CR)")
        #expect(outcome.1 == 200)
        #expect(received.all.count == 1)
        #expect(received.all.first?.header("Authorization") == "Bearer abc")
        #expect(received.all.allSatisfy { $0.header("X-Injected") == nil })
        #expect(server.acceptedConnectionCount == 1, "the refused request opened no connection")
    }

    @Test("the admin client maps the refusal to a usage error naming the request, not the token")
    func adminClientReportsTheRefusal() async throws {
        let server = try startLoopbackServer { _ in .respond(ServerResponse(status: 200, body: Array("[]".utf8))) }
        defer { server.stop() }
        let base = server.baseURL
        let error = try await onDedicatedThread { () -> KcxError? in
            let client = AdminClient(server: base, realm: "master", transport: CurlTransport(), token: "tok\nX-Injected: yes")
            do {
                _ = try client.send(method: "GET", endpoint: "clients")
                return nil
            } catch { return error as? KcxError }
        }
        #expect(error?.code == .usage)
        #expect(
            error?.message
                == "GET /admin/realms/master/clients: kcx refused to send the request: the Authorization header contains a control character (LF)"
        )
        #expect(error?.message.contains("tok") == false)
        #expect(server.servedRequestCount == 0)
    }

    @Test("an access_token with a control character in a token response is the server's error; nothing is stored")
    func hostileTokenResponse() throws {
        let transport = ScriptedHTTPTransport().expect(
            "POST", "http://kc/realms/master/protocol/openid-connect/token", status: 200,
            json: #"{"access_token":"abc\r\nX-Injected: yes","expires_in":60}"#)
        #expect(
            throws: KcxError(
                .serverError,
                "POST /realms/master/protocol/openid-connect/token: the access_token in the answer contains a control character (CR)",
                hint:
                    "no Keycloak sends such a token: check the server URL and what sits between kcx and the server; nothing was stored"
            )
        ) {
            try TokenEndpoint.login(
                server: "http://kc", realm: "master",
                credentials: LoginCredentials(grant: .password, clientId: "admin-cli", username: "a", password: "p"),
                transport: transport, now: { Date(timeIntervalSince1970: 0) })
        }
    }

    @Test("a stored session's token with a control character is refused before it is sent")
    func storedToken() throws {
        let session = StoredSession(
            server: "http://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
            accessToken: "A1\r\nX-Injected: yes", accessTokenExpiresAt: Date(timeIntervalSince1970: 1000))
        let manager = TokenManager(
            session: session, transport: ScriptedHTTPTransport(), environment: [:], now: { Date(timeIntervalSince1970: 0) },
            loginHint: "log in again")
        #expect(
            throws: KcxError(
                .usage, "the access token stored for http://kc realm master contains a control character (CR)",
                hint: "log in again")
        ) { try manager.accessToken() }
    }
}

@Suite("plain http:// credentials")
struct PlainHTTPCredentialsTests {
    static let form = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]

    func request(_ url: String, _ body: String, headers: [(name: String, value: String)] = form) -> HTTPRequest {
        HTTPRequest(method: "POST", url: url, headers: headers, body: Array(body.utf8))
    }

    @Test("loopback hosts are this machine; everything else, and odd spellings, are not")
    func loopback() {
        for host in [
            "127.0.0.1", "127.255.255.254", "127.0.1.1", "localhost", "LOCALHOST", "localhost.", "[::1]", "::1",
            "[0:0:0:0:0:0:0:1]",
            "[::ffff:127.0.0.1]", "[0000::0001]", "[::1%25lo]",
        ] {
            #expect(PlainHTTPCredentials.isLoopback(host: host), "\(host)")
        }
        for host in [
            "kc", "keycloak.example.com", "128.0.0.1", "10.0.0.1", "0.0.0.0", "127.1", "2130706433", "0177.0.0.1", "127.000.0.1",
            "localhost.example.com", "127.0.0.1.nip.io", "[::2]", "[::]", "[::ffff:10.0.0.1]", "[fe80::1]", "[1::1]", "", "[",
            "localhost..", "127.0.0.256", "[::1::]", "[12345::1]", "[::+1]",
        ] {
            #expect(!PlainHTTPCredentials.isLoopback(host: host), "\(host)")
        }
    }

    @Test("the exposed host of a URL: plain http:// to a host that is not loopback")
    func exposedHost() {
        let cases: [(String, String?)] = [
            ("http://kc.example.com/realms/master/protocol/openid-connect/token", "kc.example.com"),
            ("http://KC.Example.com:8080/x", "kc.example.com"), ("HTTP://kc/x", "kc"), ("http://10.1.2.3?x", "10.1.2.3"),
            ("http://[fe80::1]:8080/x", "[fe80::1]"), ("http://user@kc/x", "kc"),
            ("https://kc.example.com/x", nil), ("http://127.0.0.1:8080/x", nil), ("http://localhost/x", nil),
            ("http://[::1]:80/x", nil),
            ("ftp://kc/x", nil), ("http://", nil),
        ]
        for (url, host) in cases {
            #expect(PlainHTTPCredentials.exposedHost(url) == host, "\(url)")
        }
    }

    @Test("a form carrying a password or client secret to an exposed host gets the warning; nothing else does")
    func warning() {
        let url = "http://kc.example.com/realms/master/protocol/openid-connect/token"
        #expect(
            PlainHTTPCredentials.warning(for: request(url, "grant_type=password&client_id=admin-cli&username=a&password=p"))
                == "sending the password over plain http:// to kc.example.com, where the network can read it; use https://")
        #expect(
            PlainHTTPCredentials.warning(for: request(url, "grant_type=client_credentials&client_id=c&client_secret=s"))
                == "sending the client secret over plain http:// to kc.example.com, where the network can read it; use https://")
        #expect(
            PlainHTTPCredentials.warning(
                for: request(url, "grant_type=password&client_id=c&client_secret=s&username=a&password=p"))
                == "sending the password and the client secret over plain http:// to kc.example.com, where the network can read it; use https://"
        )
        // A percent-encoded field name is the same field.
        #expect(
            PlainHTTPCredentials.warning(for: request(url, "client%5Fsecret=s"))?.hasPrefix("sending the client secret") == true)
        // An empty password is still a password field (the form always carries one in a password grant).
        #expect(PlainHTTPCredentials.warning(for: request(url, "password=")) != nil)
        // No credential in the form: a refresh without a secret, a public client's introspection of a token.
        #expect(
            PlainHTTPCredentials.warning(for: request(url, "grant_type=refresh_token&refresh_token=r&client_id=admin-cli")) == nil
        )
        // A value that merely mentions the word, a JSON body, https, loopback: none warns.
        #expect(PlainHTTPCredentials.warning(for: request(url, "username=password&scope=client_secret")) == nil)
        #expect(
            PlainHTTPCredentials.warning(for: request(url, #"{"password":"p"}"#, headers: [("Content-Type", "application/json")]))
                == nil)
        #expect(PlainHTTPCredentials.warning(for: request("https://kc.example.com/t", "password=p")) == nil)
        #expect(PlainHTTPCredentials.warning(for: request("http://127.0.0.1:8080/t", "password=p")) == nil)
        #expect(PlainHTTPCredentials.warning(for: request("http://localhost:8080/t", "client_secret=s")) == nil)
        #expect(PlainHTTPCredentials.warning(for: HTTPRequest(method: "GET", url: url)) == nil)
    }

    @Test("the host is escaped in the warning")
    func escapedHost() {
        #expect(
            PlainHTTPCredentials.warning(for: request("http://k\u{1B}[2Jc/t", "password=p"))
                == #"sending the password over plain http:// to k\u001b[2jc, where the network can read it; use https://"#)
    }

    @Test("the warning transport reports once however many credential requests follow")
    func once() throws {
        let url = "http://kc.example.com/realms/master/protocol/openid-connect/token"
        let inner = ScriptedHTTPTransport()
        for _ in 0..<3 { inner.expect("POST", url, status: 200) }
        var warnings: [String] = []
        let transport = PlainHTTPWarningTransport(wrapping: inner, warn: { warnings.append($0) })
        for body in ["grant_type=refresh_token&refresh_token=r", "password=p", "client_secret=s"] {
            _ = try transport.send(request(url, body))
        }
        #expect(
            warnings == ["sending the password over plain http:// to kc.example.com, where the network can read it; use https://"]
        )
    }
}
