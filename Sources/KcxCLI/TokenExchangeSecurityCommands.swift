// `kcx token-exchange downscope …` (Keycloak's downscope executor as one switch) and
// `kcx token-exchange audit` (store exchange events and show recent exchanges).
import FoundationEssentials
import KcxJSON
import KeycloakKit

public enum TokenExchangeSecurityCommands {
    static let clients = SharedOptions.client("Only exchanges requested by this client (default: every client)", repeatable: true)

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["token-exchange", "downscope", "enable"], summary: "Refuse exchanges asking for scopes the subject token lacks",
            discussion: """
                Keeps one client profile, \(downscopeProfileName), holding Keycloak's \(downscopeExecutor) executor, \
                and one client policy, \(downscopePolicyName), matching token-exchange requests (grant-type \
                condition). With --client, the policy also requires the client scope \(downscopeMarkerScope) \
                (no mappers, not in tokens' scope) as a default scope, which kcx assigns to those clients: \
                Keycloak's client-scopes condition is the only one that selects requesters on an exchange. When the \
                policy already covers every requester, --client changes nothing (enabling for some never narrows \
                it). A profile or policy that differs from what kcx writes is repaired. Other profiles and policies \
                are kept (each list read once, kcx's entry laid over it; profiles before policies).
                """,
            options: [clients] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec("kcx token-exchange downscope enable -r myrealm", "Downscope every token exchange"),
                ExampleSpec(
                    "kcx token-exchange downscope enable --client service-a -r myrealm --dry-run",
                    "Show the writes for one requester"),
            ],
            handler: enableDownscope),
        CommandSpec(
            ["token-exchange", "downscope", "disable"], summary: "Stop downscope enforcement (for everyone, or for some clients)",
            discussion: """
                Without --client: removes kcx's policy, then its profile (kept if another policy names it), then the \
                marker scope. With --client: removes the marker scope from those clients; only possible when \
                enforcement was enabled per client.
                """,
            options: [clients] + ProvisioningOptions.mutating,
            examples: [ExampleSpec("kcx token-exchange downscope disable -r myrealm", "Turn enforcement off")],
            handler: disableDownscope),
        CommandSpec(
            ["token-exchange", "downscope", "status"], summary: "Show whether token exchanges are downscoped, and for whom",
            options: [SharedOptions.client("Check only this client (default: every client)", repeatable: true)]
                + ProvisioningOptions.reading,
            examples: [ExampleSpec("kcx token-exchange downscope status -r myrealm", "Enforcement state")],
            handler: downscopeStatus),
        CommandSpec(
            ["token-exchange", "audit"], summary: "Show recent token exchanges (and turn their recording on)",
            discussion: """
                Lists stored TOKEN_EXCHANGE and TOKEN_EXCHANGE_ERROR events, newest first: time (UTC), requester, \
                subject client, user, audience, outcome and reason. --enable first makes Keycloak store both \
                types, keeping the event types and listeners already configured. DURATION is a number with s, m, \
                h or d (e.g. 30m, 2h, 7d).
                """,
            options: [
                OptionSpec("enable", "Turn on storing of exchange events first"),
                OptionSpec("since", value: "DURATION", "Only exchanges within this long ago (default: all stored)"),
                SharedOptions.client("Only exchanges requested by this client (clientId)"),
                ProvisioningOptions.dryRun,
            ] + ProvisioningOptions.reading,
            examples: [
                ExampleSpec("kcx token-exchange audit --enable -r myrealm", "Record exchanges from now on"),
                ExampleSpec(
                    "kcx token-exchange audit --since 1h --client service-a -r myrealm --output json",
                    "The last hour of service-a's exchanges"),
            ],
            handler: audit),
    ]

    static func enableDownscope(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientsFilterOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.enableDownscope(clients: options.clients)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func disableDownscope(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientsFilterOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.disableDownscope(clients: options.clients)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }

    static func downscopeStatus(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientsFilterOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let status = try Lookup(api: session.client, realm: session.realm).downscopeStatus(clients: options.clients)
        if options.output == .json {
            var document = JSONObject([("realm", .string(session.realm))])
            for (key, value) in status.json.objectValue ?? JSONObject() { document[key] = value }
            context.stdout.write(JSON.object(document).serialized(.pretty) + "\n")
            return .ok
        }
        switch status.coverage {
        case .off: context.stdout.write("downscope: off (kcx policy \(downscopePolicyName) absent or disabled)\n")
        case .everyClient: context.stdout.write("downscope: on for every token exchange\n")
        case .clients(let names):
            context.stdout.write(
                "downscope: on for exchanges by \(names.isEmpty ? "no client (none has \(downscopeMarkerScope))" : names.joined(separator: ", "))\n"
            )
        }
        if !status.otherPolicies.isEmpty {
            context.stdout.write("also enforced by other policies: \(status.otherPolicies.joined(separator: ", "))\n")
        }
        if status.profileMissing {
            context.warn(
                "policy \(downscopePolicyName) names profile \(downscopeProfileName), which is missing; Keycloak skips it")
            context.diagnostic(
                .hint, "restore it with: \(Shell.kcx("token-exchange", "downscope", "enable", "-r", session.realm))")
        }
        return .ok
    }

    /// `30s`, `15m`, `2h`, `7d` in seconds.
    static func seconds(ofDuration text: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last, let factor = units[unit], let count = Int64(text.dropLast()), count >= 0,
            case let (total, overflow) = count.multipliedReportingOverflow(by: factor), !overflow, total <= Int64.max / 1000
        else {
            throw KcxError.usage("--since must be a number followed by s, m, h or d (e.g. 30m), not '\(text)'")
        }
        return total
    }

    static func audit(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExchangeAuditOptions(invocation)
        let since = options.sinceSeconds
        let session = try ProvisioningSession(invocation, context)
        let lookup = Lookup(api: session.client, realm: session.realm)
        var changes: [Change] = []
        if options.enable {
            let writer = session.writer(invocation)
            try writer.convergeExchangeEvents()
            changes = writer.changes
            if options.output != .json { ChangeOutput.report(writer, invocation, context) }
        } else if try !lookup.exchangeEventsRecorded() {
            context.warn("realm '\(session.realm)' does not store exchange events; the list only shows what was stored before")
            context.diagnostic(.hint, "run: \(Shell.kcx("token-exchange", "audit", "--enable", "-r", session.realm))")
        }
        let now = Int64(context.now().timeIntervalSince1970 * 1000)
        let events = try lookup.exchangeEvents(since: since.map { now - $0 * 1000 }, client: options.client)
        if options.output == .json {
            var document = JSONObject([("realm", .string(session.realm))])
            if options.enable { document["changes"] = .array(changes.map(\.json)) }
            document["exchanges"] = .array(events.map(\.json))
            context.stdout.write(JSON.object(document).serialized(.pretty) + "\n")
            return .ok
        }
        let rows = events.map { event in
            [
                event.timestamp, event.requester, dash(event.subjectClient), dash(event.user), dash(event.audience),
                event.outcome, dash(event.reason),
            ]
        }
        context.stdout.write(
            TextTable.render(
                Tabulation(columns: ["TIME", "REQUESTER", "SUBJECT CLIENT", "USER", "AUDIENCE", "OUTCOME", "REASON"], rows: rows))
        )
        return .ok
    }

    static func dash(_ text: String) -> String { text.isEmpty ? "-" : text }
}
