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
        text += ".SH ENVIRONMENT\n"
        for (name, meaning) in environment {
            text += ".TP\n.B \(escape(name))\n" + paragraph(meaning)
        }
        text += """
            .SH FILES
            .TP
            .I ${XDG_CONFIG_HOME:\\-~/.config}/kcx/config.json
            Stored sessions (mode 0600), one per profile; \\-\\-config FILE names another.
            The directory must not be writable by others.
            .TP
            .I ${XDG_CONFIG_HOME:\\-~/.config}/kcx/config.json.lock
            Lock file taken while a session is written or its token refreshed.
            .TP
            .I ${XDG_CACHE_HOME:\\-~/.cache}/kcx/complete\\-*
            Names for shell completion, kept one minute (mode 0600); safe to delete.
            .SH SEE ALSO
            .BR kcadm.sh (1),
            docs/command\\-line\\-syntax.md, docs/reference/README.md

            """
        return text
    }

    /// The variables kcx reads, in the order a user meets them.
    static let environment: [(String, String)] = [
        ("KCX_SERVER", "Keycloak's root URL when no --server is given (with KCX_TOKEN, or for token commands)."),
        ("KCX_REALM", "The realm when no -r/--target-realm is given and no session names one."),
        ("KCX_TOKEN", "An access token to use instead of a stored session; nothing is stored."),
        ("KCX_PROFILE", "The profile of the config file to use when no --profile is given (default: default)."),
        (
            "KCX_USER, KCX_CLIENT",
            "Who logs in with --no-config (KCX_USER with KCX_PASSWORD, or KCX_CLIENT with KCX_CLIENT_SECRET)."
        ),
        ("KCX_PASSWORD", "The user's password when no --password-stdin or --password-file is given."),
        ("KCX_CLIENT_SECRET", "The client secret when no --secret-stdin or --secret-file is given."),
        ("KCX_RETRIES", "Retries per request on 502/503/504 or a lost connection when no --retries is given (default 3)."),
        ("NO_COLOR", "When set and not empty, no colours, even on a terminal."),
        ("XDG_CONFIG_HOME, XDG_CACHE_HOME, HOME", "Where the config file and the completion cache live (see FILES)."),
    ]

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
