// One definition of each option several of kcx's own commands take: its long name, short letter,
// placeholder and accepted values live here once; a command may only word the summary its own way.
// Typed option structs (`AudienceAddOptions`, …) read these back in a pure step before any request.
import KeycloakKit

enum SharedOptions {
    static func client(_ summary: String = "clientId (or id) of the client", value: String = "CLIENT", repeatable: Bool = false)
        -> OptionSpec
    {
        OptionSpec("client", value: value, summary, repeatable: repeatable)
    }

    static func targetRealm(_ summary: String = "Realm to work in (default: the session's realm)") -> OptionSpec {
        OptionSpec("target-realm", short: "r", value: "REALM", summary)
    }

    static let dryRun = OptionSpec("dry-run", "Show the changes and the requests they take; change nothing")

    /// kcx's one name for the output format: `-o/--output`. `formats` are the accepted values, the
    /// first the default; `aliases` keeps an older spelling working (`--format` of export and graph).
    static func output(
        _ formats: [String] = ["text", "json"], _ summary: String = "text (default, outcomes on stderr) or json (on stdout)",
        aliases: [String] = []
    ) -> OptionSpec {
        OptionSpec("output", short: "o", value: "FORMAT", summary, completion: .choices(formats), aliases: aliases)
    }

    static func scope(_ summary: String, value: String = "SCOPE") -> OptionSpec {
        OptionSpec("scope", value: value, summary)
    }

    static func audience(_ summary: String, value: String = "CLIENT", repeatable: Bool = false) -> OptionSpec {
        OptionSpec("audience", value: value, summary, repeatable: repeatable)
    }

    static func user(_ summary: String) -> OptionSpec { OptionSpec("user", value: "USER", summary) }

    static func server(_ summary: String = "Keycloak's root URL (default: $KCX_SERVER or the session's server)") -> OptionSpec {
        OptionSpec("server", value: "URL", summary)
    }

    static func subjectClient(_ summary: String) -> OptionSpec { OptionSpec("subject-client", value: "INITIAL", summary) }

    static func subjectToken(_ summary: String) -> OptionSpec { OptionSpec("subject-token", value: "TOKEN", summary) }

    static func mapperName(_ summary: String) -> OptionSpec { OptionSpec("mapper-name", value: "NAME", summary) }

    static func defaultList(_ summary: String) -> OptionSpec { OptionSpec("default", summary) }
    static func optionalList(_ summary: String) -> OptionSpec { OptionSpec("optional", summary) }
}

/// Text on stderr and tables on stdout, or one JSON document on stdout (`-o json`).
enum TextOrJSON: String, CaseIterable, Sendable {
    case text, json
}

/// The pure reading of a command line into a command's options: every usage check (required
/// options, options that exclude or need each other, values) happens here, before any request.
protocol CommandOptions: Sendable {
    init(_ invocation: Invocation) throws
}

extension Invocation {
    /// `-o/--output` as text or json (the router has already refused other values).
    func textOrJSON() throws -> TextOrJSON { try choice("output", as: TextOrJSON.self) ?? .text }

}
