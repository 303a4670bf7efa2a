// The `--state` journal's records: what changed between two store states, as idempotent assignments
// (put an entity, delete one, replace a realm's settings...), and how to apply them again at start-up.
// A write costs the changed entities, not the whole store (a 200-scope apply used to rewrite every
// scope on every request).
import KcxJSON

enum StoreJournal {
    /// The entity collections of a realm, by the name records use.
    static let collections = ["roles", "clientScopes", "clients", "users", "sessions"]

    /// The records that turn `old` into `new`. Every record sets a part of the state to a value, so
    /// replaying them over a state that already has some of them (a snapshot written after they were
    /// logged) gives the same result.
    static func records(from old: StoreState, to new: StoreState) -> [JSON] {
        var out: [JSON] = []
        let oldIds = old.realms.map(\.id)
        let newIds = new.realms.map(\.id)
        guard appendsOrRemovesOnly(old: oldIds, new: newIds) else {
            return [.object(JSONObject([("op", "reset"), ("realms", .array(new.realms.map { .object($0.snapshot) }))]))]
        }
        let newSet = Set(newIds)
        for id in oldIds where !newSet.contains(id) {
            out.append(.object(JSONObject([("op", "deleteRealm"), ("id", .string(id))])))
        }
        let oldById = Dictionary(old.realms.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for realm in new.realms {
            guard let before = oldById[realm.id] else {
                out.append(.object(JSONObject([("op", "putRealm"), ("value", .object(realm.snapshot))])))
                continue
            }
            realmRecords(from: before, to: realm, into: &out)
        }
        return out
    }

    private static func realmRecords(from old: Realm, to new: Realm, into out: inout [JSON]) {
        if old.name != new.name || !same(old.representation, new.representation)
            || old.defaultDefaultScopeIds != new.defaultDefaultScopeIds
            || old.defaultOptionalScopeIds != new.defaultOptionalScopeIds || !same(old.extensions, new.extensions)
        {
            out.append(
                .object(JSONObject([("op", "settings"), ("realm", .string(new.id)), ("value", .object(settings(of: new)))])))
        }
        collection("roles", realm: new.id, old.roles, new.roles, id: \.id, encode: \.snapshot, into: &out)
        collection("clientScopes", realm: new.id, old.clientScopes, new.clientScopes, id: \.id, encode: \.snapshot, into: &out)
        collection("clients", realm: new.id, old.clients, new.clients, id: \.id, encode: \.snapshot, into: &out)
        collection("users", realm: new.id, old.users, new.users, id: \.id, encode: \.snapshot, into: &out)
        collection("sessions", realm: new.id, old.sessions, new.sessions, id: \.id, encode: \.snapshot, into: &out)
    }

    /// A realm's own settings: its snapshot without the entity collections.
    static func settings(of realm: Realm) -> JSONObject {
        var value = realm.snapshot
        for name in collections { value[name] = nil }
        return value
    }

    private static func collection<T: Equatable>(
        _ kind: String, realm: String, _ old: [T], _ new: [T], id: (T) -> String, encode: (T) -> JSONObject,
        into out: inout [JSON]
    ) {
        if old == new { return }
        let oldIds = old.map(id)
        let newIds = new.map(id)
        guard appendsOrRemovesOnly(old: oldIds, new: newIds) else {
            out.append(
                .object(
                    JSONObject([
                        ("op", "set"), ("realm", .string(realm)), ("kind", .string(kind)),
                        ("values", .array(new.map { .object(encode($0)) })),
                    ])))
            return
        }
        let newSet = Set(newIds)
        for entity in oldIds where !newSet.contains(entity) {
            out.append(
                .object(
                    JSONObject([("op", "delete"), ("realm", .string(realm)), ("kind", .string(kind)), ("id", .string(entity))])))
        }
        var oldById: [String: Int] = [:]
        for (index, entity) in oldIds.enumerated() { oldById[entity] = index }
        for (index, element) in new.enumerated() {
            if let before = oldById[newIds[index]], old[before] == element { continue }
            out.append(
                .object(
                    JSONObject([
                        ("op", "put"), ("realm", .string(realm)), ("kind", .string(kind)), ("value", .object(encode(element))),
                    ])))
        }
    }

    /// True when `new` is `old` with some ids removed and others appended (ids unique in both), the
    /// only orders that puts (which append) and deletes can reproduce.
    private static func appendsOrRemovesOnly(old: [String], new: [String]) -> Bool {
        let oldSet = Set(old)
        let newSet = Set(new)
        guard oldSet.count == old.count, newSet.count == new.count else { return false }
        let kept = old.filter(newSet.contains)
        let newKept = new.filter(oldSet.contains)
        return kept == newKept && new.prefix(newKept.count).elementsEqual(newKept)
    }

    /// Equality with a linear fast path for the common case of unchanged key order.
    private static func same(_ a: JSONObject, _ b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        var inOrder = true
        for (left, right) in zip(a.entries, b.entries) where left.key != right.key || left.value != right.value {
            inOrder = false
            break
        }
        return inOrder || a == b
    }

    // MARK: Replay

    /// Applies one record. Records about a realm that no longer exists are skipped (a later record of
    /// the same journal deleted it).
    static func apply(_ record: JSON, to state: inout StoreState) throws(SnapshotError) {
        let op = record["op"]?.stringValue ?? ""
        switch op {
        case "reset":
            var realms: [Realm] = []
            for realm in record["realms"]?.arrayValue ?? [] { realms.append(try Realm(snapshot: realm)) }
            state.realms = realms
        case "deleteRealm":
            let id = try string(record, "id")
            state.realms.removeAll { $0.id == id }
        case "putRealm":
            let realm = try Realm(snapshot: record["value"] ?? .null)
            if let index = state.realms.firstIndex(where: { $0.id == realm.id }) {
                state.realms[index] = realm
            } else {
                state.realms.append(realm)
            }
        case "settings":
            guard let index = state.realms.firstIndex(where: { $0.id == record["realm"]?.stringValue }) else { return }
            let settings = try Realm(snapshot: record["value"] ?? .null)
            var realm = state.realms[index]
            realm.name = settings.name
            realm.representation = settings.representation
            realm.defaultDefaultScopeIds = settings.defaultDefaultScopeIds
            realm.defaultOptionalScopeIds = settings.defaultOptionalScopeIds
            realm.extensions = settings.extensions
            state.realms[index] = realm
        case "put", "delete", "set":
            guard let index = state.realms.firstIndex(where: { $0.id == record["realm"]?.stringValue }) else { return }
            let kind = try string(record, "kind")
            switch kind {
            case "roles": try change(record, op, &state.realms[index].roles, id: \.id, decode: Role.init(snapshot:))
            case "clientScopes":
                try change(record, op, &state.realms[index].clientScopes, id: \.id, decode: ClientScope.init(snapshot:))
            case "clients": try change(record, op, &state.realms[index].clients, id: \.id, decode: Client.init(snapshot:))
            case "users": try change(record, op, &state.realms[index].users, id: \.id, decode: User.init(snapshot:))
            case "sessions":
                try change(record, op, &state.realms[index].sessions, id: \.id, decode: UserSession.init(snapshot:))
            default: throw SnapshotError("state journal: unknown collection \"\(kind)\"")
            }
        default:
            throw SnapshotError("state journal: unknown record \"\(op)\"")
        }
    }

    private static func change<T>(
        _ record: JSON, _ op: String, _ items: inout [T], id: (T) -> String, decode: (JSON) throws(SnapshotError) -> T
    ) throws(SnapshotError) {
        switch op {
        case "delete":
            let wanted = try string(record, "id")
            items.removeAll { id($0) == wanted }
        case "set":
            var values: [T] = []
            for value in record["values"]?.arrayValue ?? [] { values.append(try decode(value)) }
            items = values
        default:
            let value = try decode(record["value"] ?? .null)
            if let index = items.firstIndex(where: { id($0) == id(value) }) { items[index] = value } else { items.append(value) }
        }
    }

    private static func string(_ record: JSON, _ key: String) throws(SnapshotError) -> String {
        guard let value = record[key]?.stringValue else { throw SnapshotError("state journal: record without \"\(key)\"") }
        return value
    }
}
