// Fault rules: the rule JSON of the control API, path globs, counting (docs/sandbox.md "Control API").
import KcxJSON
import Testing

@testable import KeycloakSandbox

@Suite struct ControlFaultRuleTests {
    @Test(arguments: [
        ("/admin/realms/*/clients*", "/admin/realms/demo/clients", true),
        ("/admin/realms/*/clients*", "/admin/realms/demo/clients/1a2b/client-secret", true),
        ("/admin/realms/*/clients*", "/admin/realms/demo/client-scopes", false),
        ("/admin/realms/*/clients", "/admin/realms/a/b/clients", true),
        ("/realms/*/protocol/openid-connect/token", "/realms/master/protocol/openid-connect/token", true),
        ("/realms/*/protocol/openid-connect/token", "/realms/master/protocol/openid-connect/token/introspect", false),
        ("*", "/anything", true),
        ("/exact", "/exact", true),
        ("/exact", "/exactly", false),
        ("/a*b*c", "/aXXbYYc", true),
        ("/a*b*c", "/aXXcYYb", false),
    ])
    func matchesPathGlobs(pattern: String, path: String, expected: Bool) {
        #expect(FaultRule.glob(pattern, matches: path) == expected)
    }

    @Test func matchesMethodCaseInsensitivelyOrAny() throws {
        let rule = try FaultRule.parse(["method": "post", "path": "/x", "action": "drop"], id: "r")
        #expect(rule.method == "POST")
        #expect(rule.matches(method: "POST", path: "/x"))
        #expect(!rule.matches(method: "GET", path: "/x"))
        let any = try FaultRule.parse(["path": "/x", "action": "drop"], id: "r")
        #expect(any.matches(method: "DELETE", path: "/x"))
    }

    @Test func parsesEachAction() throws {
        let status = try FaultRule.parse(["path": "/p", "action": "status", "status": 503, "body": "{}", "count": 3], id: "fault-1")
        #expect(status.action == .status(503, body: "{}", contentType: "application/json"))
        #expect(status.remaining == 3)
        #expect(status.json.serialized() == #"{"id":"fault-1","method":"*","path":"/p","action":"status","status":503,"body":"{}","contentType":"application/json","remaining":3,"applied":0}"#)

        let slow = try FaultRule.parse(["path": "/p", "action": "delay", "delaySeconds": 1.5], id: "fault-2")
        #expect(slow.action == .delay(seconds: 1.5, status: nil, body: "", contentType: "application/json"))
        #expect(slow.remaining == 1)
        #expect(slow.json.serialized() == #"{"id":"fault-2","method":"*","path":"/p","action":"delay","delaySeconds":1.5,"remaining":1,"applied":0}"#)

        let slowFailure = try FaultRule.parse(
            ["path": "/p", "action": "delay", "delaySeconds": 2, "status": 504, "body": "gateway", "contentType": "text/plain"], id: "f")
        #expect(slowFailure.action == .delay(seconds: 2, status: 504, body: "gateway", contentType: "text/plain"))
    }

    @Test(arguments: [
        (JSON.array([]), "the rule must be a JSON object"),
        (["path": "/p", "action": "drop", "colour": "red"] as JSON,
         "unknown field \"colour\" (known: action, body, contentType, count, delaySeconds, method, path, status)"),
        (["action": "drop"] as JSON, "\"path\" must be a string starting with / (a glob where * matches anything)"),
        (["path": "admin", "action": "drop"] as JSON, "\"path\" must be a string starting with / (a glob where * matches anything)"),
        (["path": "/p", "action": "drop", "method": "GE T"] as JSON, "\"method\" must be an HTTP method such as \"POST\", or \"*\""),
        (["path": "/p", "action": "drop", "count": 0] as JSON, "\"count\" must be an integer from 1 to 1000000"),
        (["path": "/p", "action": "drop", "count": "2"] as JSON, "\"count\" must be an integer from 1 to 1000000"),
        (["path": "/p", "action": "status", "status": 99] as JSON, "\"status\" must be an integer from 200 to 599"),
        (["path": "/p", "action": "status"] as JSON, "action \"status\" needs \"status\""),
        (["path": "/p", "action": "delay"] as JSON, "action \"delay\" needs \"delaySeconds\" greater than 0 and at most 3600"),
        (["path": "/p", "action": "delay", "delaySeconds": 0] as JSON, "action \"delay\" needs \"delaySeconds\" greater than 0 and at most 3600"),
        (["path": "/p", "action": "status", "status": 500, "delaySeconds": 1] as JSON, "\"delaySeconds\" only applies to action \"delay\""),
        (["path": "/p", "action": "drop", "status": 500] as JSON, "action \"drop\" sends nothing: it takes no \"status\", \"body\" or \"contentType\""),
        (["path": "/p", "action": "explode"] as JSON, "\"action\" must be one of \"status\", \"delay\", \"drop\""),
        (["path": "/p", "action": "status", "status": 500, "contentType": "a\nb"] as JSON, "\"contentType\" must be a one-line string"),
    ])
    func refusesBadRules(json: JSON, message: String) {
        #expect(throws: FaultRuleError(message)) { try FaultRule.parse(json, id: "x") }
    }

    @Test func consumesTheFirstMatchingRuleUntilItsCountRunsOut() throws {
        let rules = FaultRuleSet()
        let first = try rules.add(["method": "GET", "path": "/a*", "action": "status", "status": 500, "count": 2])
        let second = try rules.add(["path": "/a/b", "action": "drop"])
        #expect(first.id == "fault-1")
        #expect(second.id == "fault-2")
        #expect(rules.consume(method: "POST", path: "/a/b") == .drop)  // first rule is GET-only
        #expect(rules.all.map(\.id) == ["fault-1"])
        #expect(rules.consume(method: "GET", path: "/a/b") == .status(500, body: "", contentType: "application/json"))
        #expect(rules.all.first?.remaining == 1)
        #expect(rules.all.first?.applied == 1)
        #expect(rules.consume(method: "GET", path: "/zzz") == nil)
        #expect(rules.consume(method: "GET", path: "/a") == .status(500, body: "", contentType: "application/json"))
        #expect(rules.all.isEmpty)
        #expect(rules.consume(method: "GET", path: "/a") == nil)
        #expect(rules.appliedCount == 3)
    }

    @Test func removesRulesByIdOrAll() throws {
        let rules = FaultRuleSet()
        _ = try rules.add(["path": "/a", "action": "drop"])
        _ = try rules.add(["path": "/b", "action": "drop"])
        #expect(rules.remove(id: "fault-1"))
        #expect(!rules.remove(id: "fault-1"))
        #expect(rules.all.map(\.id) == ["fault-2"])
        rules.removeAll()
        #expect(rules.all.isEmpty)
    }
}
