// Options every command accepts. They sit in the table like any other option, so help,
// completions and the short-flag consistency check see them.

public enum GlobalOptions {
    public static let specs: [OptionSpec] = [
        OptionSpec(
            "config", value: "FILE", "Session file (default ${XDG_CONFIG_HOME:-~/.config}/kcx/config.json)", completion: .file),
        OptionSpec("profile", value: "NAME", "Named session in the config file (default: default, or $KCX_PROFILE)"),
        OptionSpec("no-config", "Store nothing: log in from KCX_* environment variables for this run only"),
        OptionSpec("token", value: "TOKEN", "Use this access token (or $KCX_TOKEN); nothing is stored"),
        OptionSpec("timeout", value: "SECONDS", "Give up on a request after this many seconds (default 30)"),
        OptionSpec("retries", value: "N", "Retries per request on 502/503/504 or a lost connection (default 3, or $KCX_RETRIES)"),
        OptionSpec("insecure", "Skip TLS certificate verification (prints a warning)"),
        OptionSpec("cacert", value: "FILE", "Trust the CA certificates in this PEM file", completion: .file),
        OptionSpec("verbose", short: "v", "Print each request and its status to stderr, secrets redacted"),
        OptionSpec("help", short: "h", "Show help for this command"),
    ]

    /// The global options as `command` sees them: a letter the command gives one of its own
    /// options (kcadm's `-h NAME=VALUE` header of the request commands) is its, so the global
    /// option keeps only its long name there.
    public static func specs(for command: CommandSpec) -> [OptionSpec] {
        let own = Set(command.options.compactMap(\.short))
        return specs.map { option in
            guard let short = option.short, own.contains(short) else { return option }
            return OptionSpec(
                option.long, value: option.valueName, option.summary, repeatable: option.repeatable, completion: option.completion
            )
        }
    }
}
