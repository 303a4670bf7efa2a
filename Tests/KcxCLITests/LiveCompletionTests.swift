// Issue 17 item 6: completion of names from the logged-in server. In process: what
// `kcx __complete` asks, prints and caches, and that offline it prints nothing. In the three
// shells: that the generated scripts hand the typed words to it and offer what it prints.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite(.serialized) struct LiveCompletionTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-complete-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url
    }

    @Test func clientsOfTheTypedRealmAreFetchedOnceThenCached() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        let transport = ScriptedTransport([
            ScriptedExchange(
                "GET", "https://kc.test/admin/realms/other/clients?first=0&max=1000",
                respond: jsonResponse(#"[{"clientId":"webapp"},{"clientId":"service-a"},{"clientId":"has space"}]"#))
        ])
        let arguments = ["__complete", "clients", "--", "audience", "check", "-r", "other", "--client"]
        let first = runKcx(arguments, transport: transport, environment: ["XDG_CACHE_HOME": cache.path])
        #expect(first == RunResult(status: 0, stdout: "service-a\nwebapp\n", stderr: ""))
        #expect(transport.isFinished)
        // Within the minute: the same answer from the cache, no request (the script is empty now).
        let second = runKcx(arguments, transport: transport, environment: ["XDG_CACHE_HOME": cache.path])
        #expect(second == first)
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("kcx").path)
        #expect(files.count == 1)
        let mode =
            try FileManager.default.attributesOfItem(atPath: cache.appendingPathComponent("kcx/\(files[0])").path)[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func offlineOrRefusedPrintsNothing() throws {
        let cache = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: cache) }
        final class Refusing: HTTPTransport, @unchecked Sendable {
            func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
                throw TransportError(kind: .connectionRefused, message: "refused", url: request.url)
            }
        }
        let stdout = CapturedText(), stderr = CapturedText()
        let context = CommandContext(
            stdout: stdout, stderr: stderr, stdin: CannedInput(),
            environment: [
                "KCX_TOKEN": "t", "KCX_SERVER": "https://kc.test", "XDG_CACHE_HOME": cache.path,
                "HOME": "/nonexistent/kcx-cli-tests",
            ],
            makeTransport: { _ in Refusing() })
        #expect(Kcx.run(["__complete", "scopes", "--", "client-scope", "assign"], context: context) == 0)
        #expect(stdout.text == "" && stderr.text == "")
        // 403 too: nothing, not an error on the shell's line.
        let forbidden = ScriptedTransport([
            ScriptedExchange(
                "GET", "https://kc.test/admin/realms/master/clients?first=0&max=1000",
                respond: jsonResponse(#"{"error":"HTTP 403 Forbidden"}"#, status: 403))
        ])
        #expect(
            runKcx(
                ["__complete", "clients", "--", "-r", "master"], transport: forbidden, environment: ["XDG_CACHE_HOME": cache.path]
            ) == RunResult(status: 0, stdout: "", stderr: ""))
        // Not logged in at all: nothing either.
        let none = runKcx(["__complete", "realms", "--"], environment: ["KCX_TOKEN": "", "KCX_SERVER": ""])
        #expect(none == RunResult(status: 0, stdout: "", stderr: ""))
    }

    @Test func theTypedRealmProfileAndConfigAreFound() {
        #expect(
            LiveCompletion.settings(from: ["get", "-r", "a", "--profile", "p"]) == ["target-realm": ["a"], "profile": ["p"]])
        #expect(
            LiveCompletion.settings(from: ["--target-realm=b", "--config", "/c"]) == ["target-realm": ["b"], "config": ["/c"]])
        #expect(LiveCompletion.settings(from: ["-rdemo"]) == ["target-realm": ["demo"]])
        #expect(LiveCompletion.settings(from: ["export", "--realm", "x"]) == ["target-realm": ["x"]])
        #expect(LiveCompletion.settings(from: ["get", "--timeout", "9"]) == ["timeout": ["9"]])
    }

    @Test func liveOptionsAreTheOnesTheIssueNames() {
        let check = CommandTable.all.first { $0.name == "audience check" }!
        let client = check.options.first { $0.long == "client" }!
        #expect(CompletionScripts.completion(client) == .live("clients"))
        let allow = CommandTable.all.first { $0.name == "token-exchange allow" }!
        for long in ["from", "to"] {
            #expect(CompletionScripts.completion(allow.options.first { $0.long == long }!) == .live("clients"))
        }
        #expect(CompletionScripts.positionalCompletion(CommandTable.all.first { $0.name == "get" }!) == .live("endpoints"))
        // An option with its own choices keeps them.
        #expect(CompletionScripts.completion(check.options.first { $0.long == "output" }!) == .choices(["text", "json"]))
    }

    /// A stand-in `kcx` on PATH that logs its arguments and prints names, so the shells' side is
    /// tested alone (the Swift side is tested above, the server side end to end).
    func stubDirectory() throws -> URL {
        let directory = try temporaryDirectory()
        let stub = directory.appendingPathComponent("kcx")
        try Data(
            """
            #!/bin/sh
            printf '%s\\n' "$*" >> "\(directory.path)/log"
            case "$2" in
              clients) printf 'service-a\\nwebapp\\n' ;;
              scopes) printf 'api-access\\nroles\\n' ;;
              realms) printf 'demo\\nmaster\\n' ;;
              endpoints) printf 'clients\\nclient-scopes\\nusers\\n' ;;
            esac

            """.utf8
        ).write(to: stub)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub.path)
        return directory
    }

    @Test func bashOffersLiveNames() throws {
        let stub = try stubDirectory()
        defer { try? FileManager.default.removeItem(at: stub) }
        let script = """
            PATH="\(stub.path):$PATH"
            source completions/kcx.bash
            try() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kcx; echo "${COMPREPLY[*]}"; }
            try kcx audience check -r demo --client w
            try kcx token-exchange allow --from ""
            try kcx audience add --scope a
            try kcx get -r ""
            try kcx get cl
            """
        let (status, output) = try runShell("bash", ["-c", script])
        #expect(status == 0)
        #expect(output == "webapp\nservice-a webapp\napi-access\ndemo master\nclients client-scopes\n", "\(output)")
        let log = try String(contentsOf: stub.appendingPathComponent("log"), encoding: .utf8)
        #expect(log.hasPrefix("__complete clients -- audience check -r demo --client\n"), "\(log)")
    }

    @Test(.enabled(if: shellExists("zsh"), "zsh is not installed"))
    func zshOffersLiveNames() throws {
        let stub = try stubDirectory()
        defer { try? FileManager.default.removeItem(at: stub) }
        // compadd and friends only work inside a completion widget: stand-ins print what they get.
        let script = """
            PATH="\(stub.path):$PATH"
            compadd() { if [[ $1 == -a ]]; then print -r -- "${(j: :)${(P)2}}"; else shift; print -r -- "$*"; fi }
            _describe() { print -r -- "(describe)" }
            _message() { print -r -- "(message)" }
            _files() { print -r -- "(files)" }
            source completions/_kcx >/dev/null
            try() { words=("$@"); CURRENT=${#words}; _kcx }
            try kcx audience check -r demo --client w
            try kcx token-exchange allow --to ""
            try kcx get -r ""
            """
        let (status, output) = try runShell("zsh", ["-f", "-c", script])
        #expect(status == 0, "\(output)")
        #expect(output == "service-a webapp\nservice-a webapp\ndemo master\n", "\(output)")
        let log = try String(contentsOf: stub.appendingPathComponent("log"), encoding: .utf8)
        #expect(log.hasPrefix("__complete clients -- audience check -r demo --client\n"), "\(log)")
    }

    @Test(.enabled(if: shellExists("fish"), "fish is not installed"))
    func fishOffersLiveNames() throws {
        let stub = try stubDirectory()
        defer { try? FileManager.default.removeItem(at: stub) }
        let script = """
            set -x PATH \(stub.path) $PATH
            source completions/kcx.fish
            complete -C 'kcx audience check -r demo --client '
            echo SEP
            complete -C 'kcx get '
            """
        let (status, output) = try runShell("fish", ["--no-config", "-c", script])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        #expect(lines == ["service-a", "webapp", "SEP", "clients", "client-scopes", "users"], "\(output)")
        let log = try String(contentsOf: stub.appendingPathComponent("log"), encoding: .utf8)
        #expect(log.hasPrefix("__complete clients -- audience check -r demo --client\n"), "\(log)")
    }
}
