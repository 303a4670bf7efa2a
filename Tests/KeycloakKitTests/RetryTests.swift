// Retries (RetryingTransport: what is retried, attempt counts, backoff, Retry-After), creates that
// never make two objects (AdminAPI.createOnce, Writer), bad server replies and the response size cap.
import Foundation
import KcxJSON
@testable import KeycloakKit
import LoopbackHTTP
import Testing

/// Records the waits a RetryingTransport asks for instead of sleeping.
final class RecordedWaits: @unchecked Sendable {
    private(set) var seconds: [Double] = []
    private(set) var log: [String] = []

    func transport(_ inner: HTTPTransport, retries: Int = 3, random: Double = 0.5, now: Double = 1_777_636_800)
        -> RetryingTransport
    {
        RetryingTransport(
            wrapping: inner, policy: RetryPolicy(retries: retries), log: { self.log.append($0) },
            sleep: { self.seconds.append($0) },
            random: { random }, now: { now })
    }
}

private let clientsURL = "http://kc:8080/admin/realms/r/clients"
private let scopesURL = "http://kc:8080/admin/realms/r/client-scopes"
private let tokenURL = "http://kc:8080/realms/r/protocol/openid-connect/token"

@Suite("Retries")
struct RetryTests {
    @Test("a GET answered 503 twice, then 200, is sent three times with full-jitter backoff, each retry logged")
    func retriesUntilSuccess() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", clientsURL, status: 503).expect("GET", clientsURL, status: 503).expect(
            "GET", clientsURL, status: 200, json: "[]")
        let waits = RecordedWaits()
        let response = try waits.transport(inner).send(HTTPRequest(method: "GET", url: clientsURL))
        #expect(response.status == 200)
        #expect(response.retryNote == nil)
        #expect(inner.remaining == 0)
        // random 0.5 of min(5, 0.1 * 2^(n-1)).
        #expect(waits.seconds == [0.05, 0.1])
        #expect(
            waits.log == [
                "retrying GET \(clientsURL) after 503 (attempt 2 of 4) in 50 ms",
                "retrying GET \(clientsURL) after 503 (attempt 3 of 4) in 100 ms",
            ])
    }

    @Test("a server that keeps answering 503 gets N+1 attempts, then the error says so", arguments: [0, 1, 3, 5])
    func givesUp(retries: Int) throws {
        let inner = ScriptedHTTPTransport()
        for _ in 0...retries { inner.expect("GET", clientsURL, status: 503, json: #"{"error":"unavailable"}"#) }
        let waits = RecordedWaits()
        let admin = AdminClient(
            server: "http://kc:8080", realm: "r", transport: waits.transport(inner, retries: retries), token: "t")
        let error = #expect(throws: KcxError.self) { try admin.send(method: "GET", endpoint: "clients") }
        #expect(inner.remaining == 0)
        #expect(waits.seconds == Array([0.05, 0.1, 0.2, 0.4, 0.8].prefix(retries)))
        if retries == 0 {
            #expect(error == KcxError(.serverError, "GET /admin/realms/r/clients: 503 unavailable"))
        } else {
            #expect(
                error
                    == KcxError(
                        .serverError, "GET /admin/realms/r/clients: 503 unavailable (gave up after \(retries + 1) attempts)",
                        hint:
                            "the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N"
                    ))
        }
    }

    @Test(
        "502, 503 and 504 are retried for GET, HEAD, PUT, DELETE and OPTIONS",
        arguments: [
            ("GET", 502), ("HEAD", 503), ("PUT", 504), ("DELETE", 503), ("OPTIONS", 502), ("get", 503),
        ])
    func idempotentMethods(method: String, status: Int) throws {
        let inner = ScriptedHTTPTransport()
        inner.expect(method, clientsURL, status: status).expect(method, clientsURL, status: 204)
        let waits = RecordedWaits()
        #expect(try waits.transport(inner).send(HTTPRequest(method: method, url: clientsURL)).status == 204)
        #expect(waits.seconds.count == 1)
    }

    @Test(
        "a POST that creates something, PATCH, and every other status are sent once",
        arguments: [
            ("POST", 503), ("POST", 502), ("PATCH", 503), ("GET", 400), ("GET", 401), ("GET", 403), ("GET", 404), ("PUT", 409),
            ("GET", 500), ("GET", 429), ("GET", 501),
        ])
    func notRetried(method: String, status: Int) throws {
        let inner = ScriptedHTTPTransport()
        inner.expect(method, clientsURL, status: status)
        let waits = RecordedWaits()
        let response = try waits.transport(inner).send(
            HTTPRequest(method: method, url: clientsURL, body: method == "GET" ? nil : []))
        #expect(response.status == status)
        #expect(response.retryNote == nil)
        #expect(waits.seconds.isEmpty)
        #expect(waits.log.isEmpty)
    }

    @Test("Retry-After on a 503 is the wait (seconds or an HTTP date); longer than 30 s is not waited for")
    func retryAfter() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", clientsURL, status: 503, headers: [("Retry-After", "2")])
        inner.expect("GET", clientsURL, status: 503, headers: [("Retry-After", "Fri, 01 May 2026 12:00:07 GMT")])
        inner.expect("GET", clientsURL, status: 200, json: "[]")
        let waits = RecordedWaits()
        #expect(try waits.transport(inner).send(HTTPRequest(method: "GET", url: clientsURL)).status == 200)
        #expect(waits.seconds == [2, 7])
        #expect(waits.log.last == "retrying GET \(clientsURL) after 503 (attempt 3 of 4) in 7000 ms")

        let patient = ScriptedHTTPTransport()
        patient.expect("GET", clientsURL, status: 503, headers: [("Retry-After", "120")])
        let skipped = RecordedWaits()
        let admin = AdminClient(server: "http://kc:8080", realm: "r", transport: skipped.transport(patient), token: "t")
        let error = #expect(throws: KcxError.self) { try admin.send(method: "GET", endpoint: "clients") }
        #expect(skipped.seconds.isEmpty)
        #expect(
            error
                == KcxError(
                    .serverError,
                    "GET /admin/realms/r/clients: 503 Service Unavailable (not retried: the server asked to wait 120 s (Retry-After), longer than kcx waits (30 s))",
                    hint: "try again after the time the server asked for"))
    }

    @Test("Retry-After on 502/504 is ignored: backoff applies")
    func retryAfterOnlyOn503() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", clientsURL, status: 502, headers: [("Retry-After", "20")]).expect(
            "GET", clientsURL, status: 200, json: "[]")
        let waits = RecordedWaits()
        _ = try waits.transport(inner).send(HTTPRequest(method: "GET", url: clientsURL))
        #expect(waits.seconds == [0.05])
    }

    @Test(
        "Retry-After values",
        arguments: [
            ("0", 0.0), ("  17 ", 17.0), ("Fri, 01 May 2026 12:01:00 GMT", 60.0), ("Fri, 01 May 2026 11:00:00 GMT", 0.0),
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0), ("soon", -1.0), ("-5", -1.0), ("1.5", -1.0),
            ("Fri, 01 May 2026 12:01:00 PST", -1.0),
            ("", -1.0), ("Fri, 01 May 99999999999999999 12:01:00 GMT", -1.0),
            ("Fri, 01 May 9223372036854775807 12:01:00 GMT", -1.0),
        ])
    func retryAfterValues(value: String, seconds: Double) {
        #expect(RetryAfter.seconds(value, now: 1_777_636_800) == (seconds < 0 ? nil : seconds))
    }

    @Test("backoff: full jitter under a doubling ceiling capped at 5 s")
    func backoff() {
        let policy = RetryPolicy()
        #expect(
            (1...8).map { policy.backoff(beforeRetry: $0, random: 0.999) }.map { ($0 * 1000).rounded() / 1000 } == [
                0.1, 0.2, 0.4, 0.799, 1.598, 3.197, 4.995, 4.995,
            ])
        #expect(policy.backoff(beforeRetry: 3, random: 0) == 0)
        #expect(policy.backoff(beforeRetry: 1000, random: 1) == 5)
    }

    @Test("a lost connection is retried; a timeout, TLS, DNS failure or oversized answer is not")
    func transportFailures() throws {
        let lost = ScriptedHTTPTransport()
        lost.expect(
            "PUT", clientsURL, fail: TransportError(kind: .connectionLost, message: "Empty reply from server", url: clientsURL))
        lost.expect("PUT", clientsURL, status: 204)
        let waits = RecordedWaits()
        #expect(try waits.transport(lost).send(HTTPRequest(method: "PUT", url: clientsURL, body: [])).status == 204)
        #expect(waits.log == ["retrying PUT \(clientsURL) after a lost connection (attempt 2 of 4) in 50 ms"])

        for kind in [TransportError.Kind.timedOut, .tls, .couldNotResolveHost, .responseTooLarge, .other] {
            let inner = ScriptedHTTPTransport()
            inner.expect("GET", clientsURL, fail: TransportError(kind: kind, message: "no", url: clientsURL))
            let once = RecordedWaits()
            #expect(throws: TransportError(kind: kind, message: "no", url: clientsURL)) {
                _ = try once.transport(inner).send(HTTPRequest(method: "GET", url: clientsURL))
            }
            #expect(once.seconds.isEmpty)
        }
    }

    @Test("a lost connection on every attempt: the error says how many were made")
    func lostEveryTime() throws {
        let inner = ScriptedHTTPTransport()
        let failure = TransportError(kind: .connectionLost, message: "Recv failure: Connection reset by peer", url: clientsURL)
        for _ in 0..<3 { inner.expect("GET", clientsURL, fail: failure) }
        let waits = RecordedWaits()
        let admin = AdminClient(server: "http://kc:8080", realm: "r", transport: waits.transport(inner, retries: 2), token: "t")
        let error = #expect(throws: KcxError.self) { try admin.send(method: "GET", endpoint: "clients") }
        #expect(
            error
                == KcxError(
                    .network, "GET /admin/realms/r/clients: Recv failure: Connection reset by peer (gave up after 3 attempts)",
                    hint:
                        "the connection broke before a whole answer came: a proxy or the server may be restarting; try again, or allow more attempts with --retries N"
                ))
        #expect(error?.cause == .transport(.connectionLost))
    }

    @Test("a refused connection is reported at once before the server ever answered, retried after")
    func refusedAfterFirstAnswer() throws {
        let refused = TransportError(kind: .connectionRefused, message: "Failed to connect", url: clientsURL)
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", clientsURL, fail: refused)
        inner.expect("GET", clientsURL, status: 200, json: "[]")
        inner.expect("GET", clientsURL, fail: refused)
        inner.expect("GET", clientsURL, status: 200, json: "[]")
        let waits = RecordedWaits()
        let retrying = waits.transport(inner)
        #expect(throws: refused) { _ = try retrying.send(HTTPRequest(method: "GET", url: clientsURL)) }
        #expect(try retrying.send(HTTPRequest(method: "GET", url: clientsURL)).status == 200)
        #expect(try retrying.send(HTTPRequest(method: "GET", url: clientsURL)).status == 200)
        #expect(waits.log == ["retrying GET \(clientsURL) after a refused connection (attempt 2 of 4) in 50 ms"])
        #expect(inner.remaining == 0)
    }
}

@Suite("Retries: POST on the token endpoint")
struct TokenEndpointRetryTests {
    @Test("login, refresh and exchange POSTs are retried on 502/503/504; the query string does not matter")
    func retried() throws {
        for url in [tokenURL, tokenURL + "?kc=1"] {
            let inner = ScriptedHTTPTransport()
            inner.expect("POST", url, status: 502).expect("POST", url, status: 504).expect("POST", url, status: 200, json: "{}")
            let waits = RecordedWaits()
            #expect(
                try waits.transport(inner).send(HTTPRequest(method: "POST", url: url, body: Array("grant_type=password".utf8)))
                    .status == 200)
            #expect(inner.remaining == 0)
            #expect(waits.seconds == [0.05, 0.1])
        }
        #expect(
            RetryPolicy.mayRepeat(HTTPRequest(method: "POST", url: "http://kc/realms/r/protocol/openid-connect/token/introspect"))
                == false)
        #expect(
            RetryPolicy.mayRepeat(HTTPRequest(method: "POST", url: "http://kc/realms/r/protocol/openid-connect/logout")) == false)
    }
}

/// A find closure that answers from a script and counts its calls.
final class ScriptedFind: @unchecked Sendable {
    private var answers: [String?]
    private(set) var calls = 0
    init(_ answers: [String?]) { self.answers = answers }
    func callAsFunction() -> String? {
        calls += 1
        guard !answers.isEmpty else {
            Issue.record("find called more often than scripted")
            return nil
        }
        return answers.removeFirst()
    }
}

@Suite("Retries: creates")
struct CreateOnceTests {
    let body: JSON = ["name": "api"]

    func admin(_ inner: HTTPTransport, _ waits: RecordedWaits?, retries: Int = 3) -> AdminClient {
        AdminClient(
            server: "http://kc:8080", realm: "r", transport: waits.map { $0.transport(inner, retries: retries) } ?? inner,
            token: "t")
    }

    @Test("a POST answered 503 is not repeated until a lookup shows the object does not exist")
    func resendsAfterChecking() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("POST", scopesURL, body: #"{"name":"api"}"#, status: 503)
        inner.expect("POST", scopesURL, body: #"{"name":"api"}"#, status: 201, headers: [("Location", scopesURL + "/id-1")])
        let waits = RecordedWaits()
        let find = ScriptedFind([nil])
        let result = try admin(inner, waits).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        guard case .created(let response) = result else { Issue.record("expected created, got \(result)"); return }
        #expect(response.header("Location") == scopesURL + "/id-1")
        #expect(find.calls == 1)
        #expect(waits.log == ["retrying POST /admin/realms/r/client-scopes after 503 (attempt 2 of 4) in 50 ms"])
        #expect(inner.remaining == 0)
    }

    @Test(
        "a POST whose answer was lost but which took effect is not sent again",
        arguments: [
            TransportError.Kind.connectionLost, .connectionRefused,
        ])
    func recoversLostAnswer(kind: TransportError.Kind) throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("POST", scopesURL, fail: TransportError(kind: kind, message: "Empty reply from server", url: scopesURL))
        let find = ScriptedFind(["id-7"])
        let waits = RecordedWaits()
        let result = try admin(inner, waits).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        guard case .recovered(let id) = result else { Issue.record("expected recovered, got \(result)"); return }
        #expect(id == "id-7")
        #expect(waits.seconds.isEmpty)
        #expect(inner.remaining == 0)
    }

    @Test("409: the object someone else made is found and used")
    func conflictFound() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("POST", scopesURL, status: 409, json: #"{"errorMessage":"Client Scope api already exists"}"#)
        let find = ScriptedFind(["id-9"])
        let result = try admin(inner, RecordedWaits()).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        guard case .existing(let id) = result else { Issue.record("expected existing, got \(result)"); return }
        #expect(id == "id-9")
    }

    @Test("409 with nothing found, 400, and a timeout are reported without a second POST", arguments: [409, 400, 0])
    func notResent(status: Int) throws {
        let inner = ScriptedHTTPTransport()
        if status == 0 {
            inner.expect("POST", scopesURL, fail: TransportError(kind: .timedOut, message: "Operation timed out", url: scopesURL))
        } else {
            inner.expect("POST", scopesURL, status: status, json: #"{"errorMessage":"no"}"#)
        }
        let find = ScriptedFind(status == 409 ? [nil] : [])
        let error = #expect(throws: KcxError.self) {
            try admin(inner, RecordedWaits()).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        }
        #expect(
            error?.message
                == (status == 0
                    ? "POST /admin/realms/r/client-scopes: Operation timed out"
                    : "POST /admin/realms/r/client-scopes: \(status) no"))
        #expect(find.calls == (status == 409 ? 1 : 0))
        #expect(inner.remaining == 0)
    }

    @Test("503 on every POST: N+1 POSTs, each preceded by a lookup, then a clear error")
    func givesUp() throws {
        let inner = ScriptedHTTPTransport()
        for _ in 0..<3 { inner.expect("POST", scopesURL, status: 503) }
        let find = ScriptedFind([nil, nil, nil])
        let waits = RecordedWaits()
        let error = #expect(throws: KcxError.self) {
            try admin(inner, waits, retries: 2).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        }
        #expect(
            error
                == KcxError(
                    .serverError,
                    "POST /admin/realms/r/client-scopes: 503 Service Unavailable (gave up after 3 attempts, each time checking it had not been created)",
                    hint:
                        "the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N"
                ))
        #expect(find.calls == 3)
        #expect(waits.seconds == [0.05, 0.1])
        #expect(inner.remaining == 0)
    }

    @Test("without a retry layer a lost create is checked once and reported")
    func noRetryLayer() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("POST", scopesURL, status: 502)
        let find = ScriptedFind([nil])
        let error = #expect(throws: KcxError.self) {
            try admin(inner, nil).createOnce("client-scopes", realm: "r", body: body, find: { find() })
        }
        #expect(
            error
                == KcxError(
                    .serverError, "POST /admin/realms/r/client-scopes: 502 Bad Gateway (kcx checked: it was not created)",
                    hint: "run the command again: it checks before creating, so it will not make a second one"))
    }

    @Test("client-scope ensure: a 409 from a concurrent creator: that scope is read and given the settings asked for")
    func ensureAfterConflict() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", scopesURL, status: 200, json: "[]")
        inner.expect("POST", scopesURL, status: 409, json: #"{"errorMessage":"Client Scope api already exists"}"#)
        let other = #"[{"id":"s1","name":"api","protocol":"openid-connect","description":"theirs"}]"#
        // find reads the list afresh; the second pass compares against that read, not another.
        inner.expect("GET", scopesURL, status: 200, json: other)
        // The executor reads the scope found and lays the settings of the create over it, as apply does.
        inner.expect(
            "GET", scopesURL + "/s1", status: 200,
            json: #"{"id":"s1","name":"api","protocol":"openid-connect","description":"theirs"}"#)
        inner.expect(
            "PUT", scopesURL + "/s1",
            body:
                #"{"id":"s1","name":"api","protocol":"openid-connect","description":"ours","attributes":{"include.in.token.scope":"true","display.on.consent.screen":"false"}}"#,
            status: 204)
        let writer = Writer(api: admin(inner, RecordedWaits()), realm: "r", dryRun: false)
        try writer.convergeClientScope("api", ClientScopeSettings(description: "ours"))
        #expect(writer.changes.map(\.outcome) == [.created])
        #expect(inner.remaining == 0)
    }

    @Test("client-scope ensure: a 503 on the POST, scope then found: created once, no second POST")
    func ensureAfterLostAnswer() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", scopesURL, status: 200, json: "[]")
        inner.expect("POST", scopesURL, status: 503)
        let made =
            #"{"id":"s2","name":"api","protocol":"openid-connect","attributes":{"include.in.token.scope":"true","display.on.consent.screen":"false"}}"#
        inner.expect("GET", scopesURL, status: 200, json: "[\(made)]")
        // Found: read, and already as asked (the lost POST took effect), so no PUT.
        inner.expect("GET", scopesURL + "/s2", status: 200, json: made)
        let writer = Writer(api: admin(inner, RecordedWaits()), realm: "r", dryRun: false)
        try writer.convergeClientScope("api", ClientScopeSettings())
        #expect(writer.changes.map(\.outcome) == [.created])
        #expect(writer.requests.map(\.method) == ["POST"])
        #expect(inner.remaining == 0)
    }
}

@Suite("Bad server replies")
struct BadReplyTests {
    func admin(_ inner: HTTPTransport) -> AdminClient {
        AdminClient(server: "http://kc:8080", realm: "r", transport: inner, token: "t")
    }

    @Test("an HTML page with status 200, a truncated body and an empty body name the request and the problem")
    func notJSON() throws {
        let cases: [(HTTPResponse, String, String)] = [
            (
                HTTPResponse(
                    status: 200, headers: [("Content-Type", "text/html; charset=utf-8")],
                    body: Array("<html>proxy login</html>".utf8)),
                "GET /admin/realms/r/client-scopes: the server's answer (200, text/html, 24 bytes) is not valid JSON: unexpected character '<' at line 1, column 1",
                "a proxy or load balancer may have answered instead of Keycloak: check the server URL"
            ),
            (
                HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(#"[{"id":"a","na"#.utf8)),
                "GET /admin/realms/r/client-scopes: the server's answer (200, application/json, 14 bytes) is not valid JSON: unterminated string at line 1, column 15",
                "the answer looks cut short: try again; if it repeats, a proxy may be truncating responses"
            ),
        ]
        for (response, message, hint) in cases {
            let inner = ScriptedHTTPTransport()
            inner.expect("GET", scopesURL, respond: response)
            let error = #expect(throws: KcxError.self) { try Lookup(api: admin(inner), realm: "r").clientScopes() }
            #expect(error?.code == .serverError)
            #expect(error?.message == message)
            #expect(error?.hint == hint)
        }
        let empty = ScriptedHTTPTransport()
        empty.expect("GET", scopesURL, status: 200)
        let error = #expect(throws: KcxError.self) { try Lookup(api: admin(empty), realm: "r").clientScopes() }
        #expect(
            error?.message
                == "GET /admin/realms/r/client-scopes: the server answered 200 with an empty body where JSON was expected")
    }

    @Test(
        "wrong shapes: an object for a list, a scope without an id, a number for a name",
        arguments: [
            (#"{"clientScopes":[]}"#, "GET /admin/realms/r/client-scopes: expected a JSON array from the server, got an object"),
            (
                #"[{"id":"a","name":"x"},{"name":"api"}]"#,
                #"GET /admin/realms/r/client-scopes: element 1 of the answer: "id" is missing, expected a string"#
            ),
            (
                #"[{"id":"a","name":7}]"#,
                #"GET /admin/realms/r/client-scopes: element 0 of the answer: "name" is a number, expected a string"#
            ),
            (#"[null]"#, #"GET /admin/realms/r/client-scopes: element 0 of the answer: "id" is missing, expected a string"#),
        ])
    func wrongShape(json: String, message: String) throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", scopesURL, status: 200, json: json)
        let error = #expect(throws: KcxError.self) { try Lookup(api: admin(inner), realm: "r").clientScope("api") }
        #expect(error?.code == .serverError)
        #expect(error?.message == message)
        #expect(error?.hint == "a proxy or another service may be answering instead of Keycloak: check the server URL")
    }

    @Test("a client match without an id is an error, not a missing client (which would be created again)")
    func clientWithoutID() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect("GET", clientsURL + "?clientId=app", status: 200, json: #"[{"clientId":"app","id":12}]"#)
        let error = #expect(throws: KcxError.self) { try Lookup(api: admin(inner), realm: "r").client("app") }
        #expect(error?.message == #"GET /admin/realms/r/clients: element 0 of the answer: "id" is a number, expected a string"#)
    }

    @Test(
        "absurd token lifetimes are clamped to ten years, so storing the session cannot trap",
        arguments: [
            (
                #"{"access_token":"a","expires_in":1e300,"refresh_token":"r","refresh_expires_in":-1e300}"#, 315_360_000.0,
                nil as Double?
            ),
            (
                #"{"access_token":"a","expires_in":-5,"refresh_token":"r","refresh_expires_in":9223372036854775807}"#, 0.0,
                315_360_000.0 as Double?
            ),
        ])
    func tokenLifetimes(json: String, access: Double, refresh: Double?) throws {
        let issuedAt = Date(timeIntervalSince1970: 1_777_636_800)
        let response = HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(json.utf8))
        let tokens = try TokenEndpoint.tokens(
            from: response, issuedAt: issuedAt, url: "http://kc/realms/r/protocol/openid-connect/token", server: "http://kc")
        #expect(tokens.accessTokenExpiresAt == issuedAt.addingTimeInterval(access))
        #expect(tokens.refreshTokenExpiresAt == refresh.map { issuedAt.addingTimeInterval($0) })
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = StoredSession(
            server: "http://kc", realm: "r", clientId: "admin-cli", grant: .password, username: "u",
            accessToken: tokens.accessToken,
            accessTokenExpiresAt: tokens.accessTokenExpiresAt, refreshToken: tokens.refreshToken,
            refreshTokenExpiresAt: tokens.refreshTokenExpiresAt)
        try ConfigStore(path: directory + "/config.json").save(session, as: "default")
    }

    @Test("an answer larger than the cap stops the transfer with its own error (exit 1)")
    func sizeCap() async throws {
        let server = try startLoopbackServer { _ in
            .respond(
                ServerResponse(
                    status: 200, headers: [("Content-Type", "application/json")], body: Array(repeating: 0x20, count: 5000)))
        }
        defer { server.stop() }
        let url = server.baseURL + "/admin/realms/r/clients"
        let outcome = try await onDedicatedThread { () -> (TransportError?, Int) in
            var options = TransportOptions()
            options.maxResponseBytes = 4096
            let capped = CurlTransport(options: options)
            var failure: TransportError?
            do throws(TransportError) { _ = try capped.send(HTTPRequest(method: "GET", url: url)) } catch { failure = error }
            // The same answer fits under a larger cap, so the limit is what failed.
            options.maxResponseBytes = 5000
            let fits = try CurlTransport(options: options).send(HTTPRequest(method: "GET", url: url)).body.count
            return (failure, fits)
        }
        #expect(
            outcome.0
                == TransportError(
                    kind: .responseTooLarge, message: "the answer is larger than 4096 bytes; kcx stopped reading it", url: url))
        #expect(outcome.1 == 5000)
        let error = APIError.error(method: "GET", server: server.baseURL, try #require(outcome.0))
        #expect(error.code == .serverError)
        #expect(TransportOptions().maxResponseBytes == 64 << 20)
    }
}
