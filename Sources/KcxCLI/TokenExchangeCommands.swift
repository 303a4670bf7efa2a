// `kcx token-exchange …`: allow, deny and inspect token exchange between clients, in Keycloak's
// standard (V2) or legacy (V1, fine-grained permissions) mechanism.
import KcxJSON
import KeycloakKit

public enum TokenExchangeCommands {
    static let mode = OptionSpec(
        "mode", value: "MODE", "auto (default: read the server's features), standard (V2) or legacy (V1)",
        completion: .choices(["auto", "standard", "legacy"]))
    static let pair: [OptionSpec] = [
        OptionSpec("from", value: "REQUESTER", "The client that calls the token endpoint to exchange"),
        OptionSpec("to", value: "TARGET", "The client the new token is for (its audience)"),
    ]

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["token-exchange", "allow"], summary: "Let one client exchange tokens for another client's audience",
            discussion: """
                standard (Keycloak 26.2+): the requester must be confidential (a public one is refused, with the \
                alternatives); kcx turns on standard.token.exchange.enabled on it and makes TARGET reachable in its \
                tokens through the scope TARGET-audience assigned as default. With --subject-client, the initial \
                client's tokens also get REQUESTER in aud (Keycloak refuses an exchange by a client outside the \
                subject token's audience). legacy: kcx enables management permissions on TARGET and keeps ONE client \
                policy, kcx-token-exchange-TARGET, listing every allowed requester, attached to TARGET's \
                token-exchange permission (several policies under UNANIMOUS would deny everyone).
                """,
            options: pair + [SharedOptions.subjectClient("Client whose users' tokens will be exchanged"), mode]
                + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx token-exchange allow --from service-a --to service-b -r myrealm", "service-a may exchange for service-b"),
                ExampleSpec(
                    "kcx token-exchange allow --from primary-service --to delegated-service --subject-client webapp -r myrealm",
                    "Also make webapp's tokens acceptable to primary-service"),
                ExampleSpec(
                    "kcx token-exchange allow --from a --to b --mode legacy --dry-run", "Show the legacy permission wiring"),
            ],
            handler: allow),
        CommandSpec(
            ["token-exchange", "deny"], summary: "Stop a client exchanging for another, or say why it still can",
            discussion: """
                Removes every grant kcx made for the pair in the mechanisms --mode covers (auto: every mechanism \
                the server has). standard: TARGET-audience leaves the requester's scopes (its V2 switch stays, as \
                other targets may use it; turn it off with 'kcx token-exchange disable'). legacy: the requester \
                leaves TARGET's kcx policy, which is deleted when it lists nobody. Then kcx reads the realm as \
                'kcx graph' does: if the requester can still exchange for TARGET another way (a shared scope, its \
                own mapper, a policy kcx does not own), it names each path with the command that removes it and \
                exits 7.
                """,
            options: pair + [mode] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec("kcx token-exchange deny --from service-a --to service-b -r myrealm", "Withdraw the permission")
            ],
            handler: deny),
        CommandSpec(
            ["token-exchange", "enable"], summary: "Turn standard token exchange on for a client",
            options: [
                SharedOptions.client("The requesting client (clientId or id)"),
                OptionSpec("allow-refresh", "Also allow requested_token_type=refresh_token (SAME_SESSION)"),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx token-exchange enable --client service-a --allow-refresh -r myrealm", "V2 on, refresh tokens allowed")
            ],
            handler: enable),
        CommandSpec(
            ["token-exchange", "disable"], summary: "Turn standard token exchange off for a client",
            options: [SharedOptions.client("The requesting client (clientId or id)")] + ProvisioningOptions.mutating,
            examples: [ExampleSpec("kcx token-exchange disable --client service-a -r myrealm", "V2 off")],
            handler: disable),
        CommandSpec(
            ["token-exchange", "status"], summary: "Show who may exchange, and which audiences tokens can carry",
            discussion:
                "Per client: standard exchange on/off, refresh allowed, legacy-permitted requesters, and the audiences its tokens can carry (and how).",
            options: [
                SharedOptions.client(
                    "Only this client (default: every client with exchange or audience settings)", repeatable: true)
            ]
                + ProvisioningOptions.reading,
            examples: [ExampleSpec("kcx token-exchange status --client service-a -r myrealm", "One client's exchange settings")],
            handler: status),
    ]

    static func pairOptions(_ invocation: Invocation) throws -> (from: String, to: String) {
        guard let from = invocation.value("from") else { throw KcxError.usage("--from is required: the client that exchanges") }
        guard let to = invocation.value("to") else { throw KcxError.usage("--to is required: the client the new token is for") }
        return (from, to)
    }

    static func allow(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExchangePairOptions(invocation)
        let (from, to, mode) = (options.from, options.to, options.mode)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.allowExchange(from: from, to: to, subjectClient: options.subjectClient, mode: mode)
        // Say what else the change makes possible: a switch turned on reaches every audience already in reach.
        let opened = try writer.otherTargetsOpened(from: from, to: to)
        ChangeOutput.report(
            writer, invocation, context,
            extra: opened.isEmpty
                ? []
                : [
                    (
                        "alsoPossible",
                        .array(opened.map { ["from": .string(from), "to": .string($0.target), "via": .string($0.via)] })
                    )
                ])
        if options.output != .json {
            for pair in opened {
                context.stderr.write(
                    "note: \(from) \(writer.dryRun ? "would" : "may") now also exchange tokens for \(pair.target) (via \(pair.via))\n"
                )
            }
        }
        return .ok
    }

    static func deny(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExchangePairOptions(invocation)
        let (from, to, mode) = (options.from, options.to, options.mode)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.denyExchange(from: from, to: to, mode: mode)
        // The verb means its outcome: if another path still lets FROM exchange for TO, say which and fail.
        let remaining = try writer.remainingExchangePaths(from: from, to: to)
        ChangeOutput.report(
            writer, invocation, context, extra: remaining.isEmpty ? [] : [("remainingPaths", .array(remaining.map(\.json)))])
        guard remaining.isEmpty else {
            throw KcxError(
                .checkFailed,
                "\(from) can still exchange tokens for \(to)\(writer.dryRun ? " after this change" : ""):\n"
                    + remaining.map { "  \($0.mechanism.rawValue), via \($0.via): remove with \($0.removal)" }.joined(
                        separator: "\n"),
                hint:
                    "run the commands above (or turn standard exchange off for \(from): \(Shell.kcx("token-exchange", "disable", "--client", from, "-r", session.realm))), then deny again"
            )
        }
        return .ok
    }

    static func enable(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExchangeEnableOptions(invocation)
        let client = options.client
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.setStandardExchange(client: client, enabled: true, allowRefresh: options.allowRefresh ? true : nil)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func disable(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let client = try ClientOnlyOptions(invocation).client
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.setStandardExchange(client: client, enabled: false, allowRefresh: false)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func status(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientsFilterOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let lookup = Lookup(api: session.client, realm: session.realm)
        let features = try Writer(api: session.client, realm: session.realm, dryRun: true).serverFeatures()
        var names = options.clients
        if names.isEmpty {
            // Every client that has exchange switched on or carries audience mappers, skipping built-ins.
            let builtIn: Set<String> = [
                "account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console",
            ]
            for client in try session.client.send(method: "GET", endpoint: "clients", realm: session.realm).json?.arrayValue ?? []
            {
                guard let clientId = client["clientId"]?.stringValue, !builtIn.contains(clientId), !clientId.hasSuffix("-realm")
                else { continue }
                names.append(clientId)
            }
        }
        let statuses = try names.map { try lookup.exchangeStatus(of: $0, features: features) }
        if options.output == .json {
            let document: JSON = [
                "realm": .string(session.realm),
                "features": [
                    "standardExchange": .bool(features.standardExchange), "legacyExchange": .bool(features.legacyExchange),
                    "fineGrainedPermissionsV1": .bool(features.fineGrainedV1),
                ],
                "clients": .array(statuses.map(\.json)),
            ]
            context.stdout.write(document.serialized(.pretty) + "\n")
            return .ok
        }
        context.stdout.write(
            "server: standard exchange \(features.standardExchange ? "on" : "off"), legacy exchange \(features.legacyUsable ? "on" : "off")\n"
        )
        let rows = statuses.map { status -> [String] in
            let audiences = status.audiences.map {
                "\($0.audience) (\($0.via)\($0.inAccessToken ? "" : ", not in access token"))"
            }
            return [
                status.clientId + (status.publicClient ? " (public)" : ""), status.standardEnabled ? "on" : "off",
                status.refreshAllowed ? "yes" : "no",
                status.legacyRequesters.map { $0.isEmpty ? "-" : $0.joined(separator: ",") } ?? "n/a",
                audiences.isEmpty ? "-" : audiences.joined(separator: "; "),
            ]
        }
        context.stdout.write(
            TextTable.render(
                Tabulation(columns: ["CLIENT", "STANDARD", "REFRESH", "LEGACY REQUESTERS", "AUDIENCES"], rows: rows)))
        return .ok
    }
}
