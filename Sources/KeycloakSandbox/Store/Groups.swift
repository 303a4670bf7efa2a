// Groups of a realm: a flat list kept in the realm's `extensions["groups"]` (persisted with the
// snapshot), each with its parent, attributes, role mappings and members.
import KcxJSON

public struct Group: Sendable {
    public var id: String
    public var name: String
    public var description: String?
    /// nil for a top-level group.
    public var parentId: String?
    /// `{"name":["value",...]}` in insertion order.
    public var attributes: JSONObject = JSONObject()
    /// Direct role mappings (realm and client roles), by role id.
    public var roleIds: [String] = []
    /// Member user ids, in the order they joined.
    public var memberIds: [String] = []

    public init(id: String, name: String, parentId: String?) {
        self.id = id
        self.name = name
        self.parentId = parentId
    }

    init?(json: JSON) {
        guard let id = json["id"]?.stringValue, let name = json["name"]?.stringValue else { return nil }
        self.id = id
        self.name = name
        description = json["description"]?.stringValue
        parentId = json["parentId"]?.stringValue
        attributes = json["attributes"]?.objectValue ?? JSONObject()
        roleIds = json["roleIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
        memberIds = json["memberIds"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    var json: JSON {
        var out = JSONObject([("id", .string(id)), ("name", .string(name))])
        if let description { out["description"] = .string(description) }
        if let parentId { out["parentId"] = .string(parentId) }
        out["attributes"] = .object(attributes)
        out["roleIds"] = .array(roleIds.map { .string($0) })
        out["memberIds"] = .array(memberIds.map { .string($0) })
        return .object(out)
    }
}

extension Realm {
    static let groupsKey = "groups"

    /// Every group of the realm (top-level and sub-groups), in creation order.
    public var groups: [Group] {
        get { extensions[Self.groupsKey]?.arrayValue?.compactMap(Group.init(json:)) ?? [] }
        set { extensions[Self.groupsKey] = newValue.isEmpty ? nil : .array(newValue.map(\.json)) }
    }

    public func group(id: String) -> Group? { groups.first { $0.id == id } }

    /// The direct children of `parentId` (nil: the top-level groups), sorted by name as Keycloak lists them.
    public func subGroups(of parentId: String?, in all: [Group]) -> [Group] {
        all.filter { $0.parentId == parentId }.sorted { $0.name < $1.name }
    }

    /// `/parent/child` (GroupModel path; a `/` inside a name is escaped as `~/` by Keycloak).
    public func groupPath(_ group: Group, in all: [Group]) -> String {
        var names: [String] = []
        var current: Group? = group
        var guardCount = 0
        while let next = current, guardCount < 1000 {
            names.insert(next.name.replacingSlashes, at: 0)
            current = next.parentId.flatMap { parent in all.first { $0.id == parent } }
            guardCount += 1
        }
        return "/" + names.joined(separator: "/")
    }

    /// The group and its ancestors, nearest first.
    public func groupWithAncestors(_ groupId: String, in all: [Group]) -> [Group] {
        var chain: [Group] = []
        var next = all.first { $0.id == groupId }
        while let group = next, !chain.contains(where: { $0.id == group.id }) {
            chain.append(group)
            next = group.parentId.flatMap { parent in all.first { $0.id == parent } }
        }
        return chain
    }

    /// The ids of `groupId` and every group below it.
    public func groupSubtree(_ groupId: String, in all: [Group]) -> Set<String> {
        var found: Set<String> = [groupId]
        var pending = [groupId]
        while let id = pending.popLast() {
            for child in all where child.parentId == id && !found.contains(child.id) {
                found.insert(child.id)
                pending.append(child.id)
            }
        }
        return found
    }

    /// Drops a deleted user's group memberships and identity-provider links.
    public mutating func forgetUser(_ userId: String) {
        var all = groups
        if all.contains(where: { $0.memberIds.contains(userId) }) {
            for index in all.indices { all[index].memberIds.removeAll { $0 == userId } }
            groups = all
        }
        if var links = extensions["federatedIdentities"]?.objectValue, links[userId] != nil {
            links[userId] = nil
            extensions["federatedIdentities"] = links.isEmpty ? nil : .object(links)
        }
    }

    /// Role ids a user holds through group membership (the groups' and their ancestors' mappings).
    public func groupRoleIds(of userId: String) -> [String] {
        let all = groups
        var ids: [String] = []
        for group in all where group.memberIds.contains(userId) {
            for holder in groupWithAncestors(group.id, in: all) { ids.append(contentsOf: holder.roleIds) }
        }
        return ids
    }
}

extension String {
    /// Keycloak escapes `/` in a group name as `~/` inside paths (KeycloakModelUtils.buildGroupPath).
    fileprivate var replacingSlashes: String {
        guard contains("/") else { return self }
        return split(separator: "/", omittingEmptySubsequences: false).joined(separator: "~/")
    }
}
