// The command table itself (names, placeholders, short flags) and everything generated from it:
// committed files must equal what the table produces now, and the completion scripts must parse.
import Foundation
@testable import KcxCLI
import KeycloakKit
import Testing

/// The repository root, found from this file's path (Tests/KcxCLITests/<file>).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func shellExists(_ name: String) -> Bool {
    ["/bin", "/usr/bin", "/usr/local/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
}

/// Runs a shell command line and returns its exit status and combined output.
func runShell(_ shell: String, _ arguments: [String], in directory: URL = repositoryRoot) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [shell] + arguments
    process.currentDirectoryURL = directory
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite struct GeneratedFilesTests {
    @Test func committedFilesMatchTheTable() throws {
        for file in GeneratedFiles.all(CommandTable.all) {
            let url = repositoryRoot.appendingPathComponent(file.path)
            let committed = try? String(contentsOf: url, encoding: .utf8)
            #expect(
                committed == file.contents,
                "\(file.path) is stale or missing: run scripts/generate-docs and commit the result")
        }
    }

    @Test func noReferencePageWithoutACommand() throws {
        let expected = Set(GeneratedFiles.all(CommandTable.all).map(\.path))
        let directory = repositoryRoot.appendingPathComponent(GeneratedFiles.referenceDirectory)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".md") {
            #expect(
                expected.contains("\(GeneratedFiles.referenceDirectory)/\(name)"),
                "\(name) documents no command: run scripts/generate-docs and commit the removal")
        }
    }

    @Test func completionCommandPrintsTheCommittedScripts() throws {
        for (shell, path) in [("bash", "completions/kcx.bash"), ("zsh", "completions/_kcx"), ("fish", "completions/kcx.fish")] {
            let result = runKcx(["completion", shell])
            #expect(result.status == 0)
            #expect(result.stdout == (try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)))
        }
    }
}

@Suite struct CompletionScriptTests {
    @Test func bashScriptParses() throws {
        let (status, output) = try runShell("bash", ["-n", "completions/kcx.bash"])
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: shellExists("zsh"), "zsh is not installed: the zsh script's syntax is not checked"))
    func zshScriptParses() throws {
        let (status, output) = try runShell("zsh", ["-n", "completions/_kcx"])
        #expect(status == 0, "\(output)")
    }

    @Test(.enabled(if: shellExists("fish"), "fish is not installed: the fish script's syntax is not checked"))
    func fishScriptParses() throws {
        let (status, output) = try runShell("fish", ["--no-execute", "completions/kcx.fish"])
        #expect(status == 0, "\(output)")
    }

    /// Drives the bash function the way bash's completion does and checks what it offers.
    @Test func bashOffersCommandsOptionsAndValues() throws {
        let script = """
            source completions/kcx.bash
            try() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kcx; echo "${COMPREPLY[*]}"; }
            try kcx con
            try kcx -v config cr
            try kcx get clients --for
            try kcx get clients --format ""
            try kcx --profile x get clients -r demo --compa
            try kcx completion ""
            try kcx get -r ""
            """
        let (status, output) = try runShell("bash", ["-c", script])
        #expect(status == 0)
        #expect(output == "config\ncredentials\n--format\njson csv table\n--compact\nbash zsh fish\n\n")
    }
}

@Suite struct CommandTableTests {
    let commands = CommandTable.all

    @Test func pathsAreUniqueAndNoCommandIsAlsoAGroup() {
        let names = commands.map(\.name)
        #expect(Set(names).count == names.count, "duplicate command paths: \(names)")
        let router = Router(commands: commands)
        for command in commands {
            #expect(!router.isGroup(command.path), "'\(command.name)' is both a command and a group")
        }
    }

    @Test func everyCommandHasASummaryAndAnExample() {
        for command in commands {
            #expect(!command.summary.isEmpty, "'\(command.name)' has no summary")
            #expect(!command.summary.hasSuffix("."), "'\(command.name)': summaries end without a period")
            #expect(!command.examples.isEmpty, "'\(command.name)' has no example")
            for example in command.examples {
                #expect(
                    example.command.contains("kcx \(command.name)"),
                    "'\(command.name)' example does not run it: \(example.command)")
            }
        }
    }

    @Test func optionsAreWellFormed() {
        for command in commands {
            let options = command.options + GlobalOptions.specs(for: command)
            var longs: Set<String> = []
            var shorts: Set<Character> = []
            for option in options {
                #expect(longs.insert(option.long).inserted, "'\(command.name)' has two options named --\(option.long)")
                if let short = option.short {
                    #expect(shorts.insert(short).inserted, "'\(command.name)' has two options with -\(short)")
                }
                #expect(!option.summary.isEmpty, "'\(command.name) --\(option.long)' has no summary")
                if let valueName = option.valueName {
                    #expect(
                        !valueName.isEmpty && valueName == valueName.uppercased(),
                        "'\(command.name) --\(option.long)': placeholder should be like NAME")
                } else {
                    #expect(
                        option.completion == .none,
                        "'\(command.name) --\(option.long)' is a flag but has value completion: give it a placeholder")
                }
            }
            for positional in command.positionals {
                #expect(
                    positional.name == positional.name.uppercased(),
                    "'\(command.name)': argument \(positional.name) should be upper case")
            }
        }
    }

    /// kcadm's request commands give these letters kcadm's meanings, which a kcadm script relies
    /// on: -h is a request header there (--help keeps its long name), -o is get's --offset but
    /// create's and update's --output.
    static let kcadmLetters: Set<String> = [
        "get -h", "create -h", "update -h", "delete -h", "get -o", "create -o", "update -o",
    ]

    /// Every short flag that stands for different long options in different commands.
    static func shortFlagConflicts(_ commands: [CommandSpec]) -> [String] {
        var meaning: [Character: (long: String, command: String)] = [:]
        var conflicts: [String] = []
        for command in commands {
            for option in command.options + GlobalOptions.specs(for: command) {
                guard let short = option.short, !kcadmLetters.contains("\(command.name) -\(short)") else { continue }
                if let first = meaning[short] {
                    if first.long != option.long {
                        conflicts.append(
                            "-\(short) means --\(first.long) in 'kcx \(first.command)' but --\(option.long) in 'kcx \(command.name)'"
                        )
                    }
                } else {
                    meaning[short] = (option.long, command.name)
                }
            }
        }
        return conflicts
    }

    @Test func aShortFlagMeansTheSameEverywhere() {
        #expect(Self.shortFlagConflicts(commands) == [])
    }

    @Test func shortFlagCheckCatchesAConflict() {
        let conflicting = [
            (["x"], OptionSpec("target-realm", short: "r", value: "REALM", "Realm")),
            (["y"], OptionSpec("recursive", short: "r", "Recurse")),
        ].map { path, option in
            CommandSpec(path, summary: "s", options: [option], examples: [ExampleSpec("kcx", "e")], handler: { _, _ in .ok })
        }
        #expect(Self.shortFlagConflicts(conflicting) == ["-r means --target-realm in 'kcx x' but --recursive in 'kcx y'"])
    }
}

@Suite struct HelpTextTests {
    @Test func commandHelpHasEverySection() {
        let result = runKcx(["get", "--help"], commands: SampleTable.commands)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(
            result.stdout == """
                Read a thing

                Usage: kcx get ENDPOINT [options]

                Reads it.
                Two lines.

                Arguments:
                  ENDPOINT  Where to read

                Options:
                  -r, --target-realm REALM  Realm to use
                  -q, --query NAME=VALUE    Query parameter; repeatable
                      --compact             One line
                  -m, --merge               Merge
                      --format FORMAT       Output format (json, csv)

                Global options:
                      --config FILE      Session file (default ${XDG_CONFIG_HOME:-~/.config}/kcx/config.json)
                      --profile NAME     Named session in the config file (default: default, or $KCX_PROFILE)
                      --no-config        Store nothing: log in from KCX_* environment variables for this run only
                      --token TOKEN      Use this access token (or $KCX_TOKEN); nothing is stored
                      --timeout SECONDS  Give up on a request after this many seconds (default 30)
                      --retries N        Retries per request on 502/503/504 or a lost connection (default 3, or $KCX_RETRIES)
                      --insecure         Skip TLS certificate verification (prints a warning)
                      --cacert FILE      Trust the CA certificates in this PEM file
                  -v, --verbose          Print each request and its status to stderr, secrets redacted
                  -h, --help             Show help for this command

                Examples:
                  # Read the clients
                  kcx get clients

                  # Read users
                  kcx get users -r demo

                Exit codes: 0 success, 1 server error, 2 usage error, 3 not found, 4 authentication, 5 conflict, 6 network, 7 check failed, 8 changes present, 9 stale plan, 10 cancelled, 130 interrupted (see 'man kcx').

                """)
    }

    @Test func groupListsItsCommands() {
        let result = runKcx(["config"], commands: SampleTable.commands)
        #expect(
            result
                == RunResult(
                    status: 0,
                    stdout: """
                        Usage: kcx config <command> [options]

                        Commands:
                          credentials  Log in
                          status       Show the session

                        Run 'kcx help config <command>' for a command's options and examples.

                        """, stderr: ""))
    }

    @Test func topLevelListsEveryVisibleCommand() {
        let result = runKcx([], commands: SampleTable.commands)
        #expect(result.status == 0)
        #expect(
            result.stdout.hasPrefix(
                """
                \(HelpRenderer.tagline)

                Usage: kcx <command> [options]

                Commands:
                  get                 Read a thing
                  config credentials  Log in
                  config status       Show the session
                  cat                 Print files
                  fail                Fail on purpose
                  completion          Print the shell completion script for bash, zsh or fish
                  help                Show help for kcx or for a command

                Global options:

                """))
        #expect(result.stdout.contains("      --version          Print kcx's version and exit\n"))
        #expect(!result.stdout.contains("__generate-docs"))
    }

    @Test func realHelpListsEveryCommand() {
        let result = runKcx(["--help"])
        for command in CommandTable.all where !command.hidden {
            #expect(result.stdout.contains("\n  \(command.name) "), "kcx --help does not list '\(command.name)'")
        }
    }
}
