// --retries / KCX_RETRIES: validation, the retry line in the -v trace, silence without -v.
import Foundation
@testable import KcxCLI
import KeycloakKit
import Testing

@Suite("--retries")
struct RetryOptionTests {
    @Test(
        "a bad count is a usage error naming where it came from, before anything is sent",
        arguments: [
            (["retries": ["abc"]], [:], "--retries: 'abc' is not a whole number of retries from 0 to 100"),
            (["retries": ["-1"]], [:], "--retries: '-1' is not a whole number of retries from 0 to 100"),
            (["retries": ["101"]], [:], "--retries: '101' is not a whole number of retries from 0 to 100"),
            (["retries": ["1.5"]], [:], "--retries: '1.5' is not a whole number of retries from 0 to 100"),
            (["retries": [""]], [:], "--retries: '' is not a whole number of retries from 0 to 100"),
            ([:], ["KCX_RETRIES": "many"], "KCX_RETRIES: 'many' is not a whole number of retries from 0 to 100"),
        ] as [([String: [String]], [String: String], String)])
    func badCount(values: [String: [String]], environment: [String: String], message: String) throws {
        let world = try SessionWorld()
        for (key, value) in environment { world.environment[key] = value }
        try world.storeSession()
        let error = #expect(throws: KcxError.self) { try openAdminClient(world.invocation(values), world.context) }
        #expect(error == KcxError.usage(message, hint: "for example: --retries 5, or --retries 0 to disable retries"))
        #expect(world.transportOptions.isEmpty)
    }

    @Test("the count: default 3, KCX_RETRIES, --retries over the environment")
    func sources() throws {
        let world = try SessionWorld()
        #expect(try SessionSettings.retryPolicy(world.invocation(), world.context) == RetryPolicy(retries: 3))
        world.environment["KCX_RETRIES"] = "7"
        #expect(try SessionSettings.retryPolicy(world.invocation(), world.context) == RetryPolicy(retries: 7))
        #expect(try SessionSettings.retryPolicy(world.invocation(["retries": ["0"]]), world.context) == RetryPolicy(retries: 0))
        world.environment["KCX_RETRIES"] = ""
        #expect(try SessionSettings.retryPolicy(world.invocation(), world.context) == RetryPolicy(retries: 3))
    }

    @Test("-v shows each attempt and the retry between them; the command succeeds")
    func verboseRetryLine() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", status: 503)
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]")
        let response = try openAdminClient(world.invocation(["verbose": ["true"], "retries": ["1"]]), world.context)
            .send(method: "GET", endpoint: "clients")
        #expect(response.status == 200)
        var lines = world.stderr.text.split(separator: "\n").map(String.init)
        // The wait is random (full jitter): up to 100 ms before the first retry.
        let prefix = "* retrying GET http://kc/admin/realms/master/clients after 503 (attempt 2 of 2) in "
        let index = try #require(lines.firstIndex { $0.hasPrefix(prefix) })
        let milliseconds = Int(lines[index].dropFirst(prefix.count).dropLast(3))
        #expect(lines[index].hasSuffix(" ms") && milliseconds.map { (0...100).contains($0) } == true)
        lines[index] = "* RETRY"
        #expect(
            lines == [
                "> GET http://kc/admin/realms/master/clients", "> Authorization: Bearer <redacted>", "> Accept: application/json",
                "< 503 Service Unavailable (0 ms)", "* RETRY",
                "> GET http://kc/admin/realms/master/clients", "> Authorization: Bearer <redacted>", "> Accept: application/json",
                "< 200 OK (0 ms)", "< Content-Type: application/json", "< []",
            ])
        #expect(world.transport.remaining == 0)
    }

    @Test("a bad --retries or --timeout is named even before a session exists (not 'not logged in')")
    func badOptionBeforeSession() throws {
        let world = try SessionWorld()
        #expect(world.run(["get", "clients", "--retries", "abc"]) == 2)
        #expect(world.stderr.text.hasPrefix("error: --retries: 'abc' is not a whole number of retries from 0 to 100\n"))
        let again = try SessionWorld()
        #expect(again.run(["get", "clients", "--timeout", "soon"]) == 2)
        #expect(again.stderr.text.hasPrefix("error: --timeout: 'soon' is not a number of seconds between 0 and 86400\n"))
        #expect(world.transport.remaining == 0 && again.transport.remaining == 0)
    }

    @Test("without -v a retried request prints nothing; with --retries 0 it is not retried")
    func quietAndDisabled() throws {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", status: 502)
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]")
        #expect(world.run(["get", "clients", "--retries", "1"]) == 0)
        #expect(world.stderr.text == "")
        #expect(world.stdout.text == "[ ]\n")

        world.transport.expect("GET", "http://kc/admin/realms/master/clients", status: 502)
        #expect(world.run(["get", "clients", "--retries", "0"]) == 1)
        #expect(world.stderr.text == "error: GET /admin/realms/master/clients: 502 Bad Gateway\n")
        #expect(world.transport.remaining == 0)
    }
}
