// `kcx audience …`: put a client (or a custom value) into tokens' aud claim, list and remove
// such mappers, and explain why an audience is missing from a client's tokens.
import KcxJSON
import KeycloakKit

public enum AudienceCommands {
    static let container: [OptionSpec] = [
        SharedOptions.scope("Client scope holding the mapper"),
        SharedOptions.client("Client holding the mapper directly (clientId or id)"),
    ]
    static let value: [OptionSpec] = [
        SharedOptions.audience("clientId to put into aud (must exist)"),
        OptionSpec("custom-audience", value: "VALUE", "Any string to put into aud (not checked)"),
    ]

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["audience", "add"], summary: "Add an audience mapper to a client scope or a client",
            discussion: """
                Creates an oidc-audience-mapper, or updates the one that already produces the same audience, so a \
                second run reports 'unchanged'. An --audience naming no client is refused (exit 3) before any change; \
                Keycloak itself would accept it silently and tokens would lack it. With --create-scope the scope is \
                created if missing, and --assign CLIENT with --default or --optional assigns it: the whole \
                "dedicated audience scope" recipe in one command.
                """,
            options: value + container + [
                SharedOptions.mapperName("Name of the mapper (default '<audience> audience')"),
                OptionSpec("access-token", "Add to access tokens (the default)"),
                OptionSpec("no-access-token", "Do not add to access tokens"),
                OptionSpec("id-token", "Also add to ID tokens"),
                OptionSpec("introspection", "Add to introspection responses (the default)"),
                OptionSpec("no-introspection", "Leave out of introspection responses"),
                OptionSpec("lightweight", "Also add to lightweight access tokens"),
                OptionSpec("create-scope", "Create the --scope if it does not exist"),
                OptionSpec(
                    "assign", value: "CLIENT", "Assign the --scope to this client (with --default or --optional)",
                    repeatable: true),
                SharedOptions.defaultList("With --assign: as a default scope"),
                SharedOptions.optionalList("With --assign: as an optional scope"),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx audience add --audience api-service --scope api-access --create-scope --assign myapp --default -r myrealm",
                    "Dedicated audience scope: myapp's tokens carry api-service in aud"),
                ExampleSpec(
                    "kcx audience add --custom-audience https://api.example.com --client myapp -r myrealm",
                    "A non-client audience straight on a client"),
            ],
            handler: add),
        CommandSpec(
            ["audience", "list"], summary: "List audience mappers of a scope, a client, or the whole realm",
            discussion: """
                With --scope, the scope's mappers. With --client, the audiences the client's tokens get through \
                mappers: its own, those of its default scopes, and those of its optional scopes (only when the \
                token request names the scope); VIA says which. Without either, every audience mapper of the realm.
                """,
            options: container + ProvisioningOptions.reading,
            examples: [
                ExampleSpec("kcx audience list -r myrealm", "Every audience mapper in the realm and where it lives"),
                ExampleSpec(
                    "kcx audience list --client myapp -r myrealm", "The audiences myapp's tokens get, and through which scope"),
            ],
            handler: list),
        CommandSpec(
            ["audience", "remove"], summary: "Remove an audience mapper from a client scope or a client",
            options: value + container + [SharedOptions.mapperName("Remove the audience mapper with this name")]
                + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx audience remove --audience api-service --scope api-access -r myrealm",
                    "Take api-service out of the scope")
            ],
            handler: remove),
        CommandSpec(
            ["audience", "check"], summary: "Check whether a client's tokens carry an audience, and say why not",
            discussion: """
                Asks Keycloak for the access token it would issue (the admin console's evaluate tab) for --user, or \
                the client's service account, with the optional scopes in --scope, and prints its aud. When AUD is \
                missing it names the cause, in this order: no mapper produces it; the mapper's access-token switch \
                is off; a mapper names another or a non-existent client; the scope is not assigned to the client; the \
                scope is optional and was not requested; the role behind audience-resolve is not in scope. Exit 0 when \
                present, 7 when missing.
                """,
            options: [
                SharedOptions.client("The client requesting the token"),
                SharedOptions.audience("The audience that should be in aud", value: "AUD"),
                SharedOptions.scope("Optional scopes to request, space separated (as in scope=)", value: "SCOPES"),
                SharedOptions.user("Username (or id) to simulate; default the client's service account"),
            ] + ProvisioningOptions.reading,
            examples: [
                ExampleSpec(
                    "kcx audience check --client myapp --audience api-service --user alice -r myrealm",
                    "Is api-service in alice's tokens from myapp?")
            ],
            handler: check),
    ]

    static func audienceValue(_ invocation: Invocation, required: Bool) throws -> AudienceValue? {
        switch (invocation.value("audience"), invocation.value("custom-audience")) {
        case (let client?, nil): return .client(client)
        case (nil, let custom?): return .custom(custom)
        case (.some, .some): throw KcxError.usage("--audience and --custom-audience exclude each other: choose one")
        case (nil, nil):
            if required { throw KcxError.usage("name the audience: --audience CLIENT or --custom-audience VALUE") }
            return nil
        }
    }

    static func mapperContainer(_ invocation: Invocation, required: Bool) throws -> MapperContainer? {
        switch (invocation.value("scope"), invocation.value("client")) {
        case (let scope?, nil): return .clientScope(scope)
        case (nil, let client?): return .client(client)
        case (.some, .some): throw KcxError.usage("--scope and --client exclude each other: the mapper lives in one place")
        case (nil, nil):
            if required { throw KcxError.usage("say where the mapper lives: --scope SCOPE or --client CLIENT") }
            return nil
        }
    }

    static func exclusive(_ invocation: Invocation, _ on: String, _ off: String, default value: Bool) throws -> Bool {
        switch (invocation.flag(on), invocation.flag(off)) {
        case (true, true): throw KcxError.usage("--\(on) and --\(off) exclude each other")
        case (true, false): return true
        case (false, true): return false
        case (false, false): return value
        }
    }

    static func add(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try AudienceAddOptions(invocation)
        let (audience, container, settings, assignTo, list) = (
            options.audience, options.container, options.settings, options.assignTo, options.list
        )
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.addAudience(audience, on: container, settings, createScope: options.createScope, assignTo: assignTo, as: list)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func list(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try AudienceListOptions(invocation)
        let container = options.container
        let session = try ProvisioningSession(invocation, context)
        let lookup = Lookup(api: session.client, realm: session.realm)
        if case .client(let name) = container {
            let reaching = try lookup.audienceMappers(reaching: name)
            if options.output == .json {
                context.stdout.write(JSON.array(reaching.map(\.json)).serialized(.pretty) + "\n")
                return .ok
            }
            let rows = reaching.map { entry -> [String] in
                let via: String
                switch entry.via {
                case .client: via = "own mapper"
                case .defaultScope: via = "default scope"
                case .optionalScope: via = "optional scope (when requested)"
                }
                return [entry.mapper.container.label, via] + Array(row(entry.mapper).dropFirst())
            }
            context.stdout.write(
                TextTable.render(Tabulation(columns: ["WHERE", "VIA", "MAPPER", "AUDIENCE", "TOKENS"], rows: rows)))
            return .ok
        }
        let mappers = try lookup.audienceMappers(in: container)
        if options.output == .json {
            context.stdout.write(JSON.array(mappers.map(\.json)).serialized(.pretty) + "\n")
            return .ok
        }
        context.stdout.write(
            TextTable.render(Tabulation(columns: ["WHERE", "MAPPER", "AUDIENCE", "TOKENS"], rows: mappers.map(row))))
        return .ok
    }

    /// WHERE, MAPPER, AUDIENCE, TOKENS of one mapper.
    static func row(_ mapper: AudienceMapperRef) -> [String] {
        let switches = [
            ("access", "access.token.claim"), ("id", "id.token.claim"), ("introspection", "introspection.token.claim"),
            ("lightweight", "lightweight.claim"),
        ]
        .filter { mapper.config[$0.1]?.stringValue == "true" }.map(\.0).joined(separator: ",")
        let audience: String
        switch mapper.audience {
        case .client(let value): audience = value
        case .custom(let value): audience = "\(value) (custom)"
        case nil: audience = "(none)"
        }
        return [mapper.container.label, mapper.name, audience, switches]
    }

    static func remove(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try AudienceRemoveOptions(invocation)
        let (audience, container) = (options.audience, options.container)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.removeAudienceMapper(audience, mapperName: options.mapperName, from: container)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func check(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try AudienceCheckOptions(invocation)
        let (client, audience, scopes) = (options.client, options.audience, options.scopes)
        let session = try ProvisioningSession(invocation, context)
        let result = try Lookup(api: session.client, realm: session.realm)
            .checkAudience(client: client, audience: audience, scope: scopes, user: options.user)
        if options.output == .json {
            context.stdout.write(result.json.serialized(.pretty) + "\n")
        } else {
            context.stdout.write(
                "aud: \(result.tokenAudiences.isEmpty ? "(none)" : result.tokenAudiences.joined(separator: " "))\n")
            context.stdout.write("scope: \(result.tokenScope)\n")
            if result.present {
                context.stderr.write("'\(audience)' is in the access token of '\(result.client)' for user '\(result.user)'\n")
            } else {
                context.stderr.write("'\(audience)' is NOT in the access token of '\(result.client)' for user '\(result.user)'\n")
                if result.diagnoses.isEmpty {
                    context.stderr.write(
                        "cause: not found by kcx's checks; inspect 'kcx get clients/<id>/evaluate-scopes/protocol-mappers'\n")
                }
                for diagnosis in result.diagnoses {
                    context.stderr.write("cause: \(diagnosis.message)\n")
                    if let fix = diagnosis.fix { context.stderr.write("  fix: \(fix)\n") }
                    // Alternatives reach the same end: one of the lines is enough, not all of them.
                    for alternative in diagnosis.alternatives {
                        context.stderr.write("  or:  \(alternative.fix)\n       (\(alternative.note))\n")
                    }
                }
            }
        }
        return result.present ? .ok : .checkFailed
    }
}
