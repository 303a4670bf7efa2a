// The router's parse rules and every usage error, table-driven over a small fixed table.
@testable import KcxCLI
import KeycloakKit
import Testing

/// A table that does not change when real commands do, so these tests pin the router alone.
enum SampleTable {
    /// Echoes what the handler received, one line, keys sorted.
    static let echo: CommandHandler = { invocation, context in
        let values = invocation.values.keys.sorted().map { "\($0)=\(invocation.values[$0]!)" }.joined(separator: " ")
        context.stdout.write("\(invocation.command.name) \(invocation.positionals) \(values)\n")
        return .ok
    }

    static let commands: [CommandSpec] = CommandTable.withBuiltins([
        CommandSpec(
            ["get"], summary: "Read a thing", discussion: "Reads it.\nTwo lines.",
            positionals: [PositionalSpec("ENDPOINT", "Where to read")],
            options: [
                OptionSpec("target-realm", short: "r", value: "REALM", "Realm to use"),
                OptionSpec("query", short: "q", value: "NAME=VALUE", "Query parameter", repeatable: true),
                OptionSpec("compact", "One line"),
                OptionSpec("merge", short: "m", "Merge"),
                OptionSpec("format", value: "FORMAT", "Output format", completion: .choices(["json", "csv"])),
            ],
            examples: [ExampleSpec("kcx get clients", "Read the clients"), ExampleSpec("kcx get users -r demo", "Read users")],
            handler: echo),
        CommandSpec(
            ["config", "credentials"], summary: "Log in",
            options: [OptionSpec("server", value: "URL", "Server")],
            examples: [ExampleSpec("kcx config credentials --server https://kc", "Log in")], handler: echo),
        CommandSpec(
            ["config", "status"], summary: "Show the session", examples: [ExampleSpec("kcx config status", "Show")], handler: echo
        ),
        CommandSpec(
            ["cat"], summary: "Print files", positionals: [PositionalSpec("FILE", "Files", optional: true, repeatable: true)],
            examples: [ExampleSpec("kcx cat a b", "Print two")], handler: echo),
        CommandSpec(
            ["fail"], summary: "Fail on purpose", positionals: [PositionalSpec("KIND", "conflict or refused")],
            examples: [ExampleSpec("kcx fail conflict", "Fail")],
            handler: { invocation, _ in
                if invocation.positionals[0] == "conflict" {
                    throw KcxError(
                        .conflict, "POST /admin/realms/demo/clients: 409 Client api already exists", hint: "use update")
                }
                throw TransportError(
                    kind: .connectionRefused, message: "Could not connect to server",
                    url: "https://kc.test/admin/realms/demo/clients")
            }),
    ])

    static func route(_ arguments: [String]) throws -> Route {
        try Router(commands: commands).route(arguments)
    }
}

struct ParseCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var command: String
    var positionals: [String]
    var values: [String: [String]]
    var testDescription: String { arguments.joined(separator: " ") }
}

@Suite struct RouterParseTests {
    static let cases: [ParseCase] = [
        ParseCase(arguments: ["get", "clients"], command: "get", positionals: ["clients"], values: [:]),
        ParseCase(
            arguments: ["get", "clients", "-r", "demo"], command: "get", positionals: ["clients"],
            values: ["target-realm": ["demo"]]),
        ParseCase(
            arguments: ["get", "-rdemo", "clients"], command: "get", positionals: ["clients"], values: ["target-realm": ["demo"]]),
        ParseCase(
            arguments: ["get", "--target-realm=demo", "clients"], command: "get", positionals: ["clients"],
            values: ["target-realm": ["demo"]]),
        ParseCase(
            arguments: ["get", "--target-realm", "demo", "clients"], command: "get", positionals: ["clients"],
            values: ["target-realm": ["demo"]]),
        ParseCase(
            arguments: ["get", "clients", "--target-realm="], command: "get", positionals: ["clients"],
            values: ["target-realm": [""]]),
        // A value is taken as is, even when it looks like an option.
        ParseCase(
            arguments: ["get", "x", "-r", "--compact"], command: "get", positionals: ["x"],
            values: ["target-realm": ["--compact"]]),
        ParseCase(
            arguments: ["get", "x", "--target-realm=a=b"], command: "get", positionals: ["x"], values: ["target-realm": ["a=b"]]),
        // Repeated options keep every value in order; a single-value option given the same value
        // twice is accepted (different values are a usage error, tested below).
        ParseCase(
            arguments: ["get", "x", "-r", "a", "-r", "a"], command: "get", positionals: ["x"],
            values: ["target-realm": ["a", "a"]]),
        ParseCase(
            arguments: ["get", "-q", "a=b", "x", "-q", "c=d"], command: "get", positionals: ["x"],
            values: ["query": ["a=b", "c=d"]]),
        // Global options anywhere: before, between and after the command words.
        ParseCase(arguments: ["-v", "get", "clients"], command: "get", positionals: ["clients"], values: ["verbose": ["true"]]),
        ParseCase(
            arguments: ["--profile", "p", "get", "clients"], command: "get", positionals: ["clients"], values: ["profile": ["p"]]),
        ParseCase(
            arguments: ["config", "--profile=p", "status"], command: "config status", positionals: [], values: ["profile": ["p"]]),
        ParseCase(
            arguments: ["get", "clients", "--timeout", "5", "--insecure"], command: "get", positionals: ["clients"],
            values: ["timeout": ["5"], "insecure": ["true"]]),
        // Short flags cluster; a value option may end a cluster.
        ParseCase(
            arguments: ["get", "-vm", "x"], command: "get", positionals: ["x"], values: ["verbose": ["true"], "merge": ["true"]]),
        ParseCase(
            arguments: ["get", "-mrdemo", "x"], command: "get", positionals: ["x"],
            values: ["merge": ["true"], "target-realm": ["demo"]]),
        // `--` ends options; `-` is an ordinary argument (standard input).
        ParseCase(arguments: ["get", "--", "-r"], command: "get", positionals: ["-r"], values: [:]),
        ParseCase(
            arguments: ["cat", "a", "--", "--compact", "-"], command: "cat", positionals: ["a", "--compact", "-"], values: [:]),
        ParseCase(arguments: ["get", "-"], command: "get", positionals: ["-"], values: [:]),
        // The longest command path wins; later words are arguments even if they name commands.
        ParseCase(arguments: ["get", "config"], command: "get", positionals: ["config"], values: [:]),
        ParseCase(arguments: ["cat"], command: "cat", positionals: [], values: [:]),
        ParseCase(arguments: ["cat", "a", "b", "c"], command: "cat", positionals: ["a", "b", "c"], values: [:]),
        ParseCase(arguments: ["get", "x", "--format", "csv"], command: "get", positionals: ["x"], values: ["format": ["csv"]]),
        ParseCase(
            arguments: ["config", "credentials", "--server", "https://kc"], command: "config credentials", positionals: [],
            values: ["server": ["https://kc"]]),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: ParseCase) throws {
        let route = try SampleTable.route(testCase.arguments)
        guard case .run(let invocation) = route else {
            Issue.record("expected a command, got \(route)")
            return
        }
        #expect(invocation.command.name == testCase.command)
        #expect(invocation.positionals == testCase.positionals)
        #expect(invocation.values == testCase.values)
    }

    @Test func singleValueOptionGivenTwiceIsAUsageErrorNamingBoth() throws {
        let result = runKcx(["get", "x", "-r", "a", "--target-realm", "b"], commands: SampleTable.commands)
        #expect(
            result
                == RunResult(
                    status: 2, stdout: "",
                    stderr: """
                        error: option '--target-realm (-r)' takes one value but was given twice ('a' and 'b') for 'kcx get'
                        hint: keep the one you mean; only options marked repeatable in 'kcx get --help' take several values

                        """))
    }

    @Test func sameValueTwiceAndRepeatableOptionsAreAccepted() throws {
        guard case .run(let same) = try SampleTable.route(["get", "x", "-r", "a", "--target-realm=a"]) else {
            Issue.record("expected a command")
            return
        }
        #expect(same.value("target-realm") == "a")
        guard case .run(let repeated) = try SampleTable.route(["get", "x", "-q", "a=1", "-q", "b=2"]) else {
            Issue.record("expected a command")
            return
        }
        #expect(repeated.all("query") == ["a=1", "b=2"])
    }

    @Test func realCommandsRefuseTwoAudiencesAndTwoClients() {
        let audience = runKcx(["audience", "check", "--client", "webapp", "--audience", "a", "--audience", "b"])
        #expect(audience.status == 2)
        #expect(
            audience.stderr.hasPrefix(
                "error: option '--audience' takes one value but was given twice ('a' and 'b') for 'kcx audience check'\n"))
        let client = runKcx(["client-scope", "assign", "s", "--client", "a", "--client", "b"])
        #expect(
            client.stderr.hasPrefix(
                "error: option '--client' takes one value but was given twice ('a' and 'b') for 'kcx client-scope assign'\n"))
        // token exchange documents --audience as repeatable: several audiences reach the server.
        #expect(
            CommandTable.all.first { $0.name == "token exchange" }?.options.first { $0.long == "audience" }?.repeatable == true)
    }

    @Test func secretValuesGivenTwiceAreNotEchoed() {
        let result = runKcx(["token", "get", "--client", "c", "--secret", "s3cret-one", "--secret", "s3cret-two"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: option '--secret' takes one value but was given twice for 'kcx token get'\n"))
        #expect(!result.stderr.contains("s3cret"))
    }
}

struct RouteCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var help: [String]?
    var testDescription: String { arguments.isEmpty ? "(no arguments)" : arguments.joined(separator: " ") }
}

@Suite struct RouterHelpTests {
    static let cases: [RouteCase] = [
        RouteCase(arguments: [], help: []),
        RouteCase(arguments: ["--help"], help: []),
        RouteCase(arguments: ["-h"], help: []),
        RouteCase(arguments: ["-v"], help: []),
        RouteCase(arguments: ["config"], help: ["config"]),
        RouteCase(arguments: ["config", "--help"], help: ["config"]),
        RouteCase(arguments: ["get", "--help"], help: ["get"]),
        RouteCase(arguments: ["get", "-h"], help: ["get"]),
        RouteCase(arguments: ["-h", "get"], help: ["get"]),
        RouteCase(arguments: ["get", "x", "y", "--help"], help: ["get"]),
        RouteCase(arguments: ["config", "status", "-h"], help: ["config", "status"]),
    ]

    @Test(arguments: cases)
    func routesToHelp(_ testCase: RouteCase) throws {
        guard case .help(let path) = try SampleTable.route(testCase.arguments) else {
            Issue.record("expected help")
            return
        }
        #expect(path == testCase.help)
    }

    @Test func versionFlag() throws {
        let result = runKcx(["--version"], commands: SampleTable.commands)
        // A plain build (the tests') knows no version; scripts/package-test checks a packaged one.
        #expect(result == RunResult(status: 0, stdout: "kcx 0.0.0-dev (commit unknown)\n", stderr: ""))
    }

    @Test func helpCommandEqualsHelpFlag() {
        let viaCommand = runKcx(["help", "config", "status"], commands: SampleTable.commands)
        let viaFlag = runKcx(["config", "status", "--help"], commands: SampleTable.commands)
        #expect(viaCommand.status == 0)
        #expect(viaCommand == viaFlag)
        #expect(viaCommand.stdout.hasPrefix("Show the session\n\nUsage: kcx config status [options]\n"))
    }
}

struct ErrorCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var status: Int32 = 2
    var stderr: String
    var testDescription: String { arguments.joined(separator: " ") }
}

@Suite struct RouterErrorTests {
    static let cases: [ErrorCase] = [
        ErrorCase(
            arguments: ["gte", "clients"],
            stderr: "error: unknown command 'gte'\nhint: did you mean 'get'? Run 'kcx --help' to see the commands.\n"),
        ErrorCase(
            arguments: ["frobnicate"],
            stderr: "error: unknown command 'frobnicate'\nhint: Run 'kcx --help' to see the commands.\n"),
        ErrorCase(
            arguments: ["config", "statsu"],
            stderr:
                "error: unknown command 'config statsu'\nhint: did you mean 'config status'? Run 'kcx config --help' to see the commands.\n"
        ),
        ErrorCase(
            arguments: ["-v", "config", "credential"],
            stderr:
                "error: unknown command 'config credential'\nhint: did you mean 'config credentials'? Run 'kcx config --help' to see the commands.\n"
        ),
        ErrorCase(
            arguments: ["help", "gte"],
            stderr: "error: unknown command 'gte'\nhint: did you mean 'get'? Run 'kcx --help' to see the commands.\n"),
        ErrorCase(
            arguments: ["get", "x", "--compcat"],
            stderr:
                "error: unknown option '--compcat' for 'kcx get'\nhint: did you mean '--compact'? Run 'kcx get --help' to see its options.\n"
        ),
        ErrorCase(
            arguments: ["get", "x", "--target-relm=a"],
            stderr:
                "error: unknown option '--target-relm' for 'kcx get'\nhint: did you mean '--target-realm'? Run 'kcx get --help' to see its options.\n"
        ),
        ErrorCase(
            arguments: ["get", "x", "-z"],
            stderr: "error: unknown option '-z' for 'kcx get'\nhint: Run 'kcx get --help' to see its options.\n"),
        ErrorCase(
            arguments: ["get", "x", "-vz"],
            stderr: "error: unknown option '-z' for 'kcx get'\nhint: Run 'kcx get --help' to see its options.\n"),
        ErrorCase(
            arguments: ["get", "x", "-r"],
            stderr: "error: option '-r' needs a value (REALM)\nhint: Run 'kcx get --help' for usage.\n"),
        ErrorCase(
            arguments: ["get", "x", "--target-realm"],
            stderr: "error: option '--target-realm' needs a value (REALM)\nhint: Run 'kcx get --help' for usage.\n"),
        ErrorCase(
            arguments: ["--profile"],
            stderr: "error: option '--profile' needs a value (NAME)\nhint: Run 'kcx --help' for usage.\n"),
        ErrorCase(
            arguments: ["get", "--profile"],
            stderr: "error: option '--profile' needs a value (NAME)\nhint: Run 'kcx get --help' for usage.\n"),
        ErrorCase(
            arguments: ["get", "x", "--compact=yes"],
            stderr: "error: option '--compact' takes no value (got '--compact=yes')\nhint: Run 'kcx get --help' for usage.\n"),
        ErrorCase(arguments: ["get"], stderr: "error: missing ENDPOINT for 'kcx get'\nhint: usage: kcx get ENDPOINT [options]\n"),
        ErrorCase(
            arguments: ["get", "-r", "demo"],
            stderr: "error: missing ENDPOINT for 'kcx get'\nhint: usage: kcx get ENDPOINT [options]\n"),
        ErrorCase(
            arguments: ["get", "a", "b"],
            stderr: "error: unexpected argument 'b' for 'kcx get'\nhint: usage: kcx get ENDPOINT [options]\n"),
        ErrorCase(
            arguments: ["config", "status", "now"],
            stderr: "error: unexpected argument 'now' for 'kcx config status'\nhint: usage: kcx config status [options]\n"),
        ErrorCase(
            arguments: ["get", "x", "--format", "xml"],
            stderr:
                "error: invalid value 'xml' for '--format': choose one of json, csv\nhint: usage: kcx get ENDPOINT [options]\n"),
        ErrorCase(
            arguments: ["--bogus", "get"],
            stderr:
                "error: unknown option '--bogus' for 'kcx'\nhint: Options of a command go after the command's name; run 'kcx --help' for the global options.\n"
        ),
        ErrorCase(
            arguments: ["--verbos", "get", "x"],
            stderr:
                "error: unknown option '--verbos' for 'kcx'\nhint: did you mean '--verbose'? Options of a command go after the command's name; run 'kcx --help' for the global options.\n"
        ),
        ErrorCase(
            arguments: ["-r", "demo", "get", "x"],
            stderr:
                "error: unknown option '-r' for 'kcx'\nhint: Options of a command go after the command's name; run 'kcx --help' for the global options.\n"
        ),
        ErrorCase(arguments: ["completion", "tcsh"], stderr: "error: unknown shell 'tcsh': choose bash, zsh or fish\n"),
        // Errors thrown by handlers: KcxError keeps its code, transport failures exit 6 with a hint by kind.
        ErrorCase(
            arguments: ["fail", "conflict"], status: 5,
            stderr: "error: POST /admin/realms/demo/clients: 409 Client api already exists\nhint: use update\n"),
        ErrorCase(
            arguments: ["fail", "refused"], status: 6,
            stderr: "error: Could not connect to server (https://kc.test/admin/realms/demo/clients)\n"
                + "hint: nothing answered at that address: check the server URL and that Keycloak is running\n"),
    ]

    @Test(arguments: cases)
    func reportsExactly(_ testCase: ErrorCase) {
        let result = runKcx(testCase.arguments, commands: SampleTable.commands)
        #expect(result == RunResult(status: testCase.status, stdout: "", stderr: testCase.stderr))
    }
}

@Suite struct SuggestionTests {
    @Test func editDistanceCountsASwapAsOneEdit() {
        #expect(Suggestions.editDistance("gte", "get") == 1)
        #expect(Suggestions.editDistance("", "get") == 3)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.editDistance("get", "get") == 0)
    }

    @Test func closestCandidatesFirst() {
        #expect(Suggestions.closest(to: "updte", among: ["get", "update", "delete", "create"]) == ["update"])
        #expect(Suggestions.closest(to: "cre", among: ["get", "update", "delete", "create"]) == ["create"])
        #expect(Suggestions.closest(to: "xyz", among: ["get", "update"]) == [])
        #expect(Suggestions.phrase(["a", "b", "c"]) == "did you mean 'a', 'b' or 'c'?")
        #expect(Suggestions.phrase([]) == nil)
    }
}
