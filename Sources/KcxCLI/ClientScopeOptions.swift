// The options of `kcx client-scope …`, and the small option sets several commands share, read and
// checked in one pure step before any request.
import KeycloakKit

/// A command whose only own choice is -o/--output (client-scope list/get, client id, …).
struct OutputOnlyOptions: CommandOptions {
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        output = try invocation.textOrJSON()
    }
}

/// A command acting on one client named by the required --client (assign's list aside).
struct ClientOnlyOptions: CommandOptions {
    let client: String
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        client = try ClientScopeCommands.requiredClient(invocation)
        output = try invocation.textOrJSON()
    }
}

struct ClientScopeEnsureOptions: CommandOptions {
    let settings: ClientScopeSettings
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        settings = ClientScopeSettings(
            description: invocation.value("description"), protocol_: try ClientScopeCommands.protocolOption(invocation),
            includeInTokenScope: try invocation.bool("include-in-token-scope"), consentText: invocation.value("consent-text"),
            realmDefault: try invocation.choice("realm-default", as: RealmDefaultPlacement.self))
        output = try invocation.textOrJSON()
    }
}

struct ClientScopeDeleteOptions: CommandOptions {
    let ifExists: Bool
    let yes: Bool
    let dryRun: Bool
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        ifExists = invocation.flag("if-exists")
        yes = invocation.flag("yes")
        dryRun = invocation.flag("dry-run")
        output = try invocation.textOrJSON()
    }
}

struct ClientScopeAssignOptions: CommandOptions {
    let client: String
    let list: ScopeList
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        client = try ClientScopeCommands.requiredClient(invocation)
        list = try ClientScopeCommands.scopeList(invocation)
        output = try invocation.textOrJSON()
    }
}
