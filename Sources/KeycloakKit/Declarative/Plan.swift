// The plan: the pure diff from (desired, live) to an ordered list of changes, each carrying the
// write that makes it true. Reading the live realm is LiveRealm.swift; expanding `allow` pairs is
// AllowExpansion.swift.
import KcxJSON

/// One write the plan will make.
public enum PlanAction: Sendable, Equatable {
    /// `POST /admin/realms` (the body carries the realm attribute `kcx.managed`).
    case createRealm(name: String, body: JSON)
    /// `PUT /admin/realms/{name}` with only the fields the file gives (Keycloak merges).
    case updateRealm(name: String, body: JSON)
    /// `POST clients` with the id the plan chose, so later changes can name the client before it exists.
    case createClient(clientId: String, body: JSON)
    /// `--prune`: a realm kcx created (realm attribute `kcx.managed`) that the file does not name.
    case deleteRealm(name: String)
    /// The client's settings (not its exchange switches, which are `updateClient`), laid over it as it is.
    case updateClientSettings(clientId: String, clientUUID: String, body: JSON)
    /// `--prune`: a client kcx created that the file no longer declares.
    case deleteClient(clientId: String, clientUUID: String)
    /// Puts kcx's downscope entry `name` into the list (nil: takes it out), laid over the list the
    /// plan read, every other entry kept: `PUT client-policies/{list}`.
    case clientPolicyEntry(list: ClientPolicyList, name: String, entry: JSON?)
    /// As `kcx token-exchange audit --enable`.
    case recordExchangeEvents
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
    /// An audience mapper on a client itself (`kcx audience add --client`).
    case createClientMapper(clientUUID: String, body: JSON)
    case updateClientMapper(clientUUID: String, id: String, body: JSON)
    case assign(clientUUID: String, scope: String, from: ScopeList?, to: ScopeList)
    /// Takes the scope out of the client's list (an imperative command's absent fact; files say what exists).
    case unassign(clientUUID: String, scope: String, from: ScopeList)
    case updateClient(clientUUID: String, body: JSON)
    /// Adds requesters (clientIds) to / removes members from the target's kcx exchange policy, enabling
    /// the permission and attaching the policy as `kcx token-exchange allow --mode legacy` does.
    case legacyExchange(target: String, add: [String], remove: [String])

    /// Dependency order: the realm, clients, scopes, then mappers and realm lists, then assignments,
    /// then exchange settings (a downscope profile before the policy naming it, the policy before
    /// its profile when removing); deletions last (a realm's last of all). Actions of one phase are
    /// independent of each other.
    public var phase: Int {
        switch self {
        case .createRealm, .updateRealm: return 0
        case .createClient, .updateClientSettings: return 1
        case .createScope, .updateScope: return 2
        case .moveInRealmLists, .createMapper, .updateMapper, .createClientMapper, .updateClientMapper: return 3
        case .assign: return 4
        case .updateClient, .legacyExchange, .recordExchangeEvents: return 5
        case .clientPolicyEntry(.profiles, _, let entry): return entry == nil ? 7 : 5
        case .clientPolicyEntry(.policies, _, _): return 6
        case .deleteMapper, .deleteClientMapper, .unassign: return 8
        case .deleteScope: return 9
        case .deleteClient: return 10
        case .deleteRealm: return 11
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
        var object = JSONObject([
            ("action", .string(verb)), ("kind", .string(kind)), ("name", .string(name)), ("group", .string(group)),
        ])
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
        return RealmPlan(
            realm: realm,
            changes: changes.map { change in
                PlanChange(
                    operation: change.operation, kind: change.kind, name: state.redacting(change.name),
                    group: state.redacting(change.group),
                    details: change.details.map { state.redacting($0) }, action: change.action)
            })
    }
}

public enum Planner {
    /// Reads what the realm's part of the file needs and diffs it: the server's features only when
    /// the file needs them, the named clients one by one when they are few, legacy wiring per target.
    /// A realm the file declares (gives a setting) and the server lacks is read as empty: the plan
    /// creates it and everything in it, without a request that would answer 404. One it only names
    /// must exist. Names that do not resolve throw `UnresolvedReferences`, all of them at once.
    public static func plan(_ realm: DesiredRealm, api: AdminAPI, prune: Bool, secrets: Set<String> = []) throws -> (
        plan: RealmPlan, live: LiveRealm
    ) {
        let features = needsFeatures(realm) ? ServerFeatures.from(serverInfo: try api.get("serverinfo", realm: realm.realm)) : nil
        try checkLegacyFeatures(realm, features)
        var live: LiveRealm
        // --prune needs every client (to find those kcx created), not just the named ones.
        let only = prune ? nil : namedClients(realm)
        if realm.settings.declaresRealm {
            guard let representation = try api.getIfExists("realms/\(realm.realm)", realm: realm.realm) else {
                let desired = try expandingAllowPairs(realm, live: nil, features: features)
                try checkLegacyFeatures(desired, features)
                var missing = LiveRealm.missing
                missing.readSpec = LiveReadSpec(realm: realm.realm, clients: only.map { $0.sorted() }, realmSettings: true)
                try check(desired, against: missing)
                let targets = desired.clients.filter { $0.legacyExchange != nil }.map(\.clientId)
                try missing.readLegacy(api, realm: realm.realm, targets: targets, created: Set(targets))
                return (diff(desired, missing, prune: prune, secrets: secrets), missing)
            }
            live = try LiveRealm.read(api, realm: realm.realm, onlyClients: only)
            live.realmRepresentation = representation
            live.readSpec.realmSettings = true
        } else {
            do {
                live = try LiveRealm.read(api, realm: realm.realm, onlyClients: only)
            } catch let error as KcxError where error.code == .notFound {
                guard try api.getIfExists("realms/\(realm.realm)", realm: realm.realm) == nil else { throw error }
                throw UnresolvedReferences(problems: [
                    "\(realm.references.realm): realm '\(realm.realm)' does not exist (give a realm setting such as enabled: true to create it)"
                ])
            }
        }
        try live.readSecuritySettings(
            api, realm: realm.realm, downscope: realm.downscope != nil, events: realm.exchangeEvents == true)
        let desired = try expandingAllowPairs(realm, live: live, features: features)
        try checkLegacyFeatures(desired, features)
        try check(desired, against: live)
        try live.readLegacy(
            api, realm: realm.realm, targets: desired.clients.filter { $0.legacyExchange != nil }.map(\.clientId),
            created: Set(desired.clients.filter(\.declaresClient).map(\.clientId)))
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
        let location =
            desired.clients.compactMap(\.legacyExchange?.location).first
            ?? desired.allow.first(where: { $0.mode == .legacy })?.location
        guard let location else { return }
        throw KcxError(
            .usage,
            "\(location): legacy token exchange needs the server features token-exchange (V1) and admin-fine-grained-authz:v1, which this server does not have",
            hint:
                "use standard token exchange (mode: standard, Keycloak 26.2+), or start Keycloak with --features=token-exchange,admin-fine-grained-authz:v1"
        )
    }

    /// Checks what the file names against the live realm: every client it names exists or is
    /// declared in the file (to be created), every scope it assigns is in the file or the realm.
    /// Every name that does not resolve is reported, with where the file names it, in one error.
    public static func check(_ desired: DesiredRealm, against live: LiveRealm) throws {
        let realm = desired.realm
        let createdClients = Set(desired.clients.filter(\.declaresClient).map(\.clientId))
        let declaredScopes = Set(desired.clientScopes.map(\.name))
        var problems: [String] = []
        var seen = Set<String>()
        for reference in desired.references.items + unrecordedReferences(desired) {
            var message: String
            switch reference.kind {
            case .client:
                if live.client(reference.name) != nil || createdClients.contains(reference.name) { continue }
                let what =
                    reference.role == "client" ? "client '\(reference.name)'" : "client '\(reference.name)' (\(reference.role))"
                message = "\(what) is not a client of realm '\(realm)' nor declared in the file"
            case .scope:
                if declaredScopes.contains(reference.name) || live.scope(named: reference.name) != nil { continue }
                message = "scope '\(reference.name)' \(reference.role) is neither in the file nor in realm '\(realm)'"
            }
            if !reference.location.isEmpty { message = "\(reference.location): \(message)" }
            if seen.insert(message).inserted { problems.append(message) }
        }
        if !problems.isEmpty { throw UnresolvedReferences(problems: problems) }
        for client in desired.clients {
            // A client the file creates is judged by the settings it gives, else by the live one.
            var representation = live.client(client.clientId) ?? [:]
            for (key, value) in client.settings { representation[key] = value }
            if client.standardExchange == true, let refusal = requesterRefusal(client.clientId, representation) { throw refusal }
            // The rule `kcx client-scope assign` applies: Keycloak ignores a scope of another protocol.
            let clientProtocol = representation["protocol"]?.stringValue
            for scope in client.defaultScopes + client.optionalScopes {
                let scopeProtocol =
                    desired.clientScopes.first { $0.name == scope }?.protocol_
                    ?? live.scope(named: scope)?["protocol"]?.stringValue
                if let mismatch = protocolMismatch(
                    scope: scope, scopeProtocol: scopeProtocol, client: client.clientId, clientProtocol: clientProtocol)
                {
                    throw mismatch
                }
            }
        }
        // The rule `kcx audience add` applies: one mapper per name in a scope (or a client).
        for client in desired.clients {
            guard let mappers = live.client(client.clientId)?["protocolMappers"]?.arrayValue else { continue }
            for mapper in client.audienceMappers {
                if let clash = audienceMapperNameClash(
                    mappers, audience: mapper.audience, name: mapper.name, in: "client \(client.clientId)")
                {
                    throw clash
                }
            }
        }
        for scope in desired.clientScopes {
            guard let mappers = live.scope(named: scope.name)?["protocolMappers"]?.arrayValue else { continue }
            for mapper in scope.audienceMappers {
                if let clash = audienceMapperNameClash(
                    mappers, audience: mapper.audience, name: mapper.name, in: "scope \(scope.name)")
                {
                    throw clash
                }
            }
        }
    }

    /// The names a desired realm uses that its reader did not record (one built in code rather than
    /// read from a file): checked all the same, without a place in a file.
    static func unrecordedReferences(_ desired: DesiredRealm) -> [FileReference] {
        var recorded = Set(desired.references.items.map { "\($0.kind)/\($0.name)" })
        var result: [FileReference] = []
        func add(_ kind: FileReference.Kind, _ name: String, _ role: String) {
            if recorded.insert("\(kind)/\(name)").inserted {
                result.append(FileReference(kind: kind, name: name, location: "", role: role))
            }
        }
        for scope in desired.clientScopes {
            for mapper in scope.audienceMappers {
                if case .client(let clientId) = mapper.audience {
                    add(.client, clientId, "audience of mapper '\(mapper.name)' on scope '\(scope.name)'")
                }
            }
        }
        for client in desired.clients {
            if !client.declaresClient { add(.client, client.clientId, "client") }
            for requester in client.legacyExchange?.allowedRequesters ?? [] {
                add(.client, requester, "legacy exchange requester of '\(client.clientId)'")
            }
            for scope in client.defaultScopes + client.optionalScopes {
                add(.scope, scope, "assigned to client '\(client.clientId)'")
            }
        }
        return result
    }

    /// The ordered changes that turn `live` into `desired` (allow pairs already expanded). A value
    /// holding one of `secrets` (DesiredState.secretValues) shows as `<redacted>`, and so does what it replaces.
    public static func diff(_ desired: DesiredRealm, _ live: LiveRealm, prune: Bool, secrets: Set<String> = []) -> RealmPlan {
        var changes: [PlanChange] = realmChanges(desired, live)
        // Clients' own creates and updates right after the realm, in the order apply makes them (so
        // each client's group comes before the scopes); their assignments and switches stay later.
        let perClient = clientChanges(desired, live, secrets: secrets)
        changes += perClient.filter { $0.kind == "client" }
        let realmDefaults = Set(live.realmDefaultScopeIDs), realmOptionals = Set(live.realmOptionalScopeIDs)
        for scope in desired.clientScopes {
            let group = "client-scope \(scope.name)"
            let settings =
                scope.givenSettings
                ?? ClientScopeSettings(
                    description: scope.description, protocol_: scope.protocol_, includeInTokenScope: scope.includeInTokenScope)
            let current = live.scope(named: scope.name)
            if let current, let id = current["id"]?.stringValue {
                let wanted = settings.desiredRepresentation(name: scope.name, creating: false)
                let diff = differences(current: current, desired: wanted, hiding: secrets)
                if !diff.isEmpty {
                    var body = overlay(current, with: wanted)
                    body["protocolMappers"] = nil
                    changes.append(
                        PlanChange(
                            operation: .update, kind: "client-scope", name: scope.name, group: group, details: diff,
                            action: .updateScope(name: scope.name, id: id, body: body)))
                }
                if let placement = scope.realmDefault {
                    let now: ScopeList? = realmDefaults.contains(id) ? .default : realmOptionals.contains(id) ? .optional : nil
                    if let move = RealmListMove(current: now, placement: placement) {
                        changes.append(
                            PlanChange(
                                operation: PlanChange.Operation(move.outcome), kind: "realm-default-scope", name: scope.name,
                                group: group, details: [move.detail],
                                action: .moveInRealmLists(scope: scope.name, from: move.from, to: move.to)))
                    }
                }
            } else {
                var body = settings.desiredRepresentation(name: scope.name, creating: true)
                if scope.marksManaged { body["attributes"]?[managedAttribute] = "true" }
                // Keycloak creates mappers given in the scope's body with it (RepresentationToModel
                // .createClientScope): one request instead of one per mapper.
                let mappers = mapperBodies(scope)
                if !mappers.isEmpty { body["protocolMappers"] = .array(mappers) }
                changes.append(
                    PlanChange(
                        operation: .create, kind: "client-scope", name: scope.name, group: group,
                        details: differences(
                            current: nil, desired: settings.desiredRepresentation(name: scope.name, creating: true),
                            hiding: secrets),
                        action: .createScope(name: scope.name, body: body)))
                if let placement = scope.realmDefault, let move = RealmListMove(current: nil, placement: placement) {
                    changes.append(
                        PlanChange(
                            operation: PlanChange.Operation(move.outcome), kind: "realm-default-scope", name: scope.name,
                            group: group,
                            details: [move.detail], action: .moveInRealmLists(scope: scope.name, from: nil, to: move.to)))
                }
            }
            changes += mapperChanges(scope, current: current, group: group, prune: prune, secrets: secrets)
        }
        changes += perClient.filter { $0.kind != "client" }
        changes += legacyChanges(desired, live, prune: prune)
        changes += securityChanges(desired, live)
        if prune {
            let declaredClients = Set(desired.clients.map(\.clientId))
            for client in live.clients where client["attributes"]?[managedAttribute]?.stringValue == "true" {
                guard let clientId = client["clientId"]?.stringValue, let id = client["id"]?.stringValue,
                    !declaredClients.contains(clientId)
                else { continue }
                changes.append(
                    PlanChange(
                        operation: .delete, kind: "client", name: clientId, group: "client \(clientId)",
                        details: ["created by kcx, no longer in the file"],
                        action: .deleteClient(clientId: clientId, clientUUID: id)))
            }
            let declared = Set(desired.clientScopes.map(\.name))
            for scope in live.clientScopes where scope["attributes"]?[managedAttribute]?.stringValue == "true" {
                guard let name = scope["name"]?.stringValue, let id = scope["id"]?.stringValue, !declared.contains(name) else {
                    continue
                }
                changes.append(
                    PlanChange(
                        operation: .delete, kind: "client-scope", name: name, group: "client-scope \(name)",
                        details: ["created by kcx, no longer in the file"], action: .deleteScope(name: name, id: id)))
            }
        }
        return RealmPlan(realm: desired.realm, changes: changes)
    }

    static func audienceMapperBody(_ mapper: DesiredAudienceMapper) -> JSON {
        mapper.settings.body(name: mapper.name, audience: mapper.audience)
    }

    static func rawMapperBody(_ mapper: DesiredProtocolMapper) -> JSON {
        .object(
            JSONObject([
                ("name", .string(mapper.name)), ("protocol", .string(mapper.protocol_)),
                ("protocolMapper", .string(mapper.protocolMapper)),
                ("consentRequired", false), ("config", .object(mapper.config)),
            ]))
    }

    /// Every mapper the file gives a scope, as Keycloak representations (audience mappers first).
    static func mapperBodies(_ scope: DesiredClientScope) -> [JSON] {
        scope.audienceMappers.map(audienceMapperBody) + scope.protocolMappers.map(rawMapperBody)
    }

    static func mapperChanges(_ scope: DesiredClientScope, current: JSON?, group: String, prune: Bool, secrets: Set<String> = [])
        -> [PlanChange]
    {
        var changes: [PlanChange] = []
        var existing = MapperPool(current?["protocolMappers"]?.arrayValue ?? [])
        let inline = current == nil
        changes += audienceMapperChanges(
            scope.audienceMappers, matching: &existing, on: "scope \(scope.name)", group: group, secrets: secrets,
            create: { .createMapper(scope: scope.name, body: $0, inline: inline) },
            update: { .updateMapper(scope: scope.name, id: $0, body: $1) })
        for mapper in scope.protocolMappers {
            let label = "\(mapper.name) on scope \(scope.name)"
            let wanted = rawMapperBody(mapper)
            guard let match = existing.take(named: mapper.name) else {
                changes.append(
                    PlanChange(
                        operation: .create, kind: "protocol-mapper", name: label, group: group,
                        details: differences(current: nil, desired: .object(mapper.config), path: "config", hiding: secrets),
                        action: .createMapper(scope: scope.name, body: wanted, inline: inline)))
                continue
            }
            // Config values compare as strings; keys the file does not give are left as they are.
            var current = match
            current["config"] = .object(
                JSONObject(
                    (match["config"]?.objectValue ?? JSONObject()).map {
                        ($0.key, JSON.string($0.value.stringValue ?? $0.value.serialized()))
                    }))
            let desired: JSON = .object(
                JSONObject([
                    ("protocolMapper", .string(mapper.protocolMapper)), ("protocol", .string(mapper.protocol_)),
                    ("config", .object(mapper.config)),
                ]))
            let diff = differences(current: current, desired: desired, hiding: secrets)
            guard !diff.isEmpty, let id = match["id"]?.stringValue else { continue }
            changes.append(
                PlanChange(
                    operation: .update, kind: "protocol-mapper", name: label, group: group, details: diff,
                    action: .updateMapper(scope: scope.name, id: id, body: overlay(current, with: desired))))
        }
        if prune, current?["attributes"]?[managedAttribute]?.stringValue == "true" {
            // On a scope kcx created, every mapper the file no longer gives was put there by kcx.
            for mapper in existing.remaining {
                guard let id = mapper["id"]?.stringValue else { continue }
                let kind = mapper["protocolMapper"]?.stringValue == audienceMapperType ? "audience-mapper" : "protocol-mapper"
                changes.append(
                    PlanChange(
                        operation: .delete, kind: kind, name: "\(mapper["name"]?.stringValue ?? id) on scope \(scope.name)",
                        group: group, details: ["on a kcx-created scope, no longer in the file"],
                        action: .deleteMapper(scope: scope.name, id: id)))
            }
        }
        return changes
    }

    /// A scope's live mappers, each matched at most once by the file's mappers, in their order (the
    /// first one not yet taken wins). Indexed by audience and by name: scanning the mappers once per
    /// mapper of the file made a scope of 16,000 mappers quadratic.
    /// The creates and updates that make `mappers` true of a scope's or a client's mappers (`pool`),
    /// matched as `kcx audience add` matches: a mapper for this audience, else one with this name.
    /// `on` names the holder in labels (`scope api-access`); `create`/`update` say where the write goes.
    static func audienceMapperChanges(
        _ mappers: [DesiredAudienceMapper], matching pool: inout MapperPool, on holder: String, group: String,
        secrets: Set<String>, create: (JSON) -> PlanAction, update: (String, JSON) -> PlanAction
    ) -> [PlanChange] {
        var changes: [PlanChange] = []
        for mapper in mappers {
            let label = "\(mapper.name) on \(holder)"
            guard let match = pool.takeAudienceMapper(mapper.audience, named: mapper.name) else {
                changes.append(
                    PlanChange(
                        operation: .create, kind: "audience-mapper", name: label, group: group,
                        details: differences(
                            current: nil, desired: mapper.settings.config(for: mapper.audience), path: "config", hiding: secrets),
                        action: create(audienceMapperBody(mapper))))
                continue
            }
            guard let wanted = mapper.settings.update(of: match, to: mapper.audience, secrets: secrets),
                let id = match["id"]?.stringValue
            else { continue }
            changes.append(
                PlanChange(
                    operation: .update, kind: "audience-mapper", name: label, group: group, details: wanted.details,
                    action: update(id, wanted.body)))
        }
        return changes
    }

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
            let position =
                MapperPool.takeFirst(&audienceMappersByAudience[MapperPool.key(audience)], &taken)
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
                details.append(
                    "policy \(exchangePolicyName(forTarget: client.clientId)) attached to the token-exchange permission")
            }
            // Enabling and attaching happen through adding a requester, so a repair re-adds one present.
            var toAdd = add
            if toAdd.isEmpty, let first = legacy.allowedRequesters.first, details.contains(where: { !$0.hasPrefix("requesters") })
            {
                toAdd = [first]
            }
            guard !toAdd.isEmpty || !remove.isEmpty else { continue }
            changes.append(
                PlanChange(
                    operation: state.policyID == nil ? .create : .update, kind: "legacy-exchange", name: client.clientId,
                    group: "client \(client.clientId)",
                    details: details, action: .legacyExchange(target: client.clientId, add: toAdd, remove: remove)))
        }
        return changes
    }

    static func clientChanges(_ desired: DesiredRealm, _ live: LiveRealm, secrets: Set<String> = []) -> [PlanChange] {
        var changes: [PlanChange] = []
        for client in desired.clients {
            let group = "client \(client.clientId)"
            let rep: JSON
            let uuid: String
            if let found = live.client(client.clientId), let id = found["id"]?.stringValue {
                rep = found
                uuid = id
                var wanted = JSONObject(client.settings.map { ($0.key, $0.value) })
                if !client.attributes.isEmpty { wanted["attributes"] = .object(client.attributes) }
                // A secret is compared only when the server shows it (Keycloak lists it for confidential clients).
                if let secret = client.secret, found["secret"] != nil { wanted["secret"] = .string(secret) }
                let diff = differences(current: found, desired: .object(wanted), hiding: secrets)
                if !diff.isEmpty {
                    changes.append(
                        PlanChange(
                            operation: .update, kind: "client", name: client.clientId, group: group, details: diff,
                            action: .updateClientSettings(clientId: client.clientId, clientUUID: id, body: .object(wanted))))
                }
            } else if client.declaresClient {
                // The id is chosen here, so the assignments and switches below can name the client.
                uuid = newClientID(realm: desired.realm, clientId: client.clientId)
                var body = JSONObject([("id", .string(uuid)), ("clientId", .string(client.clientId))])
                for (key, value) in client.settings { body[key] = value }
                var attributes = client.attributes
                if let enabled = client.standardExchange { attributes[standardExchangeAttribute] = .string(String(enabled)) }
                if let refresh = client.allowRefresh {
                    attributes[exchangeRefreshAttribute] = .string(refresh ? "SAME_SESSION" : "NO")
                }
                if client.marksManaged { attributes[managedAttribute] = "true" }
                if !attributes.isEmpty { body["attributes"] = .object(attributes) }
                if let secret = client.secret {
                    body["secret"] = .string(secret)
                    if body["publicClient"] == nil { body["publicClient"] = false }
                }
                var shown = body
                shown["id"] = nil
                shown["attributes"]?[managedAttribute] = nil
                if shown["attributes"]?.objectValue?.isEmpty == true { shown["attributes"] = nil }
                changes.append(
                    PlanChange(
                        operation: .create, kind: "client", name: client.clientId, group: group,
                        details: differences(current: nil, desired: .object(shown), hiding: secrets),
                        action: .createClient(clientId: client.clientId, body: .object(body))))
                rep = .object(
                    JSONObject([
                        ("id", .string(uuid)), ("clientId", .string(client.clientId)), ("attributes", .object(attributes)),
                    ]))
            } else {
                continue
            }
            let defaults = Set((rep["defaultClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue))
            let optionals = Set((rep["optionalClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue))
            for (list, names) in [(ScopeList.default, client.defaultScopes), (ScopeList.optional, client.optionalScopes)] {
                for scope in names {
                    let now: ScopeList? = defaults.contains(scope) ? .default : optionals.contains(scope) ? .optional : nil
                    guard let move = AssignmentMove(current: now, wanted: list) else { continue }
                    changes.append(
                        PlanChange(
                            operation: PlanChange.Operation(move.outcome), kind: "client-scope-assignment",
                            name: "\(scope) -> \(client.clientId) (\(list.rawValue))",
                            group: group, details: move.details,
                            action: .assign(clientUUID: uuid, scope: scope, from: move.from, to: list)))
                }
            }
            // Mappers on the client itself, matched as a scope's are.
            var pool = MapperPool(rep["protocolMappers"]?.arrayValue ?? [])
            changes += audienceMapperChanges(
                client.audienceMappers, matching: &pool, on: "client \(client.clientId)", group: group, secrets: secrets,
                create: { .createClientMapper(clientUUID: uuid, body: $0) },
                update: { .updateClientMapper(clientUUID: uuid, id: $0, body: $1) })
            var attributes = JSONObject()
            if let enabled = client.standardExchange { attributes[standardExchangeAttribute] = .string(String(enabled)) }
            if let refresh = client.allowRefresh {
                attributes[exchangeRefreshAttribute] = .string(refresh ? "SAME_SESSION" : "NO")
            }
            guard !attributes.isEmpty else { continue }
            let wanted: JSON = ["attributes": .object(attributes)]
            let diff = exchangeAttributeDifferences(rep, wanted: attributes)
            guard !diff.isEmpty else { continue }
            changes.append(
                PlanChange(
                    operation: .update, kind: "token-exchange", name: client.clientId, group: group, details: diff,
                    action: .updateClient(clientUUID: uuid, body: wanted)))
        }
        return changes
    }
}

/// Names the file uses that resolve neither in the file nor on the server: every one of them, each
/// with where the file names it, found before any write.
public struct UnresolvedReferences: Error, Sendable, Equatable {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    /// Exit 3 (not found), as for any name kcx cannot find; one line per name.
    public var kcxError: KcxError {
        let hint =
            "declare a client in the file (with a setting such as enabled: true) to have kcx create it, or correct the name"
        if problems.count == 1 { return KcxError(.notFound, problems[0], hint: hint) }
        return KcxError(
            .notFound,
            "\(problems.count) names in the file do not resolve; nothing was changed:\n"
                + problems.map { "  \($0)" }.joined(separator: "\n"),
            hint: hint)
    }
}

extension Planner {
    /// `--prune`: every realm kcx created (realm attribute `kcx.managed: "true"`) that the file does
    /// not name, each as a plan of its own that deletes it. `master` and `keep` (the realm the session
    /// logs in to) never are. One request: `GET /admin/realms`.
    public static func prunedRealms(_ state: DesiredState, api: AdminAPI, keep: Set<String> = []) throws -> [RealmPlan] {
        let named = Set(state.realms.map(\.realm))
        return try api.getArray("realms", realm: state.realms.first?.realm ?? "master").compactMap { representation in
            guard let name = representation["realm"]?.stringValue, name != "master", !named.contains(name), !keep.contains(name),
                representation["attributes"]?[managedAttribute]?.stringValue == "true"
            else { return nil }
            return RealmPlan(
                realm: name,
                changes: [
                    PlanChange(
                        operation: .delete, kind: "realm", name: name, group: "realm \(name)",
                        details: ["created by kcx, not in the file: deleted with everything in it"],
                        action: .deleteRealm(name: name))
                ])
        }
    }

    /// A new client's id, chosen by the plan (Keycloak takes the id given in `POST clients`): a random
    /// version 4 UUID.
    static func newClientID(realm: String, clientId: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte in String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    /// The realm itself: created with the settings the file gives (marked as kcx's) when missing,
    /// else updated in those settings.
    static func realmChanges(_ desired: DesiredRealm, _ live: LiveRealm) -> [PlanChange] {
        guard desired.settings.declaresRealm else { return [] }
        let group = "realm \(desired.realm)"
        let wanted = JSON.object(desired.settings.values)
        guard live.exists else {
            var body = JSONObject([("realm", .string(desired.realm))])
            for (key, value) in desired.settings.values { body[key] = value }
            if desired.settings.marksManaged { body["attributes"] = .object(JSONObject([(managedAttribute, "true")])) }
            return [
                PlanChange(
                    operation: .create, kind: "realm", name: desired.realm, group: group,
                    details: differences(current: nil, desired: wanted),
                    action: .createRealm(name: desired.realm, body: .object(body)))
            ]
        }
        let diff = differences(current: live.realmRepresentation, desired: wanted)
        guard !diff.isEmpty else { return [] }
        return [
            PlanChange(
                operation: .update, kind: "realm", name: desired.realm, group: group, details: diff,
                action: .updateRealm(name: desired.realm, body: wanted))
        ]
    }

    /// Downscope enforcement and exchange-event recording, as the file gives them.
    static func securityChanges(_ desired: DesiredRealm, _ live: LiveRealm) -> [PlanChange] {
        var changes: [PlanChange] = []
        let group = "realm \(desired.realm)"
        if desired.exchangeEvents == true, live.exchangeEventsRecorded == false {
            changes.append(
                PlanChange(
                    operation: .update, kind: "exchange-events", name: desired.realm, group: group,
                    details: ["token exchange events stored: false -> true"], action: .recordExchangeEvents))
        }
        // After the events switch: the profile and policy writes come in a later phase of their own.
        if let wanted = desired.downscope {
            changes += downscopeChanges(on: wanted, markedOnly: desired.downscopeMarkedOnly, live: live, realm: desired.realm)
        }
        return changes
    }
}
