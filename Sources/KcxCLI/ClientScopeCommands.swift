// `kcx client-scope …`: create, inspect, delete and assign client scopes by name.
import KcxJSON
import KeycloakKit

public enum ClientScopeCommands {
    static let name = PositionalSpec("NAME", "Client scope name (or id)")

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["client-scope", "ensure"], summary: "Create a client scope or bring its settings up to date",
            discussion: """
                Creates the scope when it does not exist, otherwise changes only the settings given; a second run \
                reports 'unchanged'. --realm-default places the scope in the realm's default or optional list (the \
                lists copied into clients created later) or takes it out of both.
                """,
            positionals: [name],
            options: [
                OptionSpec("description", value: "TEXT", "Description shown in the admin console"),
                OptionSpec(
                    "protocol", value: "PROTOCOL", "openid-connect (default when creating) or saml",
                    completion: .choices(["openid-connect", "saml"])),
                OptionSpec(
                    "include-in-token-scope", value: "BOOL", "List the scope's name in the token's scope claim (default true)",
                    completion: .choices(["true", "false"])),
                OptionSpec("consent-text", value: "TEXT", "Text of the consent screen (turns the consent screen entry on)"),
                OptionSpec(
                    "realm-default", value: "LIST", "default, optional or none: the realm's list for new clients",
                    completion: .choices(["default", "optional", "none"])),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx client-scope ensure api-access --description 'Audience for api-service' -r myrealm",
                    "Create the scope, or report it unchanged"),
                ExampleSpec(
                    "kcx client-scope ensure api-access --realm-default optional --dry-run",
                    "Show what would change, change nothing"),
            ],
            handler: ensure),
        CommandSpec(
            ["client-scope", "list"], summary: "List the realm's client scopes",
            discussion: "Prints name, protocol, realm list (default/optional) and the number of mappers of each scope.",
            options: ProvisioningOptions.reading,
            examples: [ExampleSpec("kcx client-scope list -r myrealm --output json", "All client scopes as JSON")],
            handler: list),
        CommandSpec(
            ["client-scope", "get"], summary: "Show one client scope with its mappers",
            positionals: [name], options: ProvisioningOptions.reading,
            examples: [
                ExampleSpec("kcx client-scope get api-access -r myrealm", "Its name, id, protocol and mappers"),
                ExampleSpec("kcx client-scope get api-access -r myrealm -o json", "The scope's representation as JSON"),
            ],
            handler: get),
        CommandSpec(
            ["client-scope", "delete"], summary: "Delete a client scope (Keycloak also removes it from every client)",
            discussion: """
                When clients hold the scope, kcx lists them (each loses the scope and the claims it brings) and \
                asks on a terminal; --yes deletes without asking. Without a terminal and without --yes, deleting an \
                assigned scope is a usage error and nothing is deleted. A scope no client holds is deleted at once.
                """,
            positionals: [name],
            options: [
                OptionSpec("if-exists", "Succeed with 'unchanged' when the scope does not exist"),
                OptionSpec("yes", short: "y", "Delete even when clients hold the scope, without asking"),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec("kcx client-scope delete api-access --if-exists -r myrealm", "Delete it if it is there"),
                ExampleSpec(
                    "kcx client-scope delete api-access --yes -r myrealm", "Delete it even though clients hold it (scripts)"),
            ],
            handler: delete),
        CommandSpec(
            ["client-scope", "assign"], summary: "Assign a client scope to a client as default or optional",
            discussion: """
                Default scopes are always applied to the client's tokens; optional ones only when requested in \
                scope=. Moving a scope between the two lists works (Keycloak itself silently ignores a plain \
                re-assignment to the other list).
                """,
            positionals: [name],
            options: [
                SharedOptions.client(),
                SharedOptions.defaultList("Assign as a default scope"),
                SharedOptions.optionalList("Assign as an optional scope"),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx client-scope assign api-access --client myapp --default -r myrealm",
                    "Always put api-access's mappers into myapp's tokens")
            ],
            handler: assign),
        CommandSpec(
            ["client-scope", "unassign"], summary: "Remove a client scope from a client's default or optional scopes",
            positionals: [name],
            options: [SharedOptions.client()] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec("kcx client-scope unassign api-access --client myapp -r myrealm", "Take api-access away from myapp")
            ],
            handler: unassign),
    ]

    static func ensure(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let settings = try ClientScopeEnsureOptions(invocation).settings
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.convergeClientScope(invocation.firstPositional, settings)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func protocolOption(_ invocation: Invocation) throws -> String? {
        guard let value = invocation.value("protocol") else { return nil }
        guard value == "openid-connect" || value == "saml" else {
            throw KcxError.usage("--protocol must be openid-connect or saml, not '\(value)'")
        }
        return value
    }

    static func list(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try OutputOnlyOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let lookup = Lookup(api: session.client, realm: session.realm)
        let scopes = try lookup.clientScopes()
        var placement: [String: String] = [:]
        for (list, endpoint): (String, Endpoint) in [
            ("default", "default-default-client-scopes"), ("optional", "default-optional-client-scopes"),
        ] {
            let response = try session.client.send(method: "GET", endpoint: endpoint, realm: session.realm)
            for entry in response.json?.arrayValue ?? [] { if let id = entry["id"]?.stringValue { placement[id] = list } }
        }
        if options.output == .json {
            let rows: [JSON] = scopes.map { scope in
                [
                    "id": .string(scope.id), "name": .string(scope.name),
                    "protocol": scope.representation["protocol"] ?? .null, "realmDefault": .string(placement[scope.id] ?? "none"),
                    "mappers": .int(Int64(scope.representation["protocolMappers"]?.arrayValue?.count ?? 0)),
                ]
            }
            context.stdout.write(JSON.array(rows).serialized(.pretty) + "\n")
            return .ok
        }
        let rows = scopes.map { scope in
            [
                scope.name, scope.representation["protocol"]?.stringValue ?? "", placement[scope.id] ?? "none",
                String(scope.representation["protocolMappers"]?.arrayValue?.count ?? 0),
            ]
        }
        context.stdout.write(TextTable.render(Tabulation(columns: ["NAME", "PROTOCOL", "REALM LIST", "MAPPERS"], rows: rows)))
        return .ok
    }

    static func get(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try OutputOnlyOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let scope = try Lookup(api: session.client, realm: session.realm).requireClientScope(invocation.firstPositional)
        if options.output == .json {
            context.stdout.write(scope.representation.serialized(.pretty) + "\n")
            return .ok
        }
        let rep = scope.representation
        var text =
            "name:     \(scope.name)\nid:       \(scope.id)\nprotocol: \(rep["protocol"]?.stringValue ?? "openid-connect")\n"
        if let description = rep["description"]?.stringValue, !description.isEmpty { text += "description: \(description)\n" }
        let mappers = (rep["protocolMappers"]?.arrayValue ?? []).map { mapper -> [String] in
            [mapper["name"]?.stringValue ?? "", mapper["protocolMapper"]?.stringValue ?? ""]
        }
        context.stdout.write(text)
        if mappers.isEmpty {
            context.stdout.write("mappers:  none\n")
        } else {
            context.stdout.write("\n" + TextTable.render(Tabulation(columns: ["MAPPER", "TYPE"], rows: mappers)))
        }
        return .ok
    }

    /// True when the scope may go: no client holds it, or the person at the terminal said yes.
    static func confirmDelete(_ name: String, _ lookup: Lookup, realm: String, _ context: CommandContext) throws -> Bool {
        guard let scope = try lookup.clientScope(name) else { return true }
        let holders = try lookup.clientsAssigned(scope: scope.name)
        guard !holders.isEmpty else { return true }
        let list = holders.map { "\($0.clientId) (\($0.list.rawValue))" }.joined(separator: ", ")
        let what =
            "client scope '\(scope.name)' is assigned to \(holders.count) client\(holders.count == 1 ? "" : "s"), which would lose it: \(list)"
        guard context.stdin.isTerminal else {
            throw KcxError.usage(
                what,
                hint:
                    "delete it anyway with --yes, or unassign it first: \(Shell.kcx("client-scope", "unassign", scope.name, "--client", holders[0].clientId, "-r", realm))"
            )
        }
        context.stderr.write(what + "\n")
        return context.stdin.readLine(prompt: "Delete it? Only 'yes' is accepted: ") == "yes"
    }

    static func delete(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientScopeDeleteOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        if !options.dryRun && !options.yes {
            // The writer's look-ups: the scope list read for the question is not read again for the delete.
            guard try confirmDelete(invocation.firstPositional, writer.lookup, realm: session.realm, context) else {
                context.stderr.write("delete cancelled: nothing was changed\n")
                return .cancelled
            }
        }
        try writer.convergeDeletion(invocation.firstPositional, ifExists: options.ifExists)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func assign(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientScopeAssignOptions(invocation)
        let (client, list) = (options.client, options.list)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.convergeAssignment(invocation.firstPositional, client: client, as: list)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func unassign(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let client = try ClientOnlyOptions(invocation).client
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.convergeUnassignment(invocation.firstPositional, client: client)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func requiredClient(_ invocation: Invocation) throws -> String {
        guard let client = invocation.value("client") else {
            throw KcxError.usage("--client is required: name the client (clientId or id)")
        }
        return client
    }

    /// Exactly one of --default / --optional.
    static func scopeList(_ invocation: Invocation) throws -> ScopeList {
        switch (invocation.flag("default"), invocation.flag("optional")) {
        case (true, false): return .default
        case (false, true): return .optional
        case (true, true): throw KcxError.usage("--default and --optional exclude each other: choose one")
        case (false, false): throw KcxError.usage("say how to assign the scope: --default or --optional")
        }
    }
}
