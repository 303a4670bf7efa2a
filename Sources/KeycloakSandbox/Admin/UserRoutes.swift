// `/admin/realms/{realm}/users...`: search, create with credentials, read, update, delete,
// reset-password and role mappings.
import KcxJSON
import LoopbackHTTP

enum UserRoutes {
    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard let userId = tail.first else {
            switch call.method {
            case "GET": return search(call)
            case "POST": return create(call)
            default: return AdminResponse.methodNotAllowed
            }
        }
        if userId == "profile" && tail.count == 1 { return UserProfileConfig.route(call) }
        if userId == "count" && tail.count == 1 {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return count(call)
        }
        guard call.rights.queryUsers else { return AdminResponse.forbidden }
        guard call.store.read({ $0.realm(named: call.realmName)?.user(id: userId) != nil }) else {
            return AdminResponse.error(404, "User not found")
        }
        let rest = Array(tail.dropFirst())
        switch rest.first {
        case nil: return single(call, userId)
        case "reset-password" where rest.count == 1: return resetPassword(call, userId)
        case "groups": return GroupRoutes.userGroups(call, userId, Array(rest.dropFirst()))
        case "credentials": return UserSubresources.credentials(call, userId, Array(rest.dropFirst()))
        case "sessions" where rest.count == 1: return UserSubresources.sessions(call, userId)
        case "logout" where rest.count == 1: return UserSubresources.logout(call, userId)
        case "consents" where rest.count == 1: return UserSubresources.consents(call, userId)
        case "federated-identity": return FederatedIdentities.route(call, userId, Array(rest.dropFirst()))
        case "execute-actions-email" where rest.count == 1: return RealmExtrasRoutes.email(call, userId, verify: false)
        case "send-verify-email" where rest.count == 1: return RealmExtrasRoutes.email(call, userId, verify: true)
        case "role-mappings":
            let holder = RoleHolder(
                roleIds: { $0.user(id: userId)?.roleIds },
                setRoleIds: { realm, ids in
                    if let index = realm.users.firstIndex(where: { $0.id == userId }) { realm.users[index].roleIds = ids }
                },
                notFound: AdminResponse.error(404, "User not found"), canRead: call.rights.viewUsers,
                canWrite: call.rights.manageUsers, mayMap: { call.rights.canMapRole($0, in: $1) },
                effectiveRoleIds: { realm in realm.user(id: userId).map { realm.effectiveRoleIds(of: $0) } ?? [] },
                clientNotFound: AdminResponse.error(404, "Client not found"))
            return RoleMappingRoutes.route(call, holder, Array(rest.dropFirst()))
        default: return AdminResponse.notFound
        }
    }

    /// The full `access` block a user read carries (as recorded for a realm admin).
    private static func access(_ call: AdminCall) -> JSONObject {
        let manage = call.rights.manageUsers
        return JSONObject([
            ("manageGroupMembership", .bool(manage)), ("resetPassword", .bool(manage)),
            ("view", .bool(call.rights.viewUsers)), ("mapRoles", .bool(manage)),
            ("impersonate", .bool(call.rights.has("impersonation") || call.rights.realmAdmin)), ("manage", .bool(manage)),
        ])
    }

    /// `username` (substring, or exact with `exact=true`), `email`, `firstName`, `lastName`,
    /// `search` (substring over all four; `*` is a wildcard), `first`/`max` (default 100).
    /// Service-account users are never listed, as in Keycloak.
    private static func search(_ call: AdminCall) -> ServerResponse {
        guard call.rights.queryUsers else { return AdminResponse.forbidden }
        let brief = call.flag("briefRepresentation")
        return call.read { realm in
            let users = paged(matching(call, realm), first: call.integer("first"), max: call.integer("max") ?? 100)
            return AdminResponse.json(
                users.map { user in
                    var out = brief ? user.briefRepresentation : user.representation
                    out["access"] = .object(JSONObject([("manage", .bool(call.rights.manageUsers))]))
                    return out
                })
        }
    }

    /// `GET /users/count`: how many users the same search parameters find.
    private static func count(_ call: AdminCall) -> ServerResponse {
        guard call.rights.queryUsers else { return AdminResponse.forbidden }
        return call.read { realm in AdminResponse.json(.int(Int64(matching(call, realm).count))) }
    }

    /// The users a search names, sorted by username; `q=key:value ...` matches attributes (values
    /// compared case-insensitively, every term must match).
    private static func matching(_ call: AdminCall, _ realm: Realm) -> [User] {
        let exact = call.flag("exact")
        func matches(_ value: String?, _ wanted: String?) -> Bool {
            guard let wanted else { return true }
            guard let value else { return false }
            return exact ? value.lowercased() == wanted.lowercased() : value.lowercased().contains(wanted.lowercased())
        }
        do {
            var users = realm.users.filter { $0.serviceAccountClientId == nil }.sorted { $0.username < $1.username }
            let request = call.request
            users = users.filter {
                matches($0.username, request.queryValue("username")) && matches($0.email, request.queryValue("email"))
                    && matches($0.firstName, request.queryValue("firstName"))
                    && matches($0.lastName, request.queryValue("lastName"))
            }
            if let search = request.queryValue("search") {
                let needle = search.lowercased().split(separator: "*").joined()
                if !needle.isEmpty {
                    users = users.filter { user in
                        [user.username, user.email, user.firstName, user.lastName].contains {
                            $0?.lowercased().contains(needle) == true
                        }
                    }
                }
            }
            if let query = request.queryValue("q") {
                let terms = AttributeQuery.parse(query)
                users = users.filter { AttributeQuery.matches($0.attributes, terms, caseInsensitive: true) }
            }
            return users
        }
    }

    private static func create(_ call: AdminCall) -> ServerResponse {
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("UserRepresentation", schema: Schemas.user) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        guard let username = body["username"]?.stringValue, !username.trimmed.isEmpty else {
            return AdminResponse.errorMessage(400, "User name is missing")
        }
        let now = call.now
        return call.update { realm in
            if realm.user(username: username) != nil { return AdminResponse.errorMessage(409, "User exists with same username") }
            if let email = body["email"]?.stringValue,
                realm.users.contains(where: { $0.email?.lowercased() == email.lowercased() })
            {
                return AdminResponse.errorMessage(409, "User exists with same email")
            }
            var user = User(
                id: body["id"]?.stringValue ?? SandboxStore.newId(), username: username, createdTimestamp: Int64(now * 1000))
            apply(body, to: &user)
            if let defaultRoles = realm.realmRole(name: "default-roles-\(realm.name)") { user.roleIds = [defaultRoles.id] }
            for credential in body["credentials"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                guard (credential["type"]?.stringValue ?? "password") == "password" else { continue }
                guard let value = credential["value"]?.stringValue, !value.isEmpty else {
                    return AdminResponse.errorMessage(400, "Password cannot be empty")
                }
                user.setPassword(value, temporary: credential["temporary"]?.boolValue ?? false, now: now)
                if user.password?.temporary == true, !user.requiredActions.contains("UPDATE_PASSWORD") {
                    user.requiredActions.append("UPDATE_PASSWORD")
                }
            }
            realm.users.append(user)
            return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(user.id))")
        }
    }

    /// Merge: absent and null fields keep their values.
    private static func apply(_ body: JSONObject, to user: inout User) {
        if let value = body["firstName"], !value.isNull { user.firstName = value.plainText }
        if let value = body["lastName"], !value.isNull { user.lastName = value.plainText }
        if let value = body["email"], !value.isNull { user.email = value.plainText.lowercased() }
        if let value = body["emailVerified"], !value.isNull { user.emailVerified = value.plainText == "true" }
        if let value = body["enabled"], !value.isNull { user.enabled = value.plainText == "true" }
        if let value = body["attributes"]?.objectValue { user.attributes = value }
        if let value = body["requiredActions"]?.arrayValue { user.requiredActions = value.compactMap(\.stringValue) }
    }

    private static func single(_ call: AdminCall, _ userId: String) -> ServerResponse {
        switch call.method {
        case "GET":
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let user = realm.user(id: userId) else { return AdminResponse.error(404, "User not found") }
                var out = user.representation
                out["access"] = .object(access(call))
                return AdminResponse.json(out)
            }
        case "PUT":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("UserRepresentation", schema: Schemas.user) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                guard let index = realm.users.firstIndex(where: { $0.id == userId }) else {
                    return AdminResponse.error(404, "User not found")
                }
                if let username = body["username"]?.stringValue, username.lowercased() != realm.users[index].username {
                    if realm.user(username: username) != nil {
                        return AdminResponse.errorMessage(409, "User exists with same username")
                    }
                    realm.users[index].username = username.lowercased()
                }
                apply(body, to: &realm.users[index])
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            return call.update { realm in
                guard realm.user(id: userId) != nil else { return AdminResponse.error(404, "User not found") }
                realm.users.removeAll { $0.id == userId }
                realm.sessions.removeAll { $0.userId == userId }
                realm.forgetUser(userId)
                return AdminResponse.noContentNoCache
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    /// `PUT .../reset-password` with a CredentialRepresentation.
    private static func resetPassword(_ call: AdminCall, _ userId: String) -> ServerResponse {
        guard call.method == "PUT" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("CredentialRepresentation", schema: Schemas.credential) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        guard let value = body["value"]?.stringValue, !value.isEmpty else {
            return AdminResponse.error(400, "No password provided")
        }
        let temporary = body["temporary"]?.boolValue ?? false
        let now = call.now
        return call.update { realm in
            guard let index = realm.users.firstIndex(where: { $0.id == userId }) else {
                return AdminResponse.error(404, "User not found")
            }
            realm.users[index].setPassword(value, temporary: temporary, now: now)
            if temporary {
                if !realm.users[index].requiredActions.contains("UPDATE_PASSWORD") {
                    realm.users[index].requiredActions.append("UPDATE_PASSWORD")
                }
            } else {
                realm.users[index].requiredActions.removeAll { $0 == "UPDATE_PASSWORD" }
            }
            return AdminResponse.noContent
        }
    }
}
