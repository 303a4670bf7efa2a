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
        let status = try FaultRule.parse(
            ["path": "/p", "action": "status", "status": 503, "body": "{}", "count": 3], id: "fault-1")
        #expect(status.action == .status(503, body: "{}", contentType: "application/json"))
        #expect(status.remaining == 3)
        #expect(
            status.json.serialized()
                == #"{"id":"fault-1","method":"*","path":"/p","action":"status","status":503,"body":"{}","contentType":"application/json","remaining":3,"applied":0}"#
        )

        let slow = try FaultRule.parse(["path": "/p", "action": "delay", "delaySeconds": 1.5], id: "fault-2")
        #expect(slow.action == .delay(seconds: 1.5, status: nil, body: "", contentType: "application/json"))
        #expect(slow.remaining == 1)
        #expect(
            slow.json.serialized()
                == #"{"id":"fault-2","method":"*","path":"/p","action":"delay","delaySeconds":1.5,"remaining":1,"applied":0}"#)

        let slowFailure = try FaultRule.parse(
            ["path": "/p", "action": "delay", "delaySeconds": 2, "status": 504, "body": "gateway", "contentType": "text/plain"],
            id: "f")
        #expect(slowFailure.action == .delay(seconds: 2, status: 504, body: "gateway", contentType: "text/plain"))
    }

    @Test(arguments: [
        (JSON.array([]), "the rule must be a JSON object"),
        (
            ["path": "/p", "action": "drop", "colour": "red"] as JSON,
            "unknown field \"colour\" (known: action, apply, body, contentType, count, delaySeconds, method, path, probability, seed, skip, status)"
        ),
        (["action": "drop"] as JSON, "\"path\" must be a string starting with / (a glob where * matches anything)"),
        (
            ["path": "admin", "action": "drop"] as JSON,
            "\"path\" must be a string starting with / (a glob where * matches anything)"
        ),
        (
            ["path": "/p", "action": "drop", "method": "GE T"] as JSON,
            "\"method\" must be an HTTP method such as \"POST\", or \"*\""
        ),
        (["path": "/p", "action": "drop", "count": 0] as JSON, "\"count\" must be an integer from 1 to 1000000"),
        (["path": "/p", "action": "drop", "count": "2"] as JSON, "\"count\" must be an integer from 1 to 1000000"),
        (["path": "/p", "action": "status", "status": 99] as JSON, "\"status\" must be an integer from 200 to 599"),
        (["path": "/p", "action": "status"] as JSON, "action \"status\" needs \"status\""),
        (["path": "/p", "action": "delay"] as JSON, "action \"delay\" needs \"delaySeconds\" greater than 0 and at most 3600"),
        (
            ["path": "/p", "action": "delay", "delaySeconds": 0] as JSON,
            "action \"delay\" needs \"delaySeconds\" greater than 0 and at most 3600"
        ),
        (
            ["path": "/p", "action": "status", "status": 500, "delaySeconds": 1] as JSON,
            "\"delaySeconds\" only applies to action \"delay\""
        ),
        (
            ["path": "/p", "action": "drop", "status": 500] as JSON,
            "action \"drop\" sends nothing: it takes no \"status\", \"body\" or \"contentType\""
        ),
        (
            ["path": "/p", "action": "explode"] as JSON,
            "\"action\" must be one of \"status\", \"delay\", \"drop\", \"expire-tokens\""
        ),
        (["path": "/p", "action": "status", "status": 500, "apply": true] as JSON, "\"apply\" only applies to action \"drop\""),
        (["path": "/p", "action": "drop", "apply": "yes"] as JSON, "\"apply\" must be true or false"),
        (["path": "/p", "action": "drop", "skip": -1] as JSON, "\"skip\" must be an integer from 0 to 1000000"),
        (
            ["path": "/p", "action": "drop", "probability": 0] as JSON,
            "\"probability\" must be a number greater than 0 and at most 1"
        ),
        (
            ["path": "/p", "action": "drop", "probability": 1.5] as JSON,
            "\"probability\" must be a number greater than 0 and at most 1"
        ),
        (["path": "/p", "action": "drop", "seed": 3] as JSON, "\"seed\" only applies with \"probability\""),
        (["path": "/p", "action": "drop", "probability": 0.5, "seed": -3] as JSON, "\"seed\" must be a non-negative integer"),
        (
            ["path": "/p", "action": "expire-tokens", "status": 401] as JSON,
            "action \"expire-tokens\" answers the request itself: it takes no \"status\", \"body\" or \"contentType\""
        ),
        (
            ["path": "/p", "action": "status", "status": 500, "contentType": "a\nb"] as JSON,
            "\"contentType\" must be a one-line string"
        ),
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

    @Test func parsesDropAfterApplyingAndExpireTokens() throws {
        let applied = try FaultRule.parse(["path": "/p", "action": "drop", "apply": true], id: "f")
        #expect(applied.action == .dropAfterApplying)
        #expect(
            applied.json.serialized()
                == #"{"id":"f","method":"*","path":"/p","action":"drop","apply":true,"remaining":1,"applied":0}"#)
        #expect(try FaultRule.parse(["path": "/p", "action": "drop", "apply": false], id: "f").action == .drop)
        let expire = try FaultRule.parse(["path": "/p", "action": "expire-tokens", "skip": 5], id: "f")
        #expect(expire.action == .expireTokens)
        #expect(
            expire.json.serialized()
                == #"{"id":"f","method":"*","path":"/p","action":"expire-tokens","skip":5,"remaining":1,"applied":0}"#)
    }

    @Test func skipLetsMatchingRequestsPassToLaterRulesFirst() throws {
        let rules = FaultRuleSet()
        _ = try rules.add(["path": "/a", "action": "drop", "skip": 2])
        _ = try rules.add(["path": "/a", "action": "status", "status": 503, "count": 5])
        // The skipping rule lets the first two through, to the 503 rule behind it.
        #expect(rules.consume(method: "GET", path: "/a") == .status(503, body: "", contentType: "application/json"))
        #expect(rules.all.first?.skip == 1)
        #expect(rules.consume(method: "GET", path: "/a") == .status(503, body: "", contentType: "application/json"))
        #expect(rules.consume(method: "GET", path: "/a") == .drop)
        #expect(rules.all.map(\.id) == ["fault-2"])
        #expect(rules.all.first?.remaining == 3)
    }

    @Test func probabilityIsSeededSoARunCanBeReplayed() throws {
        func pattern(seed: Int) throws -> [Bool] {
            let rules = FaultRuleSet()
            _ = try rules.add(["path": "/a", "action": "drop", "probability": 0.3, "seed": .int(Int64(seed)), "count": 1000])
            return (0..<200).map { _ in rules.consume(method: "POST", path: "/a") == .drop }
        }
        let first = try pattern(seed: 42)
        #expect(try pattern(seed: 42) == first)
        #expect(try pattern(seed: 43) != first)
        // 200 draws at 0.3: the count is far from 0 and from 200 (binomial, sd ~6.5).
        let hits = first.filter { $0 }.count
        #expect((30...90).contains(hits), "\(hits) of 200")
        let rule = try FaultRule.parse(["path": "/a", "action": "drop", "probability": 0.25, "seed": 7], id: "f")
        #expect(
            rule.json.serialized()
                == #"{"id":"f","method":"*","path":"/a","action":"drop","probability":0.25,"seed":7,"remaining":1,"applied":0}"#)
    }

    @Test func aRuleThatDoesNotFireCountsNothing() throws {
        let rules = FaultRuleSet()
        _ = try rules.add(["path": "/a", "action": "drop", "skip": 1])
        #expect(rules.consume(method: "GET", path: "/a") == nil)
        #expect(rules.appliedCount == 0)
        #expect(rules.all.first?.applied == 0)
        #expect(rules.consume(method: "GET", path: "/a") == .drop)
        #expect(rules.appliedCount == 1)
    }
}
