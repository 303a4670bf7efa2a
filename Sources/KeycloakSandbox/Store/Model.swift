// The sandbox's data model: realms and everything in them, as value types guarded by SandboxStore's lock.
import KcxJSON

/// One realm. Settings Keycloak echoes verbatim live in `representation` (Keycloak's key order and
/// defaults); what the sandbox reasons about is typed.
public struct Realm: Sendable {
    public var id: String
    public var name: String
    /// RealmRepresentation fields other than the computed ones (`defaultRole`, lists, clients...).
    public var representation: JSONObject
    public var clients: [Client] = []
    public var clientScopes: [ClientScope] = []
    public var users: [User] = []
    public var roles: [Role] = []
    /// Realm default client scopes (ids) in insertion order, and the optional ones.
    public var defaultDefaultScopeIds: [String] = []
    public var defaultOptionalScopeIds: [String] = []
    /// User sessions (the OIDC side creates and ends them).
    public var sessions: [UserSession] = []
    /// Free-form state other parts keep per realm (e.g. the OIDC side's authorization objects),
    /// persisted with the snapshot.
    public var extensions: JSONObject = JSONObject()

    public init(id: String, name: String, representation: JSONObject) {
        self.id = id
        self.name = name
        self.representation = representation
    }

    public var enabled: Bool { representation["enabled"]?.boolValue ?? false }
    public var accessTokenLifespan: Int { Int(representation["accessTokenLifespan"]?.intValue ?? 300) }

    public func client(id: String) -> Client? { clients.first { $0.id == id } }
    public func client(clientId: String) -> Client? { clients.first { $0.clientId == clientId } }
    public func clientIndex(id: String) -> Int? { clients.firstIndex { $0.id == id } }
    public func clientScope(id: String) -> ClientScope? { clientScopes.first { $0.id == id } }
    public func clientScope(name: String) -> ClientScope? { clientScopes.first { $0.name == name } }
    public func user(id: String) -> User? { users.first { $0.id == id } }
    /// Usernames are stored lower-case, so lookups are case-insensitive as in Keycloak.
    public func user(username: String) -> User? {
        let wanted = username.lowercased()
        return users.first { $0.username == wanted }
    }
    public func realmRole(name: String) -> Role? { roles.first { $0.name == name } }

    /// A role of this realm (realm role or any client's role) by id.
    public func role(id: String) -> Role? {
        if let role = roles.first(where: { $0.id == id }) { return role }
        for client in clients { if let role = client.roles.first(where: { $0.id == id }) { return role } }
        return nil
    }

    /// The role ids reachable from `roleIds` through composites, including the roles themselves.
    /// Linear in the realm's roles: master's admin role reaches every realm's `<realm>-realm` client
    /// roles, and this runs on every admin request (a scan per role made a test run's master slow
    /// enough to stall the suite).
    public func expandComposites(_ roleIds: [String]) -> [String] {
        guard !roleIds.isEmpty else { return [] }
        var byId: [String: Role] = [:]
        for role in roles { byId[role.id] = role }
        for client in clients { for role in client.roles { byId[role.id] = role } }
        var seen: [String] = []
        var seenIds = Set<String>()
        var pending = roleIds
        while let id = pending.popLast() {
            guard !seenIds.contains(id), let role = byId[id] else { continue }
            seenIds.insert(id)
            seen.append(id)
            pending.append(contentsOf: role.compositeIds)
        }
        return seen
    }

    /// Every role the user holds, directly, through its groups (Groups.swift) or through composites.
    public func effectiveRoleIds(of user: User) -> [String] { expandComposites(user.roleIds + groupRoleIds(of: user.id)) }
}

/// A realm or client role. `containerId` is the realm id or the client's UUID.
public struct Role: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String?
    public var compositeIds: [String] = []
    public var clientRole: Bool
    public var containerId: String
    public var attributes: JSONObject = JSONObject()

    public init(id: String, name: String, description: String? = nil, clientRole: Bool, containerId: String) {
        self.id = id
        self.name = name
        self.description = description
        self.clientRole = clientRole
        self.containerId = containerId
    }
}

/// A protocol mapper on a client or a client scope. `config` keeps insertion order.
public struct ProtocolMapper: Sendable, Equatable {
    public var id: String
    public var name: String
    public var loginProtocol: String
    public var protocolMapper: String
    public var config: JSONObject

    public init(id: String, name: String, loginProtocol: String, protocolMapper: String, config: JSONObject) {
        self.id = id
        self.name = name
        self.loginProtocol = loginProtocol
        self.protocolMapper = protocolMapper
        self.config = config
    }
}

public struct ClientScope: Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String?
    public var loginProtocol: String
    public var attributes: JSONObject
    public var protocolMappers: [ProtocolMapper] = []
    /// Roles this scope brings into tokens (scope mappings), by role id.
    public var scopeMappingRoleIds: [String] = []

    public init(id: String, name: String, description: String?, loginProtocol: String, attributes: JSONObject) {
        self.id = id
        self.name = name
        self.description = description
        self.loginProtocol = loginProtocol
        self.attributes = attributes
    }

    /// `include.in.token.scope` is true when absent (ClientScopeModel).
    public var includeInTokenScope: Bool { attributes["include.in.token.scope"]?.stringValue != "false" }
}

/// A client. Plain ClientRepresentation fields live in `fields` (written by create/update with
/// Keycloak's merge rules); lists with their own routes are typed.
public struct Client: Sendable, Equatable {
    public var id: String
    public var fields: JSONObject
    public var protocolMappers: [ProtocolMapper] = []
    public var defaultScopeIds: [String] = []
    public var optionalScopeIds: [String] = []
    public var roles: [Role] = []
    public var scopeMappingRoleIds: [String] = []
    /// The `service-account-<clientId>` user's id while service accounts are enabled.
    public var serviceAccountUserId: String?

    public init(id: String, fields: JSONObject) {
        self.id = id
        self.fields = fields
    }

    public var clientId: String { fields["clientId"]?.stringValue ?? "" }
    public var secret: String? { fields["secret"]?.stringValue }
    public var loginProtocol: String? { fields["protocol"]?.stringValue }
    public var enabled: Bool { fields["enabled"]?.boolValue ?? true }
    public var publicClient: Bool { fields["publicClient"]?.boolValue ?? false }
    public var bearerOnly: Bool { fields["bearerOnly"]?.boolValue ?? false }
    public var fullScopeAllowed: Bool { fields["fullScopeAllowed"]?.boolValue ?? true }
    public var standardFlowEnabled: Bool { fields["standardFlowEnabled"]?.boolValue ?? true }
    public var directAccessGrantsEnabled: Bool { fields["directAccessGrantsEnabled"]?.boolValue ?? false }
    public var serviceAccountsEnabled: Bool { fields["serviceAccountsEnabled"]?.boolValue ?? false }
    public var consentRequired: Bool { fields["consentRequired"]?.boolValue ?? false }
    public func attribute(_ key: String) -> String? { fields["attributes"]?[key]?.stringValue }
    public func role(name: String) -> Role? { roles.first { $0.name == name } }
}

/// A stored password: PBKDF2-HMAC-SHA256 with a per-credential salt; the plaintext is never kept.
public struct PasswordCredential: Sendable, Equatable {
    public var id: String
    public var salt: [UInt8]
    public var hash: [UInt8]
    public var iterations: Int
    public var temporary: Bool
    public var createdDate: Int64

    public init(id: String, salt: [UInt8], hash: [UInt8], iterations: Int, temporary: Bool, createdDate: Int64) {
        self.id = id
        self.salt = salt
        self.hash = hash
        self.iterations = iterations
        self.temporary = temporary
        self.createdDate = createdDate
    }
}

public struct User: Sendable, Equatable {
    public var id: String
    /// Stored lower-case, as Keycloak does.
    public var username: String
    public var firstName: String?
    public var lastName: String?
    public var email: String?
    public var emailVerified: Bool = false
    public var enabled: Bool = true
    public var createdTimestamp: Int64
    /// `{"name":["value",...]}` in insertion order.
    public var attributes: JSONObject = JSONObject()
    public var requiredActions: [String] = []
    public var password: PasswordCredential?
    /// Direct role mappings (realm and client roles), by role id.
    public var roleIds: [String] = []
    /// Set for a client's service-account user: that client's UUID.
    public var serviceAccountClientId: String?
    public var notBefore: Int64 = 0

    public init(id: String, username: String, createdTimestamp: Int64) {
        self.id = id
        self.username = username.lowercased()
        self.createdTimestamp = createdTimestamp
    }
}

/// A user session, created by the OIDC side on login and consulted by admin authorization
/// (lightweight tokens carry no roles).
public struct UserSession: Sendable, Equatable {
    public var id: String
    public var userId: String
    /// The UUID of the client that started the session.
    public var clientId: String
    public var started: Double
    public var lastRefresh: Double
    /// Granted scope string and other per-session facts the OIDC side needs.
    public var notes: JSONObject = JSONObject()

    public init(id: String, userId: String, clientId: String, started: Double, lastRefresh: Double) {
        self.id = id
        self.userId = userId
        self.clientId = clientId
        self.started = started
        self.lastRefresh = lastRefresh
    }
}
