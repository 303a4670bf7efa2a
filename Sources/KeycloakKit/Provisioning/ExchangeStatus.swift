// Read-only views of a client's token-exchange settings and of the audiences its tokens carry.
import KcxJSON

/// An audience a client's tokens can carry, and what has to happen for it to appear.
public struct ReachableAudience: Sendable, Equatable {
    public let audience: String
    /// `client` (own mapper), `default scope X` or `optional scope X`.
    public let via: String
    /// False when the mapper's access-token switch is off.
    public let inAccessToken: Bool
}

public struct ExchangeStatus: Sendable, Equatable {
    public let clientId: String
    public let publicClient: Bool
    public let standardEnabled: Bool
    public let refreshAllowed: Bool
    /// nil when the server has no fine-grained permissions v1 (legacy exchange unavailable).
    public let legacyRequesters: [String]?
    public let audiences: [ReachableAudience]

    public var json: JSON {
        var object = JSONObject([
            ("client", .string(clientId)), ("public", .bool(publicClient)), ("standardExchange", .bool(standardEnabled)),
            ("refreshAllowed", .bool(refreshAllowed)),
        ])
        object["legacyRequesters"] = legacyRequesters.map { .array($0.map { .string($0) }) } ?? .null
        object["audiences"] = .array(
            audiences.map { ["audience": .string($0.audience), "via": .string($0.via), "accessToken": .bool($0.inAccessToken)] })
        return .object(object)
    }
}

extension Lookup {
    /// The audience mappers that apply to tokens of `client`: its own, its default scopes', and its
    /// optional scopes' (the latter only when requested).
    public func reachableAudiences(of client: ClientRef) throws -> [ReachableAudience] {
        var result: [ReachableAudience] = []
        func add(_ mappers: [JSON], via: String) {
            for mapper in mappers where mapper["protocolMapper"]?.stringValue == audienceMapperType {
                guard let audience = AudienceValue.from(config: mapper["config"]) else { continue }
                result.append(
                    ReachableAudience(
                        audience: audience.value, via: via,
                        inAccessToken: mapper["config"]?["access.token.claim"]?.stringValue == "true"))
            }
        }
        add(client.representation["protocolMappers"]?.arrayValue ?? [], via: "client")
        let scopes = try clientScopes()
        for list in ScopeList.allCases {
            let assigned = try api.getArray("clients/\(client.id)/\(list.clientEndpoint)", realm: realm)
            for entry in assigned {
                guard let scope = scopes.first(where: { $0.id == entry["id"]?.stringValue }) else { continue }
                add(scope.representation["protocolMappers"]?.arrayValue ?? [], via: "\(list.rawValue) scope \(scope.name)")
            }
        }
        return result
    }

    public func exchangeStatus(of clientName: String, features: ServerFeatures) throws -> ExchangeStatus {
        let client = try requireClient(clientName)
        let attributes = client.representation["attributes"]
        return ExchangeStatus(
            clientId: client.clientId, publicClient: client.representation["publicClient"]?.boolValue ?? false,
            standardEnabled: attributes?[standardExchangeAttribute]?.stringValue == "true",
            refreshAllowed: attributes?[exchangeRefreshAttribute]?.stringValue == "SAME_SESSION",
            legacyRequesters: features.fineGrainedV1 ? try legacyRequesters(of: client) : nil,
            audiences: try reachableAudiences(of: client))
    }

    /// Clients named by the client policies attached to the target's token-exchange permission.
    func legacyRequesters(of target: ClientRef) throws -> [String] {
        let permissions = try api.get("clients/\(target.id)/management/permissions", realm: realm)
        guard permissions["enabled"]?.boolValue == true,
            let permissionID = permissions["scopePermissions"]?["token-exchange"]?.stringValue
        else {
            return []
        }
        let base: Endpoint = "clients/\(try requireClient("realm-management").id)/authz/resource-server"
        var names: [String] = []
        for policy in try api.getArray("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm) {
            guard policy["type"]?.stringValue == "client", let id = policy["id"]?.stringValue else { continue }
            let detail = try api.get("\(base)/policy/client/\(id)", realm: realm)
            for clientID in clientPolicyMembers(detail) {
                names.append(try client(clientID)?.clientId ?? clientID)
            }
        }
        return names
    }
}
