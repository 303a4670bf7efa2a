// The plan: the live realm read in a handful of list requests, and the pure diff from (desired,
// live) to an ordered list of changes, each carrying the write that makes it true.
import KcxJSON

/// kcx marks the client scopes it creates with this attribute; `--prune` deletes only marked scopes
/// (with their mappers) that the file no longer declares, and audience mappers on marked scopes.
public let managedAttribute = "kcx.managed"

/// A target's legacy (V1) exchange wiring as it is now: management permissions and kcx's client policy.
public struct LiveLegacyExchange: Sendable, Equatable {
    public var permissionID: String?
    public var policyID: String?
    /// Client ids (UUIDs, or clientIds) the kcx policy names.
    public var members: [String]
    /// Whether the kcx policy is attached to the target's token-exchange permission.
    public var attached: Bool
    /// clientIds of members the file does not name (read for the plan's text).
    public var otherMemberNames: [String: String]

    public init(permissionID: String?, policyID: String?, members: [String], attached: Bool, otherMemberNames: [String: String] = [:]) {
        self.permissionID = permissionID
        self.policyID = policyID
        self.members = members
        self.attached = attached
        self.otherMemberNames = otherMemberNames
    }
}

/// What a realm looks like now, from four list requests (or one look-up per named client instead
/// of the client list, when the file names few clients).
public struct LiveRealm: Sendable, Equatable {
    public var clientScopes: [JSON] { didSet { scopeIndex = LiveRealm.index(clientScopes, by: "name") } }
    public var clients: [JSON] {
        didSet {
            clientIndex = LiveRealm.index(clients, by: "clientId")
            clientIDIndex = LiveRealm.index(clients, by: "id")
        }
    }
    /// Position of the first scope with each name, of the first client with each clientId: looked up
    /// once per scope and client of the file, a scan each made a plan against a realm of 16,000
    /// scopes quadratic (70 s, debug build).
    private var scopeIndex: [String: Int]
    private var clientIndex: [String: Int]
    private var clientIDIndex: [String: Int]
    public var realmDefaultScopeIDs: [String]
    public var realmOptionalScopeIDs: [String]
    /// Per target clientId the file gives legacyExchange for.
    public var legacy: [String: LiveLegacyExchange] = [:]

    public init(clientScopes: [JSON], clients: [JSON], realmDefaultScopeIDs: [String], realmOptionalScopeIDs: [String]) {
        self.clientScopes = clientScopes
        self.clients = clients
        self.realmDefaultScopeIDs = realmDefaultScopeIDs
        self.realmOptionalScopeIDs = realmOptionalScopeIDs
        scopeIndex = LiveRealm.index(clientScopes, by: "name")
        clientIndex = LiveRealm.index(clients, by: "clientId")
        clientIDIndex = LiveRealm.index(clients, by: "id")
    }

    static func index(_ representations: [JSON], by key: String) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(representations.count)
        for (position, representation) in representations.enumerated() {
            if let name = representation[key]?.stringValue, index[name] == nil { index[name] = position }
        }
        return index
    }

    /// Up to this many named clients are looked up one by one (exact, server-side); more are listed
    /// at once. Listing a realm of 10,000 clients costs far more than a few exact look-ups.
    public static let lookupLimit = 8

    /// Reads the realm: client scopes (mappers inline), clients (attributes, mappers and scope names
    /// inline) and the realm's two default lists. With `onlyClients`, only those clients are read.
    public static func read(_ api: AdminAPI, realm: String, onlyClients: Set<String>? = nil) throws -> LiveRealm {
        func ids(_ endpoint: Endpoint) throws -> [String] {
            (try api.getArray(endpoint, realm: realm)).compactMap { $0["id"]?.stringValue }
        }
        var clients: [JSON] = []
        if let names = onlyClients, names.count <= lookupLimit {
            for name in names.sorted() {
                // search=false makes clientId an exact match (Keycloak's default is a substring search).
                let matches = try api.getArray("clients", realm: realm, query: [("clientId", name), ("search", "false")])
                clients += matches.filter { $0["clientId"]?.stringValue == name }
            }
        } else {
            clients = try api.getArray("clients", realm: realm)
        }
        return LiveRealm(
            clientScopes: try api.getArray("client-scopes", realm: realm),
            clients: clients,
            realmDefaultScopeIDs: try ids(ScopeList.default.realmEndpoint),
            realmOptionalScopeIDs: try ids(ScopeList.optional.realmEndpoint))
    }

    /// Reads each target's management permission and kcx exchange policy (four requests per target).
    public mutating func readLegacy(_ api: AdminAPI, realm: String, targets: [String]) throws {
        guard !targets.isEmpty else { return }
        guard let management = client("realm-management")?["id"]?.stringValue else {
            throw KcxError(.notFound, "realm '\(realm)' has no realm-management client, which legacy token exchange needs")
        }
        let base: Endpoint = "clients/\(management)/authz/resource-server"
        for target in targets {
            guard let targetID = client(target)?["id"]?.stringValue else { continue }
            let permissions = try api.get("clients/\(targetID)/management/permissions", realm: realm)
            let permissionID = permissions["enabled"]?.boolValue == true ? permissions["scopePermissions"]?["token-exchange"]?.stringValue : nil
            let policyName = exchangePolicyName(forTarget: target)
            let found = try api.send(method: "GET", endpoint: "\(base)/policy/search", realm: realm, query: [("name", policyName)], body: nil)
            var state = LiveLegacyExchange(permissionID: permissionID, policyID: nil, members: [], attached: false)
            if let policyID = found.json?["id"]?.stringValue {
                state.policyID = policyID
                state.members = clientPolicyMembers(try api.get("\(base)/policy/client/\(policyID)", realm: realm))
                for member in state.members where client(id: member) == nil && client(member) == nil {
                    state.otherMemberNames[member] = try api.getIfExists("clients/\(member)", realm: realm)?["clientId"]?.stringValue
                }
            }
            if let permissionID {
                state.attached = try api.getArray("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm)
                    .contains { $0["name"]?.stringValue == policyName }
            }
            legacy[target] = state
        }
    }

    func scope(named name: String) -> JSON? { scopeIndex[name].map { clientScopes[$0] } }
    func client(_ clientId: String) -> JSON? { clientIndex[clientId].map { clients[$0] } }
    /// The client whose internal id is `id`.
    public func client(id: String) -> JSON? { clientIDIndex[id].map { clients[$0] } }
}

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
    case assign(clientUUID: String, scope: String, from: ScopeList?, to: ScopeList)
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
        case .deleteMapper: return 4
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

    /// The scopes, mappers, assignments, switches and legacy permissions an `allow` pair stands for:
    /// exactly what `kcx token-exchange allow --mode MODE` sets up. standard: the V2 switch on the
    /// requester, and (unless TARGET already reaches the requester's access tokens another way) the
    /// scope TARGET-audience with an audience mapper, assigned to the requester as default. legacy:
    /// the requester in the target's kcx exchange policy. auto: standard when the server has it, else legacy.
    public static func expandingAllowPairs(_ realm: DesiredRealm, live: LiveRealm? = nil, features: ServerFeatures? = nil) throws -> DesiredRealm {
        var result = realm
        // Indexes kept in step with `result`: looking clients, scopes and requesters up by scanning,
        // once per pair, made a file of 16,000 pairs take 84 s (debug build).
        var clientPositions: [String: Int] = [:]
        for (position, client) in result.clients.enumerated() where clientPositions[client.clientId] == nil {
            clientPositions[client.clientId] = position
        }
        var scopePositions: [String: Int] = [:]
        for (position, scope) in result.clientScopes.enumerated() where scopePositions[scope.name] == nil { scopePositions[scope.name] = position }
        var requesterSets: [String: Set<String>] = [:]
        var defaultSets: [String: Set<String>] = [:]
        let carriers = fileScopesCarrying(realm)
        func upsert(_ client: DesiredClient) {
            if let position = clientPositions[client.clientId] {
                result.clients[position] = client
            } else {
                clientPositions[client.clientId] = result.clients.count
                result.clients.append(client)
            }
        }
        for pair in realm.allow {
            var mode = pair.mode
            if mode == .auto {
                guard let features else { throw KcxError(.serverError, "\(pair.location): the server's features are needed to resolve mode auto") }
                if features.standardExchange {
                    mode = .standard
                } else if features.legacyUsable {
                    mode = .legacy
                } else {
                    throw KcxError(
                        .serverError, "\(pair.location): the server has no token exchange enabled (neither standard V2 nor legacy V1 with fine-grained permissions v1)",
                        hint: "start Keycloak with --features=token-exchange-standard (default in 26.2+) or --features=token-exchange,admin-fine-grained-authz:v1")
                }
            }
            if mode == .legacy {
                var target = clientPositions[pair.to].map { result.clients[$0] } ?? DesiredClient(clientId: pair.to, defaultScopes: [], optionalScopes: [])
                var legacy = target.legacyExchange ?? DesiredLegacyExchange(allowedRequesters: [], location: pair.location)
                var requesters = requesterSets[pair.to] ?? Set(legacy.allowedRequesters)
                if requesters.insert(pair.from).inserted { legacy.allowedRequesters.append(pair.from) }
                requesterSets[pair.to] = requesters
                target.legacyExchange = legacy
                upsert(target)
                continue
            }
            var requester = clientPositions[pair.from].map { result.clients[$0] }
                ?? DesiredClient(clientId: pair.from, defaultScopes: [], optionalScopes: [])
            requester.standardExchange = true
            var defaults = defaultSets[pair.from] ?? Set(requester.defaultScopes)
            if pair.to != pair.from
                && !reachable(pair.to, inTokensOf: requester, defaults: defaults, carriers: carriers, declared: { scopePositions[$0] != nil }, live)
            {
                let scopeName = audienceScopeName(for: pair.to)
                if let index = scopePositions[scopeName] {
                    if !result.clientScopes[index].audienceMappers.contains(where: { $0.audience == .client(pair.to) }) {
                        result.clientScopes[index].audienceMappers.append(audienceMapper(for: pair.to))
                    }
                } else {
                    scopePositions[scopeName] = result.clientScopes.count
                    result.clientScopes.append(DesiredClientScope(
                        name: scopeName, description: "Puts \(pair.to) into the aud claim (managed by kcx)", protocol_: "openid-connect",
                        includeInTokenScope: false, realmDefault: nil, audienceMappers: [audienceMapper(for: pair.to)]))
                }
                if defaults.insert(scopeName).inserted {
                    requester.defaultScopes.append(scopeName)
                    requester.optionalScopes.removeAll { $0 == scopeName }
                }
            }
            defaultSets[pair.from] = defaults
            upsert(requester)
        }
        result.allow = []
        return result
    }

    /// Per client, the file's scopes whose audience mappers put it into access tokens. The mappers
    /// `allow` pairs add go only to the target's own TARGET-audience scope, which never counts for
    /// that target, so this stays exact while the pairs are expanded.
    static func fileScopesCarrying(_ realm: DesiredRealm) -> [String: [String]] {
        var carriers: [String: [String]] = [:]
        for scope in realm.clientScopes {
            for mapper in scope.audienceMappers where mapper.settings.accessToken {
                if case .client(let clientId) = mapper.audience { carriers[clientId, default: []].append(scope.name) }
            }
        }
        return carriers
    }

    /// Whether TARGET is already in the access tokens of the requester by another way than kcx's own
    /// TARGET-audience scope: the requester's own mapper or a default scope's (live or in the file).
    /// The command checks the live realm; the file's own default scopes count too, so a plan agrees
    /// with what the realm will be. kcx's scope itself does not count, so --prune keeps it.
    /// `defaults`: the requester's default scopes in the file; `carriers`: `fileScopesCarrying`;
    /// `declared`: whether the file (as expanded so far) declares a scope.
    static func reachable(
        _ target: String, inTokensOf requester: DesiredClient, defaults: Set<String>, carriers: [String: [String]],
        declared: (String) -> Bool, _ live: LiveRealm?
    ) -> Bool {
        let ownScope = audienceScopeName(for: target)
        func carries(_ mappers: [JSON]) -> Bool {
            mappers.contains {
                $0["protocolMapper"]?.stringValue == audienceMapperType && AudienceValue.from(config: $0["config"]) == .client(target)
                    && $0["config"]?["access.token.claim"]?.stringValue == "true"
            }
        }
        if let live, let rep = live.client(requester.clientId) {
            if carries(rep["protocolMappers"]?.arrayValue ?? []) { return true }
            for name in (rep["defaultClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue) where name != ownScope {
                // A scope the file redeclares is judged by the file (apply may change its mappers).
                if declared(name) { continue }
                if carries(live.scope(named: name)?["protocolMappers"]?.arrayValue ?? []) { return true }
            }
        }
        return (carriers[target] ?? []).contains { $0 != ownScope && defaults.contains($0) }
    }

    static func audienceMapper(for clientId: String) -> DesiredAudienceMapper {
        var settings = AudienceMapperSettings()
        settings.mapperName = "\(clientId) audience"
        return DesiredAudienceMapper(name: "\(clientId) audience", audience: .client(clientId), settings: settings)
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
            if client.standardExchange == true, let rep = live.client(client.clientId), rep["publicClient"]?.boolValue == true {
                throw KcxError(.usage, "client '\(client.clientId)' is public, and Keycloak refuses token exchange by public clients",
                               hint: "exchange from a confidential client instead")
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
                    let wantedList = placement == .none ? nil : ScopeList(rawValue: placement.rawValue)
                    if now != wantedList {
                        changes.append(PlanChange(
                            operation: wantedList == nil ? .delete : (now == nil ? .create : .update), kind: "realm-default-scope", name: scope.name,
                            group: group, details: ["realm list: \(now?.rawValue ?? "none") -> \(wantedList?.rawValue ?? "none")"],
                            action: .moveInRealmLists(scope: scope.name, from: now, to: wantedList)))
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
                if let placement = scope.realmDefault, placement != .none, let list = ScopeList(rawValue: placement.rawValue) {
                    changes.append(PlanChange(operation: .create, kind: "realm-default-scope", name: scope.name, group: group,
                                              details: ["realm list: none -> \(list.rawValue)"], action: .moveInRealmLists(scope: scope.name, from: nil, to: list)))
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
        .object(JSONObject([
            ("name", .string(mapper.name)), ("protocol", "openid-connect"), ("protocolMapper", .string(audienceMapperType)),
            ("consentRequired", false), ("config", mapper.settings.config(for: mapper.audience)),
        ]))
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
            var desiredConfig = config
            if AudienceValue.from(config: match["config"]) != mapper.audience {
                desiredConfig[mapper.audience.configKey == "included.client.audience" ? "included.custom.audience" : "included.client.audience"] = ""
            }
            let diff = differences(current: match["config"], desired: desiredConfig, path: "config", hiding: secrets)
            guard !diff.isEmpty, let id = match["id"]?.stringValue else { continue }
            var body = match
            body["config"] = overlay(match["config"] ?? [:], with: desiredConfig)
            changes.append(PlanChange(operation: .update, kind: "audience-mapper", name: label, group: group, details: diff,
                                      action: .updateMapper(scope: scope.name, id: id, body: body)))
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
                    if now == list { continue }
                    changes.append(PlanChange(
                        operation: now == nil ? .create : .update, kind: "client-scope-assignment", name: "\(scope) -> \(client.clientId) (\(list.rawValue))",
                        group: group, details: now.map { ["moved from \($0.rawValue) to \(list.rawValue)"] } ?? [],
                        action: .assign(clientUUID: uuid, scope: scope, from: now, to: list)))
                }
            }
            var attributes = JSONObject()
            if let enabled = client.standardExchange { attributes[standardExchangeAttribute] = .string(String(enabled)) }
            if let refresh = client.allowRefresh { attributes[exchangeRefreshAttribute] = .string(refresh ? "SAME_SESSION" : "NO") }
            guard !attributes.isEmpty else { continue }
            let wanted: JSON = ["attributes": .object(attributes)]
            // An absent attribute reads as Keycloak's default ("false" / "NO"), as in `token-exchange enable`.
            var current = rep
            var currentAttributes = rep["attributes"]?.objectValue ?? JSONObject()
            if currentAttributes[standardExchangeAttribute] == nil { currentAttributes[standardExchangeAttribute] = "false" }
            if currentAttributes[exchangeRefreshAttribute] == nil { currentAttributes[exchangeRefreshAttribute] = "NO" }
            current["attributes"] = .object(currentAttributes)
            let diff = differences(current: current, desired: wanted)
            guard !diff.isEmpty else { continue }
            changes.append(PlanChange(operation: .update, kind: "token-exchange", name: client.clientId, group: group, details: diff,
                                      action: .updateClient(clientUUID: uuid, body: wanted)))
        }
        return changes
    }
}
