// One read of everything doctor and graph judge: the realm, its clients, audience scopes and
// their assignments, standard and legacy exchange settings, events config and client policies.
import KcxJSON

/// A client as the security views see it.
public struct SurveyedClient: Sendable, Equatable {
    public let id: String
    public let clientId: String
    public let publicClient: Bool
    public let standardExchange: Bool
    /// The client attribute `access.token.lifespan` when set and numeric.
    public let accessTokenLifespan: Int?
    public let representation: JSON
    public var defaultScopes: [String] = []
    public var optionalScopes: [String] = []
}

/// A legacy (V1) token-exchange permission on a target client.
public struct LegacyExchangePermission: Sendable, Equatable {
    public let target: String
    public let requesters: [String]
    public let policyNames: [String]
    public let decisionStrategy: String
}

/// An audience mapper and where it sits.
public struct AudienceMapperSite: Sendable, Equatable {
    /// `scope NAME` or `client CLIENTID`.
    public let container: MapperContainer
    public let mapperName: String
    public let audience: String
    /// True when the audience is a clientId (`included.client.audience`).
    public let namesClient: Bool
    public let inAccessToken: Bool
}

public struct RealmSurvey: Sendable {
    public let realm: String
    public let realmRepresentation: JSON
    public let features: ServerFeatures
    /// Clients other than Keycloak's built-ins, in server order.
    public let clients: [SurveyedClient]
    /// Every clientId in the realm, built-ins included (audience mappers may name them).
    public let allClientIds: Set<String>
    public let scopes: [ClientScopeRef]
    /// Names of the realm's default default scopes (given to every new client).
    public let realmDefaultScopes: [String]
    public let audienceMappers: [AudienceMapperSite]
    public let legacyPermissions: [LegacyExchangePermission]
    /// nil when the server does not serve events config to this caller.
    public let eventsConfig: JSON?
    /// nil when the server does not serve client policies to this caller.
    public let clientProfiles: JSON?
    public let clientPolicies: JSON?

    /// Keycloak's own clients, left out of findings and pictures.
    public static let builtInClients: Set<String> = [
        "account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console",
    ]

    public static func isBuiltIn(_ clientId: String) -> Bool { builtInClients.contains(clientId) || clientId.hasSuffix("-realm") }

    public func client(_ clientId: String) -> SurveyedClient? { clients.first { $0.clientId == clientId } }

    /// Requesters allowed to exchange, standard or legacy.
    public var exchangeRequesters: [String] {
        var names = clients.filter(\.standardExchange).map(\.clientId)
        for permission in legacyPermissions {
            for requester in permission.requesters where !names.contains(requester) { names.append(requester) }
        }
        return names
    }

    /// Audiences a client's tokens carry without asking (own mappers and default scopes) and on request (optional scopes).
    public func audiences(of client: SurveyedClient, includeOptional: Bool) -> [String] {
        var result: [String] = []
        for site in audienceMappers where site.inAccessToken {
            let applies: Bool
            switch site.container {
            case .client(let name): applies = name == client.clientId
            case .clientScope(let name):
                applies = client.defaultScopes.contains(name) || (includeOptional && client.optionalScopes.contains(name))
            }
            if applies && !result.contains(site.audience) { result.append(site.audience) }
        }
        return result
    }

    /// Whether an enabled downscope policy applies to exchanges by this client: a policy without a
    /// client-scopes condition applies to every requester; one with it, to clients holding a listed scope as default.
    public func downscopeCovers(_ client: SurveyedClient) -> Bool {
        downscopePolicyEntries.contains { policy in
            let selectors = (policy["conditions"]?.arrayValue ?? []).filter { $0["condition"]?.stringValue == "client-scopes" }
            return selectors.allSatisfy { condition in
                let scopes = (condition["configuration"]?["scopes"]?.arrayValue ?? []).compactMap(\.stringValue)
                return scopes.contains { client.defaultScopes.contains($0) }
            }
        }
    }

    /// The enabled client policies whose profiles hold the downscope executor.
    public var downscopePolicies: [String] { downscopePolicyEntries.compactMap { $0["name"]?.stringValue } }

    var downscopePolicyEntries: [JSON] {
        let profiles = (clientProfiles?["profiles"]?.arrayValue ?? []).filter { profile in
            (profile["executors"]?.arrayValue ?? []).contains { $0["executor"]?.stringValue == downscopeExecutor }
        }.compactMap { $0["name"]?.stringValue }
        return (clientPolicies?["policies"]?.arrayValue ?? []).filter { policy in
            policy["enabled"]?.boolValue == true
                && (policy["profiles"]?.arrayValue ?? []).contains { profiles.contains($0.stringValue ?? "") }
        }
    }
}

extension Lookup {
    /// Reads the realm once. Events and client policies answering 403/404 become nil (unknown), not errors.
    public func survey() throws -> RealmSurvey {
        let realmRep = try api.get("realms/\(realm)", realm: realm)
        let features = ServerFeatures.from(serverInfo: try api.get("serverinfo", realm: realm))
        let allClients = try api.getArray("clients", realm: realm)
        let scopes = try clientScopes()
        let scopeNames = Dictionary(scopes.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        var clients: [SurveyedClient] = []
        var mappers: [AudienceMapperSite] = []
        func collect(_ list: [JSON], _ container: MapperContainer) {
            for mapper in list where mapper["protocolMapper"]?.stringValue == audienceMapperType {
                guard let audience = AudienceValue.from(config: mapper["config"]) else { continue }
                let isClient: Bool
                if case .client = audience { isClient = true } else { isClient = false }
                mappers.append(
                    AudienceMapperSite(
                        container: container, mapperName: mapper["name"]?.stringValue ?? "", audience: audience.value,
                        namesClient: isClient,
                        inAccessToken: mapper["config"]?["access.token.claim"]?.stringValue != "false"))
            }
        }
        for scope in scopes { collect(scope.representation["protocolMappers"]?.arrayValue ?? [], .clientScope(scope.name)) }
        for rep in allClients {
            guard let id = rep["id"]?.stringValue, let clientId = rep["clientId"]?.stringValue, !RealmSurvey.isBuiltIn(clientId)
            else { continue }
            let attributes = rep["attributes"]
            var client = SurveyedClient(
                id: id, clientId: clientId, publicClient: rep["publicClient"]?.boolValue ?? false,
                standardExchange: attributes?[standardExchangeAttribute]?.stringValue == "true",
                accessTokenLifespan: attributes?["access.token.lifespan"]?.stringValue.flatMap { Int($0) }, representation: rep)
            client.defaultScopes = (try api.getArray("clients/\(id)/default-client-scopes", realm: realm)).compactMap
            {
                $0["name"]?.stringValue ?? $0["id"]?.stringValue.flatMap { scopeNames[$0] }
            }
            client.optionalScopes = (try api.getArray("clients/\(id)/optional-client-scopes", realm: realm))
                .compactMap {
                    $0["name"]?.stringValue ?? $0["id"]?.stringValue.flatMap { scopeNames[$0] }
                }
            collect(rep["protocolMappers"]?.arrayValue ?? [], .client(clientId))
            clients.append(client)
        }
        let clientIds = Set(allClients.compactMap { $0["clientId"]?.stringValue })
        let realmDefaults = (try api.getArray("default-default-client-scopes", realm: realm)).compactMap {
            $0["name"]?.stringValue
        }
        var legacy: [LegacyExchangePermission] = []
        if features.fineGrainedV1 {
            legacy = try legacyPermissions(of: clients, allClients: allClients)
        }
        return RealmSurvey(
            realm: realm, realmRepresentation: realmRep, features: features, clients: clients, allClientIds: clientIds,
            scopes: scopes,
            realmDefaultScopes: realmDefaults, audienceMappers: mappers, legacyPermissions: legacy,
            eventsConfig: try optionalRead("events/config"), clientProfiles: try optionalRead("client-policies/profiles"),
            clientPolicies: try optionalRead("client-policies/policies"))
    }

    /// A read the caller may not be allowed (or the server may not offer): nil instead of an error.
    func optionalRead(_ endpoint: Endpoint) throws -> JSON? {
        do {
            return try api.get(endpoint, realm: realm)
        } catch let error as KcxError where error.code == .notFound || error.code == .authentication {
            return nil
        }
    }

    /// Each client's V1 token-exchange permission, when management permissions are on for it.
    func legacyPermissions(of clients: [SurveyedClient], allClients: [JSON]) throws -> [LegacyExchangePermission] {
        guard
            let realmManagement = allClients.first(where: { $0["clientId"]?.stringValue == "realm-management" })?["id"]?
                .stringValue
        else { return [] }
        let base: Endpoint = "clients/\(realmManagement)/authz/resource-server"
        let clientIdOf = Dictionary(
            allClients.compactMap { rep in rep["id"]?.stringValue.map { ($0, rep["clientId"]?.stringValue ?? $0) } },
            uniquingKeysWith: { a, _ in a })
        var result: [LegacyExchangePermission] = []
        for client in clients {
            let permissions = try api.get("clients/\(client.id)/management/permissions", realm: realm)
            guard permissions["enabled"]?.boolValue == true,
                let permissionID = permissions["scopePermissions"]?["token-exchange"]?.stringValue
            else { continue }
            let permission = try api.get("\(base)/permission/scope/\(permissionID)", realm: realm)
            var requesters: [String] = []
            var names: [String] = []
            for policy in try api.get("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm).arrayValue
                ?? []
            {
                names.append(policy["name"]?.stringValue ?? "")
                guard policy["type"]?.stringValue == "client", let id = policy["id"]?.stringValue else { continue }
                for member in clientPolicyMembers(try api.get("\(base)/policy/client/\(id)", realm: realm)) {
                    requesters.append(clientIdOf[member] ?? member)
                }
            }
            result.append(
                LegacyExchangePermission(
                    target: client.clientId, requesters: requesters, policyNames: names,
                    decisionStrategy: permission["decisionStrategy"]?.stringValue ?? "UNANIMOUS"))
        }
        return result
    }
}

/// The client-policy executor that refuses exchanges asking for scopes the subject token lacks.
public let downscopeExecutor = "downscope-assertion-grant-enforcer"
