// Generates the kcx(1) man page (roff, man macros) from the command table.
import KeycloakKit

public enum ManPage {
    public static func render(_ commands: [CommandSpec]) -> String {
        var text = """
            .\\" Generated from kcx's command table by scripts/generate-docs; do not edit.
            .TH KCX 1 "" "kcx" "User Commands"
            .SH NAME
            kcx \\- configure Keycloak audiences and token exchange through the Admin REST API
            .SH SYNOPSIS
            .B kcx
            .I command
            .RI [ options ]
            .SH DESCRIPTION
            \(escape(HelpRenderer.tagline))
            Every command accepts the global options; options and arguments may be given in any order,
            and \\fB\\-\\-\\fR ends the options.

            """
        text += ".SH COMMANDS\n"
        for command in commands where !command.hidden {
            text += ".SS \"\(escape(HelpRenderer.usageLine(command)))\"\n"
            text += paragraph(command.summary + ".")
            if !command.discussion.isEmpty { text += ".PP\n" + paragraph(command.discussion) }
            for positional in command.positionals {
                text += ".TP\n.I \(escape(positional.name))\n" + paragraph(positional.summary)
            }
            for option in command.options { text += optionEntry(option) }
            for example in command.examples {
                text += ".PP\n" + paragraph(example.explanation + ":")
                text += ".RS\n.nf\n\(escape(example.command))\n.fi\n.RE\n"
            }
        }
        text += ".SH GLOBAL OPTIONS\n"
        for option in GlobalOptions.specs + [HelpRenderer.versionOption] { text += optionEntry(option) }
        text += ".SH EXIT STATUS\n"
        for code in ExitCode.allCases {
            text += ".TP\n.B \(code.rawValue)\n" + paragraph(code.meaning.prefix(1).uppercased() + code.meaning.dropFirst() + ".")
        }
        text += """
            .SH FILES
            .TP
            .I ${XDG_CONFIG_HOME:\\-~/.config}/kcx/config.json
            Stored sessions (mode 0600), one per profile.
            .SH SEE ALSO
            .BR kcadm.sh (1),
            docs/command\\-line\\-syntax.md, docs/reference/README.md

            """
        return text
    }

    static func optionEntry(_ option: OptionSpec) -> String {
        var label = option.short.map { "\\fB\\-\($0)\\fR, " } ?? ""
        label += "\\fB" + escape("--" + option.long) + "\\fR"
        if let valueName = option.valueName { label += " \\fI\(escape(valueName))\\fR" }
        return ".TP\n\(label)\n" + paragraph(HelpRenderer.optionDescription(option))
    }

    /// Text lines, escaped, none starting with a control character.
    static func paragraph(_ text: String) -> String {
        var result = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            result += line.isEmpty ? ".PP\n" : escape(String(line)) + "\n"
        }
        return result
    }

    /// Backslashes and hyphens escaped; a leading `.` or `'` guarded so it is not read as a request.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\e"
            case "-": escaped += "\\-"
            default: escaped.append(character)
            }
        }
        if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
        return escaped
    }
}
