// `partialImport` beyond clients (PartialImportExport.swift): realm roles, users and top-level groups,
// in Keycloak's order (groups and roles before users, so users can name them).
//
// Source (read, not copied): keycloak/keycloak services/.../partialimport/RealmRolesPartialImport.java,
// UsersPartialImport.java, GroupsPartialImport.java and admin-api.md §9.1: an existing resource under
// FAIL is 409 (`Realm role 'r' already exists.`, `User with user name u already exists.`,
// `Group '/g' already exists`) and nothing is imported; SKIP keeps it; OVERWRITE replaces it (users
// are deleted and created again; roles and groups keep their id).
import KcxJSON
import LoopbackHTTP

enum PartialImportMore {
    typealias Counts = (added: Int, skipped: Int, overwritten: Int)

    static func importRolesUsersGroups(
        _ body: JSONObject, policy: String, into realm: inout Realm, _ results: inout [JSONObject], _ counts: inout Counts,
        now: Double
    ) -> ServerResponse? {
        func record(_ action: String, _ type: String, _ name: String, _ id: String) {
            switch action {
            case "ADDED": counts.added += 1
            case "SKIPPED": counts.skipped += 1
            default: counts.overwritten += 1
            }
            results.append(
                JSONObject([
                    ("action", .string(action)), ("resourceType", .string(type)), ("resourceName", .string(name)),
                    ("id", .string(id)),
                ]))
        }
        // Realm roles.
        for roleBody in body["roles"]?["realm"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let name = roleBody["name"]?.stringValue, !name.isEmpty else { return AdminResponse.serverError }
            if let index = realm.roles.firstIndex(where: { $0.name == name }) {
                switch policy {
                case "SKIP": record("SKIPPED", "REALM_ROLE", name, realm.roles[index].id)
                case "OVERWRITE":
                    realm.roles[index].description = roleBody["description"]?.stringValue
                    realm.roles[index].attributes = roleBody["attributes"]?.objectValue ?? JSONObject()
                    record("OVERWRITTEN", "REALM_ROLE", name, realm.roles[index].id)
                default: return AdminResponse.errorMessage(409, "Realm role '\(name)' already exists.")
                }
                continue
            }
            var role = Role(
                id: SandboxStore.newId(), name: name, description: roleBody["description"]?.stringValue, clientRole: false,
                containerId: realm.id)
            role.attributes = roleBody["attributes"]?.objectValue ?? JSONObject()
            realm.roles.append(role)
            record("ADDED", "REALM_ROLE", name, role.id)
        }
        // Top-level groups (sub-groups in `subGroups` are not imported by the sandbox).
        var groups = realm.groups
        for groupBody in body["groups"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let name = groupBody["name"]?.stringValue, !name.isEmpty else { return AdminResponse.serverError }
            if let index = groups.firstIndex(where: { $0.parentId == nil && $0.name == name }) {
                switch policy {
                case "SKIP": record("SKIPPED", "GROUP", "/\(name)", groups[index].id)
                case "OVERWRITE":
                    groups[index].attributes = groupBody["attributes"]?.objectValue ?? JSONObject()
                    record("OVERWRITTEN", "GROUP", "/\(name)", groups[index].id)
                default: return AdminResponse.errorMessage(409, "Group '/\(name)' already exists")
                }
                continue
            }
            var group = Group(id: SandboxStore.newId(), name: name, parentId: nil)
            group.attributes = groupBody["attributes"]?.objectValue ?? JSONObject()
            groups.append(group)
            record("ADDED", "GROUP", "/\(name)", group.id)
        }
        realm.groups = groups
        // Users: matched by username or email.
        for userBody in body["users"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            guard let username = userBody["username"]?.stringValue, !username.isEmpty else { return AdminResponse.serverError }
            let email = userBody["email"]?.stringValue?.lowercased()
            let existing = realm.users.firstIndex { $0.username == username.lowercased() || (email != nil && $0.email == email) }
            if let existing {
                switch policy {
                case "SKIP":
                    record("SKIPPED", "USER", username, realm.users[existing].id)
                    continue
                case "OVERWRITE":
                    let oldId = realm.users[existing].id
                    realm.users.remove(at: existing)
                    realm.sessions.removeAll { $0.userId == oldId }
                default: return AdminResponse.errorMessage(409, "User with user name \(username) already exists.")
                }
            }
            var user = User(id: SandboxStore.newId(), username: username, createdTimestamp: Int64(now * 1000))
            user.email = email
            user.firstName = userBody["firstName"]?.stringValue
            user.lastName = userBody["lastName"]?.stringValue
            user.enabled = userBody["enabled"]?.boolValue ?? false
            user.emailVerified = userBody["emailVerified"]?.boolValue ?? false
            user.attributes = userBody["attributes"]?.objectValue ?? JSONObject()
            if let defaultRoles = realm.realmRole(name: "default-roles-\(realm.name)") { user.roleIds = [defaultRoles.id] }
            for name in userBody["realmRoles"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                if let role = realm.realmRole(name: name), !user.roleIds.contains(role.id) { user.roleIds.append(role.id) }
            }
            realm.users.append(user)
            record(existing == nil ? "ADDED" : "OVERWRITTEN", "USER", username, user.id)
        }
        return nil
    }
}
