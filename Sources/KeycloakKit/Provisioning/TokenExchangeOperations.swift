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
        let fragment = Fragment(desired: DesiredRealm(realm: realm, clients: [
            DesiredClient(clientId: client.clientId, defaultScopes: [], optionalScopes: [], standardExchange: enabled, allowRefresh: allowRefresh),
        ]))
        let applied = try converge(fragment, live: try liveRealm(clients: [client], scopes: false), kinds: ["token-exchange": "standard-token-exchange"])
        if applied.isEmpty {
            record(Change(kind: "standard-token-exchange", name: client.clientId, outcome: .unchanged))
        } else if !dryRun {
            var attributes = JSONObject([(standardExchangeAttribute, .string(String(enabled)))])
            if let allowRefresh { attributes[exchangeRefreshAttribute] = .string(allowRefresh ? "SAME_SESSION" : "NO") }
            cache.updateClient(id: client.id) { $0 = overlay($0, with: ["attributes": .object(attributes)]) }
        }
    }

    func updateClientAttributes(_ client: ClientRef, _ attributes: JSONObject, kind: String, label: String) throws {
        let diff = exchangeAttributeDifferences(client.representation, wanted: attributes)
        if diff.isEmpty {
            record(Change(kind: kind, name: label, outcome: .unchanged))
            return
        }
        // Keycloak merges attributes key by key on PUT, so sending the whole representation is safe.
        let body = overlay(client.representation, with: ["attributes": .object(attributes)])
        try write("PUT", "clients/\(client.id)", body: body)
        if !dryRun { cache.updateClient(id: client.id) { $0 = body } }
        record(Change(kind: kind, name: label, outcome: .updated, details: diff))
    }

    func refusePublicRequester(_ client: ClientRef) throws {
        if let refusal = requesterRefusal(client.clientId, client.representation) { throw refusal }
    }

    /// Makes `audience` appear in tokens issued to `holder`: a dedicated audience scope assigned as default.
    func ensureAudience(_ target: ClientRef, inTokensOf holder: ClientRef) throws {
        // Already there through the holder's own mapper or a default scope: adding another scope
        // would only duplicate it.
        let holder = try lookup.requireClient(holder.id)
        let scopes = try lookup.clientScopes()
        let reach = audienceReach(target.clientId, inTokensOf: holder.representation) { name in
            scopes.first { $0.name == name }?.representation["protocolMappers"]?.arrayValue
        }
        if let reach {
            record(Change(kind: "audience", name: "\(target.clientId) in tokens of \(holder.clientId)", outcome: .unchanged, details: ["via \(reach)"]))
            return
        }
        let scopeName = audienceScopeName(for: target.clientId)
        try ensureClientScope(scopeName, .audienceScope(for: target.clientId))
        try ensureAudienceMapper(.client(target.clientId), on: .clientScope(scopeName), AudienceMapperSettings())
        try assignClientScope(scopeName, toClient: holder.id, as: .default, creatingInDryRun: true)
    }

    /// Lets REQUESTER exchange tokens for TARGET; with `subjectClient`, also makes that client's tokens
    /// acceptable to REQUESTER (Keycloak requires the requester in the subject token's `aud`).
    public func allowExchange(from requesterName: String, to targetName: String, subjectClient: String?, mode: ExchangeMode) throws {
        let requester = try lookup.requireClient(requesterName)
        let target = try lookup.requireClient(targetName)
        let initial = try subjectClient.map { try lookup.requireClient($0) }
        switch try resolveMode(mode) {
        case .standard, .auto:
            try refusePublicRequester(requester)
            var attributes = JSONObject([(standardExchangeAttribute, "true")])
            _ = attributes.removeValue(forKey: exchangeRefreshAttribute)
            try updateClientAttributes(requester, attributes, kind: "standard-token-exchange", label: requester.clientId)
            if target.id != requester.id { try ensureAudience(target, inTokensOf: requester) }
        case .legacy:
            try allowLegacyExchange(requester: requester, target: target)
        }
        if let initial, subjectClientAudience(requester: requester.id, subjectClient: initial.id) != nil {
            try ensureAudience(requester, inTokensOf: initial)
        }
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
        if standard {
            let scopeName = audienceScopeName(for: target.clientId)
            if let scope = try lookup.clientScope(scopeName), let list = try currentList(of: scope, client: requester) {
                try removeAssignment(scope, from: requester, list: list)
                record(Change(kind: "client-scope-assignment", name: "\(scopeName) -> \(requester.clientId) (\(list.rawValue))", outcome: .deleted))
            } else {
                record(Change(kind: "client-scope-assignment", name: "\(scopeName) -> \(requester.clientId)", outcome: .unchanged, details: ["not assigned"]))
            }
        }
        if legacy { try denyLegacyExchange(requester: requester, target: target) }
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
