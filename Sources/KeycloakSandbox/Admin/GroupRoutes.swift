// `/admin/realms/{realm}/groups...` and `/group-by-path/{path}`: the group tree, sub-groups, members,
// role mappings, counts and FGAP v1 `management/permissions`; plus a user's group membership
// (`/users/{id}/groups...`, called from UserRoutes).
//
// Source (read, not copied): keycloak/keycloak services/.../resources/admin/GroupsResource.java,
// GroupResource.java, utils/GroupUtils.java (hierarchy of search results, `access` and `subGroupCount`
// on every listed group, sorted by name), UserResource.java (groupMembership, joinGroup, removeMembership) and
// fgap/GroupPermissions.java (Keycloak 26): listing needs `query-groups` (or view-users), reading a
// group view-users, members `viewMembers` (view-users), writes manage-users; a group that does not
// exist is 404 `Could not find group by id` before any role check; a missing name 400 `Group name
// is missing`; duplicate names 409 `Top level group named '…' already exists.` / `Sibling group named
// '…' already exists.`.
import KcxJSON
import LoopbackHTTP

extension AdminRights {
    /// `GroupPermissions.canList`: view-users, manage-users or query-groups.
    var queryGroups: Bool { viewUsers || has("query-groups") }
    var viewIdentityProviders: Bool { viewRealm || has("view-identity-providers", "manage-identity-providers") }
    var manageIdentityProviders: Bool { manageRealm || has("manage-identity-providers") }
}

enum GroupRoutes {
    static let groupNotFound = AdminResponse.error(404, "Could not find group by id")

    /// `/groups[...]`.
    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard let first = tail.first else {
            switch call.method {
            case "GET": return list(call)
            case "POST": return create(call, parentId: nil)
            default: return AdminResponse.methodNotAllowed
            }
        }
        if first == "count" && tail.count == 1 {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return count(call)
        }
        let groupId = first
        guard call.store.read({ $0.realm(named: call.realmName)?.group(id: groupId) != nil }) else { return groupNotFound }
        let rest = Array(tail.dropFirst())
        switch rest.first {
        case nil: return single(call, groupId)
        case "children" where rest.count == 1:
            switch call.method {
            case "GET": return children(call, groupId)
            case "POST": return create(call, parentId: groupId)
            default: return AdminResponse.methodNotAllowed
            }
        case "members" where rest.count == 1:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return members(call, groupId)
        case "role-mappings":
            let holder = RoleHolder(
                roleIds: { $0.group(id: groupId)?.roleIds },
                setRoleIds: { realm, ids in
                    var all = realm.groups
                    if let index = all.firstIndex(where: { $0.id == groupId }) {
                        all[index].roleIds = ids
                        realm.groups = all
                    }
                },
                notFound: groupNotFound, canRead: call.rights.viewUsers, canWrite: call.rights.manageUsers,
                mayMap: { call.rights.canMapRole($0, in: $1) }, clientNotFound: AdminResponse.error(404, "Client not found"))
            return RoleMappingRoutes.route(call, holder, Array(rest.dropFirst()))
        case "management" where rest == ["management", "permissions"]:
            return permissions(call, groupId)
        default: return AdminResponse.notFound
        }
    }

    // MARK: representations

    /// GroupPermissions.getAccess for the caller (no per-group FGAP grants are emulated).
    static func access(_ rights: AdminRights) -> JSONObject {
        JSONObject([
            ("view", .bool(rights.viewUsers)), ("viewMembers", .bool(rights.viewUsers)),
            ("manageMembers", .bool(rights.manageUsers)), ("manage", .bool(rights.manageUsers)),
            ("manageMembership", .bool(rights.manageUsers)),
        ])
    }

    /// GroupRepresentation in Keycloak's field order. `full` adds attributes and role names;
    /// `subGroups` is what the caller populated (Keycloak always sends the list, empty by default).
    static func representation(
        _ group: Group, _ realm: Realm, _ all: [Group], full: Bool, subGroupCount: Bool = true,
        subGroups: [JSONObject] = [], access rights: AdminRights?
    ) -> JSONObject {
        var out = JSONObject([("id", .string(group.id)), ("name", .string(group.name))])
        if let description = group.description { out["description"] = .string(description) }
        out["path"] = .string(realm.groupPath(group, in: all))
        if let parentId = group.parentId { out["parentId"] = .string(parentId) }
        if subGroupCount { out["subGroupCount"] = .int(Int64(all.filter { $0.parentId == group.id }.count)) }
        out["subGroups"] = .array(subGroups.map { .object($0) })
        if full {
            out["attributes"] = .object(group.attributes)
            out["realmRoles"] = .array(realm.roles.filter { group.roleIds.contains($0.id) }.map { .string($0.name) })
            var clientRoles = JSONObject()
            for client in realm.clients {
                let names = client.roles.filter { group.roleIds.contains($0.id) }.map { JSON.string($0.name) }
                if !names.isEmpty { clientRoles[client.clientId] = .array(names) }
            }
            out["clientRoles"] = .object(clientRoles)
        }
        if let rights { out["access"] = .object(access(rights)) }
        return out
    }

    /// The group with its whole sub-tree populated (`group-by-path`, full hierarchy).
    private static func hierarchy(_ group: Group, _ realm: Realm, _ all: [Group], full: Bool, rights: AdminRights) -> JSONObject {
        let children = realm.subGroups(of: group.id, in: all).map { hierarchy($0, realm, all, full: full, rights: rights) }
        return representation(group, realm, all, full: full, subGroups: children, access: rights)
    }

    // MARK: search helpers

    /// `search` (substring, case-insensitive; `exact=true` for equality) or `q=key:value ...` (attributes).
    private static func matcher(_ call: AdminCall) -> ((Group) -> Bool)? {
        let exact = call.flag("exact")
        if let search = call.request.queryValue("search") {
            let needle = search.trimmed.lowercased()
            return { exact ? $0.name.lowercased() == needle : (needle.isEmpty || $0.name.lowercased().contains(needle)) }
        }
        if let query = call.request.queryValue("q") {
            let terms = AttributeQuery.parse(query)
            return { group in AttributeQuery.matches(group.attributes, terms) }
        }
        return nil
    }

    /// The top-level groups leading to the matches, each populated down to its matching descendants
    /// (GroupUtils.populateGroupHierarchyFromSubGroups).
    private static func matchingTree(
        _ roots: [Group], _ matches: Set<String>, _ realm: Realm, _ all: [Group], full: Bool, rights: AdminRights
    ) -> [JSONObject] {
        func contains(_ group: Group) -> Bool {
            matches.contains(group.id) || realm.subGroups(of: group.id, in: all).contains(where: contains)
        }
        func build(_ group: Group) -> JSONObject {
            let children = realm.subGroups(of: group.id, in: all).filter(contains).map(build)
            return representation(group, realm, all, full: full, subGroups: children, access: rights)
        }
        return roots.filter(contains).map(build)
    }

    // MARK: handlers

    /// `GET /groups`: top-level groups sorted by name (`briefRepresentation` defaults to true),
    /// `search`/`q`/`exact` populate the matching branches, `first`/`max` page the top level.
    private static func list(_ call: AdminCall) -> ServerResponse {
        guard call.rights.queryGroups else { return AdminResponse.forbidden }
        let full = !call.flag("briefRepresentation", default: true)
        return call.read { realm in
            let all = realm.groups
            let roots = realm.subGroups(of: nil, in: all)
            var out: [JSONObject]
            if let match = matcher(call) {
                let matches = Set(all.filter(match).map(\.id))
                out = matchingTree(roots, matches, realm, all, full: full, rights: call.rights)
            } else {
                out = roots.map { representation($0, realm, all, full: full, access: call.rights) }
            }
            out = paged(out, first: call.integer("first"), max: call.integer("max"))
            return AdminResponse.json(out)
        }
    }

    /// `GET /groups/count`: `{"count":N}`, all groups (`top=true`: top-level only; `search`: by name).
    private static func count(_ call: AdminCall) -> ServerResponse {
        guard call.rights.queryGroups else { return AdminResponse.forbidden }
        return call.read { realm in
            let all = realm.groups
            let number: Int
            if let search = call.request.queryValue("search"), !search.isEmpty {
                let needle = search.lowercased()
                number = all.filter { $0.name.lowercased().contains(needle) }.count
            } else if call.flag("top") {
                number = all.filter { $0.parentId == nil }.count
            } else {
                number = all.count
            }
            return AdminResponse.json(JSONObject([("count", .int(Int64(number)))]))
        }
    }

    private static func single(_ call: AdminCall, _ groupId: String) -> ServerResponse {
        switch call.method {
        case "GET":
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in
                let all = realm.groups
                guard let group = all.first(where: { $0.id == groupId }) else { return groupNotFound }
                return AdminResponse.json(representation(group, realm, all, full: true, access: call.rights))
            }
        case "PUT":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("GroupRepresentation", schema: nil) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                var all = realm.groups
                guard let index = all.firstIndex(where: { $0.id == groupId }) else { return groupNotFound }
                if let name = body["name"]?.stringValue {
                    guard !name.trimmed.isEmpty else { return AdminResponse.errorMessage(400, "Group name is missing") }
                    if let conflict = siblingConflict(name, parentId: all[index].parentId, except: groupId, all) {
                        return conflict
                    }
                    all[index].name = name
                }
                if let description = body["description"] { all[index].description = description.stringValue }
                if let attributes = body["attributes"]?.objectValue { all[index].attributes = attributes }
                realm.groups = all
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            return call.update { realm in
                let all = realm.groups
                guard all.contains(where: { $0.id == groupId }) else { return groupNotFound }
                let removed = realm.groupSubtree(groupId, in: all)
                realm.groups = all.filter { !removed.contains($0.id) }
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    /// 409 when a sibling (or, at the top, another top-level group) already has `name`.
    private static func siblingConflict(_ name: String, parentId: String?, except: String?, _ all: [Group]) -> ServerResponse? {
        guard all.contains(where: { $0.parentId == parentId && $0.name == name && $0.id != except }) else { return nil }
        if parentId == nil { return AdminResponse.errorMessage(409, "Top level group named '\(name)' already exists.") }
        return AdminResponse.errorMessage(409, "Sibling group named '\(name)' already exists.")
    }

    /// `POST /groups` and `POST /groups/{id}/children`: a body with an existing `id` moves that group
    /// (204), otherwise a new group is created (201 with Location).
    private static func create(_ call: AdminCall, parentId: String?) -> ServerResponse {
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("GroupRepresentation", schema: nil) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        guard let name = body["name"]?.stringValue, !name.trimmed.isEmpty else {
            return AdminResponse.errorMessage(400, "Group name is missing")
        }
        return call.update { realm in
            var all = realm.groups
            if let id = body["id"]?.stringValue {
                guard let index = all.firstIndex(where: { $0.id == id }) else {
                    return AdminResponse.error(404, "Could not find child by id")
                }
                if let parentId, realm.groupSubtree(id, in: all).contains(parentId) {
                    return AdminResponse.errorMessage(409, "Cannot move group to one of its descendants")
                }
                if let conflict = siblingConflict(all[index].name, parentId: parentId, except: id, all) { return conflict }
                all[index].parentId = parentId
                realm.groups = all
                return AdminResponse.noContent
            }
            if let conflict = siblingConflict(name, parentId: parentId, except: nil, all) { return conflict }
            var group = Group(id: SandboxStore.newId(), name: name, parentId: parentId)
            group.description = body["description"]?.stringValue
            group.attributes = body["attributes"]?.objectValue ?? JSONObject()
            all.append(group)
            realm.groups = all
            let base =
                parentId == nil ? call.requestURL : "\(call.context.baseURL)/admin/realms/\(AdminPath.encode(realm.name))/groups"
            return AdminResponse.created("\(base)/\(AdminPath.encode(group.id))")
        }
    }

    /// `GET /groups/{id}/children`: `first` (0), `max` (10), `briefRepresentation` (false), `search`, `exact`.
    private static func children(_ call: AdminCall, _ groupId: String) -> ServerResponse {
        guard call.rights.viewUsers else { return AdminResponse.forbidden }
        let full = !call.flag("briefRepresentation", default: false)
        return call.read { realm in
            let all = realm.groups
            var list = realm.subGroups(of: groupId, in: all)
            if let match = matcher(call) { list = list.filter(match) }
            list = paged(list, first: call.integer("first") ?? 0, max: call.integer("max") ?? 10)
            return AdminResponse.json(list.map { representation($0, realm, all, full: full, access: call.rights) })
        }
    }

    /// `GET /groups/{id}/members`: direct members sorted by username, `first` (0), `max` (100).
    private static func members(_ call: AdminCall, _ groupId: String) -> ServerResponse {
        guard call.rights.viewUsers else { return AdminResponse.forbidden }
        let brief = call.flag("briefRepresentation")
        return call.read { realm in
            guard let group = realm.group(id: groupId) else { return groupNotFound }
            var users = realm.users.filter { group.memberIds.contains($0.id) }.sorted { $0.username < $1.username }
            users = paged(users, first: call.integer("first") ?? 0, max: call.integer("max") ?? 100)
            return AdminResponse.json(users.map { brief ? $0.briefRepresentation : $0.representation })
        }
    }

    /// `GET|PUT /groups/{id}/management/permissions` (FGAP v1; 501 without it). The sandbox keeps only
    /// the switch and stable ids for the five group scopes; no policies are evaluated for groups.
    private static func permissions(_ call: AdminCall, _ groupId: String) -> ServerResponse {
        guard call.context.features.contains("admin-fine-grained-authz:v1") else {
            return FineGrainedPermissions.featureNotEnabled
        }
        let key = "groupPermissions"
        func answer(_ stored: JSON?) -> ServerResponse {
            guard let stored, let resource = stored["resource"]?.stringValue else {
                return AdminResponse.json(JSONObject([("enabled", false)]))
            }
            return AdminResponse.json(
                JSONObject([
                    ("enabled", true), ("resource", .string(resource)),
                    ("scopePermissions", stored["scopePermissions"] ?? .object(JSONObject())),
                ]))
        }
        switch call.method {
        case "GET":
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in answer(realm.extensions[key]?[groupId]) }
        case "PUT":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("ManagementPermissionReference", schema: ["enabled": .bool]) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            let enabled = body["enabled"]?.boolValue ?? (body["enabled"]?.stringValue == "true")
            return call.update { realm in
                var all = realm.extensions[key]?.objectValue ?? JSONObject()
                if enabled {
                    if all[groupId] == nil {
                        let scopes = ["view", "manage", "view-members", "manage-members", "manage-membership"]
                        all[groupId] = .object(
                            JSONObject([
                                ("resource", .string(SandboxStore.newId())),
                                ("scopePermissions", .object(JSONObject(scopes.map { ($0, JSON.string(SandboxStore.newId())) }))),
                            ]))
                    }
                } else {
                    all[groupId] = nil
                }
                realm.extensions[key] = all.isEmpty ? nil : .object(all)
                return answer(all[groupId])
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    // MARK: group-by-path

    /// `GET /group-by-path/{path...}`: the group with its whole sub-tree, or 404 `Group path does not exist`.
    static func byPath(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewUsers else { return AdminResponse.forbidden }
        let wanted = "/" + tail.joined(separator: "/")
        return call.read { realm in
            let all = realm.groups
            guard let group = all.first(where: { realm.groupPath($0, in: all) == wanted }) else {
                return AdminResponse.error(404, "Group path does not exist")
            }
            return AdminResponse.json(hierarchy(group, realm, all, full: true, rights: call.rights))
        }
    }

    // MARK: a user's groups

    /// `/users/{id}/groups[/count|/{groupId}]` (the user exists; UserRoutes checked query-users).
    static func userGroups(_ call: AdminCall, _ userId: String, _ tail: [String]) -> ServerResponse {
        switch tail.count {
        case 0:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            let full = !call.flag("briefRepresentation", default: true)
            return call.read { realm in
                let all = realm.groups
                var list = all.filter { $0.memberIds.contains(userId) }.sorted { $0.name < $1.name }
                if let search = call.request.queryValue("search"), !search.isEmpty {
                    list = list.filter { $0.name.lowercased().contains(search.lowercased()) }
                }
                list = paged(list, first: call.integer("first"), max: call.integer("max"))
                return AdminResponse.json(
                    list.map { representation($0, realm, all, full: full, subGroupCount: false, access: nil) })
            }
        case 1 where tail[0] == "count":
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in
                var list = realm.groups.filter { $0.memberIds.contains(userId) }
                if let search = call.request.queryValue("search"), !search.isEmpty {
                    list = list.filter { $0.name.lowercased().contains(search.lowercased()) }
                }
                return AdminResponse.json(JSONObject([("count", .int(Int64(list.count)))]))
            }
        case 1:
            let groupId = tail[0]
            guard call.method == "PUT" || call.method == "DELETE" else { return AdminResponse.methodNotAllowed }
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            return call.update { realm in
                var all = realm.groups
                guard let index = all.firstIndex(where: { $0.id == groupId }) else {
                    return AdminResponse.error(404, "Group not found")
                }
                if call.method == "PUT" {
                    if !all[index].memberIds.contains(userId) { all[index].memberIds.append(userId) }
                } else {
                    all[index].memberIds.removeAll { $0 == userId }
                }
                realm.groups = all
                return AdminResponse.noContent
            }
        default: return AdminResponse.notFound
        }
    }

    /// Groups with a direct mapping to `roleId` (`/roles/{name}/groups`), sorted by name.
    static func groupsWithRole(_ call: AdminCall, _ realm: Realm, _ roleId: String) -> ServerResponse {
        let all = realm.groups
        let full = !call.flag("briefRepresentation", default: true)
        var list = all.filter { $0.roleIds.contains(roleId) }.sorted { $0.name < $1.name }
        list = paged(list, first: call.integer("first") ?? 0, max: call.integer("max") ?? 100)
        return AdminResponse.json(list.map { representation($0, realm, all, full: full, subGroupCount: false, access: nil) })
    }
}

extension User {
    /// UserModel brief representation (`briefRepresentation=true` lists).
    var briefRepresentation: JSONObject {
        var out = JSONObject([("id", .string(id)), ("username", .string(username))])
        if let firstName { out["firstName"] = .string(firstName) }
        if let lastName { out["lastName"] = .string(lastName) }
        if let email { out["email"] = .string(email) }
        out["emailVerified"] = .bool(emailVerified)
        out["enabled"] = .bool(enabled)
        out["createdTimestamp"] = .int(createdTimestamp)
        return out
    }
}

/// `q=key:value key2:value2` attribute searches: every term must match one value of the named
/// attribute; users compare values case-insensitively (JPA `lower(value)`), groups exactly.
enum AttributeQuery {
    static func parse(_ query: String) -> [(String, String)] {
        query.split(separator: " ").compactMap { term in
            let parts = term.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    static func matches(_ attributes: JSONObject, _ terms: [(String, String)], caseInsensitive: Bool = false) -> Bool {
        terms.allSatisfy { key, value in
            let values = attributes[key]?.arrayValue?.compactMap(\.stringValue) ?? attributes[key]?.stringValue.map { [$0] } ?? []
            return values.contains { caseInsensitive ? $0.lowercased() == value.lowercased() : $0 == value }
        }
    }
}
