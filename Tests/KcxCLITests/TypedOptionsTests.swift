// Issue 14 item 6, in process: every kcx-own command parses its options into a typed struct in a
// pure step. Each usage error of those steps is run through Kcx.run here: the exact message, exit
// code 2, and not one request sent. The command table is walked so every parser reads only names
// its spec declares (a typo stops the run through Invocation's debug check).
@testable import KcxCLI
import KeycloakKit
import Testing

struct UsageCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var message: String
    /// The hint line; `UsageCase.usage` stands for the router's "usage: kcx …" line of the command.
    var hint: String?
    var stdin = ""

    static let usage = "\u{0}usage"

    init(_ arguments: [String], _ message: String, hint: String? = nil, stdin: String = "") {
        self.arguments = arguments
        self.message = message
        self.hint = hint
        self.stdin = stdin
    }

    var testDescription: String { arguments.joined(separator: " ") }
}

@Suite struct TypedOptionsTests {
    static let cases: [UsageCase] = [
        // audience add
        UsageCase(
            ["audience", "add", "--audience", "a", "--custom-audience", "b", "--scope", "s"],
            "--audience and --custom-audience exclude each other: choose one"),
        UsageCase(["audience", "add", "--scope", "s"], "name the audience: --audience CLIENT or --custom-audience VALUE"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--client", "c"],
            "--scope and --client exclude each other: the mapper lives in one place"),
        UsageCase(["audience", "add", "--audience", "a"], "say where the mapper lives: --scope SCOPE or --client CLIENT"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--access-token", "--no-access-token"],
            "--access-token and --no-access-token exclude each other"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--introspection", "--no-introspection"],
            "--introspection and --no-introspection exclude each other"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--client", "c", "--assign", "x", "--default"],
            "--assign works with --scope: a client's own mappers need no assignment"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--client", "c", "--optional"],
            "--assign works with --scope: a client's own mappers need no assignment"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--default"], "--default/--optional go with --assign CLIENT"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--assign", "x", "--default", "--optional"],
            "--default and --optional exclude each other: choose one"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "--assign", "x"],
            "say how to assign the scope: --default or --optional"),
        UsageCase(["audience", "add", "--audience", "a", "--client", "c", "--create-scope"], "--create-scope goes with --scope"),
        UsageCase(
            ["audience", "add", "--audience", "a", "--scope", "s", "-o", "yaml"],
            "invalid value 'yaml' for '--output': choose one of text, json", hint: UsageCase.usage),
        // audience list, remove, check
        UsageCase(
            ["audience", "list", "--scope", "s", "--client", "c"],
            "--scope and --client exclude each other: the mapper lives in one place"),
        UsageCase(
            ["audience", "remove", "--audience", "a", "--custom-audience", "b", "--scope", "s"],
            "--audience and --custom-audience exclude each other: choose one"),
        UsageCase(
            ["audience", "remove", "--audience", "a", "--scope", "s", "--client", "c"],
            "--scope and --client exclude each other: the mapper lives in one place"),
        UsageCase(["audience", "remove", "--audience", "a"], "say where the mapper lives: --scope SCOPE or --client CLIENT"),
        UsageCase(["audience", "remove", "--scope", "s"], "name what to remove: --audience, --custom-audience or --mapper-name"),
        UsageCase(["audience", "check", "--audience", "a"], "--client is required: the client requesting the token"),
        UsageCase(["audience", "check", "--client", "c"], "--audience is required: the audience that should be in aud"),
        // client-scope
        UsageCase(
            ["client-scope", "ensure", "s", "--protocol", "ldap"],
            "invalid value 'ldap' for '--protocol': choose one of openid-connect, saml", hint: UsageCase.usage),
        UsageCase(
            ["client-scope", "ensure", "s", "--include-in-token-scope", "maybe"],
            "invalid value 'maybe' for '--include-in-token-scope': choose one of true, false", hint: UsageCase.usage),
        UsageCase(
            ["client-scope", "ensure", "s", "--realm-default", "always"],
            "invalid value 'always' for '--realm-default': choose one of default, optional, none", hint: UsageCase.usage),
        UsageCase(["client-scope", "assign", "s", "--default"], "--client is required: name the client (clientId or id)"),
        UsageCase(
            ["client-scope", "assign", "s", "--client", "c", "--default", "--optional"],
            "--default and --optional exclude each other: choose one"),
        UsageCase(["client-scope", "assign", "s", "--client", "c"], "say how to assign the scope: --default or --optional"),
        UsageCase(["client-scope", "unassign", "s"], "--client is required: name the client (clientId or id)"),
        UsageCase(
            ["client-scope", "get", "s", "--output", "yaml"], "invalid value 'yaml' for '--output': choose one of text, json",
            hint: UsageCase.usage),
        // token-exchange
        UsageCase(["token-exchange", "allow", "--to", "b"], "--from is required: the client that exchanges"),
        UsageCase(["token-exchange", "allow", "--from", "a"], "--to is required: the client the new token is for"),
        UsageCase(
            ["token-exchange", "allow", "--from", "a", "--to", "b", "--mode", "v3"],
            "invalid value 'v3' for '--mode': choose one of auto, standard, legacy", hint: UsageCase.usage),
        UsageCase(["token-exchange", "deny", "--to", "b"], "--from is required: the client that exchanges"),
        UsageCase(["token-exchange", "deny", "--from", "a"], "--to is required: the client the new token is for"),
        UsageCase(["token-exchange", "enable", "--allow-refresh"], "--client is required: name the client (clientId or id)"),
        UsageCase(["token-exchange", "disable"], "--client is required: name the client (clientId or id)"),
        UsageCase(["token-exchange", "check", "--to", "b"], "--from is required: the client that exchanges"),
        UsageCase(["token-exchange", "check", "--from", "a"], "--to is required: the client the new token is for"),
        UsageCase(
            ["token-exchange", "check", "--from", "a", "--to", "b", "--user", "alice"],
            "--user goes with --subject-client: the client whose user's token is exchanged"),
        UsageCase(
            ["token-exchange", "check", "--from", "a", "--to", "b", "--subject-token", "-"], "--subject-token goes with --live"),
        UsageCase(["token-exchange", "check", "--from", "a", "--to", "b", "--secret", "s3cr3t"], "--secret goes with --live"),
        UsageCase(
            ["token-exchange", "check", "--from", "a", "--to", "b", "--secret-file", "a.secret"], "--secret-file goes with --live"
        ),
        UsageCase(["token-exchange", "check", "--from", "a", "--to", "b", "--secret-stdin"], "--secret-stdin goes with --live"),
        UsageCase(
            ["token-exchange", "check", "--from", "a", "--to", "b", "--live", "--subject-token", "-", "--secret-stdin"],
            "--subject-token - and --secret-stdin cannot both read standard input",
            hint: "put the secret in a file (--secret-file)"),
        UsageCase(
            ["token-exchange", "audit", "--since", "5x"], "--since must be a number followed by s, m, h or d (e.g. 30m), not '5x'"
        ),
        UsageCase(
            ["token-exchange", "audit", "--since", "99999999999999999d"],
            "--since must be a number followed by s, m, h or d (e.g. 30m), not '99999999999999999d'"),
        UsageCase(["token-exchange", "audit", "--dry-run"], "--dry-run only applies with --enable"),
        // token
        UsageCase(["token", "get", "--user", "alice"], "--client is required: the client requesting the token"),
        UsageCase(
            ["token", "get", "--client", "c", "--password-stdin", "--secret-stdin"],
            "--password-stdin and --secret-stdin cannot both read standard input", hint: "put one of them in a file"),
        UsageCase(
            ["token", "get", "--client", "c", "--server", "ftp://kc.test"],
            "--server: 'ftp://kc.test' is not an http:// or https:// URL", hint: "for example: https://keycloak.example.com"),
        UsageCase(
            ["token", "get", "--client", "c", "-o", "jwt"],
            "invalid value 'jwt' for '--output': choose one of token, json, claims", hint: UsageCase.usage),
        UsageCase(["token", "exchange", "--subject-token", "-"], "--client is required: the client that exchanges"),
        UsageCase(
            ["token", "exchange", "--client", "c", "--subject-token", "-", "--subject-issuer", "google"],
            "--subject-issuer 'google': standard token exchange (Keycloak 26.2+) refuses the subject_issuer parameter (\"Parameter 'subject_issuer' is not supported for standard token exchange\"): it exchanges only access tokens issued by the realm itself",
            hint:
                "for a token of another realm or an external identity provider, Keycloak needs identity brokering with the legacy exchange (features token-exchange and admin-fine-grained-authz:v1) and the provider's alias as subject_issuer; for a token of this realm, leave --subject-issuer out"
        ),
        UsageCase(["token", "exchange", "--client", "c"], "--subject-token is required (a token, or - for standard input)"),
        UsageCase(
            ["token", "exchange", "--client", "c", "--subject-token", "-", "--secret-stdin"],
            "--subject-token - and --secret-stdin cannot both read standard input",
            hint: "put the secret in a file (--secret-file)"),
        UsageCase(
            ["token", "exchange", "--client", "c", "--subject-token", "-", "--server", "kc.test"],
            "--server: 'kc.test' is not an http:// or https:// URL", hint: "for example: https://keycloak.example.com"),
        UsageCase(["token", "decode", "--audience", "api"], "--audience goes with --verify"),
        UsageCase(["token", "decode", "--issuer", "https://kc.test/realms/a"], "--issuer goes with --verify"),
        UsageCase(["token", "decode", "--server", "https://kc.test"], "--server goes with --verify"),
        UsageCase(["token", "decode", "-r", "demo"], "--target-realm goes with --verify"),
        UsageCase(
            ["token", "decode", "--verify", "--issuer", "https://kc.test/realms/a", "--server", "https://kc.test"],
            "--issuer names the server and realm itself: give it without --server and -r"),
        UsageCase(
            ["token", "decode", "--verify", "--issuer", "https://kc.test/realms/a", "-r", "a"],
            "--issuer names the server and realm itself: give it without --server and -r"),
        UsageCase(
            ["token", "decode", "--verify", "--issuer", "ftp://kc.test/realms/a"],
            "--issuer: 'ftp://kc.test/realms/a' is not an http:// or https:// URL",
            hint: "for example: https://keycloak.example.com"),
        UsageCase(
            ["token", "decode", "--verify", "--issuer", "https://kc.test/realms/a?x=1"],
            "--issuer: 'https://kc.test/realms/a?x=1' holds a query or fragment; an issuer URL has neither"),
        UsageCase(
            ["token", "decode", "--verify", "--server", "https://u:p@kc.test"],
            "--server: the URL holds user info ('user:password@'); kcx takes credentials only from its own options",
            hint: "drop the 'user:password@' part and log in with --user NAME and --password-stdin or --password-file"),
        UsageCase(["token", "introspect", "-"], "--client is required: the client introspecting"),
        UsageCase(
            ["token", "introspect", "--client", "api", "--secret-stdin"],
            "the token and --secret-stdin cannot both come from standard input", hint: "put the secret in a file (--secret-file)"),
        UsageCase(
            ["token", "introspect", "--client", "api", "-", "--secret-stdin"],
            "the token and --secret-stdin cannot both come from standard input", hint: "put the secret in a file (--secret-file)"),
        // client, realm
        UsageCase(
            ["client", "secret", "svc", "--out", "/nonexistent/kcx-typed-options/svc.secret"],
            "--out: '/nonexistent/kcx-typed-options/svc.secret' is not a file in an existing directory"),
        UsageCase(["client", "secret", "svc", "--out", "/tmp/"], "--out: '/tmp/' is not a file in an existing directory"),
        UsageCase(["client", "ensure", "app", "--public", "--confidential"], "--public and --confidential exclude each other"),
        UsageCase(["client", "ensure", "app"], "say which kind of client: --public or --confidential"),
        UsageCase(
            ["client", "id", "app", "-o", "yaml"], "invalid value 'yaml' for '--output': choose one of text, json",
            hint: UsageCase.usage),
        UsageCase(
            ["realm", "ensure", "r1", "-o", "yaml"], "invalid value 'yaml' for '--output': choose one of text, json",
            hint: UsageCase.usage),
        // doctor, graph, export, profiles, version
        UsageCase(
            ["doctor", "--fail-on", "info"], "invalid value 'info' for '--fail-on': choose one of warning, error",
            hint: UsageCase.usage),
        UsageCase(
            ["graph", "--format", "png"], "invalid value 'png' for '--format': choose one of text, json, mermaid, dot",
            hint: UsageCase.usage),
        UsageCase(
            ["graph", "-o", "png"], "invalid value 'png' for '--output': choose one of text, json, mermaid, dot",
            hint: UsageCase.usage),
        UsageCase(
            ["graph", "-o", "json", "--format", "dot"],
            "option '--output (-o)' takes one value but was given twice ('json' and 'dot') for 'kcx graph'",
            hint: "keep the one you mean; only options marked repeatable in 'kcx graph --help' take several values"),
        UsageCase(
            ["export", "--format", "xml"], "invalid value 'xml' for '--format': choose one of yaml, json", hint: UsageCase.usage),
        UsageCase(
            ["export", "--output=xml"], "invalid value 'xml' for '--output': choose one of yaml, json", hint: UsageCase.usage),
        UsageCase(
            ["config", "profiles", "-o", "yaml"], "invalid value 'yaml' for '--output': choose one of text, json",
            hint: UsageCase.usage),
        UsageCase(
            ["version", "-o", "yaml"], "invalid value 'yaml' for '--output': choose one of text, json", hint: UsageCase.usage),
    ]

    @Test(arguments: cases)
    func usageErrorIsExactAndSendsNothing(_ usage: UsageCase) throws {
        let transport = ScriptedTransport([])
        let result = runKcx(usage.arguments, stdin: usage.stdin, transport: transport)
        var expected = "error: \(usage.message)\n"
        if let hint = usage.hint {
            if hint == UsageCase.usage {
                // The longest command path the arguments start with.
                let command = try #require(
                    CommandTable.all.filter { usage.arguments.starts(with: $0.path) }.max { $0.path.count < $1.path.count })
                expected += "hint: usage: \(HelpRenderer.usageLine(command))\n"
            } else {
                expected += "hint: \(hint)\n"
            }
        }
        #expect(result == RunResult(status: 2, stdout: "", stderr: expected))
        #expect(transport.received.isEmpty, "requests: \(transport.received.map { "\($0.method) \($0.url)" })")
    }

    /// Usage errors that depend on more than the command line (standard input, the environment, the
    /// session), found after the pure parse but still before any request.
    @Test func contextUsageErrorsSendNothing() {
        let noServer = ["KCX_SERVER": "", "KCX_REALM": ""]
        let cases: [(arguments: [String], stdin: String, environment: [String: String], stderr: String)] = [
            (["token", "decode"], "", [:], "error: standard input holds no token\n"),
            (["token", "decode", "-"], " \n\n", [:], "error: standard input holds no token\n"),
            (
                ["token", "introspect", "--client", "api", "--secret-file", "/nonexistent/s"], "\n", [:],
                "error: standard input holds no token\n"
            ),
            (["token", "exchange", "--client", "c", "--subject-token", "-"], "", [:], "error: standard input holds no token\n"),
            (
                ["token", "get", "--client", "c", "--secret-file", "/nonexistent/s"], "", noServer,
                "error: no server: give --server URL, set KCX_SERVER, or log in with 'kcx config credentials'\n"
            ),
            (
                ["token", "decode", "--verify"], "", noServer,
                "error: --verify needs an issuer to trust: log in with 'kcx config credentials', or pass --issuer URL\n"
                    + "hint: for example: kcx token decode --verify --issuer https://keycloak.example.com/realms/myrealm\n"
            ),
        ]
        for (arguments, stdin, environment, stderr) in cases {
            let transport = ScriptedTransport([])
            let result = runKcx(arguments, stdin: stdin, transport: transport, environment: environment)
            #expect(result == RunResult(status: 2, stdout: "", stderr: stderr), "\(arguments)")
            #expect(transport.received.isEmpty, "\(arguments)")
        }
    }

    /// Every command of kcx's own is in the index, and the index names only real commands.
    @Test func everyOwnCommandHasATypedOptionsParser() {
        let names = Set(CommandTable.all.map(\.name))
        for name in names.sorted() where !CommandOptionsIndex.parsedElsewhere.contains(name) {
            #expect(CommandOptionsIndex.parsers[name] != nil, "kcx \(name) has no typed options struct in CommandOptionsIndex")
        }
        for name in CommandOptionsIndex.parsers.keys.sorted() {
            #expect(names.contains(name), "CommandOptionsIndex names '\(name)', which is not a command")
            #expect(!CommandOptionsIndex.parsedElsewhere.contains(name), "'\(name)' is both parsed and parsed elsewhere")
        }
    }

    /// A value each option accepts, so parsers get past their checks to every read.
    static func sampleValue(_ option: OptionSpec) -> String {
        if case .choices(let choices) = option.completion { return choices[0] }
        switch option.long {
        case "since": return "1h"
        case "server", "issuer": return "https://kc.test/realms/demo"
        case "out": return "kcx-typed-options.secret"
        default: return "x"
        }
    }

    static func invocation(_ command: CommandSpec, _ options: [OptionSpec]) -> Invocation {
        var values: [String: [String]] = [:]
        for option in options { values[option.long] = [option.isFlag ? "true" : sampleValue(option)] }
        return Invocation(command: command, values: values, positionals: command.positionals.map { _ in "x" })
    }

    /// The smallest set of options (up to three) the parser accepts, grown by every other option it
    /// still accepts: the command line that reaches the most reads.
    static func widestAccepted(_ command: CommandSpec, _ parse: CommandOptionsIndex.Parse) -> [OptionSpec]? {
        let options = command.options
        func accepts(_ set: [OptionSpec]) -> Bool { (try? parse(invocation(command, set))) != nil }
        var base: [OptionSpec]?
        if accepts([]) { base = [] }
        for a in options.indices where base == nil {
            if accepts([options[a]]) { base = [options[a]]; break }
            for b in options.indices where b > a && base == nil {
                if accepts([options[a], options[b]]) { base = [options[a], options[b]]; break }
                for c in options.indices where c > b && accepts([options[a], options[b], options[c]]) {
                    base = [options[a], options[b], options[c]]
                    break
                }
            }
        }
        guard var widest = base else { return nil }
        for option in options where !widest.contains(where: { $0.long == option.long }) && accepts(widest + [option]) {
            widest.append(option)
        }
        return widest
    }

    /// Runs every parser on no options, on each option alone, on all of them, on all but each one
    /// and on the widest set it accepts: every read of a name the spec does not declare trips
    /// Invocation's check (the run stops, naming the command and the option); usage errors are the
    /// only errors allowed.
    @Test func everyParserReadsOnlyDeclaredOptions() {
        for command in CommandTable.all {
            guard let parse = CommandOptionsIndex.parsers[command.name] else { continue }
            let options = command.options
            guard let widest = Self.widestAccepted(command, parse) else {
                Issue.record("kcx \(command.name): no set of up to three options parses, so later reads are never reached")
                continue
            }
            var sets: [[OptionSpec]] = [[], options, widest]
            sets += options.map { [$0] }
            sets += options.indices.map { index in options.enumerated().filter { $0.offset != index }.map(\.element) }
            for set in sets {
                do {
                    _ = try parse(Self.invocation(command, set))
                } catch let error as KcxError {
                    #expect(error.code == .usage, "kcx \(command.name): \(error.message)")
                } catch {
                    Issue.record("kcx \(command.name): \(error)")
                }
            }
        }
    }

    /// The check behind the walk: a name the spec does not declare is a programming error.
    @Test func anUndeclaredOptionNameIsNotDeclared() throws {
        let add = try #require(Router(commands: CommandTable.all).command(at: ["audience", "add"]))
        #expect(add.declares("mapper-name"))
        #expect(add.declares("target-realm"))
        #expect(add.declares("verbose"))
        #expect(!add.declares("mapper-nme"))
        #expect(!add.declares("format"))
    }

    @Test func readingAnUndeclaredNameStopsADebugRun() async throws {
        await #expect(processExitsWith: .failure) {
            let add = Router(commands: CommandTable.all).command(at: ["audience", "add"])!
            _ = Invocation(command: add, values: ["mapper-name": ["m"]], positionals: []).value("mapper-nme")
        }
    }

    // MARK: what the parsers return

    static func parse<T: CommandOptions>(_ arguments: [String], as type: T.Type) throws -> T {
        guard case .run(let invocation) = try Router(commands: CommandTable.all).route(arguments) else {
            throw KcxError.usage("not a command line that runs")
        }
        return try T(invocation)
    }

    @Test func audienceAddParsesEverySetting() throws {
        let options = try Self.parse(
            [
                "audience", "add", "--audience", "api", "--scope", "api-access", "--create-scope", "--assign", "web", "--assign",
                "cli",
                "--optional", "--no-access-token", "--id-token", "--lightweight", "--mapper-name", "m", "-o", "json",
            ],
            as: AudienceAddOptions.self)
        #expect(options.audience == .client("api"))
        #expect(options.container == .clientScope("api-access"))
        #expect(
            options.settings
                == AudienceMapperSettings(
                    mapperName: "m", accessToken: false, idToken: true, introspection: true, lightweight: true))
        #expect(options.assignTo == ["web", "cli"])
        #expect(options.list == .optional)
        #expect(options.createScope)
        #expect(options.output == .json)
        let plain = try Self.parse(
            ["audience", "add", "--custom-audience", "https://x", "--client", "c"], as: AudienceAddOptions.self)
        #expect(plain.audience == .custom("https://x"))
        #expect(plain.container == .client("c"))
        #expect(plain.settings == AudienceMapperSettings())
        #expect(plain.list == nil && plain.assignTo.isEmpty && !plain.createScope && plain.output == .text)
    }

    @Test func formatIsAnAliasOfOutputForGraphAndExport() throws {
        #expect(try Self.parse(["graph", "--format", "dot"], as: GraphOptions.self).output == .dot)
        #expect(try Self.parse(["graph", "--format=mermaid"], as: GraphOptions.self).output == .mermaid)
        #expect(try Self.parse(["graph", "-o", "json"], as: GraphOptions.self).output == .json)
        #expect(try Self.parse(["graph"], as: GraphOptions.self).output == .text)
        // The same value under both names is one value, as for any option given twice.
        #expect(try Self.parse(["graph", "-o", "dot", "--format", "dot"], as: GraphOptions.self).output == .dot)
        guard case .run(let export) = try Router(commands: CommandTable.all).route(["export", "--format", "json"]) else {
            Issue.record("export did not route")
            return
        }
        #expect(export.value("output") == "json")
        let exportSpec = try #require(Router(commands: CommandTable.all).command(at: ["export"]))
        #expect(
            HelpRenderer.optionDescription(try #require(exportSpec.options.first { $0.long == "output" }))
                == "yaml (default) or json (yaml, json); also --format")
    }

    @Test func tokenAndCheckOptionsParse() throws {
        let check = try Self.parse(
            [
                "token-exchange", "check", "--from", "a", "--to", "b", "--subject-client", "web", "--user", "alice", "--live",
                "--subject-token", "-",
            ],
            as: ExchangeCheckOptions.self)
        #expect(
            check.from == "a" && check.to == "b" && check.subjectClient == "web" && check.user == "alice" && check.live
                && check.subjectToken == "-")
        let exchange = try Self.parse(
            [
                "token", "exchange", "--client", "c", "--subject-token", "-", "--audience", "x", "--audience", "y", "-o",
                "claims",
                "--requested-token-type", "refresh_token",
            ],
            as: TokenExchangeOptions.self)
        #expect(exchange.audiences == ["x", "y"] && exchange.output == .claims && exchange.requestedType == .refreshToken)
        let decode = try Self.parse(
            ["token", "decode", "--verify", "--issuer", "https://kc.test/realms/a/"], as: TokenDecodeOptions.self)
        #expect(decode.verify && decode.issuer == AdminClient.normalizedServer("https://kc.test/realms/a/"))
        let audit = try Self.parse(
            ["token-exchange", "audit", "--since", "2h", "--enable", "--dry-run"], as: ExchangeAuditOptions.self)
        #expect(audit.sinceSeconds == 7200 && audit.enable && audit.dryRun)
    }
}
