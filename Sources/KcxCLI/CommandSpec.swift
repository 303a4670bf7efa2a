// The shape of the command table: every command is data (path, options, examples, handler),
// and the router, help, completions, man page and reference pages are all derived from it.
import KeycloakKit

public enum ValueCompletion: Sendable, Equatable {
    case none
    case file
    case directory
    case choices([String])
    /// Values asked of the logged-in server when Tab is pressed (`kcx __complete KIND`): clients,
    /// scopes, realms, users or endpoints.
    case live(String)
}

public struct OptionSpec: Sendable {
    /// Long name without dashes (`realm` for `--realm`).
    public let long: String
    public let short: Character?
    /// Placeholder shown in help (`NAME`); nil means the option is a flag taking no value.
    public let valueName: String?
    public let summary: String
    public let repeatable: Bool
    public let completion: ValueCompletion
    /// Older long names still accepted (`--format` for `--output`): the router files their values
    /// under `long`, so a handler reads one name; help mentions them, completions offer only `long`.
    public let aliases: [String]

    public init(
        _ long: String, short: Character? = nil, value valueName: String? = nil, _ summary: String,
        repeatable: Bool = false, completion: ValueCompletion = .none, aliases: [String] = []
    ) {
        self.long = long
        self.short = short
        self.valueName = valueName
        self.summary = summary
        self.repeatable = repeatable
        self.completion = completion
        self.aliases = aliases
    }

    /// True when `--name` on the command line means this option.
    public func answers(to name: String) -> Bool { name == long || aliases.contains(name) }

    public var isFlag: Bool { valueName == nil }
}

public struct PositionalSpec: Sendable {
    public let name: String
    public let summary: String
    public let optional: Bool
    public let repeatable: Bool
    public let completion: ValueCompletion

    public init(
        _ name: String, _ summary: String, optional: Bool = false, repeatable: Bool = false, completion: ValueCompletion = .none
    ) {
        self.name = name
        self.summary = summary
        self.optional = optional
        self.repeatable = repeatable
        self.completion = completion
    }
}

public struct ExampleSpec: Sendable {
    public let command: String
    public let explanation: String

    public init(_ command: String, _ explanation: String) {
        self.command = command
        self.explanation = explanation
    }
}

/// What a handler receives: the parsed command line plus the injected world.
public typealias CommandHandler = @Sendable (Invocation, CommandContext) throws -> ExitCode

public struct CommandSpec: Sendable {
    /// Words after `kcx`, e.g. `["config", "credentials"]`.
    public let path: [String]
    public let summary: String
    /// Longer text for `--help`, the man page and the reference page.
    public let discussion: String
    public let positionals: [PositionalSpec]
    public let options: [OptionSpec]
    public let examples: [ExampleSpec]
    /// Kept out of `kcx --help` listings (internal helpers such as doc generation).
    public let hidden: Bool
    public let handler: CommandHandler

    public init(
        _ path: [String], summary: String, discussion: String = "", positionals: [PositionalSpec] = [],
        options: [OptionSpec] = [], examples: [ExampleSpec] = [], hidden: Bool = false,
        handler: @escaping CommandHandler
    ) {
        self.path = path
        self.summary = summary
        self.discussion = discussion
        self.positionals = positionals
        self.options = options
        self.examples = examples
        self.hidden = hidden
        self.handler = handler
    }

    public var name: String { path.joined(separator: " ") }

    /// True when the command takes `--long`: one of its own options or a global one.
    public func declares(_ long: String) -> Bool {
        options.contains { $0.long == long } || GlobalOptions.specs.contains { $0.long == long }
    }
}

/// A command line after parsing against one `CommandSpec`: values are keyed by long name.
public struct Invocation: Sendable {
    public let command: CommandSpec
    /// Every value given, by long option name, in command-line order. Flags hold `"true"`.
    public let values: [String: [String]]
    public let positionals: [String]
    /// Every option given, in command-line order across options (`-s a=1 -d b -s c=2` keeps its
    /// order, which kcadm's -s and -d depend on).
    public let sequence: [(option: String, value: String)]

    public init(
        command: CommandSpec, values: [String: [String]], positionals: [String], sequence: [(option: String, value: String)] = []
    ) {
        self.command = command
        self.values = values
        self.positionals = positionals
        self.sequence = sequence
    }

    /// The last value given for an option (a repeated single-value option: last one wins).
    public func value(_ long: String) -> String? { declared(long).last }
    public func all(_ long: String) -> [String] { declared(long) }
    public func flag(_ long: String) -> Bool { !declared(long).isEmpty }

    /// For code shared by commands that do and do not take an option (the session's `--truststore`,
    /// kcadm's `--server`): nil where the command does not declare it, without the check below.
    public func valueIfDeclared(_ long: String) -> String? { command.declares(long) ? values[long]?.last : nil }

    /// A name the command does not declare can never have a value: reading one is a typo
    /// (`value("mapper-nme")`) that would silently read nil. For the commands with typed options
    /// (CommandOptionsIndex), debug builds, and so every test run, stop on it; TypedOptionsTests
    /// runs every parser on every declared option to reach each read. (The kcadm-compatible
    /// commands share one handler across specs that declare different options, so not yet theirs.)
    private func declared(_ long: String) -> [String] {
        assert(
            CommandOptionsIndex.parsers[command.name] == nil || command.declares(long),
            "'kcx \(command.name)' reads option '--\(long)', which its CommandSpec does not declare")
        return values[long] ?? []
    }
}
