// The real kcx binary against a sandbox serving faults (control API fault rules): retried 503s, a
// server that never recovers, a dropped create, a slow server and its timeout, and replies that are
// not Keycloak's (HTML, wrong shapes, cut-short JSON). Sandbox-only: a real Keycloak cannot fake these.
import Foundation
import KcxJSON
import Synchronization
import Testing

@Suite(.enabled(if: onSandbox, "fault injection needs the sandbox control API"))
struct FaultTests {
    let keycloak = TestKeycloak.shared

    /// Adds a fault rule for this realm's paths and returns its id.
    @discardableResult
    func fault(_ rule: JSON, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let added = try keycloak.request(
            "POST", "/_sandbox/faults", body: Data(rule.serialized().utf8), contentType: "application/json")
        #expect(added.status == 201, "fault rule refused: \(added.text)", sourceLocation: sourceLocation)
        return added.json?["id"]?.stringValue ?? ""
    }

    /// How many requests a rule still in place has affected; removes it.
    func appliedAndRemove(_ id: String) throws -> Int? {
        let rules = try keycloak.request("GET", "/_sandbox/faults").json?.arrayValue ?? []
        _ = try keycloak.request("DELETE", "/_sandbox/faults/\(id)")
        return rules.first { $0["id"]?.stringValue == id }?["applied"]?.intValue.map(Int.init)
    }

    func scopesPath(_ fixture: RealmFixture) -> String { "/admin/realms/\(fixture.realm)/client-scopes" }

    /// The scopes named `name` in the realm, read without kcx.
    func scopes(named name: String, _ fixture: RealmFixture) throws -> Int {
        try fixture.clientScopeNames().filter { $0 == name }.count
    }

    @Test("503 twice on a read, then the real answer: the command succeeds, quietly, and the state is right")
    func transient503() throws {
        let fixture = try RealmFixture(keycloak)
        try fault(["method": "GET", "path": .string(scopesPath(fixture)), "count": 2, "action": "status", "status": 503])
        let result = try fixture.kcx(["client-scope", "ensure", "retried", "-r", fixture.realm])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr == "created: client-scope retried\n", "\(result)")
        #expect(try scopes(named: "retried", fixture) == 1)
        ReliabilityReport.record(
            area: "retries", fault: "GET client-scopes answers 503 twice",
            expected: "exit 0, scope created once, nothing extra on stderr",
            observed: "exit \(result.status), \(try scopes(named: "retried", fixture)) scope(s)")
    }

    @Test("a server that keeps answering 503: N+1 attempts, exit 1, and the message says so")
    func persistent503() throws {
        let fixture = try RealmFixture(keycloak)
        let id = try fault([
            "method": "GET", "path": .string(scopesPath(fixture)), "count": 1000, "action": "status", "status": 503,
        ])
        let result = try fixture.kcx(["client-scope", "ensure", "never", "-r", fixture.realm, "--retries", "2"])
        let applied = try appliedAndRemove(id)
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            result.stderr == """
                error: GET /admin/realms/\(fixture.realm)/client-scopes: 503 Service Unavailable (gave up after 3 attempts)
                hint: the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N

                """)
        #expect(applied == 3)
        #expect(try scopes(named: "never", fixture) == 0)
        ReliabilityReport.record(
            area: "retries", fault: "GET client-scopes answers 503 forever, --retries 2",
            expected: "exit 1 after 3 attempts, message says so",
            observed: "exit \(result.status) after \(applied ?? -1) attempts")
    }

    @Test("--retries 0 and KCX_RETRIES=0 send a failing read once")
    func retriesDisabled() throws {
        let fixture = try RealmFixture(keycloak)
        var observed: [String] = []
        for (arguments, extra) in [(["--retries", "0"], [String: String]()), ([], ["KCX_RETRIES": "0"])] {
            let id = try fault([
                "method": "GET", "path": .string(scopesPath(fixture)), "count": 1000, "action": "status", "status": 502,
            ])
            var env = fixture.env
            env.extra = extra
            let result = try env.kcx(["client-scope", "ensure", "once", "-r", fixture.realm] + arguments)
            let applied = try appliedAndRemove(id)
            #expect(applied == 1)
            #expect(result.status == 1)
            #expect(result.stderr == "error: GET /admin/realms/\(fixture.realm)/client-scopes: 502 Bad Gateway\n")
            observed.append("exit \(result.status) after \(applied ?? -1) attempt(s)")
        }
        ReliabilityReport.record(
            area: "retries", fault: "GET answers 502 with --retries 0 / KCX_RETRIES=0", expected: "exit 1 after 1 attempt",
            observed: observed.joined(separator: " / "))
    }

    @Test("a POST that creates a scope answered 503, or dropped without an answer: kcx looks, sends it again, one scope exists")
    func lostCreate() throws {
        let fixture = try RealmFixture(keycloak)
        // libcurl itself sends a request again, once, when a reused keep-alive connection closes before
        // any answer (a stale connection, indistinguishable from this drop), so the drop rule takes two
        // POSTs: the first on the reused connection, the second on a fresh one, which kcx then sees fail.
        let rules: [(String, JSON)] = [
            ("after-503", ["action": "status", "status": 503, "count": 1]), ("after-drop", ["action": "drop", "count": 2]),
        ]
        for (name, rule) in rules {
            var full = rule
            full["method"] = "POST"
            full["path"] = .string(scopesPath(fixture))
            try fault(full)
            let result = try fixture.kcx(["client-scope", "ensure", name, "-r", fixture.realm, "-v"])
            #expect(result.status == 0, "\(result)")
            #expect(outcomes(result) == ["created: client-scope \(name)"])
            #expect(result.stderr.contains("* retrying POST /admin/realms/\(fixture.realm)/client-scopes after "), "\(result)")
            // POST, lookup (GET), POST: the lookup comes before the second POST.
            let trace = result.stderr.split(separator: "\n").filter { $0.hasPrefix("> POST") || $0.hasPrefix("> GET") }.map(
                String.init)
            let url = "\(keycloak.baseURL)\(scopesPath(fixture))"
            #expect(Array(trace.suffix(3)) == ["> POST \(url)", "> GET \(url)", "> POST \(url)"])
            #expect(try scopes(named: name, fixture) == 1)
            ReliabilityReport.record(
                area: "creates",
                fault: "POST client-scopes \(name == "after-drop" ? "dropped without an answer" : "answers 503") once",
                expected: "lookup, one re-sent POST, exactly one scope",
                observed: "exit \(result.status), \(try scopes(named: name, fixture)) scope(s)")
        }
    }

    @Test("audience add: the mapper POST answered 503 once is looked up by name and re-sent; one mapper")
    func lostMapperCreate() throws {
        let fixture = try RealmFixture(keycloak)
        try fault([
            "method": "POST", "path": .string("\(scopesPath(fixture))/*/protocol-mappers/models"), "count": 1, "action": "status",
            "status": 503,
        ])
        // On an existing scope: a scope audience add creates goes out with its mapper inside, in one POST.
        #expect(try fixture.kcx(["client-scope", "ensure", "partner", "-r", fixture.realm]).status == 0)
        let result = try fixture.kcx([
            "audience", "add", "--custom-audience", "urn:partner", "--scope", "partner", "-r", fixture.realm,
        ])
        #expect(result.status == 0, "\(result)")
        #expect(outcomes(result) == ["created: audience-mapper urn:partner audience on scope partner"])
        let mappers = try fixture.clientScope("partner")?["protocolMappers"]?.arrayValue ?? []
        #expect(mappers.compactMap { $0["name"]?.stringValue } == ["urn:partner audience"])
        ReliabilityReport.record(
            area: "creates", fault: "audience add: POST protocol-mappers answers 503 once",
            expected: "lookup, one re-sent POST, exactly one mapper",
            observed: "exit \(result.status), \(mappers.count) mapper(s)")
    }

    @Test("apply: a scope POST answered 503 once is looked up and re-sent; the apply completes with one scope")
    func applyLostCreate() throws {
        let fixture = try RealmFixture(keycloak)
        let file = fixture.env.home.appendingPathComponent("realm.yaml")
        try Data("realms:\n  - realm: \(fixture.realm)\n    clientScopes:\n      - name: applied-once\n".utf8).write(to: file)
        try fault(["method": "POST", "path": .string(scopesPath(fixture)), "count": 1, "action": "status", "status": 503])
        let result = try fixture.kcx(["apply", "-f", file.path, "--auto-approve"])
        #expect(result.status == 0, "\(result)")
        #expect(try scopes(named: "applied-once", fixture) == 1)
        #expect(try fixture.kcx(["plan", "-f", file.path, "--detailed-exitcode"]).status == 0)
        ReliabilityReport.record(
            area: "creates", fault: "apply: POST client-scopes answers 503 once", expected: "apply completes, exactly one scope",
            observed: "exit \(result.status), \(try scopes(named: "applied-once", fixture)) scope(s)")
    }

    @Test(
        "apply: a mapper POST on an existing scope that takes effect but whose answer is lost: looked up, not re-sent, one mapper"
    )
    func applyLostMapperCreate() throws {
        let fixture = try RealmFixture(keycloak)
        #expect(try fixture.kcx(["client-scope", "ensure", "existing", "-r", fixture.realm]).status == 0)
        let file = fixture.env.home.appendingPathComponent("realm.yaml")
        try Data(
            "realms:\n  - realm: \(fixture.realm)\n    clientScopes:\n      - name: existing\n        audienceMappers: [{customAudience: urn:lost}]\n"
                .utf8
        )
        .write(to: file)
        let rule = try fault([
            "method": "POST", "path": .string(scopesPath(fixture) + "/*/protocol-mappers/models"), "count": 1, "action": "drop",
            "apply": true,
        ])
        let result = try fixture.kcx(["apply", "-f", file.path, "--auto-approve"])
        #expect(try appliedAndRemove(rule) == nil, "the rule was used up")
        #expect(result.status == 0, "\(result)")
        let mappers = try fixture.clientScope("existing")?["protocolMappers"]?.arrayValue ?? []
        #expect(mappers.count == 1)
        #expect(try fixture.kcx(["plan", "-f", file.path, "--detailed-exitcode"]).status == 0)
        ReliabilityReport.record(
            area: "creates", fault: "apply: POST protocol-mappers takes effect, then the connection drops",
            expected: "apply completes, exactly one mapper", observed: "exit \(result.status), \(mappers.count) mapper(s)")
    }

    @Test("a token request (POST to the token endpoint) answered 502 twice is retried: it creates no configuration")
    func tokenEndpointRetried() throws {
        let fixture = try RealmFixture(keycloak)
        let secret = try fixture.confidentialClient("svc")
        let id = try fault([
            "method": "POST", "path": .string("/realms/\(fixture.realm)/protocol/openid-connect/token"), "count": 2,
            "action": "status",
            "status": 502, "body": "<html>bad gateway</html>", "contentType": "text/html",
        ])
        let result = try fixture.kcx([
            "token", "get", "--client", "svc", "--secret-file", secret, "-r", fixture.realm, "--output", "claims",
        ])
        #expect(try appliedAndRemove(id) == nil)  // both uses consumed, so the rule is gone
        #expect(result.status == 0, "\(result)")
        #expect(result.json?["azp"]?.stringValue == "svc")
        ReliabilityReport.record(
            area: "retries", fault: "token endpoint POST answers 502 twice", expected: "exit 0, token issued",
            observed: "exit \(result.status)")
    }

    @Test("three runs that all saw no scope create it at once: one 201, two 409s resolved by a lookup, all succeed, one scope")
    func concurrentCreates() throws {
        let fixture = try RealmFixture(keycloak)
        // Each run's look-up is answered as it was, but a second late, so all three POST.
        try fault(["method": "GET", "path": .string(scopesPath(fixture)), "count": 3, "action": "delay", "delaySeconds": 1])
        let results = Mutex<[ProcessResult]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            let result = try? fixture.kcx(["client-scope", "ensure", "contended", "-r", fixture.realm, "--description", "same"])
            if let result { results.withLock { $0.append(result) } }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 3)
        for result in all { #expect(result.status == 0, "\(result)") }
        // One run created it; the others found it after their 409 and had nothing to change.
        #expect(
            all.map { outcomes($0) }.sorted { $0.first ?? "" < $1.first ?? "" } == [
                ["created: client-scope contended"], ["unchanged: client-scope contended"], ["unchanged: client-scope contended"],
            ])
        #expect(try scopes(named: "contended", fixture) == 1)
        ReliabilityReport.record(
            area: "creates", fault: "three runs create the same scope at once (409 for two)",
            expected: "all exit 0, exactly one scope",
            observed: "exits \(all.map(\.status)), \(try scopes(named: "contended", fixture)) scope(s)")
    }

    @Test("a create whose every POST fails: never more than N+1 POSTs, each after a lookup, exit 1")
    func createNeverSucceeds() throws {
        let fixture = try RealmFixture(keycloak)
        let id = try fault([
            "method": "POST", "path": .string(scopesPath(fixture)), "count": 1000, "action": "status", "status": 502,
        ])
        let result = try fixture.kcx(["client-scope", "ensure", "doomed", "-r", fixture.realm, "--retries", "1"])
        #expect(try appliedAndRemove(id) == 2)
        #expect(result.status == 1)
        #expect(
            result.stderr == """
                error: POST /admin/realms/\(fixture.realm)/client-scopes: 502 Bad Gateway (gave up after 2 attempts, each time checking it had not been created)
                hint: the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N

                """)
        #expect(try scopes(named: "doomed", fixture) == 0)
        ReliabilityReport.record(
            area: "creates", fault: "POST client-scopes answers 502 forever, --retries 1",
            expected: "exit 1 after 2 POSTs, no scope",
            observed: "exit \(result.status)")
    }

    @Test("a server slower than --timeout: exit 6 with a hint naming --timeout, and the read is not retried")
    func timeout() throws {
        let fixture = try RealmFixture(keycloak)
        let id = try fault([
            "method": "GET", "path": .string(scopesPath(fixture)), "count": 5, "action": "delay", "delaySeconds": 3,
        ])
        let result = try fixture.kcx(["client-scope", "list", "-r", fixture.realm, "--timeout", "1"])
        #expect(try appliedAndRemove(id) == 1)
        #expect(result.status == 6)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(
            lines.first?.hasPrefix("error: GET /admin/realms/\(fixture.realm)/client-scopes: Operation timed out after ") == true,
            "\(result)")
        #expect(lines.last == "hint: the server did not answer in time; allow longer with --timeout SECONDS (default 30)")
        ReliabilityReport.record(
            area: "timeouts", fault: "GET delayed 3 s, --timeout 1", expected: "exit 6, hint names --timeout, not retried",
            observed: "exit \(result.status)")
    }

    @Test(
        "replies that are not Keycloak's: a clear error naming the request, exit 1, no change",
        arguments: [
            FaultCase(
                "HTML login page with status 200", status: 200, contentType: "text/html",
                body: "<html><body>Sign in to the proxy</body></html>",
                message:
                    "the server's answer (200, text/html, 46 bytes) is not valid JSON: unexpected character '<' at line 1, column 1",
                hint: "a proxy or load balancer may have answered instead of Keycloak: check the server URL"),
            FaultCase(
                "HTML error page with status 502", status: 502, contentType: "text/html",
                body: "<html><body>Bad gateway</body></html>",
                message:
                    "502 Bad Gateway (a text/html body of 37 bytes, not from Keycloak's API: a proxy or load balancer may have answered) (gave up after 4 attempts)",
                hint:
                    "the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N"
            ),
            FaultCase(
                "JSON cut short", status: 200, contentType: "application/json", body: #"[{"id":"5e0c","name":"ro"#,
                message:
                    "the server's answer (200, application/json, 24 bytes) is not valid JSON: unterminated string at line 1, column 25",
                hint: "the answer looks cut short: try again; if it repeats, a proxy may be truncating responses"),
            FaultCase(
                "an object where a list belongs", status: 200, contentType: "application/json", body: #"{"clientScopes":[]}"#,
                message: "expected a JSON array from the server, got an object",
                hint: "a proxy or another service may be answering instead of Keycloak: check the server URL"),
            FaultCase(
                "a scope without an id", status: 200, contentType: "application/json", body: #"[{"name":"bad-reply"}]"#,
                message: #"element 0 of the answer: "id" is missing, expected a string"#,
                hint: "a proxy or another service may be answering instead of Keycloak: check the server URL"),
            FaultCase(
                "a number where a string belongs", status: 200, contentType: "application/json",
                body: #"[{"id":42,"name":"bad-reply"}]"#,
                message: #"element 0 of the answer: "id" is a number, expected a string"#,
                hint: "a proxy or another service may be answering instead of Keycloak: check the server URL"),
        ])
    func badReplies(_ reply: FaultCase) throws {
        let fixture = try RealmFixture(keycloak)
        let id = try fault([
            "method": "GET", "path": .string(scopesPath(fixture)), "count": 100, "action": "status",
            "status": .int(Int64(reply.status)),
            "body": .string(reply.body), "contentType": .string(reply.contentType),
        ])
        let result = try fixture.kcx(["client-scope", "ensure", "bad-reply", "-r", fixture.realm])
        _ = try appliedAndRemove(id)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout == "")
        #expect(
            result.stderr == "error: GET /admin/realms/\(fixture.realm)/client-scopes: \(reply.message)\nhint: \(reply.hint)\n")
        #expect(try scopes(named: "bad-reply", fixture) == 0)
        ReliabilityReport.record(
            area: "bad replies", fault: "GET client-scopes: \(reply.name)",
            expected: "exit 1, error names the request and the problem, no change",
            observed: "exit \(result.status)")
    }
}

struct FaultCase: Sendable, CustomTestStringConvertible {
    let name: String
    let status: Int
    let contentType: String
    let body: String
    let message: String
    let hint: String

    init(_ name: String, status: Int, contentType: String, body: String, message: String, hint: String) {
        self.name = name
        self.status = status
        self.contentType = contentType
        self.body = body
        self.message = message
        self.hint = hint
    }

    var testDescription: String { name }
}
