// Generates the markdown command reference (one page per command and an index) and the exit-code page.
import KeycloakKit

public enum ReferenceDocs {
    static let notice = "<!-- Generated from kcx's command table by scripts/generate-docs; do not edit. -->"

    /// `docs/reference/kcx-config-credentials.md` for `config credentials`.
    public static func fileName(_ command: CommandSpec) -> String {
        "kcx-" + command.path.joined(separator: "-") + ".md"
    }

    public static func index(_ commands: [CommandSpec]) -> String {
        var text = notice + "\n# kcx command reference\n\n" + HelpRenderer.tagline + "\n\n"
        text += "| Command | Summary |\n|---|---|\n"
        for command in commands where !command.hidden {
            text += "| [`kcx \(command.name)`](\(fileName(command))) | \(cell(command.summary)) |\n"
        }
        text += "\nEvery command also takes the [global options](#global-options). "
        text += "See [command-line syntax](../command-line-syntax.md) and [exit codes](../exit-codes.md).\n"
        text += "\n## Global options\n\n" + optionTable(GlobalOptions.specs + [HelpRenderer.versionOption])
        return text
    }

    public static func page(_ command: CommandSpec) -> String {
        var text = notice + "\n# kcx \(command.name)\n\n" + command.summary + ".\n\n"
        text += "```\n" + HelpRenderer.usageLine(command) + "\n```\n"
        if !command.discussion.isEmpty { text += "\n" + command.discussion + "\n" }
        if !command.positionals.isEmpty {
            text += "\n## Arguments\n\n| Argument | Description |\n|---|---|\n"
            for positional in command.positionals {
                text += "| `\(positional.name)` | \(cell(positional.summary))\(positional.optional ? " (optional)" : "") |\n"
            }
        }
        if !command.options.isEmpty { text += "\n## Options\n\n" + optionTable(command.options) }
        text += "\n## Global options\n\n" + optionTable(GlobalOptions.specs(for: command))
        if !command.examples.isEmpty {
            text += "\n## Examples\n\n```sh\n"
            for (number, example) in command.examples.enumerated() {
                if number > 0 { text += "\n" }
                text += "# \(example.explanation)\n\(example.command)\n"
            }
            text += "```\n"
        }
        text +=
            "\n## Exit codes\n\n"
            + HelpRenderer.exitCodeSummary.replacingSuffix("(see 'man kcx').", with: "(see [exit codes](../exit-codes.md)).")
            + "\n"
        return text
    }

    public static func exitCodes() -> String {
        var text = notice + "\n# kcx exit codes\n\n"
        text += "Every kcx command exits with one of these codes; scripts can branch on them.\n\n"
        text += "| Code | Meaning |\n|---|---|\n"
        for code in ExitCode.allCases { text += "| \(code.rawValue) | \(cell(code.meaning)) |\n" }
        text += """

            Errors are printed on stderr as `error: <what went wrong>`, followed by `hint: <what to do>`
            where one helps. Usage errors (2) are detected before anything is sent to the server.
            A `kcx apply` that fails part-way exits with the failing request's code (4 for a 403,
            5 for a 409, 6 for the network...), after listing what was applied and what was not.

            Unsafe or oversized input is a usage error (2) as well: a config file or config directory
            owned by another user (other than root) or writable by group or others (`chmod go-w` fixes
            it), a symbolic link in place of the config's lock file, and an input over kcx's limit for
            it: \(ReadLimit.config.readable) for the config file, \(ReadLimit.data.readable) for a data file (`-f`, `--cacert`) or a body on
            standard input, \(ReadLimit.secret.readable) for a password, secret or token (from a file or standard input).

            """
        return text
    }

    static func optionTable(_ options: [OptionSpec]) -> String {
        var text = "| Option | Description |\n|---|---|\n"
        for option in options {
            var label = option.short.map { "`-\($0)`, " } ?? ""
            label += "`--\(option.long)"
            if let valueName = option.valueName { label += " \(valueName)" }
            label += "`"
            text += "| \(label) | \(cell(HelpRenderer.optionDescription(option))) |\n"
        }
        return text
    }

    /// Table cells cannot hold `|` or line breaks.
    static func cell(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "|": escaped += "\\|"
            case "\n": escaped += " "
            default: escaped.append(character)
            }
        }
        return escaped
    }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
