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
    /// One policy attached to the permission.
    public struct Policy: Sendable, Equatable {
        public let id: String
        public let name: String
        /// `client`, `role`, `js`, ...: only client policies are judged; others may permit anyone.
        public let type: String
        /// clientIds a client policy permits.
        public let clients: [String]
    }

    public let target: String
    public let requesters: [String]
    public let policyNames: [String]
    public let decisionStrategy: String
    public var policies: [Policy] = []
    /// realm-management's id, for commands that edit a policy.
    public var authorizationClientID = ""
}

/// One way a requester may exchange for a target.
public struct ExchangePath: Sendable, Equatable {
    public enum Mechanism: String, Sendable { case standard, legacy }
    public let mechanism: Mechanism
    /// `default scope NAME`, `own mapper`, `client policy NAME`, ...
    public let via: String
    /// The command that takes this path away (shell-quoted).
    public let removal: String
    /// True for what kcx's own `allow` made (the TARGET-audience scope, kcx's exchange policy).
    public let ownedByKcx: Bool

    public var json: JSON {
        ["mechanism": .string(mechanism.rawValue), "via": .string(via), "remove": .string(removal), "kcx": .bool(ownedByKcx)]
    }
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
        for source in audienceSources(of: client, includeOptional: includeOptional) where !result.contains(source.site.audience) {
            result.append(source.site.audience)
        }
        return result
    }

    /// Each audience mapper that puts an audience into the client's access tokens, with how it reaches
    /// them: `own mapper`, `default scope NAME` or `optional scope NAME`. The one place that decides it.
    public func audienceSources(of client: SurveyedClient, includeOptional: Bool) -> [(site: AudienceMapperSite, via: String)] {
        var result: [(site: AudienceMapperSite, via: String)] = []
        for site in audienceMappers where site.inAccessToken {
            switch site.container {
            case .client(let name) where name == client.clientId: result.append((site, "own mapper"))
            case .clientScope(let name) where client.defaultScopes.contains(name): result.append((site, "default scope \(name)"))
            case .clientScope(let name) where includeOptional && client.optionalScopes.contains(name):
                result.append((site, "optional scope \(name)"))
            default: break
            }
        }
        return result
    }

    /// Every way `requester` may exchange a token for `target`'s audience, in either mechanism, each
    /// with the command that removes it: what `deny` must leave empty and `check` reports.
    public func exchangePaths(from requester: String, to target: String) -> [ExchangePath] {
        var paths: [ExchangePath] = []
        if features.standardExchange, let client = client(requester), client.standardExchange, requester != target {
            for (site, via) in audienceSources(of: client, includeOptional: true) where site.audience == target {
                let removal: String
                switch site.container {
                case .clientScope(let scope):
                    removal = Shell.kcx("client-scope", "unassign", scope, "--client", requester, "-r", realm)
                case .client:
                    removal = Shell.kcx(
                        "audience", "remove", site.namesClient ? "--audience" : "--custom-audience", target, "--client",
                        requester,
                        "--mapper-name", site.mapperName, "-r", realm)
                }
                paths.append(
                    ExchangePath(
                        mechanism: .standard, via: via, removal: removal,
                        ownedByKcx: site.container == .clientScope(audienceScopeName(for: target))))
            }
        }
        if features.legacyUsable, let permission = legacyPermissions.first(where: { $0.target == target }) {
            let judged = permission.policies.map { policy -> (LegacyExchangePermission.Policy, Bool?) in
                (policy, policy.type == "client" ? policy.clients.contains(requester) : nil)
            }
            // Keycloak's decision strategies over the policies' decisions; nil is a policy kcx cannot judge.
            let permits: Bool
            switch permission.decisionStrategy {
            case "AFFIRMATIVE": permits = judged.contains { $0.1 != false }
            case "CONSENSUS": permits = judged.filter { $0.1 != false }.count > judged.filter { $0.1 == false }.count
            default: permits = !judged.isEmpty && judged.allSatisfy { $0.1 != false }
            }
            if permits {
                for (policy, decision) in judged where decision != false {
                    let ours = policy.name == exchangePolicyName(forTarget: target)
                    let removal =
                        ours
                        ? Shell.kcx(
                            "token-exchange", "deny", "--from", requester, "--to", target, "--mode", "legacy", "-r", realm)
                        : Shell.kcx(
                            "delete",
                            "clients/\(URLEncoding.encode(permission.authorizationClientID))/authz/resource-server/policy/\(URLEncoding.encode(policy.id))",
                            "-r", realm)
                    let how =
                        decision == nil
                        ? "\(policy.type) policy \(policy.name) (kcx cannot tell whom it permits)"
                        : "client policy \(policy.name)"
                    paths.append(ExchangePath(mechanism: .legacy, via: how, removal: removal, ownedByKcx: ours))
                }
            }
        }
        return paths
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
            // The client list carries each client's scope names: read the lists only when it does not.
            if let defaults = rep["defaultClientScopes"]?.arrayValue, let optionals = rep["optionalClientScopes"]?.arrayValue {
                client.defaultScopes = defaults.compactMap(\.stringValue)
                client.optionalScopes = optionals.compactMap(\.stringValue)
            } else {
                client.defaultScopes = (try api.getArray("clients/\(id)/default-client-scopes", realm: realm)).compactMap {
                    $0["name"]?.stringValue ?? $0["id"]?.stringValue.flatMap { scopeNames[$0] }
                }
                client.optionalScopes = (try api.getArray("clients/\(id)/optional-client-scopes", realm: realm)).compactMap {
                    $0["name"]?.stringValue ?? $0["id"]?.stringValue.flatMap { scopeNames[$0] }
                }
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
            var policies: [LegacyExchangePermission.Policy] = []
            for policy in try api.get("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm).arrayValue
                ?? []
            {
                let name = policy["name"]?.stringValue ?? ""
                let type = policy["type"]?.stringValue ?? ""
                names.append(name)
                guard let id = policy["id"]?.stringValue else { continue }
                var members: [String] = []
                if type == "client" {
                    members = clientPolicyMembers(try api.get("\(base)/policy/client/\(id)", realm: realm)).map {
                        clientIdOf[$0] ?? $0
                    }
                    requesters += members
                }
                policies.append(LegacyExchangePermission.Policy(id: id, name: name, type: type, clients: members))
            }
            var entry = LegacyExchangePermission(
                target: client.clientId, requesters: requesters, policyNames: names,
                decisionStrategy: permission["decisionStrategy"]?.stringValue ?? "UNANIMOUS")
            entry.policies = policies
            entry.authorizationClientID = realmManagement
            result.append(entry)
        }
        return result
    }
}

/// The client-policy executor that refuses exchanges asking for scopes the subject token lacks.
public let downscopeExecutor = "downscope-assertion-grant-enforcer"
