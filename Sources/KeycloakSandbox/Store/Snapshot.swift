// The whole store as JSON and back, for `--state` persistence. Passwords are stored as salted
// hashes only.
import Foundation
import KcxJSON

public struct SnapshotError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension SandboxStore {
    /// `{"version":1,"realms":[...]}`.
    public func snapshot() -> JSON { read { SandboxStore.snapshot(of: $0) } }

    static func snapshot(of state: StoreState) -> JSON {
        .object(JSONObject([("version", 1), ("realms", .array(state.realms.map { .object($0.snapshot) }))]))
    }

    /// Replaces all state with a `snapshot()`; on error nothing changes.
    public func restore(_ snapshot: JSON) throws(SnapshotError) {
        guard snapshot["version"]?.intValue == 1, let realms = snapshot["realms"]?.arrayValue else {
            throw SnapshotError("state snapshot has no version 1 realm list")
        }
        var restored = StoreState()
        for realm in realms { restored.realms.append(try Realm(snapshot: realm)) }
        withLock { $0 = restored }
    }
}

private func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }
private func stringList(_ json: JSON?) -> [String] { json?.arrayValue?.compactMap(\.stringValue) ?? [] }
private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
private func unhex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex, let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) {
        if let byte = UInt8(text[index..<next], radix: 16) { out.append(byte) }
        index = next
    }
    return out
}
private func require(_ json: JSON, _ key: String) throws(SnapshotError) -> String {
    guard let value = json[key]?.stringValue else { throw SnapshotError("state snapshot: missing \"\(key)\"") }
    return value
}

extension Realm {
    var snapshot: JSONObject {
        JSONObject([
            ("id", .string(id)), ("name", .string(name)), ("representation", .object(representation)),
            ("roles", .array(roles.map { .object($0.snapshot) })),
            ("clientScopes", .array(clientScopes.map { .object($0.snapshot) })),
            ("clients", .array(clients.map { .object($0.snapshot) })),
            ("users", .array(users.map { .object($0.snapshot) })),
            ("defaultDefaultScopeIds", strings(defaultDefaultScopeIds)),
            ("defaultOptionalScopeIds", strings(defaultOptionalScopeIds)),
            ("sessions", .array(sessions.map { .object($0.snapshot) })), ("extensions", .object(extensions)),
        ])
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), name: try require(json, "name"),
            representation: json["representation"]?.objectValue ?? JSONObject())
        for role in json["roles"]?.arrayValue ?? [] { roles.append(try Role(snapshot: role)) }
        for scope in json["clientScopes"]?.arrayValue ?? [] { clientScopes.append(try ClientScope(snapshot: scope)) }
        for client in json["clients"]?.arrayValue ?? [] { clients.append(try Client(snapshot: client)) }
        for user in json["users"]?.arrayValue ?? [] { users.append(try User(snapshot: user)) }
        defaultDefaultScopeIds = stringList(json["defaultDefaultScopeIds"])
        defaultOptionalScopeIds = stringList(json["defaultOptionalScopeIds"])
        for session in json["sessions"]?.arrayValue ?? [] { sessions.append(try UserSession(snapshot: session)) }
        extensions = json["extensions"]?.objectValue ?? JSONObject()
    }
}

extension Role {
    var snapshot: JSONObject {
        var out = representation
        out["compositeIds"] = strings(compositeIds)
        out["attributes"] = .object(attributes)
        return out
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), name: try require(json, "name"), description: json["description"]?.stringValue,
            clientRole: json["clientRole"]?.boolValue ?? false, containerId: try require(json, "containerId"))
        compositeIds = stringList(json["compositeIds"])
        attributes = json["attributes"]?.objectValue ?? JSONObject()
    }
}

extension ProtocolMapper {
    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), name: json["name"]?.stringValue ?? "",
            loginProtocol: json["protocol"]?.stringValue ?? "", protocolMapper: json["protocolMapper"]?.stringValue ?? "",
            config: json["config"]?.objectValue ?? JSONObject())
    }
}

extension ClientScope {
    var snapshot: JSONObject {
        var out = representation
        out["protocolMappers"] = .array(protocolMappers.map { .object($0.representation) })
        out["scopeMappingRoleIds"] = strings(scopeMappingRoleIds)
        return out
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), name: try require(json, "name"), description: json["description"]?.stringValue,
            loginProtocol: json["protocol"]?.stringValue ?? "openid-connect",
            attributes: json["attributes"]?.objectValue ?? JSONObject())
        for mapper in json["protocolMappers"]?.arrayValue ?? [] { protocolMappers.append(try ProtocolMapper(snapshot: mapper)) }
        scopeMappingRoleIds = stringList(json["scopeMappingRoleIds"])
    }
}

extension Client {
    var snapshot: JSONObject {
        var out = JSONObject([("id", .string(id)), ("fields", .object(fields))])
        out["protocolMappers"] = .array(protocolMappers.map { .object($0.representation) })
        out["defaultScopeIds"] = strings(defaultScopeIds)
        out["optionalScopeIds"] = strings(optionalScopeIds)
        out["roles"] = .array(roles.map { .object($0.snapshot) })
        out["scopeMappingRoleIds"] = strings(scopeMappingRoleIds)
        if let serviceAccountUserId { out["serviceAccountUserId"] = .string(serviceAccountUserId) }
        return out
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(id: try require(json, "id"), fields: json["fields"]?.objectValue ?? JSONObject())
        for mapper in json["protocolMappers"]?.arrayValue ?? [] { protocolMappers.append(try ProtocolMapper(snapshot: mapper)) }
        defaultScopeIds = stringList(json["defaultScopeIds"])
        optionalScopeIds = stringList(json["optionalScopeIds"])
        for role in json["roles"]?.arrayValue ?? [] { roles.append(try Role(snapshot: role)) }
        scopeMappingRoleIds = stringList(json["scopeMappingRoleIds"])
        serviceAccountUserId = json["serviceAccountUserId"]?.stringValue
    }
}

extension User {
    var snapshot: JSONObject {
        var out = representation
        out["attributes"] = .object(attributes)
        if let password {
            out["password"] = .object(
                JSONObject([
                    ("id", .string(password.id)), ("algorithm", "pbkdf2-sha256"), ("salt", .string(hex(password.salt))),
                    ("hash", .string(hex(password.hash))), ("iterations", .int(Int64(password.iterations))),
                    ("temporary", .bool(password.temporary)), ("createdDate", .int(password.createdDate)),
                ]))
        }
        out["roleIds"] = strings(roleIds)
        if let serviceAccountClientId { out["serviceAccountClientId"] = .string(serviceAccountClientId) }
        return out
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), username: try require(json, "username"),
            createdTimestamp: json["createdTimestamp"]?.intValue ?? 0)
        firstName = json["firstName"]?.stringValue
        lastName = json["lastName"]?.stringValue
        email = json["email"]?.stringValue
        emailVerified = json["emailVerified"]?.boolValue ?? false
        enabled = json["enabled"]?.boolValue ?? true
        attributes = json["attributes"]?.objectValue ?? JSONObject()
        requiredActions = stringList(json["requiredActions"])
        notBefore = json["notBefore"]?.intValue ?? 0
        if let stored = json["password"] {
            password = PasswordCredential(
                id: try require(stored, "id"), salt: unhex(try require(stored, "salt")),
                hash: unhex(try require(stored, "hash")), iterations: Int(stored["iterations"]?.intValue ?? 1),
                temporary: stored["temporary"]?.boolValue ?? false, createdDate: stored["createdDate"]?.intValue ?? 0)
        }
        roleIds = stringList(json["roleIds"])
        serviceAccountClientId = json["serviceAccountClientId"]?.stringValue
    }
}

extension UserSession {
    var snapshot: JSONObject {
        JSONObject([
            ("id", .string(id)), ("userId", .string(userId)), ("clientId", .string(clientId)),
            ("started", .double(started)), ("lastRefresh", .double(lastRefresh)), ("notes", .object(notes)),
        ])
    }

    init(snapshot json: JSON) throws(SnapshotError) {
        self.init(
            id: try require(json, "id"), userId: try require(json, "userId"), clientId: try require(json, "clientId"),
            started: json["started"]?.doubleValue ?? 0, lastRefresh: json["lastRefresh"]?.doubleValue ?? 0)
        notes = json["notes"]?.objectValue ?? JSONObject()
    }
}
