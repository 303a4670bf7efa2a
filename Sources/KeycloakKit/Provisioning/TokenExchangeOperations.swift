// Token exchange wiring in both of Keycloak's mechanisms: standard (V2, a switch on the requesting
// client plus audiences in its tokens) and legacy (V1, a client policy on the target's
// fine-grained `token-exchange` permission in realm-management's authorization server).
import KcxJSON

public enum ExchangeMode: String, Sendable, CaseIterable {
    case auto, standard, legacy
}

/// Which token-exchange mechanisms the server has switched on, read from `GET /admin/serverinfo`.
public struct ServerFeatures: Sendable, Equatable {
    public var standardExchange: Bool
    public var legacyExchange: Bool
    public var fineGrainedV1: Bool

    public init(standardExchange: Bool, legacyExchange: Bool, fineGrainedV1: Bool) {
        self.standardExchange = standardExchange
        self.legacyExchange = legacyExchange
        self.fineGrainedV1 = fineGrainedV1
    }

    /// Legacy exchange to another client needs both the V1 feature and fine-grained permissions v1.
    public var legacyUsable: Bool { legacyExchange && fineGrainedV1 }

    public static func from(serverInfo: JSON) -> ServerFeatures {
        var enabled: [String: Bool] = [:]
        for feature in serverInfo["features"]?.arrayValue ?? [] {
            if let name = feature["name"]?.stringValue { enabled[name] = feature["enabled"]?.boolValue ?? false }
        }
        if enabled.isEmpty, let disabled = serverInfo["profileInfo"]?["disabledFeatures"]?.arrayValue {
            // Older servers only list what is off.
            let off = Set(disabled.compactMap(\.stringValue))
            return ServerFeatures(
                standardExchange: !off.contains("TOKEN_EXCHANGE_STANDARD_V2"), legacyExchange: !off.contains("TOKEN_EXCHANGE"),
                fineGrainedV1: !off.contains("ADMIN_FINE_GRAINED_AUTHZ"))
        }
        return ServerFeatures(
            standardExchange: enabled["TOKEN_EXCHANGE_STANDARD_V2"] ?? false, legacyExchange: enabled["TOKEN_EXCHANGE"] ?? false,
            fineGrainedV1: enabled["ADMIN_FINE_GRAINED_AUTHZ"] ?? false)
    }
}

public let standardExchangeAttribute = "standard.token.exchange.enabled"
public let exchangeRefreshAttribute = "standard.token.exchange.enableRefreshRequestedTokenType"

/// The name kcx gives the client scope that puts TARGET into tokens' `aud`.
public func audienceScopeName(for clientId: String) -> String { "\(clientId)-audience" }

/// The one client policy per target that lists every requester allowed to exchange to it.
public func exchangePolicyName(forTarget clientId: String) -> String { "kcx-token-exchange-\(clientId)" }

/// The rule of `--subject-client` (and of an `allow` pair's `subjectClient`): Keycloak exchanges only
/// a subject token whose `aud` holds the requester, so REQUESTER goes into the subject client's
/// tokens, unless they are the same client. Answers (audience, holder), or nil when nothing is needed.
public func subjectClientAudience(requester: String, subjectClient: String?) -> (audience: String, holder: String)? {
    guard let subjectClient, subjectClient != requester else { return nil }
    return (requester, subjectClient)
}

extension Writer {
    public func serverFeatures() throws -> ServerFeatures {
        ServerFeatures.from(serverInfo: try api.get("serverinfo", realm: realm))
    }

    /// Picks the mechanism for `auto`: standard when the server has it, else legacy when usable.
    public func resolveMode(_ mode: ExchangeMode) throws -> ExchangeMode {
        guard mode == .auto else { return mode }
        return try serverFeatures().resolve(mode)
    }

    /// `kcx token-exchange enable/disable` through the engine: the fragment "CLIENT with standard
    /// exchange on/off (and refresh allowed or not)", as a file's client says it. Refusing a public
    /// or bearer-only requester is the planner's check.
    public func setStandardExchange(client clientName: String, enabled: Bool, allowRefresh: Bool?) throws {
        let client = try lookup.requireClient(clientName)
        let fragment = Fragment(
            desired: DesiredRealm(
                realm: realm,
                clients: [
                    DesiredClient(
                        clientId: client.clientId, defaultScopes: [], optionalScopes: [], standardExchange: enabled,
                        allowRefresh: allowRefresh)
                ]))
        let applied = try converge(
            fragment, live: try liveRealm(clients: [client], scopes: false), kinds: ["token-exchange": "standard-token-exchange"])
        if applied.isEmpty {
            record(Change(kind: "standard-token-exchange", name: client.clientId, outcome: .unchanged))
        } else if !dryRun {
            var attributes = JSONObject([(standardExchangeAttribute, .string(String(enabled)))])
            if let allowRefresh { attributes[exchangeRefreshAttribute] = .string(allowRefresh ? "SAME_SESSION" : "NO") }
            cache.updateClient(id: client.id) { $0 = overlay($0, with: ["attributes": .object(attributes)]) }
        }
    }

    func refusePublicRequester(_ client: ClientRef) throws {
        if let refusal = requesterRefusal(client.clientId, client.representation) { throw refusal }
    }

    /// Lets REQUESTER exchange tokens for TARGET; with `subjectClient`, also makes that client's tokens
    /// acceptable to REQUESTER (Keycloak requires the requester in the subject token's `aud`).
    /// Through the engine: the fragment is the file's `allow` pair, expanded by the planner's own
    /// rule (`Planner.expandingAllowPairs`), so the command and `apply` set up the same objects.
    public func allowExchange(from requesterName: String, to targetName: String, subjectClient: String?, mode: ExchangeMode)
        throws
    {
        let requester = try lookup.requireClient(requesterName)
        let target = try lookup.requireClient(targetName)
        let initial = try subjectClient.map { try lookup.requireClient($0) }
        let resolved = try resolveMode(mode)
        // Refused before anything else is read (the planner's check says the same).
        if resolved != .legacy { try refusePublicRequester(requester) }
        let subjectAudience = initial.flatMap { subjectClientAudience(requester: requester.clientId, subjectClient: $0.clientId) }
        // The legacy wiring lives in realm-management's authorization server.
        let management = resolved == .legacy ? [try lookup.requireClient("realm-management")] : []
        var clients: [ClientRef] = []
        for client in [requester, target] + (initial.map { [$0] } ?? []) + management
        where !clients.contains(where: { $0.id == client.id }) {
            clients.append(client)
        }
        var live = try liveRealm(clients: clients, scopes: resolved != .legacy || subjectAudience != nil)
        let pair = ExchangePair(from: requester.clientId, to: target.clientId, mode: resolved, subjectClient: initial?.clientId)
        var desired = try Planner.expandingAllowPairs(DesiredRealm(realm: realm, allow: [pair]), live: live)
        // Scopes a command makes were never marked as kcx's (a file's --prune must not take them).
        for index in desired.clientScopes.indices { desired.clientScopes[index].marksManaged = false }
        if resolved == .legacy { try live.readLegacy(api, realm: realm, targets: [target.clientId]) }
        // How each audience already reaches its holder, for the line saying nothing was needed.
        let reach = { (audience: ClientRef, holder: ClientRef) in
            audienceReach(audience.clientId, inTokensOf: holder.representation) {
                live.scope(named: $0)?["protocolMappers"]?.arrayValue
            }
        }
        let (_, outcomes) = try execute(
            Fragment(desired: desired), live: live, kinds: ["token-exchange": "standard-token-exchange"])

        // The lines in the order the command has always said them: the requester's switch and
        // TARGET's audience (or the legacy wiring), then the subject client's audience.
        func concerns(_ change: Change, scope: String) -> Bool {
            change.name == scope || change.name.hasSuffix(" on scope \(scope)") || change.name.hasPrefix("\(scope) -> ")
        }
        func audienceLines(_ audience: ClientRef, holder: ClientRef) -> [Change] {
            let scope = audienceScopeName(for: audience.clientId)
            let lines = outcomes.filter { $0.kind != "standard-token-exchange" && concerns($0, scope: scope) }
            if !lines.isEmpty { return lines }
            guard let via = reach(audience, holder) else { return [] }
            return [
                Change(
                    kind: "audience", name: "\(audience.clientId) in tokens of \(holder.clientId)", outcome: .unchanged,
                    details: ["via \(via)"])
            ]
        }
        var lines: [Change] = []
        if resolved == .legacy {
            let wiring = outcomes.filter {
                ["management-permissions", "exchange-policy", "exchange-permission"].contains($0.kind)
            }
            lines +=
                wiring.isEmpty
                ? [
                    Change(kind: "management-permissions", name: target.clientId, outcome: .unchanged),
                    Change(
                        kind: "exchange-policy",
                        name: "\(exchangePolicyName(forTarget: target.clientId)) (\(requester.clientId) -> \(target.clientId))",
                        outcome: .unchanged),
                    Change(
                        kind: "exchange-permission", name: "token-exchange.permission.client.\(target.id)", outcome: .unchanged),
                ] : wiring
        } else {
            let switched = outcomes.filter { $0.kind == "standard-token-exchange" }
            lines +=
                switched.isEmpty
                ? [Change(kind: "standard-token-exchange", name: requester.clientId, outcome: .unchanged)] : switched
            if target.id != requester.id { lines += audienceLines(target, holder: requester) }
        }
        if let initial, subjectAudience != nil { lines += audienceLines(requester, holder: initial) }
        // Anything else the plan did (none expected) is still said.
        lines += outcomes.filter { change in !lines.contains(change) }
        for line in lines { record(line) }
    }

    /// Undoes `allowExchange` in every mechanism `mode` covers: TARGET's audience scope leaves
    /// REQUESTER (standard) and REQUESTER leaves TARGET's kcx exchange policy (legacy). `auto` covers
    /// every mechanism the server has, so a grant made in either is gone. The V2 switch itself stays,
    /// as other targets may rely on it. Whether another path remains is `remainingExchangePaths`'s to say.
    public func denyExchange(from requesterName: String, to targetName: String, mode: ExchangeMode) throws {
        let requester = try lookup.requireClient(requesterName)
        let target = try lookup.requireClient(targetName)
        var standard = mode == .standard
        var legacy = mode == .legacy
        if mode == .auto {
            let features = try serverFeatures()
            standard = features.standardExchange
            legacy = features.legacyUsable
            if !standard && !legacy { _ = try resolveMode(.auto) }  // the error naming the missing features
        }
        // Through the engine: the facts that must not hold, one per mechanism.
        let scopeName = audienceScopeName(for: target.clientId)
        var absent: [Absence] = []
        if standard { absent.append(.assignment(client: requester.clientId, scope: scopeName)) }
        if legacy { absent.append(.legacyRequester(target: target.clientId, requester: requester.clientId)) }
        // The legacy wiring lives in realm-management's authorization server.
        let management = legacy ? [try lookup.requireClient("realm-management")] : []
        var clients: [ClientRef] = []
        for client in [requester, target] + management where !clients.contains(where: { $0.id == client.id }) {
            clients.append(client)
        }
        // The assignment is judged by the scope names the client carries: no scope list unless removing.
        var live = try liveRealm(clients: clients, scopes: false)
        if legacy { try live.readLegacy(api, realm: realm, targets: [target.clientId]) }
        let (_, outcomes) = try execute(Fragment(desired: DesiredRealm(realm: realm), absent: absent), live: live)

        if standard {
            let removed = outcomes.filter { $0.kind == "client-scope-assignment" }
            if removed.isEmpty {
                record(
                    Change(
                        kind: "client-scope-assignment", name: "\(scopeName) -> \(requester.clientId)", outcome: .unchanged,
                        details: ["not assigned"]))
            } else {
                for change in removed { record(change) }
            }
        }
        if legacy {
            let wiring = outcomes.filter { $0.kind != "client-scope-assignment" }
            if wiring.isEmpty {
                let label = "\(exchangePolicyName(forTarget: target.clientId)) (\(requester.clientId) -> \(target.clientId))"
                let why =
                    live.legacy[target.clientId]?.policyID == nil
                    ? "no kcx exchange policy for \(target.clientId)" : "\(requester.clientId) was not allowed"
                record(Change(kind: "exchange-policy", name: label, outcome: .unchanged, details: [why]))
            } else {
                for change in wiring { record(change) }
            }
        }
    }

    /// Other pairs this writer's `allowExchange` made possible: when it turned REQUESTER's standard
    /// switch on, every other audience its scopes already carried becomes a target too (the
    /// TARGET-audience scope adds only TARGET). Read once, and only when the switch changed.
    public func otherTargetsOpened(from requester: String, to target: String) throws -> [(target: String, via: String)] {
        let switched = changes.contains { $0.kind == "standard-token-exchange" && $0.name == requester && $0.outcome == .updated }
        guard switched else { return [] }
        // Read afresh (not through this run's cache): the realm as this run left it.
        let survey = try Lookup(api: api, realm: realm).survey()
        guard let client = survey.client(requester) else { return [] }
        var opened: [(target: String, via: String)] = []
        for (site, via) in survey.audienceSources(of: client, includeOptional: true)
        where site.audience != target && site.audience != requester && !opened.contains(where: { $0.target == site.audience }) {
            opened.append((site.audience, via))
        }
        return opened
    }

    /// The ways REQUESTER can still exchange for TARGET after this writer's changes: read from the
    /// realm (in a dry run, less the grants the run would remove).
    public func remainingExchangePaths(from requester: String, to target: String) throws -> [ExchangePath] {
        let paths = try Lookup(api: api, realm: realm).survey().exchangePaths(from: requester, to: target)
        return dryRun ? paths.filter { !$0.ownedByKcx } : paths
    }
}
