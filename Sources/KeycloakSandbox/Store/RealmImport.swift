// Realm creation from a RealmRepresentation (`POST /admin/realms` and `--import`): built-ins first,
// then the body's settings, realm roles, client scopes, clients, client roles and users.
import KcxJSON

public enum RealmImport {
    public enum Outcome: Equatable {
        /// The new realm's name.
        case created(String)
        case conflict(String)
        case invalid(String)
    }

    /// Collection keys that are not plain settings (handled separately or not supported).
    static let collectionKeys: Set<String> = [
        "id", "realm", "defaultRole", "roles", "groups", "defaultRoles", "defaultGroups", "users", "federatedUsers",
        "scopeMappings", "clientScopeMappings", "clients", "clientScopes", "defaultDefaultClientScopes",
        "defaultOptionalClientScopes", "identityProviders", "identityProviderMappers", "protocolMappers",
        "components", "authenticationFlows", "authenticatorConfig", "requiredActions", "applications",
        "oauthClients", "clientTemplates", "applicationScopeMappings", "socialProviders", "organizations",
        "localizationTexts", "keycloakVersion", "privateKey", "publicKey", "certificate", "codeSecret",
    ]

    /// Whether `key` is a realm setting stored verbatim in the representation.
    public static func settingKeys(_ key: String) -> Bool { !collectionKeys.contains(key) }

    /// Creates the realm described by `body` in `state`. The caller keeps `state` only on `.created`.
    public static func importRealm(_ body: JSONObject, into state: inout StoreState, now: Double) -> Outcome {
        guard let name = body["realm"]?.stringValue, !name.isEmpty else { return .invalid("Realm name cannot be empty") }
        if state.realm(named: name) != nil { return .conflict("Realm \(name) already exists") }
        let index = state.createRealm(name: name, id: body["id"]?.stringValue, now: now)
        var realm = state.realms[index]
        for (key, value) in body where !value.isNull && settingKeys(key) { realm.representation[key] = value }

        for roleBody in body["roles"]?["realm"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let roleName = roleBody["name"]?.stringValue, realm.realmRole(name: roleName) == nil else { continue }
            realm.roles.append(
                Role(
                    id: roleBody["id"]?.stringValue ?? SandboxStore.newId(), name: roleName,
                    description: roleBody["description"]?.stringValue, clientRole: false, containerId: realm.id))
        }
        // Scopes named like a built-in replace it in place (keeping attachments); others are added.
        for scopeBody in body["clientScopes"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let scopeName = scopeBody["name"]?.stringValue else { continue }
            let existing = realm.clientScope(name: scopeName)
            var scope = ClientScope(
                id: existing?.id ?? scopeBody["id"]?.stringValue ?? SandboxStore.newId(), name: scopeName,
                description: scopeBody["description"]?.stringValue,
                loginProtocol: scopeBody["protocol"]?.stringValue ?? "openid-connect",
                attributes: scopeBody["attributes"]?.objectValue ?? JSONObject())
            scope.protocolMappers = (scopeBody["protocolMappers"]?.arrayValue?.compactMap(\.objectValue) ?? []).map {
                ClientFactory.makeMapper($0, defaultProtocol: scope.loginProtocol)
            }
            if let position = realm.clientScopes.firstIndex(where: { $0.name == scopeName }) {
                realm.clientScopes[position] = scope
            } else {
                realm.clientScopes.append(scope)
            }
        }
        if let names = body["defaultDefaultClientScopes"]?.arrayValue?.compactMap(\.stringValue) {
            realm.defaultDefaultScopeIds = names.compactMap { realm.clientScope(name: $0)?.id }
        }
        if let names = body["defaultOptionalClientScopes"]?.arrayValue?.compactMap(\.stringValue) {
            realm.defaultOptionalScopeIds = names.compactMap { realm.clientScope(name: $0)?.id }
        }
        for clientBody in body["clients"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            // Built-in clients named in the body keep the sandbox's built-in definition.
            if let clientId = clientBody["clientId"]?.stringValue, realm.client(clientId: clientId) != nil,
                isBuiltin(clientId, realm: name)
            {
                continue
            }
            do throws(ClientCreateError) {
                _ = try ClientFactory.create(clientBody, in: &realm, now: now, mapperIdInUse: state.mapperIdInUse)
            } catch {
                switch error {
                case .duplicate(let clientId): return .conflict("Client \(clientId) already exists")
                case .missingClientId: return .invalid("Client id is missing")
                }
            }
        }
        for (clientId, rolesJSON) in body["roles"]?["client"]?.objectValue ?? JSONObject() {
            guard let clientIndex = realm.clients.firstIndex(where: { $0.clientId == clientId }) else { continue }
            for roleBody in rolesJSON.arrayValue?.compactMap(\.objectValue) ?? [] {
                guard let roleName = roleBody["name"]?.stringValue, realm.clients[clientIndex].role(name: roleName) == nil
                else { continue }
                realm.clients[clientIndex].roles.append(
                    Role(
                        id: roleBody["id"]?.stringValue ?? SandboxStore.newId(), name: roleName,
                        description: roleBody["description"]?.stringValue, clientRole: true,
                        containerId: realm.clients[clientIndex].id))
            }
        }
        for userBody in body["users"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            if let message = importUser(userBody, into: &realm, now: now) { return .conflict(message) }
        }
        state.realms[index] = realm
        return .created(realm.name)
    }

    private static func isBuiltin(_ clientId: String, realm: String) -> Bool {
        ["account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"].contains(clientId)
    }

    /// Adds a user with its password, realm roles and client roles; a service-account user in the
    /// body links to its client's existing service-account user instead.
    static func importUser(_ body: JSONObject, into realm: inout Realm, now: Double) -> String? {
        guard let username = body["username"]?.stringValue else { return nil }
        var userIndex: Int
        if let clientId = body["serviceAccountClientId"]?.stringValue, let client = realm.client(clientId: clientId),
            let existing = client.serviceAccountUserId, let position = realm.users.firstIndex(where: { $0.id == existing })
        {
            userIndex = position
        } else {
            if realm.user(username: username) != nil { return "User exists with same username" }
            var user = User(
                id: body["id"]?.stringValue ?? SandboxStore.newId(), username: username,
                createdTimestamp: body["createdTimestamp"]?.intValue ?? Int64(now * 1000))
            user.firstName = body["firstName"]?.stringValue
            user.lastName = body["lastName"]?.stringValue
            user.email = body["email"]?.stringValue
            user.emailVerified = body["emailVerified"]?.boolValue ?? false
            user.enabled = body["enabled"]?.boolValue ?? false
            user.attributes = body["attributes"]?.objectValue ?? JSONObject()
            user.requiredActions = body["requiredActions"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if let defaultRoles = realm.realmRole(name: "default-roles-\(realm.name)") { user.roleIds = [defaultRoles.id] }
            for credential in body["credentials"]?.arrayValue?.compactMap(\.objectValue) ?? []
            where (credential["type"]?.stringValue ?? "password") == "password" {
                if let value = credential["value"]?.stringValue {
                    user.setPassword(value, temporary: credential["temporary"]?.boolValue ?? false, now: now)
                }
            }
            realm.users.append(user)
            userIndex = realm.users.count - 1
        }
        for roleName in body["realmRoles"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let role = realm.realmRole(name: roleName), !realm.users[userIndex].roleIds.contains(role.id) {
                realm.users[userIndex].roleIds.append(role.id)
            }
        }
        for (clientId, names) in body["clientRoles"]?.objectValue ?? JSONObject() {
            guard let client = realm.client(clientId: clientId) else { continue }
            for roleName in names.arrayValue?.compactMap(\.stringValue) ?? [] {
                if let role = client.role(name: roleName), !realm.users[userIndex].roleIds.contains(role.id) {
                    realm.users[userIndex].roleIds.append(role.id)
                }
            }
        }
        return nil
    }
}

extension SandboxStore {
    /// Loads realm representations at start (`--import`); each realm is all-or-nothing.
    public func importRealms(_ realms: [JSONObject], now: Double) -> [RealmImport.Outcome] {
        realms.map { body in
            withLock { state in
                var copy = state
                let outcome = RealmImport.importRealm(body, into: &copy, now: now)
                if case .created = outcome { state = copy }
                return outcome
            }
        }
    }
}
