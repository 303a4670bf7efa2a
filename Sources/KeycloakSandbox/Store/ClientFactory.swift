// Client creation and removal as Keycloak's ClientManager does them (admin-api.md §3.2, §3.3):
// generic defaults, the OIDC factory's extra defaults when `protocol` is named, secret, mappers,
// inherited or named client scopes, and the service-account user.
import KcxJSON

public enum ClientCreateError: Error, Equatable {
    /// 409 `Client <clientId> already exists` (also for a clashing mapper id).
    case duplicate(String)
    /// No `clientId` in the body.
    case missingClientId
}

public enum ClientFactory {
    /// Booleans Keycloak coerces from strings when binding a ClientRepresentation.
    static let booleanFields: Set<String> = [
        "surrogateAuthRequired", "enabled", "alwaysDisplayInConsole", "bearerOnly", "consentRequired",
        "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled",
        "authorizationServicesEnabled", "publicClient", "frontchannelLogout", "fullScopeAllowed",
    ]
    /// Fields with their own routes or computed on read; never stored in `Client.fields`.
    static let unstoredFields: Set<String> = [
        "id", "protocolMappers", "defaultClientScopes", "optionalClientScopes", "access", "authorizationSettings",
        "directGrantsOnly", "clientTemplate", "useTemplateConfig", "useTemplateScope", "useTemplateMappers",
        "defaultRoles", "registrationAccessToken", "type",
    ]

    /// Creates the client in `realm` and returns its id. `mapperIdInUse` answers for mapper ids
    /// anywhere on the server (they are unique server-wide).
    public static func create(
        _ body: JSONObject, in realm: inout Realm, now: Double, mapperIdInUse: (String) -> Bool = { _ in false }
    ) throws(ClientCreateError) -> String {
        guard let clientId = body["clientId"]?.stringValue else { throw .missingClientId }
        let id = body["id"]?.stringValue ?? SandboxStore.newId()
        if realm.client(clientId: clientId) != nil || realm.client(id: id) != nil { throw .duplicate(clientId) }

        var fields = JSONObject([
            ("clientId", .string(clientId)), ("surrogateAuthRequired", false), ("enabled", true),
            ("alwaysDisplayInConsole", false), ("clientAuthenticatorType", "client-secret"), ("redirectUris", []),
            ("webOrigins", []), ("notBefore", 0), ("bearerOnly", false), ("consentRequired", false),
            ("standardFlowEnabled", true), ("implicitFlowEnabled", false), ("directAccessGrantsEnabled", false),
            ("serviceAccountsEnabled", false), ("publicClient", false), ("frontchannelLogout", false),
            ("protocol", "openid-connect"), ("attributes", ["realm_client": "false"]),
            ("authenticationFlowBindingOverrides", [:]), ("fullScopeAllowed", true), ("nodeReRegistrationTimeout", -1),
        ])
        apply(body, to: &fields)
        // Only when the body names the protocol does the OIDC factory's setupClientDefaults run.
        if body["protocol"]?.stringValue == "openid-connect" {
            if body["publicClient"] == nil && body["bearerOnly"] == nil { fields["publicClient"] = true }
            if body["directAccessGrantsEnabled"] == nil { fields["directAccessGrantsEnabled"] = true }
            var attributes = fields["attributes"]?.objectValue ?? JSONObject()
            if attributes["backchannel.logout.url"] == nil {
                if attributes["backchannel.logout.session.required"] == nil {
                    attributes["backchannel.logout.session.required"] = "true"
                }
                if attributes["backchannel.logout.revoke.offline.tokens"] == nil {
                    attributes["backchannel.logout.revoke.offline.tokens"] = "false"
                }
            }
            fields["attributes"] = .object(attributes)
        }
        var client = Client(id: id, fields: fields)
        refreshSecret(&client, now: now, keepGiven: true)

        for mapperBody in body["protocolMappers"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            let mapper = makeMapper(mapperBody, defaultProtocol: client.loginProtocol ?? "openid-connect")
            if mapperIdInUse(mapper.id) || realm.clients.contains(where: { $0.protocolMappers.contains { $0.id == mapper.id } })
                || client.protocolMappers.contains(where: { $0.id == mapper.id })
            {
                throw .duplicate(clientId)
            }
            client.protocolMappers.append(mapper)
        }

        if body["defaultClientScopes"]?.arrayValue != nil || body["optionalClientScopes"]?.arrayValue != nil {
            // Naming either list replaces both inherited lists; unknown names are dropped silently.
            for name in body["defaultClientScopes"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                attach(realm.clientScope(name: name), to: &client, optional: false)
            }
            for name in body["optionalClientScopes"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                attach(realm.clientScope(name: name), to: &client, optional: true)
            }
        } else {
            for scopeId in realm.defaultDefaultScopeIds { attach(realm.clientScope(id: scopeId), to: &client, optional: false) }
            for scopeId in realm.defaultOptionalScopeIds { attach(realm.clientScope(id: scopeId), to: &client, optional: true) }
        }
        realm.clients.append(client)
        if client.serviceAccountsEnabled { enableServiceAccount(clientId: id, in: &realm, now: now) }
        return id
    }

    /// Writes the body's non-null fields over `fields` (merge semantics, attributes key by key).
    public static func apply(_ body: JSONObject, to fields: inout JSONObject) {
        for (key, value) in body where !value.isNull && !unstoredFields.contains(key) {
            switch key {
            case "attributes":
                var attributes = fields["attributes"]?.objectValue ?? JSONObject()
                for (name, attributeValue) in value.objectValue ?? JSONObject() {
                    attributes[name] = attributeValue.isNull ? nil : .string(attributeValue.plainText)
                }
                fields["attributes"] = .object(attributes)
            case _ where booleanFields.contains(key):
                if case .string(let text) = value { fields[key] = .bool(text == "true") } else { fields[key] = value }
            case "notBefore", "nodeReRegistrationTimeout":
                if case .string(let text) = value, let number = Int64(text) {
                    fields[key] = .int(number)
                } else {
                    fields[key] = value
                }
            case "redirectUris", "webOrigins", "registeredNodes", "authenticationFlowBindingOverrides":
                fields[key] = value
            default:
                if case .string = value {
                    fields[key] = value
                } else if value.objectValue == nil && value.arrayValue == nil {
                    fields[key] = .string(value.plainText)
                } else {
                    fields[key] = value
                }
            }
        }
    }

    /// Public and bearer-only clients hold no secret; a confidential one without a secret gets one.
    public static func refreshSecret(_ client: inout Client, now: Double, keepGiven: Bool) {
        if client.publicClient || client.bearerOnly {
            client.fields["secret"] = nil
            return
        }
        if client.secret == nil || !keepGiven {
            regenerateSecret(&client, now: now)
        }
    }

    public static func regenerateSecret(_ client: inout Client, now: Double) {
        client.fields["secret"] = .string(SandboxStore.newSecret())
        var attributes = client.fields["attributes"]?.objectValue ?? JSONObject()
        attributes["client.secret.creation.time"] = .string(String(Int64(now)))
        client.fields["attributes"] = .object(attributes)
    }

    /// A mapper from its representation: id honoured, empty config values dropped (§5.3).
    public static func makeMapper(_ body: JSONObject, defaultProtocol: String?) -> ProtocolMapper {
        var config = JSONObject()
        for (key, value) in body["config"]?.objectValue ?? JSONObject() {
            if value.isNull { continue }
            let text = value.plainText
            if text.isEmpty { continue }
            config[key] = .string(text)
        }
        return ProtocolMapper(
            id: body["id"]?.stringValue ?? SandboxStore.newId(), name: body["name"]?.stringValue ?? "",
            loginProtocol: body["protocol"]?.stringValue ?? defaultProtocol ?? "",
            protocolMapper: body["protocolMapper"]?.stringValue ?? "",
            config: config)
    }

    /// Whether a client accepts a scope of `scopeProtocol`: OIDC (or protocol-less) clients take
    /// `openid-connect` and `oid4vc` scopes, others only their own protocol (§6).
    public static func accepts(_ client: Client, scopeProtocol: String) -> Bool {
        let clientProtocol = client.loginProtocol ?? "openid-connect"
        if clientProtocol == "openid-connect" { return scopeProtocol == "openid-connect" || scopeProtocol == "oid4vc" }
        return scopeProtocol == clientProtocol
    }

    /// Attaches a scope unless it is missing, of a foreign protocol, or already attached (by name) in
    /// either list: all silent, as the JPA insert filter is. Returns whether it was attached.
    @discardableResult
    public static func attach(_ scope: ClientScope?, to client: inout Client, optional: Bool) -> Bool {
        guard let scope, accepts(client, scopeProtocol: scope.loginProtocol) else { return false }
        if client.defaultScopeIds.contains(scope.id) || client.optionalScopeIds.contains(scope.id) { return false }
        if optional { client.optionalScopeIds.append(scope.id) } else { client.defaultScopeIds.append(scope.id) }
        return true
    }

    /// ClientManager.enableServiceAccount: the `service-account-<clientId>` user and the
    /// `service_account` default scope.
    public static func enableServiceAccount(clientId id: String, in realm: inout Realm, now: Double) {
        guard let index = realm.clientIndex(id: id) else { return }
        realm.clients[index].fields["serviceAccountsEnabled"] = true
        if realm.clients[index].serviceAccountUserId == nil {
            var user = User(
                id: SandboxStore.newId(), username: "service-account-\(realm.clients[index].clientId)",
                createdTimestamp: Int64(now * 1000))
            user.serviceAccountClientId = id
            if let defaultRoles = realm.realmRole(name: "default-roles-\(realm.name)") { user.roleIds = [defaultRoles.id] }
            realm.users.append(user)
            realm.clients[index].serviceAccountUserId = user.id
        }
        attach(realm.clientScope(name: "service_account"), to: &realm.clients[index], optional: false)
    }

    /// ClientManager.removeClient: the client, its service-account user, its sessions, and every
    /// reference to its roles.
    public static func remove(clientId id: String, from realm: inout Realm) {
        guard let index = realm.clientIndex(id: id) else { return }
        let client = realm.clients.remove(at: index)
        let roleIds = Set(client.roles.map(\.id))
        if let userId = client.serviceAccountUserId { realm.users.removeAll { $0.id == userId } }
        realm.sessions.removeAll { $0.clientId == id }
        realm.removeRoleReferences(roleIds)
    }
}

extension Realm {
    /// Drops role ids from user mappings, composites and scope mappings (a role or its client was deleted).
    public mutating func removeRoleReferences(_ roleIds: Set<String>) {
        guard !roleIds.isEmpty else { return }
        for index in users.indices { users[index].roleIds.removeAll { roleIds.contains($0) } }
        for index in roles.indices { roles[index].compositeIds.removeAll { roleIds.contains($0) } }
        for index in clientScopes.indices { clientScopes[index].scopeMappingRoleIds.removeAll { roleIds.contains($0) } }
        for clientIndex in clients.indices {
            clients[clientIndex].scopeMappingRoleIds.removeAll { roleIds.contains($0) }
            for roleIndex in clients[clientIndex].roles.indices {
                clients[clientIndex].roles[roleIndex].compositeIds.removeAll { roleIds.contains($0) }
            }
        }
    }
}

extension StoreState {
    /// Every protocol-mapper id on the server (they are unique server-wide, §5.3).
    public func mapperIdInUse(_ id: String) -> Bool {
        realms.contains { realm in
            realm.clients.contains { $0.protocolMappers.contains { $0.id == id } }
                || realm.clientScopes.contains { $0.protocolMappers.contains { $0.id == id } }
        }
    }

    /// Follows a realm rename in master's `<realm>-realm` client.
    mutating func renameAdminClient(from oldName: String, to newName: String) {
        guard let masterIndex = realmIndex(named: "master"),
            let clientIndex = realms[masterIndex].clients.firstIndex(where: { $0.clientId == "\(oldName)-realm" })
        else { return }
        realms[masterIndex].clients[clientIndex].fields["clientId"] = .string("\(newName)-realm")
        realms[masterIndex].clients[clientIndex].fields["name"] = .string("\(newName) Realm")
    }
}
