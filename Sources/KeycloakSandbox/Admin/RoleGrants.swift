// Which roles an admin may hand out: user role mappings, composites and scope mappings decide per
// role, as Keycloak's role permissions do without fine-grained admin permissions.
//
// Source (read, not copied): keycloak/keycloak
// services/src/main/java/org/keycloak/services/resources/admin/fgap/RolePermissions.java at
// 0bdda8081a392ff96b23fabf13e6be7d94adec1e (same logic in the older `permissions/` package at
// ffa21acc7e093a4af45cece33736d5691972ddcc):
// - `checkAdminRoles` (≈ lines 153-293): a role whose name is in `AdminRoles.ALL_ROLES` may be granted
//   only by a caller who holds it, or — for the managed realm's `realm-management` (`master-realm`
//   when managing master) roles — who has the capability it stands for; `realm-admin` needs master's
//   `admin`; master's own admin roles (realm roles of master, roles of master's `*-realm` clients)
//   never. A refusal is `adminConflictMessage` (a debug log line) → `false` → `ForbiddenException`.
// - `canMapRole` (≈ line 307): `manage-users` → `checkAdminRoles(role)`; otherwise FGAP only.
// - `canMapComposite` (≈ line 397): `canManageDefault(role)` (manage-realm for a realm role,
//   manage-clients for a client role) → `checkAdminRoles(role)`; otherwise FGAP only.
// - `canMapClientScope` (≈ line 437): `manage-clients` → true, with NO admin-role check: a scope
//   mapping grants nothing (it only filters which of a user's own roles reach a token), so Keycloak
//   lets a manage-clients admin scope-map `realm-admin`. RolePermissionsV2 (FGAP v2 realms, not
//   emulated here) agrees for client roles.
// Callers: RoleResource.addComposites (`requireMapComposite` per composite, after the 404 lookup),
// RoleMapperResource.add/deleteRealmRoleMappings and ClientRoleMappingsResource.add/deleteClientRoleMapping
// (`requireMapRole` per role, after the 404 lookup; `available` filters on `canMapRole`),
// ScopeMappedResource/ScopeMappedClientResource (`requireMapClientScope` per role).
// The check is on the named role only, not on its composites (as in Keycloak).

extension AdminRights {
    /// `AdminRoles.ALL_ROLES`: the names `checkAdminRoles` looks at.
    static let adminRoleNames: Set<String> = Set(AdminRoleNames.all).union(["admin", "create-realm", "realm-admin"])

    /// May the caller add `role` to a user's role mappings? (`canMapRole`.)
    func canMapRole(_ role: Role, in realm: Realm) -> Bool {
        manageUsers && mayGrantAdminRole(role, in: realm)
    }

    /// May the caller make `role` a composite of another role? (`canMapComposite`.)
    func canMapComposite(_ role: Role, in realm: Realm) -> Bool {
        (role.clientRole ? manageClients : manageRealm) && mayGrantAdminRole(role, in: realm)
    }

    /// May the caller add `role` to a client's or client scope's scope mappings? (`canMapClientScope`.)
    func canMapClientScope(_ role: Role, in realm: Realm) -> Bool { manageClients }

    /// `checkAdminRoles`: `realm` is the managed realm, which holds `role`.
    func mayGrantAdminRole(_ role: Role, in realm: Realm) -> Bool {
        guard Self.adminRoleNames.contains(role.name) else { return true }
        if heldRoleIds.contains(role.id) { return true }
        let container = role.clientRole ? realm.client(id: role.containerId) : nil
        let managementClientId = realm.name == "master" ? "master-realm" : "realm-management"
        if let container, container.clientId == managementClientId {
            switch role.name {
            case "manage-clients", "create-client": return manageClients
            case "view-clients": return viewClients
            case "query-realms", "query-clients", "query-users", "query-groups": return true
            case "manage-authorization": return realmAdmin || has("manage-authorization")
            case "view-authorization": return realmAdmin || has("manage-authorization", "view-authorization")
            case "manage-events": return realmAdmin || has("manage-events")
            case "view-events": return realmAdmin || has("manage-events", "view-events")
            case "manage-users": return manageUsers
            case "view-users": return viewUsers
            case "manage-identity-providers": return realmAdmin || has("manage-identity-providers")
            case "view-identity-providers": return realmAdmin || has("manage-identity-providers", "view-identity-providers")
            case "manage-realm": return manageRealm
            case "view-realm": return viewRealm
            case "impersonation": return realmAdmin || has("impersonation")
            case "realm-admin": return masterAdmin
            default: return false
            }
        }
        // Not the managed realm's admin client: refuse only master's own admin roles.
        guard realm.name == "master" else { return true }
        guard let container else { return false }
        return !container.clientId.hasSuffix("-realm")
    }
}
