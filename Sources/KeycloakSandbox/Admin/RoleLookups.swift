// Reads below one role besides its composite list (RoleRoutes): `/users`, `/groups`,
// `/composites/realm` and `/composites/clients/{clientUUID}`, for realm roles, client roles and
// `roles-by-id`.
//
// Source (read, not copied): keycloak/keycloak services/.../resources/admin/RoleContainerResource.java
// (getUsersInRole, getGroupsInRole, getRealmRoleCompositesByRoleName, getClientRoleCompositesByRoleName)
// and RoleByIdResource.java (Keycloak 26): the role is looked up first (404 `Could not find role`,
// `Could not find role with id` by id), the route's view right is checked by the caller; users in a
// role also need query-users; an unknown client in `/composites/clients/{id}` is 404 `Could not find client`.
import KcxJSON
import LoopbackHTTP

enum RoleLookups {
    /// nil when `rest` is not one of these reads (the caller goes on with its own routes).
    static func route(_ call: AdminCall, _ rest: [String], roleNotFound: ServerResponse, find: @escaping (Realm) -> Role?)
        -> ServerResponse?
    {
        switch rest {
        case ["users"]:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.queryUsers else { return AdminResponse.forbidden }
            let brief = call.flag("briefRepresentation", default: true)
            return call.read { realm in
                guard let role = find(realm) else { return roleNotFound }
                var users = realm.users.filter { $0.roleIds.contains(role.id) }.sorted { $0.username < $1.username }
                users = paged(users, first: call.integer("first") ?? 0, max: call.integer("max") ?? 100)
                return AdminResponse.json(users.map { brief ? $0.briefRepresentation : $0.representation })
            }
        case ["groups"]:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.queryGroups else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let role = find(realm) else { return roleNotFound }
                return GroupRoutes.groupsWithRole(call, realm, role.id)
            }
        case ["composites", "realm"]:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return call.read { realm in
                guard let role = find(realm) else { return roleNotFound }
                return AdminResponse.json(realm.roles.filter { role.compositeIds.contains($0.id) }.map(\.representation))
            }
        case let path where path.count == 3 && path[0] == "composites" && path[1] == "clients":
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return call.read { realm in
                guard let role = find(realm) else { return roleNotFound }
                guard let client = realm.client(id: path[2]) else { return AdminResponse.error(404, "Could not find client") }
                return AdminResponse.json(client.roles.filter { role.compositeIds.contains($0.id) }.map(\.representation))
            }
        default: return nil
        }
    }
}
