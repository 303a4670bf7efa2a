// The one table of kcx's commands, assembled from the command families (one file each).

public enum CommandTable {
    public static let all: [CommandSpec] = withBuiltins(
        RequestCommands.specs + RoleCommands.specs + ConfigCommands.specs + ClientScopeCommands.specs + AudienceCommands.specs
            + TokenExchangeCommands.specs + TokenExchangeCheck.specs + TokenExchangeSecurityCommands.specs + TokenCommands.specs
            + SecurityCommands.specs + DeclarativeCommands.specs + ClientCommands.specs + RealmCommands.specs
            + ProfileCommands.specs
            + [LiveCompletion.spec])

    /// Adds help, completion and the docs generator, which describe the table they are part of.
    public static func withBuiltins(_ commands: [CommandSpec]) -> [CommandSpec] {
        commands + DocCommands.specs(describing: commands)
    }
}
