// Role mappings of a holder (a user's role mappings, a client's or client scope's scope mappings):
// `[]`, `/realm[/available|/composite]`, `/clients/{uuid}[/available|/composite]` (admin-api.md §7).
import KcxJSON
import LoopbackHTTP

/// Where a set of mapped role ids lives, and who may read and change it.
struct RoleHolder {
    let roleIds: (Realm) -> [String]?
    let setRoleIds: (inout Realm, [String]) -> Void
    let notFound: ServerResponse
    let canRead: Bool
    let canWrite: Bool
    /// Whether the caller may add or remove this one role (RoleGrants.swift): checked per role after
    /// its 404 lookup, and filters `/available`.
    var mayMap: (Role, Realm) -> Bool = { _, _ in true }
    /// What `/composite` expands: by default the mapped ids; a user's adds its groups' roles.
    var effectiveRoleIds: ((Realm) -> [String])? = nil
    /// An unknown client in `/clients/{id}`: ClientRoleMappingsResource (users, groups) says
    /// `Client not found`, ScopeMappedResource `Could not find client`.
    var clientNotFound = AdminResponse.error(404, "Could not find client")
}

enum RoleMappingRoutes {
    static func route(_ call: AdminCall, _ holder: RoleHolder, _ tail: [String]) -> ServerResponse {
        guard holder.canRead else { return AdminResponse.forbidden }
        if tail.isEmpty {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return call.read { realm in
                guard let ids = holder.roleIds(realm) else { return holder.notFound }
                return AdminResponse.json(mappings(ids, realm))
            }
        }
        switch tail[0] {
        case "realm":
            return roles(call, holder, Array(tail.dropFirst()), roleClient: nil)
        case "clients" where tail.count >= 2:
            return roles(call, holder, Array(tail.dropFirst(2)), roleClient: tail[1])
        default: return AdminResponse.notFound
        }
    }

    /// `MappingsRepresentation`: empty parts are omitted (NON_NULL and "set only if not empty").
    static func mappings(_ ids: [String], _ realm: Realm) -> JSONObject {
        var out = JSONObject()
        let realmRoles = realm.roles.filter { ids.contains($0.id) }
        if !realmRoles.isEmpty { out["realmMappings"] = .array(realmRoles.map { .object($0.representation) }) }
        var clientMappings = JSONObject()
        for client in realm.clients {
            let roles = client.roles.filter { ids.contains($0.id) }
            if roles.isEmpty { continue }
            clientMappings[client.clientId] = .object(
                JSONObject([
                    ("id", .string(client.id)), ("client", .string(client.clientId)),
                    ("mappings", .array(roles.map { .object($0.representation) })),
                ]))
        }
        if !clientMappings.isEmpty { out["clientMappings"] = .object(clientMappings) }
        return out
    }

    /// The roles of one container (the realm, or the client `roleClient`).
    private static func roles(_ call: AdminCall, _ holder: RoleHolder, _ tail: [String], roleClient: String?) -> ServerResponse {
        func containerRoles(_ realm: Realm) -> [Role]? {
            guard let roleClient else { return realm.roles }
            return realm.client(id: roleClient)?.roles
        }
        let clientNotFound = holder.clientNotFound
        if let view = tail.first {
            guard tail.count == 1, view == "available" || view == "composite" else { return AdminResponse.notFound }
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return call.read { realm in
                guard let ids = holder.roleIds(realm) else { return holder.notFound }
                guard let candidates = containerRoles(realm) else { return clientNotFound }
                let selected: [Role]
                if view == "available" {
                    selected = candidates.filter { !ids.contains($0.id) && holder.mayMap($0, realm) }
                } else {
                    let effective = Set(holder.effectiveRoleIds?(realm) ?? realm.expandComposites(ids))
                    selected = candidates.filter { effective.contains($0.id) }
                }
                return AdminResponse.json(selected.map(\.representation))
            }
        }
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let ids = holder.roleIds(realm) else { return holder.notFound }
                guard let candidates = containerRoles(realm) else { return clientNotFound }
                return AdminResponse.json(candidates.filter { ids.contains($0.id) }.map(\.representation))
            }
        case "POST", "DELETE":
            guard holder.canWrite else { return AdminResponse.forbidden }
            let bodies: [JSONObject]
            switch call.jsonArray("RoleRepresentation", schema: Schemas.role) {
            case .success(let value): bodies = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                guard var ids = holder.roleIds(realm) else { return holder.notFound }
                guard let candidates = containerRoles(realm) else { return clientNotFound }
                for body in bodies {
                    let match =
                        body["id"]?.stringValue.flatMap { id in candidates.first { $0.id == id } }
                        ?? body["name"]?.stringValue.flatMap { name in candidates.first { $0.name == name } }
                    guard let role = match else { return AdminResponse.error(404, "Role not found") }
                    guard holder.mayMap(role, realm) else { return AdminResponse.forbidden }
                    if call.method == "POST" {
                        if !ids.contains(role.id) { ids.append(role.id) }
                    } else {
                        ids.removeAll { $0 == role.id }
                    }
                }
                holder.setRoleIds(&realm, ids)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}

enum ScopeMappingRoutes {
    static func route(_ call: AdminCall, _ container: MappingContainer, _ tail: [String]) -> ServerResponse {
        let holder = RoleHolder(
            roleIds: { container.scopeRoleIds(in: $0) }, setRoleIds: { container.setScopeRoleIds($1, in: &$0) },
            notFound: container.notFound, canRead: call.rights.viewClients, canWrite: call.rights.manageClients,
            mayMap: { call.rights.canMapClientScope($0, in: $1) })
        return RoleMappingRoutes.route(call, holder, tail)
    }
}
