// AdminClient: kcadm endpoint resolution, the requests it sends, Keycloak's error shapes mapped to
// messages, exit codes and hints, one renewal after a 401; plus redaction and the verbose trace.
import KcxJSON
import KeycloakKit
import Testing

@Suite("AdminClient")
struct AdminClientTests {
    let server = "http://kc:8080"

    func client(_ transport: HTTPTransport, token: String = "tok") -> AdminClient {
        AdminClient(server: server + "/", realm: "my realm", transport: transport, token: token)
    }

    @Test(
        "endpoints resolve as kcadm resolves them",
        arguments: [
            ("clients", "http://kc:8080/admin/realms/my%20realm/clients"),
            (
                "/clients/abc/protocol-mappers/models",
                "http://kc:8080/admin/realms/my%20realm/clients/abc/protocol-mappers/models"
            ),
            ("", "http://kc:8080/admin/realms/my%20realm"),
            ("realms", "http://kc:8080/admin/realms"),
            ("realms/other/clients", "http://kc:8080/admin/realms/other/clients"),
            ("serverinfo", "http://kc:8080/admin/serverinfo"),
            ("serverinfo/x", "http://kc:8080/admin/serverinfo/x"),
            ("realmsx", "http://kc:8080/admin/realms/my%20realm/realmsx"),
            ("https://other:8443/admin/realms/x", "https://other:8443/admin/realms/x"),
        ])
    func endpointResolution(endpoint: String, url: String) {
        #expect(client(ScriptedHTTPTransport()).url(for: try! Endpoint.typed(endpoint)) == url)
    }

    @Test("-r realm and query parameters are encoded")
    func realmAndQuery() {
        let admin = client(ScriptedHTTPTransport())
        #expect(
            admin.url(for: "clients", realm: "a/b", query: [("clientId", "my app&x"), ("first", "0")])
                == "http://kc:8080/admin/realms/a%2Fb/clients?clientId=my%20app%26x&first=0")
        #expect(
            admin.url(for: "clients?search=true", query: [("max", "5")])
                == "http://kc:8080/admin/realms/my%20realm/clients?search=true&max=5")
    }

    @Test("a JSON body is sent with bearer auth, Accept and Content-Type; reads send no Content-Type")
    func requestShape() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", "http://kc:8080/admin/realms/my%20realm/client-scopes", body: #"{"name":"api","protocol":"openid-connect"}"#,
            status: 201, headers: [("Location", "http://kc:8080/admin/realms/my%20realm/client-scopes/42")]
        ) { request in
            #expect(
                request.headers.map { "\($0.name): \($0.value)" }
                    == ["Authorization: Bearer tok", "Accept: application/json", "Content-Type: application/json"])
        }
        transport.expect("GET", "http://kc:8080/admin/realms/my%20realm/client-scopes/42", status: 200, json: "{}") { request in
            #expect(request.header("Content-Type") == nil)
            #expect(request.body == nil)
        }
        let admin = client(transport)
        let created = try admin.send(
            method: "post", endpoint: "client-scopes", body: ["name": "api", "protocol": "openid-connect"])
        #expect(created.status == 201)
        #expect(try admin.send(method: "GET", endpoint: "client-scopes/42").json == [:])
        #expect(transport.remaining == 0)
    }

    @Test(
        "error bodies of every shape become METHOD path: status text with the exit code and hint",
        arguments: [
            // Shape A (OAuth2), B (prose in error), C (errorMessage), D (generic), and non-Keycloak bodies.
            (
                400, #"{"error":"invalid_input","error_description":"Invalid redirect uri"}"#, "POST", "clients",
                "POST /admin/realms/r/clients: 400 Invalid redirect uri (invalid_input)", ExitCode.serverError, nil as String?
            ),
            (
                404, #"{"error":"Could not find client"}"#, "GET", "clients/c1d2",
                "GET /admin/realms/r/clients/c1d2: 404 Could not find client", .notFound,
                "no client with id 'c1d2' in realm 'r'; find a client's id with: kcx get clients -q clientId=NAME --fields id,clientId"
            ),
            (
                409, #"{"errorMessage":"Client Scope api already exists"}"#, "POST", "client-scopes",
                "POST /admin/realms/r/client-scopes: 409 Client Scope api already exists", .conflict,
                "it already exists: change it with 'kcx update' instead, or use an idempotent kcx command"
            ),
            (
                500, #"{"error":"unknown_error","error_description":"For more on this error consult the server log."}"#, "PUT",
                "clients/x",
                "PUT /admin/realms/r/clients/x: 500 For more on this error consult the server log. (unknown_error)", .serverError,
                nil
            ),
            (
                409, #"{"error":"conflict","error_description":"Duplicate resource error"}"#, "PUT",
                "default-default-client-scopes/s1",
                "PUT /admin/realms/r/default-default-client-scopes/s1: 409 Duplicate resource error (conflict)", .conflict,
                "it already exists: change it with 'kcx update' instead, or use an idempotent kcx command"
            ),
            (
                400,
                #"{"errorMessage":"Validation failed","field":"email","errors":[{"errorMessage":"bad email"},{"errorMessage":"too long"}]}"#,
                "POST", "users", "POST /admin/realms/r/users: 400 Validation failed (field email): bad email; too long",
                .serverError, nil
            ),
            (
                404, #"{"error":"Realm not found."}"#, "GET", "clients", "GET /admin/realms/r/clients: 404 Realm not found.",
                .notFound,
                "realm 'r' does not exist: check -r/--target-realm or the realm you logged in to"
            ),
            (
                404, #"{"error":"HTTP 404 Not Found"}"#, "GET", "no-such-thing",
                "GET /admin/realms/r/no-such-thing: 404 HTTP 404 Not Found",
                .notFound, "no such endpoint: ENDPOINT is relative to /admin/realms/r/ (realms and serverinfo are top-level)"
            ),
            (
                403, #"{"error":"HTTP 403 Forbidden"}"#, "POST", "client-scopes",
                "POST /admin/realms/r/client-scopes: 403 HTTP 403 Forbidden",
                .authentication,
                "the account likely lacks the role 'manage-clients' for realm 'r' (client realm-management; 'realm-admin' includes it)"
            ),
            (
                403, #"{"error":"HTTP 403 Forbidden"}"#, "GET", "clients", "GET /admin/realms/r/clients: 403 HTTP 403 Forbidden",
                .authentication,
                "the account likely lacks the role 'view-clients' for realm 'r' (client realm-management; 'realm-admin' includes it)"
            ),
            (
                403, #"{"error":"HTTP 403 Forbidden"}"#, "PUT", "", "PUT /admin/realms/r: 403 HTTP 403 Forbidden",
                .authentication,
                "the account likely lacks the role 'manage-realm' for realm 'r' (client realm-management; 'realm-admin' includes it)"
            ),
            (
                403, #"{"error":"HTTP 403 Forbidden"}"#, "POST", "realms", "POST /admin/realms: 403 HTTP 403 Forbidden",
                .authentication, "creating a realm needs the role 'create-realm' in the master realm"
            ),
            (
                502, "<html><body>Bad gateway</body></html>", "GET", "clients",
                "GET /admin/realms/r/clients: 502 Bad Gateway (a text/html body of 37 bytes, not from Keycloak's API: a proxy or load balancer may have answered)",
                .serverError, nil
            ),
            (503, "", "GET", "clients", "GET /admin/realms/r/clients: 503 Service Unavailable", .serverError, nil),
            (
                400, #"{"message":"odd","token":"t0p"}"#, "GET", "clients",
                #"GET /admin/realms/r/clients: 400 {"message":"odd","token":"<redacted>"}"#,
                .serverError, nil
            ),
        ])
    func errorMapping(status: Int, body: String, method: String, endpoint: String, message: String, code: ExitCode, hint: String?)
    {
        let transport = ScriptedHTTPTransport()
        let url = AdminClient(server: server, realm: "r", transport: transport, token: "t").url(
            for: try! Endpoint.typed(endpoint))
        let contentType = body.hasPrefix("<") ? "text/html;charset=UTF-8" : "application/json"
        transport.expect(
            method, url, respond: HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8)))
        if body.contains("Realm not found") {
            // A missing realm is answered with the realms there are (for "did you mean"); none here.
            transport.expect(
                "GET", "\(server)/admin/realms?briefRepresentation=true",
                respond: HTTPResponse(status: 200, headers: [], body: Array("[]".utf8)))
        }
        let admin = AdminClient(server: server, realm: "r", transport: transport, token: "t")
        #expect {
            _ = try admin.send(method: method, endpoint: try Endpoint.typed(endpoint), body: method == "GET" ? nil : [:])
        } throws: { error in
            guard let error = error as? KcxError else { return false }
            #expect(error.message == message)
            #expect(error.code == code)
            #expect(error.hint == hint)
            return true
        }
    }

    @Test(
        "transport failures are exit 6 with a hint by kind",
        arguments: [
            (
                TransportError.Kind.connectionRefused,
                "nothing answered at http://kc:8080: check the server URL and that Keycloak is running"
            ),
            (.couldNotResolveHost, "check the host name in the server URL (http://kc:8080)"),
            (.timedOut, "the server did not answer in time; allow longer with --timeout SECONDS (default 30)"),
            (.tls, "trust the server's CA with --cacert FILE (PEM), or, not recommended, skip verification with --insecure"),
        ])
    func transportFailures(kind: TransportError.Kind, hint: String) {
        let transport = ScriptedHTTPTransport()
        let url = "http://kc:8080/admin/realms/r/clients"
        transport.expect("GET", url, fail: TransportError(kind: kind, message: "curl said no", url: url))
        let admin = AdminClient(server: server, realm: "r", transport: transport, token: "t")
        let error = #expect(throws: KcxError.self) { try admin.send(method: "GET", endpoint: "clients") }
        #expect(error == KcxError(.network, "GET /admin/realms/r/clients: curl said no", hint: hint))
    }

    @Test("a 401 is answered once by renewing the token and repeating the request")
    func renewsOnceAfter401() throws {
        let transport = ScriptedHTTPTransport()
        let url = "http://kc:8080/admin/realms/r/clients"
        transport.expect("GET", url, status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#) {
            #expect($0.header("Authorization") == "Bearer old")
        }
        transport.expect("GET", url, status: 200, json: "[]") { #expect($0.header("Authorization") == "Bearer new") }
        let tokens = RenewingTokens(["old", "new"])
        let admin = AdminClient(server: server, realm: "r", transport: transport, tokens: tokens)
        #expect(try admin.send(method: "GET", endpoint: "clients").json == [])
        #expect(tokens.renewals == 1)

        // A second 401 after renewal is reported, with the login hint; no third attempt.
        transport.expect("GET", url, status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        transport.expect("GET", url, status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        let renewing = RenewingTokens(["a", "b", "c"])
        let error = #expect(throws: KcxError.self) {
            try AdminClient(server: server, realm: "r", transport: transport, tokens: renewing).send(
                method: "GET", endpoint: "clients")
        }
        #expect(
            error
                == KcxError(
                    .authentication, "GET /admin/realms/r/clients: 401 HTTP 401 Unauthorized",
                    hint: "log in again: kcx config credentials --server http://kc:8080 --realm r --user NAME"))
        #expect(renewing.renewals == 1)
        #expect(transport.remaining == 0)

        // A session knows where it logs in: its hint, not one built from the request's realm.
        let other = "http://kc:8080/admin/realms/r1/clients"
        transport.expect("GET", other, status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        transport.expect("GET", other, status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        let session = RenewingTokens(
            ["a", "b"], hint: "log in again with: kcx config credentials --server http://kc:8080 --realm master --user admin")
        let rejected = #expect(throws: KcxError.self) {
            try AdminClient(server: server, realm: "master", transport: transport, tokens: session).send(
                method: "GET", endpoint: "clients", realm: "r1")
        }
        #expect(rejected?.hint == "log in again with: kcx config credentials --server http://kc:8080 --realm master --user admin")
        #expect(transport.remaining == 0)
    }

    @Test("a fixed token is not renewed: one request, then the 401")
    func staticTokenNotRenewed() {
        let transport = ScriptedHTTPTransport()
        transport.expect("GET", "http://kc:8080/admin/serverinfo", status: 401, json: #"{"error":"HTTP 401 Unauthorized"}"#)
        let error = #expect(throws: KcxError.self) { try client(transport).send(method: "GET", endpoint: "serverinfo") }
        #expect(error?.code == .authentication)
        #expect(transport.remaining == 0)
    }
}

final class RenewingTokens: AccessTokenProvider {
    private var tokens: [String]
    private(set) var renewals = 0
    let reloginHint: String?
    init(_ tokens: [String], hint: String? = nil) {
        self.tokens = tokens
        reloginHint = hint
    }
    func accessToken() throws -> String { tokens[0] }
    func renewAfterRejection(of rejected: String) throws -> String? {
        #expect(rejected == tokens[0])
        renewals += 1
        tokens.removeFirst()
        return tokens[0]
    }
}

@Suite("Redaction and verbose trace")
struct RedactionTests {
    @Test("form secrets are redacted, other fields kept in order")
    func form() {
        #expect(
            Redaction.formBody("grant_type=password&client_id=admin-cli&username=admin&password=p%40ss&client_secret=s")
                == "grant_type=password&client_id=admin-cli&username=admin&password=<redacted>&client_secret=<redacted>")
        #expect(
            Redaction.formBody("grant_type=refresh_token&refresh_token=abc&subject_token=x&token=y")
                == "grant_type=refresh_token&refresh_token=<redacted>&subject_token=<redacted>&token=<redacted>")
    }

    @Test("JSON token values and typed secrets are redacted at any depth")
    func json() throws {
        let input = try JSON.parse(
            #"{"access_token":"a","expires_in":60,"refresh_token":"r","id_token":"i","nested":[{"secret":"s","clientId":"c"}],"credential":{"type":"secret","value":"v"},"attr":{"type":"string","value":"keep"},"empty":null}"#
        )
        #expect(
            Redaction.json(input).serialized()
                == #"{"access_token":"<redacted>","expires_in":60,"refresh_token":"<redacted>","id_token":"<redacted>","nested":[{"secret":"<redacted>","clientId":"c"}],"credential":{"type":"secret","value":"<redacted>"},"attr":{"type":"string","value":"keep"},"empty":null}"#
        )
    }

    @Test("Authorization keeps its scheme only")
    func authorization() {
        #expect(Redaction.headerValue(name: "authorization", value: "Bearer eyJabc") == "Bearer <redacted>")
        #expect(Redaction.headerValue(name: "Authorization", value: "Basic YTpi") == "Basic <redacted>")
        #expect(Redaction.headerValue(name: "Accept", value: "application/json") == "application/json")
    }

    @Test("the verbose trace shows requests and statuses with timing, never a secret")
    func verboseTrace() throws {
        let inner = ScriptedHTTPTransport()
        let tokenURL = "http://kc/realms/master/protocol/openid-connect/token"
        inner.expect("POST", tokenURL, status: 200, json: #"{"access_token":"AAA","expires_in":60,"refresh_token":"RRR"}"#)
        inner.expect("GET", "http://kc/admin/realms/master/clients", status: 404, json: #"{"error":"Could not find client"}"#)
        inner.expect(
            "GET", "http://kc/down",
            fail: TransportError(kind: .connectionRefused, message: "Failed to connect", url: "http://kc/down"))
        var lines: [String] = []
        var time = 100.0
        let verbose = VerboseTransport(
            wrapping: inner, log: { lines.append($0) },
            clock: {
                time += 0.012; return time
            })
        _ = try verbose.send(
            HTTPRequest(
                method: "POST", url: tokenURL,
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                body: Array("grant_type=password&client_id=admin-cli&username=admin&password=hunter2".utf8)))
        _ = try verbose.send(
            HTTPRequest(method: "GET", url: "http://kc/admin/realms/master/clients", headers: [("Authorization", "Bearer AAA")]))
        #expect(throws: TransportError.self) { try verbose.send(HTTPRequest(method: "GET", url: "http://kc/down")) }
        #expect(
            lines == [
                "> POST http://kc/realms/master/protocol/openid-connect/token",
                "> Content-Type: application/x-www-form-urlencoded",
                "> Accept: application/json",
                "> grant_type=password&client_id=admin-cli&username=admin&password=<redacted>",
                "< 200 OK (12 ms)",
                "< Content-Type: application/json",
                #"< {"access_token":"<redacted>","expires_in":60,"refresh_token":"<redacted>"}"#,
                "> GET http://kc/admin/realms/master/clients",
                "> Authorization: Bearer <redacted>",
                "< 404 Not Found (12 ms)",
                "< Content-Type: application/json",
                #"< {"error":"Could not find client"}"#,
                "> GET http://kc/down",
                "! GET http://kc/down failed after 12 ms: Failed to connect",
            ])
        #expect(!lines.joined().contains("hunter2") && !lines.joined().contains("AAA") && !lines.joined().contains("RRR"))
    }
}
