// Renders `kcx --help`, group listings and per-command help from the command table.
import KeycloakKit

public enum HelpRenderer {
    public static let tagline = "kcx configures Keycloak audiences and token exchange through the Admin REST API."

    /// The pseudo-option handled by the router itself, shown with the global options at the top level.
    static let versionOption = OptionSpec("version", "Print kcx's version and exit")

    /// `kcx get ENDPOINT [options]`
    public static func usageLine(_ command: CommandSpec) -> String {
        var words = ["kcx"] + command.path
        for positional in command.positionals {
            var word = positional.name
            if positional.repeatable { word += "..." }
            if positional.optional { word = "[\(word)]" }
            words.append(word)
        }
        words.append("[options]")
        return words.joined(separator: " ")
    }

    /// Help for a command, a group (its subcommands) or, for an empty path, the whole tool.
    public static func text(for path: [String], in commands: [CommandSpec]) -> String {
        let router = Router(commands: commands)
        if let command = router.command(at: path) { return commandHelp(command) }
        if path.isEmpty { return topLevelHelp(commands) }
        return groupHelp(path, commands)
    }

    public static func topLevelHelp(_ commands: [CommandSpec]) -> String {
        var text = tagline + "\n\nUsage: kcx <command> [options]\n\nCommands:\n"
        let visible = commands.filter { !$0.hidden }
        text += rows(visible.map { ($0.name, $0.summary) })
        text += "\nGlobal options:\n" + optionRows(GlobalOptions.specs + [versionOption])
        text += "\n" + exitCodeSummary + "\n"
        text += "\nRun 'kcx help <command>' or 'kcx <command> --help' for a command's options and examples.\n"
        return text
    }

    public static func groupHelp(_ path: [String], _ commands: [CommandSpec]) -> String {
        let group = path.joined(separator: " ")
        let members = commands.filter { !$0.hidden && $0.path.count > path.count && Array($0.path.prefix(path.count)) == path }
        var text = "Usage: kcx \(group) <command> [options]\n\nCommands:\n"
        text += rows(members.map { ($0.path.dropFirst(path.count).joined(separator: " "), $0.summary) })
        text += "\nRun 'kcx help \(group) <command>' for a command's options and examples.\n"
        return text
    }

    public static func commandHelp(_ command: CommandSpec) -> String {
        var text = command.summary + "\n\nUsage: " + usageLine(command) + "\n"
        if !command.discussion.isEmpty { text += "\n" + command.discussion + "\n" }
        if !command.positionals.isEmpty {
            text += "\nArguments:\n" + rows(command.positionals.map { ($0.name, $0.summary) })
        }
        if !command.options.isEmpty { text += "\nOptions:\n" + optionRows(command.options) }
        text += "\nGlobal options:\n" + optionRows(GlobalOptions.specs(for: command))
        if !command.examples.isEmpty {
            text += "\nExamples:\n"
            for (number, example) in command.examples.enumerated() {
                if number > 0 { text += "\n" }
                text += "  # \(example.explanation)\n  \(example.command)\n"
            }
        }
        text += "\n" + exitCodeSummary + "\n"
        return text
    }

    /// One line listing every exit code; the details are in docs/exit-codes.md and the man page.
    public static var exitCodeSummary: String {
        "Exit codes: " + ExitCode.allCases.map { "\($0.rawValue) \(shortMeaning($0))" }.joined(separator: ", ")
            + " (see 'man kcx')."
    }

    public static func shortMeaning(_ code: ExitCode) -> String {
        switch code {
        case .ok: return "success"
        case .serverError: return "server error"
        case .usage: return "usage error"
        case .notFound: return "not found"
        case .authentication: return "authentication"
        case .conflict: return "conflict"
        case .network: return "network"
        case .checkFailed: return "check failed"
        case .changesPresent: return "changes present"
        case .stalePlan: return "stale plan"
        case .cancelled: return "cancelled"
        case .interrupted: return "interrupted"
        }
    }

    /// `-r, --target-realm REALM`, with flags that have no short form indented to line up.
    public static func optionLabel(_ option: OptionSpec) -> String {
        var label = option.short.map { "-\($0), " } ?? "    "
        label += "--" + option.long
        if let valueName = option.valueName { label += " " + valueName }
        return label
    }

    /// The summary plus what the table knows beyond it: the accepted values and repeatability.
    public static func optionDescription(_ option: OptionSpec) -> String {
        var description = option.summary
        if case .choices(let choices) = option.completion { description += " (\(choices.joined(separator: ", ")))" }
        if option.repeatable { description += "; repeatable" }
        if !option.aliases.isEmpty { description += "; also " + option.aliases.map { "--" + $0 }.joined(separator: ", ") }
        return description
    }

    static func optionRows(_ options: [OptionSpec]) -> String {
        rows(options.map { (optionLabel($0), optionDescription($0)) })
    }

    static func rows(_ entries: [(String, String)]) -> String {
        let width = entries.map(\.0.count).max() ?? 0
        var text = ""
        for (label, description) in entries {
            text += "  " + label + String(repeating: " ", count: width - label.count) + "  " + description + "\n"
        }
        return text
    }
}
