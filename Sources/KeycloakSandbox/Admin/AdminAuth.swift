// Admin authorization: who the bearer token speaks for, and which admin roles that caller holds for
// a target realm (master-realm admins via `<realm>-realm`, realm-local users via `realm-management`).
import KcxJSON
import LoopbackHTTP

/// The user (or service-account user) behind a verified admin token.
public struct AdminCaller: Sendable, Equatable {
    /// The realm that issued the token.
    public let realmName: String
    public let userId: String

    public init(realmName: String, userId: String) {
        self.realmName = realmName
        self.userId = userId
    }

    /// Admin roles on the target realm (admin-api.md §1.2): a master token is checked against the
    /// `<target>-realm` client in master, a realm token against `realm-management` in its own realm;
    /// any other realm's token has none (Keycloak answers 403).
    func rights(in targetRealm: String, _ state: StoreState) -> AdminRights {
        guard let home = state.realm(named: realmName), let user = home.user(id: userId), user.enabled else {
            return AdminRights(roles: [])
        }
        let effective = Set(home.effectiveRoleIds(of: user))
        let masterAdmin = realmName == "master" && home.realmRole(name: "admin").map { effective.contains($0.id) } == true
        let containerClientId: String
        if realmName == "master" {
            containerClientId = "\(targetRealm)-realm"
        } else if realmName == targetRealm {
            containerClientId = "realm-management"
        } else {
            return AdminRights(roles: [], heldRoleIds: effective, masterAdmin: masterAdmin)
        }
        var roles = Set<String>()
        if let container = home.client(clientId: containerClientId) {
            for role in container.roles where effective.contains(role.id) { roles.insert(role.name) }
        }
        if realmName == "master", let createRealm = home.realmRole(name: "create-realm"), effective.contains(createRealm.id) {
            roles.insert("create-realm")
        }
        return AdminRights(roles: roles, heldRoleIds: effective, masterAdmin: masterAdmin)
    }
}

/// The admin role names a caller holds for one realm, with Keycloak's implications spelled out.
struct AdminRights: Equatable {
    let roles: Set<String>
    /// Every role id the caller holds in its own realm, through composites (`admin.hasRole(role)`).
    var heldRoleIds: Set<String> = []
    /// A master-realm caller holding master's `admin` role (may grant `realm-admin` anywhere).
    var masterAdmin = false

    func has(_ names: String...) -> Bool { names.contains { roles.contains($0) } }

    /// Any realm-admin role at all (what `GET /admin/realms` filters on).
    var isAdmin: Bool { !roles.subtracting(["create-realm"]).isEmpty }
    var realmAdmin: Bool { has("realm-admin") }
    var viewRealm: Bool { realmAdmin || has("view-realm", "manage-realm") }
    var manageRealm: Bool { realmAdmin || has("manage-realm") }
    var queryClients: Bool { viewClients || has("query-clients") }
    var viewClients: Bool { realmAdmin || has("view-clients", "manage-clients") }
    var manageClients: Bool { realmAdmin || has("manage-clients") }
    var createClient: Bool { manageClients || has("create-client") }
    var queryUsers: Bool { viewUsers || has("query-users") }
    var viewUsers: Bool { realmAdmin || has("view-users", "manage-users") }
    var manageUsers: Bool { realmAdmin || has("manage-users") }
    var createRealm: Bool { has("create-realm") }
}

enum AdminAuth {
    /// The caller behind `Authorization: Bearer <token>`, or nil (→ 401) when the header is missing,
    /// the token is not valid, or its user is gone.
    static func caller(for request: ServerRequest, _ context: SandboxContext) -> AdminCaller? {
        guard let header = request.header("Authorization") else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return tokenVerifier(String(parts[1]), context)
    }

    /// Turns a bearer token into a caller through the OIDC side's `verifyAccessToken` (signature,
    /// expiry, live session; the subject comes from the session for lightweight tokens).
    /// Replaceable so the server layer can wrap it; tests call `AdminRoutes.handle(_:_:caller:)`.
    nonisolated(unsafe) static var tokenVerifier: (String, SandboxContext) -> AdminCaller? = { token, context in
        verifyAccessToken(token, context: context).map { AdminCaller(realmName: $0.realmName, userId: $0.userId) }
    }
}
