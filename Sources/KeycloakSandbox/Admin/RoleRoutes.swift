// Realm roles (`/roles`) and client roles (`/clients/{uuid}/roles`): list, create, read by name,
// update, delete, composites; `/roles-by-id/{id}[/composites]`.
import KcxJSON
import LoopbackHTTP

/// Where a role list lives: the realm, or one client.
private enum RoleContainer {
    case realm
    case client(String)

    func roles(_ realm: Realm) -> [Role]? {
        switch self {
        case .realm: return realm.roles
        case .client(let id): return realm.client(id: id)?.roles
        }
    }

    func setRoles(_ roles: [Role], _ realm: inout Realm) {
        switch self {
        case .realm: realm.roles = roles
        case .client(let id): if let index = realm.clientIndex(id: id) { realm.clients[index].roles = roles }
        }
    }

    func containerId(_ realm: Realm) -> String {
        switch self {
        case .realm: return realm.id
        case .client(let id): return id
        }
    }
}

enum RoleRoutes {
    static func realmRoles(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        route(call, .realm, tail, canRead: call.rights.isAdmin, canWrite: call.rights.manageRealm)
    }

    static func clientRoles(_ call: AdminCall, _ clientId: String, _ tail: [String]) -> ServerResponse {
        route(call, .client(clientId), tail, canRead: call.rights.viewClients, canWrite: call.rights.manageClients)
    }

    /// `/roles-by-id/{id}` and `/roles-by-id/{id}/composites` (RoleByIdResource): the role is looked
    /// up first (404 `Could not find role with id`), then `requireView`/`requireManage` on the role:
    /// view-realm/manage-realm for a realm role, view-clients/manage-clients for a client role.
    static func byId(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard let roleId = tail.first else { return AdminResponse.notFound }
        let rest = Array(tail.dropFirst())
        guard rest.isEmpty || rest.first == "composites" else { return AdminResponse.notFound }
        let found = call.store.read { state -> (RoleContainer, String)? in
            guard let role = state.realm(named: call.realmName)?.role(id: roleId) else { return nil }
            return (role.clientRole ? .client(role.containerId) : .realm, role.name)
        }
        let notFound = AdminResponse.error(404, "Could not find role with id")
        guard let (container, roleName) = found else { return notFound }
        let rights = call.rights
        let isRealmRole = if case .realm = container { true } else { false }
        let canRead = isRealmRole ? rights.viewRealm : rights.viewClients
        let canWrite = isRealmRole ? rights.manageRealm : rights.manageClients
        return role(call, container, roleName, rest, canRead: canRead, canWrite: canWrite, notFound: notFound)
    }

    private static func route(
        _ call: AdminCall, _ container: RoleContainer, _ tail: [String], canRead: Bool, canWrite: Bool
    ) -> ServerResponse {
        guard canRead else { return AdminResponse.forbidden }
        let roleNotFound = AdminResponse.error(404, "Could not find role")
        guard let roleName = tail.first else {
            switch call.method {
            case "GET":
                return call.read { realm in
                    guard let roles = container.roles(realm) else { return AdminResponse.error(404, "Could not find client") }
                    var list = roles
                    if let search = call.request.queryValue("search"), !search.isEmpty {
                        list = list.filter { $0.name.lowercased().contains(search.lowercased()) }
                    }
                    list = paged(list, first: call.integer("first"), max: call.integer("max"))
                    // `briefRepresentation=false` adds each role's attributes (RoleContainerResource.getRoles).
                    let brief = call.flag("briefRepresentation", default: true)
                    return AdminResponse.json(list.map { brief ? $0.representation : $0.fullRepresentation })
                }
            case "POST":
                guard canWrite else { return AdminResponse.forbidden }
                let body: JSONObject
                switch call.jsonObject("RoleRepresentation", schema: Schemas.role) {
                case .success(let value): body = value
                case .failure(let error): return error.response
                }
                guard let name = body["name"]?.stringValue, !name.isEmpty else { return AdminResponse.serverError }
                return call.update { realm in
                    guard var roles = container.roles(realm) else { return AdminResponse.error(404, "Could not find client") }
                    if roles.contains(where: { $0.name == name }) {
                        return AdminResponse.errorMessage(409, "Role with name \(name) already exists")
                    }
                    var role = Role(
                        id: SandboxStore.newId(), name: name, description: body["description"]?.stringValue,
                        clientRole: { if case .client = container { return true } else { return false } }(),
                        containerId: container.containerId(realm))
                    role.attributes = body["attributes"]?.objectValue ?? JSONObject()
                    roles.append(role)
                    container.setRoles(roles, &realm)
                    return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(name))")
                }
            default: return AdminResponse.methodNotAllowed
            }
        }
        let rest = Array(tail.dropFirst())
        return role(call, container, roleName, rest, canRead: canRead, canWrite: canWrite, notFound: roleNotFound)
    }

    /// One role (`rest` empty) or its composites (`rest` == `["composites"]`), by name in `container`.
    private static func role(
        _ call: AdminCall, _ container: RoleContainer, _ roleName: String, _ rest: [String], canRead: Bool, canWrite: Bool,
        notFound roleNotFound: ServerResponse
    ) -> ServerResponse {
        guard canRead else { return AdminResponse.forbidden }
        if rest.isEmpty {
            switch call.method {
            case "GET":
                return call.read { realm in
                    guard let role = container.roles(realm)?.first(where: { $0.name == roleName }) else { return roleNotFound }
                    return AdminResponse.json(role.fullRepresentation)
                }
            case "PUT":
                guard canWrite else { return AdminResponse.forbidden }
                let body: JSONObject
                switch call.jsonObject("RoleRepresentation", schema: Schemas.role) {
                case .success(let value): body = value
                case .failure(let error): return error.response
                }
                return call.update { realm in
                    guard var roles = container.roles(realm), let index = roles.firstIndex(where: { $0.name == roleName }) else {
                        return roleNotFound
                    }
                    if let name = body["name"]?.stringValue { roles[index].name = name }
                    if let description = body["description"]?.stringValue { roles[index].description = description }
                    if let attributes = body["attributes"]?.objectValue { roles[index].attributes = attributes }
                    container.setRoles(roles, &realm)
                    return AdminResponse.noContent
                }
            case "DELETE":
                guard canWrite else { return AdminResponse.forbidden }
                return call.update { realm in
                    guard var roles = container.roles(realm), let index = roles.firstIndex(where: { $0.name == roleName }) else {
                        return roleNotFound
                    }
                    let removed = roles.remove(at: index)
                    container.setRoles(roles, &realm)
                    realm.removeRoleReferences([removed.id])
                    return AdminResponse.noContentNoCache
                }
            default: return AdminResponse.methodNotAllowed
            }
        }
        if let response = RoleLookups.route(
            call, rest, roleNotFound: roleNotFound, find: { container.roles($0)?.first(where: { $0.name == roleName }) })
        {
            return response
        }
        guard rest == ["composites"] else { return AdminResponse.notFound }
        let holder = RoleHolder(
            roleIds: { container.roles($0)?.first(where: { $0.name == roleName })?.compositeIds },
            setRoleIds: { realm, ids in
                guard var roles = container.roles(realm), let index = roles.firstIndex(where: { $0.name == roleName }) else {
                    return
                }
                roles[index].compositeIds = ids
                container.setRoles(roles, &realm)
            },
            notFound: roleNotFound, canRead: canRead, canWrite: canWrite)
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let ids = holder.roleIds(realm) else { return roleNotFound }
                return AdminResponse.json(ids.compactMap { realm.role(id: $0) }.map(\.representation))
            }
        case "POST", "DELETE":
            guard canWrite else { return AdminResponse.forbidden }
            let bodies: [JSONObject]
            switch call.jsonArray("RoleRepresentation", schema: Schemas.role) {
            case .success(let value): bodies = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                guard var ids = holder.roleIds(realm) else { return roleNotFound }
                for body in bodies {
                    guard let id = body["id"]?.stringValue, let composite = realm.role(id: id) else {
                        return AdminResponse.error(404, "Could not find composite role")
                    }
                    if call.method == "POST" {
                        // RoleResource.addComposites: `requireMapComposite(composite)` after the lookup
                        // (RoleGrants.swift); removing a composite checks nothing more.
                        guard call.rights.canMapComposite(composite, in: realm) else { return AdminResponse.forbidden }
                        if !ids.contains(id) { ids.append(id) }
                    } else {
                        ids.removeAll { $0 == id }
                    }
                }
                holder.setRoleIds(&realm, ids)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}
