// The plan: the pure diff from (desired, live) to an ordered list of changes, each carrying the
// write that makes it true. Reading the live realm is LiveRealm.swift; expanding `allow` pairs is
// AllowExpansion.swift.
import KcxJSON

/// One write the plan will make.
public enum PlanAction: Sendable, Equatable {
    case createScope(name: String, body: JSON)
    case updateScope(name: String, id: String, body: JSON)
    case deleteScope(name: String, id: String)
    case moveInRealmLists(scope: String, from: ScopeList?, to: ScopeList?)
    /// `inline`: sent in the body of the scope's create; written on its own only when that scope
    /// turned out to exist already (made by someone else meanwhile).
    case createMapper(scope: String, body: JSON, inline: Bool)
    case updateMapper(scope: String, id: String, body: JSON)
    case deleteMapper(scope: String, id: String)
    /// A mapper on a client itself (an imperative command's absent fact: files manage scopes' mappers).
    case deleteClientMapper(clientUUID: String, id: String)
    case assign(clientUUID: String, scope: String, from: ScopeList?, to: ScopeList)
    /// Takes the scope out of the client's list (an imperative command's absent fact; files say what exists).
    case unassign(clientUUID: String, scope: String, from: ScopeList)
    case updateClient(clientUUID: String, body: JSON)
    /// Adds requesters (clientIds) to / removes members from the target's kcx exchange policy, enabling
    /// the permission and attaching the policy as `kcx token-exchange allow --mode legacy` does.
    case legacyExchange(target: String, add: [String], remove: [String])

    /// Dependency order: scopes, then mappers and realm lists, then assignments, then exchange
    /// settings; deletions last. Actions of one phase are independent of each other.
    public var phase: Int {
        switch self {
        case .createScope, .updateScope: return 0
        case .moveInRealmLists, .createMapper, .updateMapper: return 1
        case .assign: return 2
        case .updateClient, .legacyExchange: return 3
        case .deleteMapper, .deleteClientMapper, .unassign: return 4
        case .deleteScope: return 5
        }
    }
}

public struct PlanChange: Sendable, Equatable {
    public enum Operation: String, Sendable { case create = "+", update = "~", delete = "-" }
    public let operation: Operation
    public let kind: String
    public let name: String
    /// The object the change is grouped under, e.g. `client-scope api-access`.
    public let group: String
    public let details: [String]
    public let action: PlanAction

    public var json: JSON {
        let verb: String
        switch operation {
        case .create: verb = "create"
        case .update: verb = "update"
        case .delete: verb = "delete"
        }
        var object = JSONObject([("action", .string(verb)), ("kind", .string(kind)), ("name", .string(name)), ("group", .string(group))])
        if !details.isEmpty { object["details"] = .array(details.map { .string($0) }) }
        return .object(object)
    }
}

public struct RealmPlan: Sendable, Equatable {
    public let realm: String
    public let changes: [PlanChange]

    /// The plan as it may be shown: the file's secret values (`DesiredState.secretValues`) replaced
    /// by `<redacted>` in every name and detail, in text and JSON output alike. The writes keep them.
    public func hiding(_ state: DesiredState) -> RealmPlan {
        guard !state.secretValues.isEmpty else { return self }
        return RealmPlan(realm: realm, changes: changes.map { change in
            PlanChange(operation: change.operation, kind: change.kind, name: state.redacting(change.name), group: state.redacting(change.group),
                       details: change.details.map { state.redacting($0) }, action: change.action)
        })
    }
}

public enum Planner {
    /// Reads what the realm's part of the file needs and diffs it: the server's features only when
    /// the file needs them, the named clients one by one when they are few, legacy wiring per target.
    public static func plan(_ realm: DesiredRealm, api: AdminAPI, prune: Bool, secrets: Set<String> = []) throws -> (plan: RealmPlan, live: LiveRealm) {
        let features = needsFeatures(realm) ? ServerFeatures.from(serverInfo: try api.get("serverinfo", realm: realm.realm)) : nil
        try checkLegacyFeatures(realm, features)
        var live = try LiveRealm.read(api, realm: realm.realm, onlyClients: namedClients(realm))
        let desired = try expandingAllowPairs(realm, live: live, features: features)
        try checkLegacyFeatures(desired, features)
        try check(desired, against: live)
        try live.readLegacy(api, realm: realm.realm, targets: desired.clients.filter { $0.legacyExchange != nil }.map(\.clientId))
        return (diff(desired, live, prune: prune, secrets: secrets), live)
    }

    /// The clients a file names (for the look-ups that replace listing every client).
    public static func namedClients(_ realm: DesiredRealm) -> Set<String> {
        var names = Set<String>()
        for scope in realm.clientScopes {
            for mapper in scope.audienceMappers { if case .client(let clientId) = mapper.audience { names.insert(clientId) } }
        }
        for client in realm.clients {
            names.insert(client.clientId)
            if let legacy = client.legacyExchange {
                names.formUnion(legacy.allowedRequesters)
                names.insert("realm-management")
            }
        }
        for pair in realm.allow { names.formUnion([pair.from, pair.to]) }
        if realm.allow.contains(where: { $0.mode != .standard }) { names.insert("realm-management") }
        return names
    }

    /// Whether planning this realm needs the server's features (`GET /admin/serverinfo`).
    public static func needsFeatures(_ realm: DesiredRealm) -> Bool {
        realm.allow.contains { $0.mode != .standard } || realm.clients.contains { $0.legacyExchange != nil }
    }

    /// Refuses legacy exchange in the file when the server lacks the V1 features, naming where the
    /// file asks for it (called before the realm is read, so before any write).
    public static func checkLegacyFeatures(_ desired: DesiredRealm, _ features: ServerFeatures?) throws {
        guard let features, !features.legacyUsable else { return }
        let location = desired.clients.compactMap(\.legacyExchange?.location).first
            ?? desired.allow.first(where: { $0.mode == .legacy })?.location
        guard let location else { return }
        throw KcxError(
            .usage, "\(location): legacy token exchange needs the server features token-exchange (V1) and admin-fine-grained-authz:v1, which this server does not have",
            hint: "use standard token exchange (mode: standard, Keycloak 26.2+), or start Keycloak with --features=token-exchange,admin-fine-grained-authz:v1")
    }

    /// Checks what the file names against the live realm (clients exist, scopes are known).
    public static func check(_ desired: DesiredRealm, against live: LiveRealm) throws {
        let realm = desired.realm
        func requireClient(_ clientId: String, _ role: String) throws {
            guard live.client(clientId) != nil else {
                throw KcxError(.notFound, "\(role) '\(clientId)' is not a client of realm '\(realm)'", hint: "create the client first; kcx plan/apply manage scopes and exchange, not clients")
            }
        }
        for scope in desired.clientScopes {
            for mapper in scope.audienceMappers {
                if case .client(let clientId) = mapper.audience { try requireClient(clientId, "audience of mapper '\(mapper.name)' on scope '\(scope.name)'") }
            }
        }
        let declared = Set(desired.clientScopes.map(\.name))
        for client in desired.clients {
            try requireClient(client.clientId, "client")
            for requester in client.legacyExchange?.allowedRequesters ?? [] {
                try requireClient(requester, "legacy exchange requester of '\(client.clientId)'")
            }
            for scope in client.defaultScopes + client.optionalScopes where !declared.contains(scope) && live.scope(named: scope) == nil {
                throw KcxError(.notFound, "scope '\(scope)' assigned to client '\(client.clientId)' is neither in the file nor in realm '\(realm)'")
            }
            if client.standardExchange == true, let rep = live.client(client.clientId), let refusal = requesterRefusal(client.clientId, rep) {
                throw refusal
            }
            // The rule `kcx client-scope assign` applies: Keycloak ignores a scope of another protocol.
            let clientProtocol = live.client(client.clientId)?["protocol"]?.stringValue
            for scope in client.defaultScopes + client.optionalScopes {
                let scopeProtocol = desired.clientScopes.first { $0.name == scope }?.protocol_ ?? live.scope(named: scope)?["protocol"]?.stringValue
                if let mismatch = protocolMismatch(scope: scope, scopeProtocol: scopeProtocol, client: client.clientId, clientProtocol: clientProtocol) {
                    throw mismatch
                }
            }
        }
        // The rule `kcx audience add` applies: one mapper per name in a scope.
        for scope in desired.clientScopes {
            guard let mappers = live.scope(named: scope.name)?["protocolMappers"]?.arrayValue else { continue }
            for mapper in scope.audienceMappers {
                if let clash = audienceMapperNameClash(mappers, audience: mapper.audience, name: mapper.name, in: "scope \(scope.name)") { throw clash }
            }
        }
    }

    /// The ordered changes that turn `live` into `desired` (allow pairs already expanded). A value
    /// holding one of `secrets` (DesiredState.secretValues) shows as `<redacted>`, and so does what it replaces.
    public static func diff(_ desired: DesiredRealm, _ live: LiveRealm, prune: Bool, secrets: Set<String> = []) -> RealmPlan {
        var changes: [PlanChange] = []
        let realmDefaults = Set(live.realmDefaultScopeIDs), realmOptionals = Set(live.realmOptionalScopeIDs)
        for scope in desired.clientScopes {
            let group = "client-scope \(scope.name)"
            let settings = ClientScopeSettings(description: scope.description, protocol_: scope.protocol_, includeInTokenScope: scope.includeInTokenScope)
            let current = live.scope(named: scope.name)
            if let current, let id = current["id"]?.stringValue {
                let wanted = settings.desiredRepresentation(name: scope.name, creating: false)
                let diff = differences(current: current, desired: wanted, hiding: secrets)
                if !diff.isEmpty {
                    var body = overlay(current, with: wanted)
                    body["protocolMappers"] = nil
                    changes.append(PlanChange(operation: .update, kind: "client-scope", name: scope.name, group: group, details: diff,
                                              action: .updateScope(name: scope.name, id: id, body: body)))
                }
                if let placement = scope.realmDefault {
                    let now: ScopeList? = realmDefaults.contains(id) ? .default : realmOptionals.contains(id) ? .optional : nil
                    if let move = RealmListMove(current: now, placement: placement) {
                        changes.append(PlanChange(
                            operation: PlanChange.Operation(move.outcome), kind: "realm-default-scope", name: scope.name,
                            group: group, details: [move.detail], action: .moveInRealmLists(scope: scope.name, from: move.from, to: move.to)))
                    }
                }
            } else {
                var body = settings.desiredRepresentation(name: scope.name, creating: true)
                body["attributes"]?[managedAttribute] = "true"
                // Keycloak creates mappers given in the scope's body with it (RepresentationToModel
                // .createClientScope): one request instead of one per mapper.
                let mappers = mapperBodies(scope)
                if !mappers.isEmpty { body["protocolMappers"] = .array(mappers) }
                changes.append(PlanChange(operation: .create, kind: "client-scope", name: scope.name, group: group,
                                          details: differences(current: nil, desired: settings.desiredRepresentation(name: scope.name, creating: true), hiding: secrets),
                                          action: .createScope(name: scope.name, body: body)))
                if let placement = scope.realmDefault, let move = RealmListMove(current: nil, placement: placement) {
                    changes.append(PlanChange(operation: PlanChange.Operation(move.outcome), kind: "realm-default-scope", name: scope.name, group: group,
                                              details: [move.detail], action: .moveInRealmLists(scope: scope.name, from: nil, to: move.to)))
                }
            }
            changes += mapperChanges(scope, current: current, group: group, prune: prune, secrets: secrets)
        }
        changes += clientChanges(desired, live)
        changes += legacyChanges(desired, live, prune: prune)
        if prune {
            let declared = Set(desired.clientScopes.map(\.name))
            for scope in live.clientScopes where scope["attributes"]?[managedAttribute]?.stringValue == "true" {
                guard let name = scope["name"]?.stringValue, let id = scope["id"]?.stringValue, !declared.contains(name) else { continue }
                changes.append(PlanChange(operation: .delete, kind: "client-scope", name: name, group: "client-scope \(name)",
                                          details: ["created by kcx, no longer in the file"], action: .deleteScope(name: name, id: id)))
            }
        }
        return RealmPlan(realm: desired.realm, changes: changes)
    }

    static func audienceMapperBody(_ mapper: DesiredAudienceMapper) -> JSON {
        mapper.settings.body(name: mapper.name, audience: mapper.audience)
    }

    static func rawMapperBody(_ mapper: DesiredProtocolMapper) -> JSON {
        .object(JSONObject([
            ("name", .string(mapper.name)), ("protocol", .string(mapper.protocol_)), ("protocolMapper", .string(mapper.protocolMapper)),
            ("consentRequired", false), ("config", .object(mapper.config)),
        ]))
    }

    /// Every mapper the file gives a scope, as Keycloak representations (audience mappers first).
    static func mapperBodies(_ scope: DesiredClientScope) -> [JSON] {
        scope.audienceMappers.map(audienceMapperBody) + scope.protocolMappers.map(rawMapperBody)
    }

    static func mapperChanges(_ scope: DesiredClientScope, current: JSON?, group: String, prune: Bool, secrets: Set<String> = []) -> [PlanChange] {
        var changes: [PlanChange] = []
        var existing = MapperPool(current?["protocolMappers"]?.arrayValue ?? [])
        let inline = current == nil
        for mapper in scope.audienceMappers {
            let label = "\(mapper.name) on scope \(scope.name)"
            let config = mapper.settings.config(for: mapper.audience)
            // The same match as `kcx audience add`: a mapper for this audience, else one with this name.
            guard let match = existing.takeAudienceMapper(mapper.audience, named: mapper.name) else {
                changes.append(PlanChange(operation: .create, kind: "audience-mapper", name: label, group: group,
                                          details: differences(current: nil, desired: config, path: "config", hiding: secrets),
                                          action: .createMapper(scope: scope.name, body: audienceMapperBody(mapper), inline: inline)))
                continue
            }
            guard let update = mapper.settings.update(of: match, to: mapper.audience, secrets: secrets), let id = match["id"]?.stringValue else { continue }
            changes.append(PlanChange(operation: .update, kind: "audience-mapper", name: label, group: group, details: update.details,
                                      action: .updateMapper(scope: scope.name, id: id, body: update.body)))
        }
        for mapper in scope.protocolMappers {
            let label = "\(mapper.name) on scope \(scope.name)"
            let wanted = rawMapperBody(mapper)
            guard let match = existing.take(named: mapper.name) else {
                changes.append(PlanChange(operation: .create, kind: "protocol-mapper", name: label, group: group,
                                          details: differences(current: nil, desired: .object(mapper.config), path: "config", hiding: secrets),
                                          action: .createMapper(scope: scope.name, body: wanted, inline: inline)))
                continue
            }
            // Config values compare as strings; keys the file does not give are left as they are.
            var current = match
            current["config"] = .object(JSONObject((match["config"]?.objectValue ?? JSONObject()).map { ($0.key, JSON.string($0.value.stringValue ?? $0.value.serialized())) }))
            let desired: JSON = .object(JSONObject([("protocolMapper", .string(mapper.protocolMapper)), ("protocol", .string(mapper.protocol_)), ("config", .object(mapper.config))]))
            let diff = differences(current: current, desired: desired, hiding: secrets)
            guard !diff.isEmpty, let id = match["id"]?.stringValue else { continue }
            changes.append(PlanChange(operation: .update, kind: "protocol-mapper", name: label, group: group, details: diff,
                                      action: .updateMapper(scope: scope.name, id: id, body: overlay(current, with: desired))))
        }
        if prune, current?["attributes"]?[managedAttribute]?.stringValue == "true" {
            // On a scope kcx created, every mapper the file no longer gives was put there by kcx.
            for mapper in existing.remaining {
                guard let id = mapper["id"]?.stringValue else { continue }
                let kind = mapper["protocolMapper"]?.stringValue == audienceMapperType ? "audience-mapper" : "protocol-mapper"
                changes.append(PlanChange(operation: .delete, kind: kind, name: "\(mapper["name"]?.stringValue ?? id) on scope \(scope.name)",
                                          group: group, details: ["on a kcx-created scope, no longer in the file"], action: .deleteMapper(scope: scope.name, id: id)))
            }
        }
        return changes
    }

    /// A scope's live mappers, each matched at most once by the file's mappers, in their order (the
    /// first one not yet taken wins). Indexed by audience and by name: scanning the mappers once per
    /// mapper of the file made a scope of 16,000 mappers quadratic.
    struct MapperPool {
        let mappers: [JSON]
        private var taken: [Bool]
        /// Positions, last first, so the first one left is found by popping taken ones.
        private var audienceMappersByAudience: [String: [Int]] = [:]
        private var audienceMappersByName: [String: [Int]] = [:]
        private var mappersByName: [String: [Int]] = [:]

        init(_ mappers: [JSON]) {
            self.mappers = mappers
            taken = Array(repeating: false, count: mappers.count)
            for (position, mapper) in mappers.enumerated().reversed() {
                let isAudienceMapper = mapper["protocolMapper"]?.stringValue == audienceMapperType
                if isAudienceMapper, let audience = AudienceValue.from(config: mapper["config"]) {
                    audienceMappersByAudience[MapperPool.key(audience), default: []].append(position)
                }
                if let name = mapper["name"]?.stringValue {
                    mappersByName[name, default: []].append(position)
                    if isAudienceMapper { audienceMappersByName[name, default: []].append(position) }
                }
            }
        }

        static func key(_ audience: AudienceValue) -> String { "\(audience.configKey)=\(audience.value)" }

        /// Takes the first position of `positions` not taken yet.
        private static func takeFirst(_ positions: inout [Int]?, _ taken: inout [Bool]) -> Int? {
            while let last = positions?.last, taken[last] { positions?.removeLast() }
            guard let position = positions?.popLast() else { return nil }
            taken[position] = true
            return position
        }

        /// An audience mapper for `audience`, else an audience mapper named `name`.
        mutating func takeAudienceMapper(_ audience: AudienceValue, named name: String) -> JSON? {
            let position = MapperPool.takeFirst(&audienceMappersByAudience[MapperPool.key(audience)], &taken)
                ?? MapperPool.takeFirst(&audienceMappersByName[name], &taken)
            return position.map { mappers[$0] }
        }

        /// A mapper of any type named `name`.
        mutating func take(named name: String) -> JSON? { MapperPool.takeFirst(&mappersByName[name], &taken).map { mappers[$0] } }

        /// The mappers nothing took, in their order.
        var remaining: [JSON] { mappers.indices.filter { !taken[$0] }.map { mappers[$0] } }
    }

    /// Legacy exchange per target: the requesters its kcx client policy lacks (and, with --prune, the
    /// members it has that the file no longer names: kcx owns that policy, so all of it is kcx's).
    static func legacyChanges(_ desired: DesiredRealm, _ live: LiveRealm, prune: Bool) -> [PlanChange] {
        var changes: [PlanChange] = []
        for client in desired.clients {
            guard let legacy = client.legacyExchange, let state = live.legacy[client.clientId] else { continue }
            func identities(_ clientId: String) -> Set<String> {
                var ids: Set<String> = [clientId]
                if let id = live.client(clientId)?["id"]?.stringValue { ids.insert(id) }
                return ids
            }
            let add = legacy.allowedRequesters.filter { identities($0).isDisjoint(with: state.members) }
            let wantedIDs = legacy.allowedRequesters.reduce(into: Set<String>()) { $0.formUnion(identities($1)) }
            let remove = prune ? state.members.filter { !wantedIDs.contains($0) } : []
            var details: [String] = []
            let wiring = !legacy.allowedRequesters.isEmpty || state.policyID != nil
            if wiring && state.permissionID == nil { details.append("management permissions: off -> on") }
            details += add.map { "requesters: + \($0)" }
            details += remove.map { member in
                let name = live.client(id: member)?["clientId"]?.stringValue ?? state.otherMemberNames[member] ?? member
                return "requesters: - \(name) (no longer in the file)"
            }
            if wiring && !state.attached && remove.count < state.members.count + add.count {
                details.append("policy \(exchangePolicyName(forTarget: client.clientId)) attached to the token-exchange permission")
            }
            // Enabling and attaching happen through adding a requester, so a repair re-adds one present.
            var toAdd = add
            if toAdd.isEmpty, let first = legacy.allowedRequesters.first, details.contains(where: { !$0.hasPrefix("requesters") }) {
                toAdd = [first]
            }
            guard !toAdd.isEmpty || !remove.isEmpty else { continue }
            changes.append(PlanChange(
                operation: state.policyID == nil ? .create : .update, kind: "legacy-exchange", name: client.clientId, group: "client \(client.clientId)",
                details: details, action: .legacyExchange(target: client.clientId, add: toAdd, remove: remove)))
        }
        return changes
    }

    static func clientChanges(_ desired: DesiredRealm, _ live: LiveRealm) -> [PlanChange] {
        var changes: [PlanChange] = []
        for client in desired.clients {
            guard let rep = live.client(client.clientId), let uuid = rep["id"]?.stringValue else { continue }
            let group = "client \(client.clientId)"
            let defaults = Set((rep["defaultClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue))
            let optionals = Set((rep["optionalClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue))
            for (list, names) in [(ScopeList.default, client.defaultScopes), (ScopeList.optional, client.optionalScopes)] {
                for scope in names {
                    let now: ScopeList? = defaults.contains(scope) ? .default : optionals.contains(scope) ? .optional : nil
                    guard let move = AssignmentMove(current: now, wanted: list) else { continue }
                    changes.append(PlanChange(
                        operation: PlanChange.Operation(move.outcome), kind: "client-scope-assignment", name: "\(scope) -> \(client.clientId) (\(list.rawValue))",
                        group: group, details: move.details, action: .assign(clientUUID: uuid, scope: scope, from: move.from, to: list)))
                }
            }
            var attributes = JSONObject()
            if let enabled = client.standardExchange { attributes[standardExchangeAttribute] = .string(String(enabled)) }
            if let refresh = client.allowRefresh { attributes[exchangeRefreshAttribute] = .string(refresh ? "SAME_SESSION" : "NO") }
            guard !attributes.isEmpty else { continue }
            let wanted: JSON = ["attributes": .object(attributes)]
            let diff = exchangeAttributeDifferences(rep, wanted: attributes)
            guard !diff.isEmpty else { continue }
            changes.append(PlanChange(operation: .update, kind: "token-exchange", name: client.clientId, group: group, details: diff,
                                      action: .updateClient(clientUUID: uuid, body: wanted)))
        }
        return changes
    }
}
