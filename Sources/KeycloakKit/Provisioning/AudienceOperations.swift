// Idempotent audience-mapper operations on a client scope or directly on a client.
import KcxJSON

/// What ends up in `aud`: a client's clientId (checked to exist) or any custom string.
public enum AudienceValue: Sendable, Equatable, CustomStringConvertible {
    case client(String)
    case custom(String)

    var configKey: String {
        if case .client = self { return "included.client.audience" } else { return "included.custom.audience" }
    }
    var value: String {
        switch self {
        case .client(let v), .custom(let v): return v
        }
    }
    public var description: String { value }

    /// The audience an existing mapper's config produces (the client key wins, as in Keycloak).
    static func from(config: JSON?) -> AudienceValue? {
        if let client = config?["included.client.audience"]?.stringValue, !client.isEmpty { return .client(client) }
        if let custom = config?["included.custom.audience"]?.stringValue, !custom.isEmpty { return .custom(custom) }
        return nil
    }
}

/// Where protocol mappers live.
public enum MapperContainer: Sendable, Equatable {
    case clientScope(String)
    case client(String)

    public var label: String {
        switch self {
        case .clientScope(let name): return "scope \(name)"
        case .client(let name): return "client \(name)"
        }
    }
}

public struct AudienceMapperSettings: Sendable, Equatable {
    public var mapperName: String?
    public var accessToken = true
    public var idToken = false
    public var introspection = true
    public var lightweight = false

    public init(
        mapperName: String? = nil, accessToken: Bool = true, idToken: Bool = false, introspection: Bool = true,
        lightweight: Bool = false
    ) {
        self.mapperName = mapperName
        self.accessToken = accessToken
        self.idToken = idToken
        self.introspection = introspection
        self.lightweight = lightweight
    }

    func config(for audience: AudienceValue) -> JSON {
        .object(
            JSONObject([
                (audience.configKey, .string(audience.value)),
                ("id.token.claim", .string(String(idToken))),
                ("access.token.claim", .string(String(accessToken))),
                ("introspection.token.claim", .string(String(introspection))),
                ("lightweight.claim", .string(String(lightweight))),
            ]))
    }
}

public let audienceMapperType = "oidc-audience-mapper"

/// An audience mapper found in a realm, with where it lives.
public struct AudienceMapperRef: Sendable, Equatable {
    public let id: String
    public let name: String
    public let audience: AudienceValue?
    public let config: JSON
    public let container: MapperContainer
    public let containerID: String

    public var json: JSON {
        var object = JSONObject()
        switch container {
        case .clientScope(let name): object["scope"] = .string(name)
        case .client(let name): object["client"] = .string(name)
        }
        object["mapper"] = .string(name)
        switch audience {
        case .client(let value): object["audience"] = .string(value)
        case .custom(let value): object["customAudience"] = .string(value)
        case nil: object["audience"] = .null
        }
        for key in ["access.token.claim", "id.token.claim", "introspection.token.claim", "lightweight.claim"] {
            object[key] = .bool(config[key]?.stringValue == "true")
        }
        return .object(object)
    }
}

extension Writer {
    /// The container's mappers endpoint, its id, and its mappers as this run knows them (the
    /// scope list and the client representation carry them inline: no request of their own).
    func mapperContainer(_ container: MapperContainer) throws -> (endpoint: Endpoint, id: String, mappers: [JSON]) {
        switch container {
        case .clientScope(let name):
            let scope = try lookup.requireClientScope(name)
            return (
                "client-scopes/\(scope.id)/protocol-mappers/models", scope.id,
                scope.representation["protocolMappers"]?.arrayValue ?? []
            )
        case .client(let name):
            let client = try lookup.requireClient(name)
            return (
                "clients/\(client.id)/protocol-mappers/models", client.id,
                client.representation["protocolMappers"]?.arrayValue ?? []
            )
        }
    }

    /// Keeps this run's copy of the container's mappers true after a write.
    func updateMappers(of container: MapperContainer, id: String, _ change: (inout [JSON]) -> Void) {
        func edit(_ representation: inout JSON) {
            var mappers = representation["protocolMappers"]?.arrayValue ?? []
            change(&mappers)
            representation["protocolMappers"] = .array(mappers)
        }
        switch container {
        case .clientScope(let name): cache.updateScope(id: id, name: name, edit)
        case .client: cache.updateClient(id: id, edit)
        }
    }

    /// Checks that a client audience names an existing client: Keycloak would store a mapper for a
    /// missing client without complaint and tokens would simply lack it.
    public func requireAudienceClientExists(_ audience: AudienceValue) throws {
        if case .client(let clientId) = audience, try lookup.client(clientId) == nil {
            let create = "create the client first, or use --custom-audience for a value that is not a client"
            // A near name is a typo: say so first, so the fix is not a custom audience of the typo.
            throw KcxError(
                .notFound, "--audience '\(clientId)' names no client in realm '\(realm)'",
                hint: Suggestions.phrase(try lookup.similarClientIds(to: clientId)).map { "\($0) (if not, \(create))" } ?? create)
        }
    }

    /// `kcx audience add` through the engine: the fragment "this audience mapper in the container
    /// (the scope created when `createScope`, its settings left as they are), the scope in each
    /// client's `list`". One line per object, `unchanged` for those already as wanted.
    public func addAudience(
        _ audience: AudienceValue, on container: MapperContainer, _ settings: AudienceMapperSettings, createScope: Bool,
        assignTo: [String], as list: ScopeList?
    ) throws {
        // Everything named must exist before the first write, so a refusal changes nothing.
        try requireAudienceClientExists(audience)
        // The planner checks that a client audience is a client of the realm: it is read already.
        var clients: [ClientRef] = []
        if case .client(let clientId) = audience { clients.append(try lookup.requireClient(clientId)) }
        for name in assignTo {
            let client = try lookup.requireClient(name)
            if !clients.contains(where: { $0.id == client.id }) { clients.append(client) }
        }
        let name = settings.mapperName ?? AudienceMapperSettings.defaultName(for: audience)
        let mapper = DesiredAudienceMapper(name: name, audience: audience, settings: settings)
        var desired = DesiredRealm(realm: realm)
        var expected: [Change] = []
        let live: LiveRealm
        switch container {
        case .clientScope(let scopeName):
            let existing: ClientScopeRef?
            if createScope {
                try validateClientScopeName(scopeName)
                existing = try lookup.clientScope(scopeName)
                expected.append(Change(kind: "client-scope", name: existing?.name ?? scopeName, outcome: .unchanged))
            } else {
                existing = try lookup.requireClientScope(scopeName)
            }
            let scopeName = existing?.name ?? scopeName
            var scope = DesiredClientScope(
                name: scopeName, description: nil,
                protocol_: existing?.representation["protocol"]?.stringValue ?? "openid-connect",
                includeInTokenScope: true, realmDefault: nil, audienceMappers: [mapper])
            // Created as `client-scope ensure` would with no option; an existing one's settings stay.
            scope.givenSettings = ClientScopeSettings(protocol_: nil)
            scope.marksManaged = false
            desired.clientScopes = [scope]
            expected.append(Change(kind: "audience-mapper", name: "\(name) on scope \(scopeName)", outcome: .unchanged))
            if let list {
                for name in assignTo {
                    let client = try lookup.requireClient(name)
                    guard !desired.clients.contains(where: { $0.clientId == client.clientId }) else { continue }
                    desired.clients.append(
                        DesiredClient(
                            clientId: client.clientId, defaultScopes: list == .default ? [scopeName] : [],
                            optionalScopes: list == .optional ? [scopeName] : []))
                    expected.append(
                        Change(
                            kind: "client-scope-assignment", name: "\(scopeName) -> \(client.clientId) (\(list.rawValue))",
                            outcome: .unchanged))
                }
            }
            live = try liveRealm(clients: clients)
        case .client(let clientName):
            let client = try lookup.requireClient(clientName)
            var holder = DesiredClient(clientId: client.clientId, defaultScopes: [], optionalScopes: [])
            holder.audienceMappers = [mapper]
            desired.clients = [holder]
            expected.append(Change(kind: "audience-mapper", name: "\(name) on client \(client.clientId)", outcome: .unchanged))
            if !clients.contains(where: { $0.id == client.id }) { clients.append(client) }
            live = try liveRealm(clients: clients, scopes: false)
        }
        try converge(Fragment(desired: desired), live: live, expected: expected)
    }

    /// `kcx audience remove` through the engine: the absent fact "no audience mapper for this
    /// audience (or with this name) in the container".
    public func removeAudienceMapper(_ audience: AudienceValue?, mapperName: String?, from container: MapperContainer) throws {
        let located = try mapperContainer(container)
        let live: LiveRealm
        let resolved: MapperContainer
        switch container {
        case .clientScope(let name):
            resolved = .clientScope(try lookup.requireClientScope(name).name)
            live = try liveRealm(clients: [])
        case .client(let name):
            let client = try lookup.requireClient(name)
            resolved = .client(client.clientId)
            live = try liveRealm(clients: [client], scopes: false)
        }
        let fragment = Fragment(
            desired: DesiredRealm(realm: realm), absent: [.audienceMappers(in: resolved, audience: audience, name: mapperName)])
        let removed = try converge(fragment, live: live)
        if removed.isEmpty {
            record(
                Change(
                    kind: "audience-mapper", name: "\(mapperName ?? audience?.value ?? "?") on \(container.label)",
                    outcome: .unchanged, details: ["not present"]))
        } else if !dryRun {
            let ids = Set(
                removed.compactMap { change -> String? in
                    switch change.action {
                    case .deleteMapper(_, let id), .deleteClientMapper(_, let id): return id
                    default: return nil
                    }
                })
            updateMappers(of: container, id: located.id) { $0.removeAll { ids.contains($0["id"]?.stringValue ?? "") } }
        }
    }
}

extension Lookup {
    /// Audience mappers on one container, or on every client scope and client of the realm.
    public func audienceMappers(in container: MapperContainer?) throws -> [AudienceMapperRef] {
        func refs(_ mappers: [JSON], _ container: MapperContainer, _ containerID: String) -> [AudienceMapperRef] {
            mappers.compactMap { mapper in
                guard mapper["protocolMapper"]?.stringValue == audienceMapperType, let id = mapper["id"]?.stringValue else {
                    return nil
                }
                return AudienceMapperRef(
                    id: id, name: mapper["name"]?.stringValue ?? "", audience: AudienceValue.from(config: mapper["config"]),
                    config: mapper["config"] ?? [:], container: container, containerID: containerID)
            }
        }
        switch container {
        case .clientScope(let name):
            let scope = try requireClientScope(name)
            return refs(scope.representation["protocolMappers"]?.arrayValue ?? [], .clientScope(scope.name), scope.id)
        case .client(let name):
            let client = try requireClient(name)
            return refs(client.representation["protocolMappers"]?.arrayValue ?? [], .client(client.clientId), client.id)
        case nil:
            var result: [AudienceMapperRef] = []
            for scope in try clientScopes() {
                result += refs(scope.representation["protocolMappers"]?.arrayValue ?? [], .clientScope(scope.name), scope.id)
            }
            for client in try api.getArray("clients", realm: realm) {
                guard let id = client["id"]?.stringValue, let clientId = client["clientId"]?.stringValue else { continue }
                result += refs(client["protocolMappers"]?.arrayValue ?? [], .client(clientId), id)
            }
            return result
        }
    }
}

/// An audience mapper that reaches a client's tokens, and how: the client's own mapper, a default
/// scope (every token), or an optional scope (only when the token request asks for it).
public struct ReachingAudienceMapper: Sendable, Equatable {
    public enum Via: String, Sendable { case client, defaultScope = "default-scope", optionalScope = "optional-scope" }
    public let mapper: AudienceMapperRef
    public let via: Via

    public var json: JSON {
        guard case .object(var object) = mapper.json else { return mapper.json }
        object["via"] = .string(via.rawValue)
        return .object(object)
    }
}

extension Lookup {
    /// The audience mappers whose audiences `clientName`'s tokens get: its own, then those of its
    /// default scopes, then of its optional scopes. Three list requests besides the client's.
    public func audienceMappers(reaching clientName: String) throws -> [ReachingAudienceMapper] {
        let client = try requireClient(clientName)
        var result = try audienceMappers(in: .client(client.clientId)).map { ReachingAudienceMapper(mapper: $0, via: .client) }
        let scopes = try clientScopes()
        for (list, via) in [(ScopeList.default, ReachingAudienceMapper.Via.defaultScope), (.optional, .optionalScope)] {
            let ids = Set(
                try api.getArray("clients/\(client.id)/\(list.clientEndpoint)", realm: realm).compactMap { $0["id"]?.stringValue }
            )
            for scope in scopes where ids.contains(scope.id) {
                for mapper in scope.representation["protocolMappers"]?.arrayValue ?? [] {
                    guard mapper["protocolMapper"]?.stringValue == audienceMapperType, let id = mapper["id"]?.stringValue else {
                        continue
                    }
                    let ref = AudienceMapperRef(
                        id: id, name: mapper["name"]?.stringValue ?? "", audience: AudienceValue.from(config: mapper["config"]),
                        config: mapper["config"] ?? [:], container: .clientScope(scope.name), containerID: scope.id)
                    result.append(ReachingAudienceMapper(mapper: ref, via: via))
                }
            }
        }
        return result
    }
}
