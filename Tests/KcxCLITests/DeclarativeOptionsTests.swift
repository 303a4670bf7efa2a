// plan, apply and export read their options in one pure step (PlanOptions, ApplyOptions,
// ExportOptions): each usage error, exactly, from a parsed command line, with no file read and no
// request sent; and the whole command refusing the same way (exit 2) through Kcx.run with a
// transport that records any request as a failure.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite struct DeclarativeOptionsTests {
    func invocation(_ arguments: [String]) throws -> Invocation {
        guard case .run(let invocation) = try Router(commands: CommandTable.all).route(arguments) else {
            throw KcxError.usage("not a command: \(arguments)")
        }
        return invocation
    }

    @Test(
        "plan: each usage error, before anything is read or sent",
        arguments: [
            (["plan"], "--file is required: the declarative file to use", nil),
            (["plan", "-f", "r.yaml", "--out", ""], "--out needs a file name: where to save the plan", nil),
            (
                ["plan", "-f", "r.yaml", "--out", "-"],
                "--out takes a file, not '-': standard output carries the plan as --output shows it",
                "for example: --out plan.json"
            ),
        ] as [([String], String, String?)])
    func planUsage(arguments: [String], message: String, hint: String?) throws {
        let error = #expect(throws: KcxError.self) { try PlanOptions(try invocation(arguments)) }
        #expect(error == KcxError.usage(message, hint: hint))
    }

    @Test("plan: the values read")
    func planValues() throws {
        let options = try PlanOptions(
            try invocation(["plan", "-f", "r.yaml", "--prune", "-o", "markdown", "--detailed-exitcode", "--out", "p.json"]))
        #expect(options == PlanOptions(file: "r.yaml", prune: true, format: .markdown, detailedExitcode: true, out: "p.json"))
        #expect(
            try PlanOptions(try invocation(["plan", "-f", "-"]))
                == PlanOptions(file: "-", prune: false, format: .text, detailedExitcode: false, out: nil))
    }

    @Test(
        "apply: each usage error, before anything is read or sent",
        arguments: [
            (["apply"], "--file is required: the declarative file to use (or a saved plan: kcx apply PLAN)", nil),
            (
                ["apply", "p.json", "-f", "r.yaml"], "give either a saved plan ('p.json') or --file, not both",
                "kcx apply PLAN applies a saved plan; kcx apply -f FILE plans and applies the file"
            ),
            (
                ["apply", "p.json", "--prune"],
                "--prune cannot change a saved plan: whether it prunes was decided by 'kcx plan --out'",
                "drop --prune, or make the plan again with --prune"
            ),
            (
                ["apply", "-f", "r.yaml", "--detailed-exitcode"],
                "--detailed-exitcode goes with --dry-run (or kcx plan): apply itself exits 0 when it succeeds", nil
            ),
            (["apply", "-f", "r.yaml", "--output", "markdown"], "--output must be 'text' or 'json', not 'markdown'", nil),
            (["apply", "-f", "r.yaml", "--parallel", "0"], "--parallel takes a number from 1 to 32, not '0'", nil),
            (["apply", "-f", "r.yaml", "--parallel", "33"], "--parallel takes a number from 1 to 32, not '33'", nil),
            (["apply", "-f", "r.yaml", "--parallel", "many"], "--parallel takes a number from 1 to 32, not 'many'", nil),
        ] as [([String], String, String?)])
    func applyUsage(arguments: [String], message: String, hint: String?) throws {
        let error = #expect(throws: KcxError.self) { try ApplyOptions(try invocation(arguments)) }
        #expect(error == KcxError.usage(message, hint: hint))
    }

    @Test("apply: the values read")
    func applyValues() throws {
        let fromFile = try ApplyOptions(
            try invocation(["apply", "-f", "r.yaml", "--prune", "--auto-approve", "--parallel", "8", "-o", "json"]))
        #expect(
            fromFile
                == ApplyOptions(
                    source: .file("r.yaml"), prune: true, autoApprove: true, parallel: 8, format: .json, dryRun: false,
                    detailedExitcode: false))
        let saved = try ApplyOptions(try invocation(["apply", "p.json", "--dry-run", "--detailed-exitcode", "-o", "markdown"]))
        #expect(
            saved
                == ApplyOptions(
                    source: .saved("p.json"), prune: false, autoApprove: false, parallel: 4, format: .markdown, dryRun: true,
                    detailedExitcode: true))
    }

    @Test("export: the realm named twice differently")
    func exportUsage() throws {
        let error = #expect(throws: KcxError.self) { try ExportOptions(try invocation(["export", "--realm", "a", "-r", "b"])) }
        #expect(error == KcxError.usage("--realm 'a' and -r/--target-realm 'b' name different realms: give one"))
    }

    /// Values the router's choice check lets through only when a command is built by hand: the
    /// pure step still refuses them (it is the one place that knows which values mean what).
    @Test(
        "a value outside the choices, given past the router",
        arguments: [
            ("plan", ["file": ["r.yaml"], "output": ["yaml"]], "--output must be 'text', 'json' or 'markdown', not 'yaml'"),
            (
                "apply", ["file": ["r.yaml"], "output": ["yaml"], "dry-run": ["true"]],
                "--output must be 'text', 'json' or 'markdown', not 'yaml'"
            ),
            ("export", ["output": ["xml"]], "--output must be 'yaml' or 'json', not 'xml'"),
        ] as [(String, [String: [String]], String)])
    func outsideTheChoices(command: String, values: [String: [String]], message: String) throws {
        let spec = try #require(CommandTable.all.first { $0.path == [command] })
        let invocation = Invocation(command: spec, values: values, positionals: [])
        let error = #expect(throws: KcxError.self) {
            switch command {
            case "plan": _ = try PlanOptions(invocation)
            case "apply": _ = try ApplyOptions(invocation)
            default: _ = try ExportOptions(invocation)
            }
        }
        #expect(error == KcxError.usage(message))
    }

    @Test("export: the values read")
    func exportValues() throws {
        let options = try ExportOptions(
            try invocation(["export", "--realm", "a", "-r", "a", "--client", "x", "--client", "y", "--format", "json"]))
        #expect(options == ExportOptions(format: .json, realm: "a", clients: ["x", "y"]))
        #expect(try ExportOptions(try invocation(["export"])) == ExportOptions(format: .yaml, realm: nil, clients: []))
    }

    @Test(
        "the commands refuse bad options with exit 2 before reading the file or sending a request",
        arguments: [
            ["plan", "-f", "/nonexistent/r.yaml", "--out", "-"],
            ["apply", "/nonexistent/p.json", "--prune"],
            ["apply", "-f", "/nonexistent/r.yaml", "--parallel", "0"],
            ["apply", "-f", "/nonexistent/r.yaml", "--output", "markdown"],
            ["export", "--realm", "a", "-r", "b"],
        ])
    func commandsRefuseFirst(arguments: [String]) throws {
        let stdout = CapturedText()
        let stderr = CapturedText()
        let transport = ScriptedTransport([])
        let context = CommandContext(
            stdout: stdout, stderr: stderr, stdin: CannedInput(), environment: [:], makeTransport: { _ in transport })
        #expect(Kcx.run(arguments, context: context) == ExitCode.usage.rawValue)
        #expect(stdout.text == "")
        #expect(stderr.text.hasPrefix("error: --"), "\(stderr.text)")
        #expect(!stderr.text.contains("nonexistent"), "the file was read: \(stderr.text)")
        #expect(transport.received.isEmpty)
    }

    @Test("apply without --auto-approve and without a terminal is refused after reading the file, before any request")
    func applyNeedsATerminalOrAutoApprove() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-options-\(UUID().uuidString).yaml").path
        try Data("realms:\n  - realm: demo\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = runKcx(["apply", "-f", path])
        #expect(
            result
                == RunResult(
                    status: 2, stdout: "",
                    stderr: """
                        error: apply needs confirmation and standard input is not a terminal
                        hint: review 'kcx plan -f FILE', then run apply with --auto-approve

                        """))
        // A dry run asks nothing, so it gets as far as the session (and its first request).
        let dry = runKcx(
            ["apply", "-f", path, "--dry-run"],
            transport: ScriptedTransport([
                ScriptedExchange("GET", "https://kc.test/admin/realms/demo/client-scopes", respond: jsonResponse("[]")),
                ScriptedExchange(
                    "GET", "https://kc.test/admin/realms/demo/default-default-client-scopes", respond: jsonResponse("[]")),
                ScriptedExchange(
                    "GET", "https://kc.test/admin/realms/demo/default-optional-client-scopes", respond: jsonResponse("[]")),
            ]))
        #expect(dry == RunResult(status: 0, stdout: "realm demo:\n  no changes\nNo changes.\n", stderr: "3 HTTP requests\n"))
    }
}
