// Which typed options struct each of kcx's own commands parses its command line into. Handlers
// start with the same parse; the index lets a test walk the command table and run every parser
// on every option the spec declares, so a read of an undeclared name (a typo) stops the test run
// (Invocation's debug check) rather than silently reading nil in production.

enum CommandOptionsIndex {
    typealias Parse = @Sendable (Invocation) throws -> any CommandOptions

    static let parsers: [String: Parse] = [
        "audience add": { try AudienceAddOptions($0) },
        "audience list": { try AudienceListOptions($0) },
        "audience remove": { try AudienceRemoveOptions($0) },
        "audience check": { try AudienceCheckOptions($0) },
        "client-scope ensure": { try ClientScopeEnsureOptions($0) },
        "client-scope list": { try OutputOnlyOptions($0) },
        "client-scope get": { try OutputOnlyOptions($0) },
        "client-scope delete": { try ClientScopeDeleteOptions($0) },
        "client-scope assign": { try ClientScopeAssignOptions($0) },
        "client-scope unassign": { try ClientOnlyOptions($0) },
        "token-exchange allow": { try ExchangePairOptions($0) },
        "token-exchange deny": { try ExchangePairOptions($0) },
        "token-exchange enable": { try ExchangeEnableOptions($0) },
        "token-exchange disable": { try ClientOnlyOptions($0) },
        "token-exchange status": { try ClientsFilterOptions($0) },
        "token-exchange check": { try ExchangeCheckOptions($0) },
        "token-exchange downscope enable": { try ClientsFilterOptions($0) },
        "token-exchange downscope disable": { try ClientsFilterOptions($0) },
        "token-exchange downscope status": { try ClientsFilterOptions($0) },
        "token-exchange audit": { try ExchangeAuditOptions($0) },
        "token get": { try TokenGetOptions($0) },
        "token exchange": { try TokenExchangeOptions($0) },
        "token decode": { try TokenDecodeOptions($0) },
        "token introspect": { try TokenIntrospectOptions($0) },
        "client id": { try OutputOnlyOptions($0) },
        "client secret": { try ClientSecretOptions($0) },
        "client ensure": { try ClientEnsureOptions($0) },
        "realm ensure": { try RealmEnsureOptions($0) },
        "doctor": { try DoctorOptions($0) },
        "graph": { try GraphOptions($0) },
        "config profiles": { try OutputOnlyOptions($0) },
        "version": { try OutputOnlyOptions($0) },
        "plan": { try PlanOptions($0) },
        "apply": { try ApplyOptions($0) },
        "export": { try ExportOptions($0) },
    ]

    /// Commands whose options are read elsewhere: the kcadm-compatible commands (kcadm's flags), the
    /// built-ins that take no options of their own.
    static let parsedElsewhere: Set<String> = [
        "get", "create", "update", "delete", "get-roles", "add-roles", "remove-roles", "set-password",
        "config credentials", "config status", "config logout", "config truststore",
        "help", "completion", "__generate-docs", "__complete",
    ]
}
