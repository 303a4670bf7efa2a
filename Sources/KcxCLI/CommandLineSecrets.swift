// The warning for a secret given on the command line, where other users (ps, /proc) and shell history see it.

enum CommandLineSecrets {
    /// `given` names what was given (`--token`, `a token`); `alternatives` says how to pass it instead.
    static func warn(_ given: String, use alternatives: String, _ context: CommandContext) {
        context.warn("\(given) on the command line is visible to other users and kept in shell history; use \(alternatives)")
    }
}
