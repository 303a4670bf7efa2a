// Issue 17 item 4, in process: one -o/--output flag on kcx's own commands that print, and
// coloured error/warning/hint labels only on a terminal without NO_COLOR.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

final class TerminalText_: TextSink, @unchecked Sendable {
    private(set) var text = ""
    let isTerminal: Bool
    init(terminal: Bool) { isTerminal = terminal }
    func write(_ text: String) { self.text += text }
}

@Suite struct OutputOptionTests {
    /// Every kcx-own command that prints takes -o/--output; the kcadm-compatible request commands
    /// keep their own flags. graph and export take -o too (--format stays as an alias of it).
    @Test func everyOwnCommandThatPrintsTakesDashO() {
        let exempt: Set<String> = [
            "get", "create", "update", "delete", "config credentials", "config logout", "help", "completion",
            // A token's JSON (decode) and Keycloak's introspection answer are JSON by nature.
            "token decode", "token introspect",
            // Prints the secret alone (for pipes and --secret-file), or nothing with --out.
            "client secret",
            // kcadm's own commands keep kcadm's options.
            "get-roles", "add-roles", "remove-roles", "set-password", "config truststore",
        ]
        for command in CommandTable.all where !command.hidden && !exempt.contains(command.name) {
            let output = command.options.first { $0.long == "output" }
            #expect(output?.short == "o", "kcx \(command.name) has no -o/--output")
        }
        for name in ["config status", "apply", "plan", "graph", "export"] {
            #expect(
                CommandTable.all.first { $0.name == name }?.options.contains { $0.long == "output" && $0.short == "o" } == true,
                "\(name)")
        }
        // kcadm's request commands keep kcadm's flags: -o is get's --offset and create's --output (the object).
        #expect(CommandTable.all.first { $0.name == "get" }?.options.contains { $0.short == "o" && $0.long == "offset" } == true)
    }

    @Test func badOutputValueIsAUsageErrorBeforeAnyRequest() {
        let result = runKcx(["config", "status", "-o", "yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: invalid value 'yaml' for '--output': choose one of text, json\n"), "\(result)")
    }

    func run(_ arguments: [String], terminal: Bool, environment: [String: String] = [:]) -> String {
        let stderr = TerminalText_(terminal: terminal)
        var env = [
            "KCX_TOKEN": "t", "KCX_SERVER": "https://kc.test", "HOME": "/nonexistent/kcx-cli-tests",
            "XDG_CONFIG_HOME": "/nonexistent/kcx-cli-tests",
        ]
        for (key, value) in environment { env[key] = value }
        let context = CommandContext(
            stdout: CapturedText(), stderr: stderr, stdin: CannedInput(), environment: env,
            makeTransport: { _ in ScriptedTransport([]) })
        _ = Kcx.run(arguments, context: context)
        return stderr.text
    }

    @Test func errorsAndHintsAreColouredOnlyOnATerminalWithoutNoColor() {
        let arguments = ["audience", "check", "--client", "a", "--client", "b\u{1B}[2J"]
        let plain =
            "error: option '--client' takes one value but was given twice ('a' and 'b\\u001b[2J') for 'kcx audience check'\n"
            + "hint: keep the one you mean; only options marked repeatable in 'kcx audience check --help' take several values\n"
        #expect(run(arguments, terminal: false) == plain)
        #expect(run(arguments, terminal: true, environment: ["NO_COLOR": "1"]) == plain)
        // On a terminal: the labels in colour, the text still escaped (no clear-screen from input).
        #expect(
            run(arguments, terminal: true)
                == "\u{1B}[1;31merror:\u{1B}[0m option '--client' takes one value but was given twice ('a' and 'b\\u001b[2J') for 'kcx audience check'\n"
                + "\u{1B}[36mhint:\u{1B}[0m keep the one you mean; only options marked repeatable in 'kcx audience check --help' take several values\n"
        )
    }

    @Test func warningsAreColouredOnATerminal() {
        // A token on argv warns; decoding it needs no request.
        let text = run(["token", "decode", "not-a-jwt"], terminal: true)
        #expect(text.hasPrefix("\u{1B}[1;33mwarning:\u{1B}[0m a token on the command line is visible to other users"), "\(text)")
        #expect(text.contains("\n\u{1B}[1;31merror:\u{1B}[0m not a JWT"), "\(text)")
        let plain = run(["token", "decode", "not-a-jwt"], terminal: false)
        #expect(plain.hasPrefix("warning: a token on the command line is visible to other users"), "\(plain)")
        #expect(!plain.contains("\u{1B}"))
    }
}

final class AnsweringTerminal: InputSource, @unchecked Sendable {
    let answer: String
    private(set) var prompts: [String] = []
    init(_ answer: String) { self.answer = answer }
    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8] { [] }
    let isTerminal = true
    func readSecret(prompt: String) -> String? { nil }
    func readLine(prompt: String) -> String? {
        prompts.append(prompt)
        return answer
    }
}

@Suite struct ClientScopeDeleteConfirmationTests {
    static let scopes = jsonResponse(#"[{"id":"s1","name":"api-access","protocol":"openid-connect"}]"#)
    static let clients = jsonResponse(
        #"[{"id":"c1","clientId":"webapp","defaultClientScopes":["api-access"],"optionalClientScopes":[]},{"id":"c2","clientId":"other","defaultClientScopes":["profile"]}]"#
    )

    func run(answer: String, _ script: [ScriptedExchange]) -> (RunResult, AnsweringTerminal, ScriptedTransport) {
        let transport = ScriptedTransport(script)
        let terminal = AnsweringTerminal(answer)
        let stdout = CapturedText(), stderr = CapturedText()
        let context = CommandContext(
            stdout: stdout, stderr: stderr, stdin: terminal,
            environment: [
                "KCX_TOKEN": "t", "KCX_SERVER": "https://kc.test", "KCX_REALM": "demo", "HOME": "/nonexistent/kcx-cli-tests",
                "XDG_CONFIG_HOME": "/nonexistent/kcx-cli-tests",
            ],
            makeTransport: { _ in transport })
        let status = Kcx.run(["client-scope", "delete", "api-access"], context: context)
        return (RunResult(status: status, stdout: stdout.text, stderr: stderr.text), terminal, transport)
    }

    @Test func onATerminalItNamesTheClientsAndAnythingButYesCancels() {
        let (result, terminal, transport) = run(
            answer: "y",
            [
                ScriptedExchange("GET", "https://kc.test/admin/realms/demo/client-scopes", respond: Self.scopes),
                ScriptedExchange("GET", "https://kc.test/admin/realms/demo/clients", respond: Self.clients),
            ])
        #expect(
            result
                == RunResult(
                    status: 10, stdout: "",
                    stderr: """
                        client scope 'api-access' is assigned to 1 client, which would lose it: webapp (default)
                        delete cancelled: nothing was changed

                        """))
        #expect(terminal.prompts == ["Delete it? Only 'yes' is accepted: "])
        #expect(transport.isFinished)
    }

    @Test func yesDeletes() {
        let (result, _, transport) = run(
            answer: "yes",
            [
                ScriptedExchange("GET", "https://kc.test/admin/realms/demo/client-scopes", respond: Self.scopes),
                ScriptedExchange("GET", "https://kc.test/admin/realms/demo/clients", respond: Self.clients),
                // The delete uses the scope list the question read: no second GET.
                ScriptedExchange(
                    "DELETE", "https://kc.test/admin/realms/demo/client-scopes/s1",
                    respond: HTTPResponse(status: 204, headers: [], body: [])),
            ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.hasSuffix("deleted: client-scope api-access\n"), "\(result)")
        #expect(transport.isFinished)
    }
}
