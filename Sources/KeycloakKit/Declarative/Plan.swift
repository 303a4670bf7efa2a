// The plan: the live realm read in a handful of list requests, and the pure diff from (desired,
// live) to an ordered list of changes, each carrying the write that makes it true.
import KcxJSON

/// kcx marks the client scopes it creates with this attribute; `--prune` deletes only marked scopes
/// (with their mappers) that the file no longer declares, and audience mappers on marked scopes.
public let managedAttribute = "kcx.managed"

/// What a realm looks like now, from four list requests.
public struct LiveRealm: Sendable, Equatable {
    public var clientScopes: [JSON]
    public var clients: [JSON]
    public var realmDefaultScopeIDs: [String]
    public var realmOptionalScopeIDs: [String]

    public init(clientScopes: [JSON], clients: [JSON], realmDefaultScopeIDs: [String], realmOptionalScopeIDs: [String]) {
        self.clientScopes = clientScopes
        self.clients = clients
        self.realmDefaultScopeIDs = realmDefaultScopeIDs
        self.realmOptionalScopeIDs = realmOptionalScopeIDs
    }

    /// Reads the realm: client scopes (mappers inline), clients (attributes, mappers and scope names
    /// inline) and the realm's two default lists.
    public static func read(_ api: AdminAPI, realm: String) throws -> LiveRealm {
        func ids(_ endpoint: String) throws -> [String] {
            (try api.getArray(endpoint, realm: realm)).compactMap { $0["id"]?.stringValue }
        }
        return LiveRealm(
            clientScopes: try api.getArray("client-scopes", realm: realm),
            clients: try api.getArray("clients", realm: realm),
            realmDefaultScopeIDs: try ids(ScopeList.default.realmEndpoint),
            realmOptionalScopeIDs: try ids(ScopeList.optional.realmEndpoint))
    }

    func scope(named name: String) -> JSON? { clientScopes.first { $0["name"]?.stringValue == name } }
    func client(_ clientId: String) -> JSON? { clients.first { $0["clientId"]?.stringValue == clientId } }
}

/// One write the plan will make.
public enum PlanAction: Sendable, Equatable {
    case createScope(name: String, body: JSON)
    case updateScope(name: String, id: String, body: JSON)
    case deleteScope(name: String, id: String)
    case moveInRealmLists(scope: String, from: ScopeList?, to: ScopeList?)
    case createMapper(scope: String, body: JSON)
    case updateMapper(scope: String, id: String, body: JSON)
    case deleteMapper(scope: String, id: String)
    case assign(clientUUID: String, scope: String, from: ScopeList?, to: ScopeList)
    case updateClient(clientUUID: String, body: JSON)

    /// Dependency order: scopes, then mappers and realm lists, then assignments, then exchange
    /// settings; deletions last. Actions of one phase are independent of each other.
    public var phase: Int {
        switch self {
        case .createScope, .updateScope: return 0
        case .moveInRealmLists, .createMapper, .updateMapper: return 1
        case .assign: return 2
        case .updateClient: return 3
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
}

public enum Planner {
    /// The scopes, mappers, assignments and switches an `allow` pair stands for: exactly what
    /// `kcx token-exchange allow --mode standard` sets up (V2 switch on the requester, the scope
    /// TARGET-audience with an audience mapper, assigned to the requester as default).
    public static func expandingAllowPairs(_ realm: DesiredRealm) -> DesiredRealm {
        var result = realm
        for pair in realm.allow {
            var requester = result.clients.first { $0.clientId == pair.from }
                ?? DesiredClient(clientId: pair.from, defaultScopes: [], optionalScopes: [])
            requester.standardExchange = true
            if pair.to != pair.from {
                let scopeName = audienceScopeName(for: pair.to)
                if let index = result.clientScopes.firstIndex(where: { $0.name == scopeName }) {
                    if !result.clientScopes[index].audienceMappers.contains(where: { $0.audience == .client(pair.to) }) {
                        result.clientScopes[index].audienceMappers.append(audienceMapper(for: pair.to))
                    }
                } else {
                    result.clientScopes.append(DesiredClientScope(
                        name: scopeName, description: "Puts \(pair.to) into the aud claim (managed by kcx)", protocol_: "openid-connect",
                        includeInTokenScope: false, realmDefault: nil, audienceMappers: [audienceMapper(for: pair.to)]))
                }
                if !requester.defaultScopes.contains(scopeName) {
                    requester.defaultScopes.append(scopeName)
                    requester.optionalScopes.removeAll { $0 == scopeName }
                }
            }
            if let index = result.clients.firstIndex(where: { $0.clientId == pair.from }) {
                result.clients[index] = requester
            } else {
                result.clients.append(requester)
            }
        }
        result.allow = []
        return result
    }

    static func audienceMapper(for clientId: String) -> DesiredAudienceMapper {
        var settings = AudienceMapperSettings()
        settings.mapperName = "\(clientId) audience"
        return DesiredAudienceMapper(name: "\(clientId) audience", audience: .client(clientId), settings: settings)
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
            for scope in client.defaultScopes + client.optionalScopes where !declared.contains(scope) && live.scope(named: scope) == nil {
                throw KcxError(.notFound, "scope '\(scope)' assigned to client '\(client.clientId)' is neither in the file nor in realm '\(realm)'")
            }
            if client.standardExchange == true, let rep = live.client(client.clientId), rep["publicClient"]?.boolValue == true {
                throw KcxError(.usage, "client '\(client.clientId)' is public, and Keycloak refuses token exchange by public clients",
                               hint: "exchange from a confidential client instead")
            }
        }
    }

    /// The ordered changes that turn `live` into `desired` (allow pairs already expanded).
    public static func diff(_ desired: DesiredRealm, _ live: LiveRealm, prune: Bool) -> RealmPlan {
        var changes: [PlanChange] = []
        for scope in desired.clientScopes {
            let group = "client-scope \(scope.name)"
            let settings = ClientScopeSettings(description: scope.description, protocol_: scope.protocol_, includeInTokenScope: scope.includeInTokenScope)
            let current = live.scope(named: scope.name)
            if let current, let id = current["id"]?.stringValue {
                let wanted = settings.desiredRepresentation(name: scope.name, creating: false)
                let diff = differences(current: current, desired: wanted)
                if !diff.isEmpty {
                    var body = overlay(current, with: wanted)
                    body["protocolMappers"] = nil
                    changes.append(PlanChange(operation: .update, kind: "client-scope", name: scope.name, group: group, details: diff,
                                              action: .updateScope(name: scope.name, id: id, body: body)))
                }
                if let placement = scope.realmDefault {
                    let now: ScopeList? = live.realmDefaultScopeIDs.contains(id) ? .default : live.realmOptionalScopeIDs.contains(id) ? .optional : nil
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
                changes.append(PlanChange(operation: .create, kind: "client-scope", name: scope.name, group: group,
                                          details: differences(current: nil, desired: settings.desiredRepresentation(name: scope.name, creating: true)),
                                          action: .createScope(name: scope.name, body: body)))
                if let placement = scope.realmDefault, placement != .none, let list = ScopeList(rawValue: placement.rawValue) {
                    changes.append(PlanChange(operation: .create, kind: "realm-default-scope", name: scope.name, group: group,
                                              details: ["realm list: none -> \(list.rawValue)"], action: .moveInRealmLists(scope: scope.name, from: nil, to: list)))
                }
            }
            changes += mapperChanges(scope, current: current, group: group, prune: prune)
        }
        changes += clientChanges(desired, live)
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

    static func mapperChanges(_ scope: DesiredClientScope, current: JSON?, group: String, prune: Bool) -> [PlanChange] {
        var changes: [PlanChange] = []
        var existing = current?["protocolMappers"]?.arrayValue ?? []
        for mapper in scope.audienceMappers {
            let label = "\(mapper.name) on scope \(scope.name)"
            let config = mapper.settings.config(for: mapper.audience)
            // The same match as `kcx audience add`: a mapper for this audience, else one with this name.
            let index = existing.firstIndex {
                $0["protocolMapper"]?.stringValue == audienceMapperType && AudienceValue.from(config: $0["config"]) == mapper.audience
            } ?? existing.firstIndex { $0["name"]?.stringValue == mapper.name && $0["protocolMapper"]?.stringValue == audienceMapperType }
            guard let index else {
                let body: JSON = .object(JSONObject([
                    ("name", .string(mapper.name)), ("protocol", "openid-connect"), ("protocolMapper", .string(audienceMapperType)),
                    ("consentRequired", false), ("config", config),
                ]))
                changes.append(PlanChange(operation: .create, kind: "audience-mapper", name: label, group: group,
                                          details: differences(current: nil, desired: config, path: "config"), action: .createMapper(scope: scope.name, body: body)))
                continue
            }
            let match = existing.remove(at: index)
            var desiredConfig = config
            if AudienceValue.from(config: match["config"]) != mapper.audience {
                desiredConfig[mapper.audience.configKey == "included.client.audience" ? "included.custom.audience" : "included.client.audience"] = ""
            }
            let diff = differences(current: match["config"], desired: desiredConfig, path: "config")
            guard !diff.isEmpty, let id = match["id"]?.stringValue else { continue }
            var body = match
            body["config"] = overlay(match["config"] ?? [:], with: desiredConfig)
            changes.append(PlanChange(operation: .update, kind: "audience-mapper", name: label, group: group, details: diff,
                                      action: .updateMapper(scope: scope.name, id: id, body: body)))
        }
        if prune, current?["attributes"]?[managedAttribute]?.stringValue == "true" {
            for mapper in existing where mapper["protocolMapper"]?.stringValue == audienceMapperType {
                guard let id = mapper["id"]?.stringValue else { continue }
                changes.append(PlanChange(operation: .delete, kind: "audience-mapper", name: "\(mapper["name"]?.stringValue ?? id) on scope \(scope.name)",
                                          group: group, details: ["on a kcx-created scope, no longer in the file"], action: .deleteMapper(scope: scope.name, id: id)))
            }
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
