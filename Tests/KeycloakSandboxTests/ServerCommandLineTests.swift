// kcx-sandbox's command line: options, password sources, and the usage errors (issue 3, "What to build").
import Testing

@testable import KeycloakSandbox

@Suite struct ServerCommandLineTests {
    private func parse(_ arguments: [String], environment: [String: String] = [:], files: [String: String] = [:])
        throws(SandboxUsageError) -> SandboxCommand
    {
        try SandboxCommandLine.parse(arguments, environment: environment) { path in
            guard let text = files[path] else { throw MissingFile.missing }
            return text
        }
    }

    private enum MissingFile: Error { case missing }

    private func runOptions(_ command: SandboxCommand) -> (SandboxOptions, Bool)? {
        if case .run(let options, let generated) = command { return (options, generated) }
        return nil
    }

    @Test func defaultsBindLoopbackOnAFreePortWithAGeneratedPassword() throws {
        let (options, generated) = try #require(runOptions(try parse([])))
        #expect(options.host == "127.0.0.1")
        #expect(options.port == 0)
        #expect(!options.allowNonLoopback)
        #expect(options.adminUsername == "admin")
        #expect(generated)
        #expect(options.adminPassword.count == 24)
        #expect(options.adminPassword.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(!options.controlEnabled)
        #expect(options.stateFile == nil)
        #expect(options.importFiles.isEmpty)
        #expect(options.features == .keycloakDefaults)
    }

    @Test func readsEveryOption() throws {
        let command = try parse(
            [
                "--host", "::1", "--port=8181", "--admin-user", "Root", "--admin-password-file", "/pw", "--state", "s.json",
                "--import", "a.json", "--import=b.json", "--features", "token-exchange,admin-fine-grained-authz:v1", "--control",
                "--max-body-bytes", "2048", "--allow-non-loopback",
            ],
            environment: ["KCX_SANDBOX_ADMIN_PASSWORD": "from-env"], files: ["/pw": "s3cret\n"])
        let (options, generated) = try #require(runOptions(command))
        #expect(options.host == "::1")
        #expect(options.port == 8181)
        #expect(options.adminUsername == "root")
        #expect(options.adminPassword == "s3cret")  // the file wins over the environment; one newline dropped
        #expect(!generated)
        #expect(options.stateFile == "s.json")
        #expect(options.importFiles == ["a.json", "b.json"])
        #expect(options.features.tokenExchangeV1 && options.features.fineGrainedAuthzV1)
        #expect(options.controlEnabled)
        #expect(options.allowNonLoopback)
        #expect(options.limits.maxBodyBytes == 2048)
    }

    @Test func takesThePasswordFromTheEnvironment() throws {
        let (options, generated) = try #require(
            runOptions(try parse([], environment: ["KCX_SANDBOX_ADMIN_PASSWORD": "pw from env"])))
        #expect(options.adminPassword == "pw from env")
        #expect(!generated)
    }

    @Test func helpAndVersionWinOverOtherOptions() throws {
        guard case .help = try parse(["--port", "1", "-h"]) else { Issue.record("expected help"); return }
        guard case .version = try parse(["--version"]) else { Issue.record("expected version"); return }
        #expect(SandboxCommandLine.helpText.contains("  --admin-password-file FILE  read the admin password from FILE"))
        for option in SandboxCommandLine.options { #expect(SandboxCommandLine.helpText.contains(option.name)) }
    }

    @Test(arguments: [
        (["--bogus"], "error: unknown option '--bogus'\nhint: run 'kcx-sandbox --help' for the options"),
        (["--portt", "1"], "error: unknown option '--portt'\nhint: did you mean --port?"),
        (["--port"], "error: option --port needs a value\nhint: write --port PORT"),
        (["--port", "70000"], "error: --port '70000' is not a port number\nhint: use 0 to 65535 (0 picks a free port)"),
        (["--control=yes"], "error: option --control takes no value\nhint: write --control alone"),
        (["--state", "a", "--state", "b"], "error: option --state given twice\nhint: give it once"),
        (
            ["--admin-password-file", "/missing"],
            "error: cannot read the admin password file '/missing'\nhint: check the path and its permissions"
        ),
        (
            ["--admin-password-file", "/empty"],
            "error: the admin password file '/empty' is empty\nhint: write the password on its first line"
        ),
        (
            ["--admin-user", "a b"],
            "error: --admin-user 'a b' is not a valid username\nhint: use a non-empty name without spaces"
        ),
        (
            ["--max-body-bytes", "10"],
            "error: --max-body-bytes '10' is not a number of at least 1024\nhint: e.g. --max-body-bytes 10485760"
        ),
        (
            ["--features", "token-exchange:v1,token-exchange:v1", "--features-disabled", "token-exchange"],
            "error: Feature token-exchange cannot be both enabled and disabled\nhint: see token-exchange.md §3 or 'kcx-sandbox --help'"
        ),
    ])
    func refusesBadCommandLines(arguments: [String], message: String) {
        do {
            _ = try parse(arguments, files: ["/empty": "\n"])
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.description == message)
        }
    }
}
