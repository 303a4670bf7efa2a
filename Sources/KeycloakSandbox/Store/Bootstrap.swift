// Realm creation as Keycloak 26's RealmManager does it: built-in roles, client scopes, default
// scope lists, built-in clients, `realm-management` (or `master-realm`) admin roles, and the
// master realm with its admin user.
import KcxJSON

/// The per-realm administration roles (on `realm-management`, and on `<realm>-realm` in master).
public enum AdminRoleNames {
    public static let all = [
        "create-client", "impersonation", "manage-authorization", "manage-clients", "manage-events",
        "manage-identity-providers", "manage-realm", "manage-users", "query-clients", "query-groups",
        "query-realms", "query-users", "view-authorization", "view-clients", "view-events",
        "view-identity-providers", "view-realm", "view-users",
    ]
    /// Keycloak makes the view roles imply the matching query roles.
    static let impliedQueries = ["view-clients": ["query-clients"], "view-users": ["query-users", "query-groups"]]
}

extension StoreState {
    /// Creates `master` with its admin user, as a fresh Keycloak 26 does on first start.
    public mutating func bootstrapMaster(adminUsername: String = "admin", adminPassword: String, now: Double) {
        let masterIndex = createRealm(name: "master", id: nil, now: now)
        var master = realms[masterIndex]
        master.representation["enabled"] = true
        master.representation["accessTokenLifespan"] = 60
        master.representation = Self.inserting(
            [("displayName", "Keycloak"), ("displayNameHtml", "<div class=\"kc-logo-text\"><span>Keycloak</span></div>")],
            after: "realm", in: master.representation)
        let createRealmRole = Role(
            id: SandboxStore.newId(), name: "create-realm", description: "${role_create-realm}", clientRole: false,
            containerId: master.id)
        var adminRole = Role(
            id: SandboxStore.newId(), name: "admin", description: "${role_admin}", clientRole: false,
            containerId: master.id)
        adminRole.compositeIds = [createRealmRole.id]
        master.roles.insert(contentsOf: [adminRole, createRealmRole], at: 0)
        var admin = User(id: SandboxStore.newId(), username: adminUsername, createdTimestamp: Int64(now * 1000))
        admin.attributes["is_temporary_admin"] = ["true"]
        admin.setPassword(adminPassword, temporary: false, now: now)
        admin.roleIds = [adminRole.id] + (master.realmRole(name: "default-roles-master").map { [$0.id] } ?? [])
        master.users.append(admin)
        realms[masterIndex] = master
        // The master realm's own admin client was created with the realm; its roles join `admin`.
        linkAdminClient(forRealm: "master")
    }

    /// Creates a realm with Keycloak's built-ins and returns its index. The caller applies the
    /// body's settings afterwards. In `master` a `<name>-realm` client gets the admin roles.
    @discardableResult
    public mutating func createRealm(name: String, id: String?, now: Double) -> Int {
        let realmId = id ?? SandboxStore.newId()
        var representation = RealmDefaults.representation
        representation["id"] = .string(realmId)
        representation["realm"] = .string(name)
        var realm = Realm(id: realmId, name: name, representation: representation)

        let offlineAccess = Role(
            id: SandboxStore.newId(), name: "offline_access", description: "${role_offline-access}",
            clientRole: false, containerId: realmId)
        let umaAuthorization = Role(
            id: SandboxStore.newId(), name: "uma_authorization", description: "${role_uma_authorization}",
            clientRole: false, containerId: realmId)
        var defaultRoles = Role(
            id: SandboxStore.newId(), name: "default-roles-\(name)", description: "${role_default-roles}",
            clientRole: false, containerId: realmId)

        for scopeJSON in BuiltinClientScopes.representations {
            var scope = ClientScope(
                id: SandboxStore.newId(), name: scopeJSON["name"]?.stringValue ?? "",
                description: scopeJSON["description"]?.stringValue,
                loginProtocol: scopeJSON["protocol"]?.stringValue ?? "openid-connect",
                attributes: scopeJSON["attributes"]?.objectValue ?? JSONObject())
            scope.protocolMappers = (scopeJSON["protocolMappers"]?.arrayValue ?? []).compactMap {
                guard let mapper = $0.objectValue else { return nil }
                return ProtocolMapper(
                    id: SandboxStore.newId(), name: mapper["name"]?.stringValue ?? "",
                    loginProtocol: mapper["protocol"]?.stringValue ?? "",
                    protocolMapper: mapper["protocolMapper"]?.stringValue ?? "",
                    config: mapper["config"]?.objectValue ?? JSONObject())
            }
            if scope.name == "offline_access" { scope.scopeMappingRoleIds = [offlineAccess.id] }
            realm.clientScopes.append(scope)
        }
        realm.defaultDefaultScopeIds = BuiltinClientScopes.realmDefaults.compactMap { realm.clientScope(name: $0)?.id }
        realm.defaultOptionalScopeIds = BuiltinClientScopes.realmOptionals.compactMap { realm.clientScope(name: $0)?.id }

        // Built-in clients, in the order Keycloak lists them (by clientId).
        var account = builtinClient(realm, "account", name: "${client_account}", publicClient: true)
        account.fields["rootUrl"] = "${authBaseUrl}"
        account.fields["baseUrl"] = .string("/realms/\(name)/account/")
        account.fields["redirectUris"] = [.string("/realms/\(name)/account/*")]
        account.fields["attributes"] = ["post.logout.redirect.uris": "+", "realm_client": "false"]
        let manageAccountLinks = clientRole(account, "manage-account-links")
        var manageAccount = clientRole(account, "manage-account")
        manageAccount.compositeIds = [manageAccountLinks.id]
        let viewConsent = clientRole(account, "view-consent")
        var manageConsent = clientRole(account, "manage-consent")
        manageConsent.compositeIds = [viewConsent.id]
        let viewProfile = clientRole(account, "view-profile")
        let viewGroups = clientRole(account, "view-groups")
        account.roles = [
            viewProfile, manageAccount, manageAccountLinks, clientRole(account, "view-applications"), viewConsent,
            manageConsent, clientRole(account, "delete-account"), viewGroups,
        ]

        var accountConsole = builtinClient(realm, "account-console", name: "${client_account-console}", publicClient: true)
        accountConsole.fields["rootUrl"] = "${authBaseUrl}"
        accountConsole.fields["baseUrl"] = .string("/realms/\(name)/account/")
        accountConsole.fields["redirectUris"] = [.string("/realms/\(name)/account/*")]
        accountConsole.fields["attributes"] = [
            "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "+", "realm_client": "false",
        ]
        accountConsole.protocolMappers = [
            ProtocolMapper(
                id: SandboxStore.newId(), name: "audience resolve", loginProtocol: "openid-connect",
                protocolMapper: "oidc-audience-resolve-mapper", config: JSONObject())
        ]
        accountConsole.scopeMappingRoleIds = [manageAccount.id, viewGroups.id]

        var adminCLI = builtinClient(realm, "admin-cli", name: "${client_admin-cli}", publicClient: true)
        adminCLI.fields["standardFlowEnabled"] = false
        adminCLI.fields["directAccessGrantsEnabled"] = true
        adminCLI.fields["attributes"] = ["client.use.lightweight.access.token.enabled": "true", "realm_client": "false"]
        adminCLI.fields["fullScopeAllowed"] = true

        var broker = builtinClient(realm, "broker", name: "${client_broker}", publicClient: false)
        broker.fields["bearerOnly"] = true
        broker.fields["attributes"] = ["realm_client": "true"]
        broker.roles = [clientRole(broker, "read-token")]

        var console = builtinClient(realm, "security-admin-console", name: "${client_security-admin-console}", publicClient: true)
        console.fields["rootUrl"] = "${authAdminUrl}"
        console.fields["baseUrl"] = .string("/admin/\(name)/console/")
        console.fields["redirectUris"] = [.string("/admin/\(name)/console/*")]
        console.fields["webOrigins"] = ["+"]
        console.fields["attributes"] = [
            "client.use.lightweight.access.token.enabled": "true", "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "+", "realm_client": "false",
        ]
        console.fields["fullScopeAllowed"] = true
        if let locale = realm.clientScope(name: "profile")?.protocolMappers.first(where: { $0.name == "locale" }) {
            var mapper = locale
            mapper.id = SandboxStore.newId()
            console.protocolMappers = [mapper]
        }

        realm.clients = [account, accountConsole, adminCLI, broker]
        if name != "master" {
            realm.clients.append(
                adminClient(realm, clientId: "realm-management", name: "${client_realm-management}", withRealmAdmin: true))
        }
        realm.clients.append(console)

        defaultRoles.compositeIds = [offlineAccess.id, umaAuthorization.id, viewProfile.id, manageAccount.id]
        realm.roles = [defaultRoles, offlineAccess, umaAuthorization]
        realms.append(realm)

        if name != "master" { linkAdminClient(forRealm: name) }
        return realms.count - 1
    }

    /// Creates `<realm>-realm` in master holding the realm's admin roles, and makes them
    /// composites of master's `admin` role (RealmManager.setupMasterAdminManagement).
    mutating func linkAdminClient(forRealm realmName: String) {
        guard let masterIndex = realmIndex(named: "master") else { return }
        var master = realms[masterIndex]
        let client = adminClient(master, clientId: "\(realmName)-realm", name: "\(realmName) Realm", withRealmAdmin: false)
        let position = master.clients.firstIndex { $0.clientId > client.clientId } ?? master.clients.count
        master.clients.insert(client, at: position)
        if let adminIndex = master.roles.firstIndex(where: { $0.name == "admin" }) {
            master.roles[adminIndex].compositeIds.append(contentsOf: client.roles.map(\.id))
        }
        realms[masterIndex] = master
    }

    /// Removes `<realm>-realm` from master when a realm is deleted.
    mutating func unlinkAdminClient(forRealm realmName: String) {
        guard let masterIndex = realmIndex(named: "master"),
            let clientIndex = realms[masterIndex].clients.firstIndex(where: { $0.clientId == "\(realmName)-realm" })
        else { return }
        let roleIds = Set(realms[masterIndex].clients[clientIndex].roles.map(\.id))
        realms[masterIndex].clients.remove(at: clientIndex)
        for index in realms[masterIndex].roles.indices {
            realms[masterIndex].roles[index].compositeIds.removeAll { roleIds.contains($0) }
        }
        for index in realms[masterIndex].users.indices {
            realms[masterIndex].users[index].roleIds.removeAll { roleIds.contains($0) }
        }
    }

    private func adminClient(_ realm: Realm, clientId: String, name: String, withRealmAdmin: Bool) -> Client {
        var client = builtinClient(realm, clientId, name: name, publicClient: false)
        client.fields["bearerOnly"] = true
        client.fields["protocol"] = nil
        client.fields["attributes"] = ["realm_client": "true"]
        var roles = AdminRoleNames.all.map { clientRole(client, $0) }
        for (viewRole, queries) in AdminRoleNames.impliedQueries {
            guard let index = roles.firstIndex(where: { $0.name == viewRole }) else { continue }
            roles[index].compositeIds = queries.compactMap { query in roles.first { $0.name == query }?.id }
        }
        if withRealmAdmin {
            var realmAdmin = clientRole(client, "realm-admin")
            realmAdmin.compositeIds = roles.map(\.id)
            roles.insert(realmAdmin, at: 0)
        }
        client.roles = roles
        return client
    }

    private func builtinClient(_ realm: Realm, _ clientId: String, name: String, publicClient: Bool) -> Client {
        let fields = JSONObject([
            ("clientId", .string(clientId)), ("name", .string(name)), ("surrogateAuthRequired", false),
            ("enabled", true), ("alwaysDisplayInConsole", false), ("clientAuthenticatorType", "client-secret"),
            ("redirectUris", []), ("webOrigins", []), ("notBefore", 0), ("bearerOnly", false),
            ("consentRequired", false), ("standardFlowEnabled", true), ("implicitFlowEnabled", false),
            ("directAccessGrantsEnabled", false), ("serviceAccountsEnabled", false),
            ("publicClient", .bool(publicClient)), ("frontchannelLogout", false), ("protocol", "openid-connect"),
            ("attributes", ["realm_client": "false"]), ("authenticationFlowBindingOverrides", [:]),
            ("fullScopeAllowed", false), ("nodeReRegistrationTimeout", 0),
        ])
        var client = Client(id: SandboxStore.newId(), fields: fields)
        client.defaultScopeIds = realm.defaultDefaultScopeIds.filter {
            realm.clientScope(id: $0)?.loginProtocol == "openid-connect"
        }
        client.optionalScopeIds = realm.defaultOptionalScopeIds.filter {
            realm.clientScope(id: $0)?.loginProtocol == "openid-connect"
        }
        return client
    }

    private func clientRole(_ client: Client, _ name: String) -> Role {
        Role(id: SandboxStore.newId(), name: name, description: "${role_\(name)}", clientRole: true, containerId: client.id)
    }

    private static func inserting(_ entries: [(String, JSON)], after key: String, in object: JSONObject) -> JSONObject {
        var out = JSONObject()
        for (existingKey, value) in object {
            out[existingKey] = value
            if existingKey == key { for (newKey, newValue) in entries { out[newKey] = newValue } }
        }
        return out
    }
}
