// Finds realm objects by the names users type (clientId, scope name, username), using the
// server-side filters Keycloak offers so lookups stay fast in large realms.
import KcxJSON

public struct ClientRef: Sendable, Equatable {
    public let id: String
    public let clientId: String
    public let representation: JSON
}

public struct ClientScopeRef: Sendable, Equatable {
    public let id: String
    public let name: String
    public let representation: JSON
}

public struct UserRef: Sendable, Equatable {
    public let id: String
    public let username: String
}

public struct Lookup {
    let api: AdminAPI
    let realm: String

    public init(api: AdminAPI, realm: String) {
        self.api = api
        self.realm = realm
    }

    /// A client by clientId (exact, server-side filter) or by its UUID.
    public func client(_ nameOrID: String) throws -> ClientRef? {
        if looksLikeUUID(nameOrID), let rep = try api.getIfExists("clients/\(nameOrID)", realm: realm),
            let id = rep["id"]?.stringValue, let clientId = rep["clientId"]?.stringValue
        {
            return ClientRef(id: id, clientId: clientId, representation: rep)
        }
        let matches = try api.get("clients", realm: realm, query: [("clientId", nameOrID)]).arrayValue ?? []
        guard let rep = matches.first(where: { $0["clientId"]?.stringValue == nameOrID }),
            let id = rep["id"]?.stringValue
        else { return nil }
        return ClientRef(id: id, clientId: nameOrID, representation: rep)
    }

    public func requireClient(_ nameOrID: String) throws -> ClientRef {
        guard let client = try client(nameOrID) else {
            throw KcxError(
                .notFound, "client '\(nameOrID)' not found in realm '\(realmLabel)'",
                hint: "list clients with 'kcx get clients -r \(realmLabel) --fields clientId'")
        }
        return client
    }

    /// Every client scope of the realm. Keycloak has no server-side filter for client scopes
    /// (the endpoint is unpaged), so this is one request for the whole list.
    public func clientScopes() throws -> [ClientScopeRef] {
        let list = try api.get("client-scopes", realm: realm).arrayValue ?? []
        return list.compactMap { rep in
            guard let id = rep["id"]?.stringValue, let name = rep["name"]?.stringValue else { return nil }
            return ClientScopeRef(id: id, name: name, representation: rep)
        }
    }

    public func clientScope(_ nameOrID: String) throws -> ClientScopeRef? {
        let scopes = try clientScopes()
        return scopes.first { $0.name == nameOrID } ?? scopes.first { $0.id == nameOrID }
    }

    public func requireClientScope(_ nameOrID: String) throws -> ClientScopeRef {
        guard let scope = try clientScope(nameOrID) else {
            throw KcxError(
                .notFound, "client scope '\(nameOrID)' not found in realm '\(realmLabel)'",
                hint: "create it with 'kcx client-scope ensure \(nameOrID) -r \(realmLabel)'")
        }
        return scope
    }

    /// A user by exact username (server-side filter) or by id.
    public func user(_ nameOrID: String) throws -> UserRef? {
        if looksLikeUUID(nameOrID), let rep = try api.getIfExists("users/\(nameOrID)", realm: realm),
            let id = rep["id"]?.stringValue, let username = rep["username"]?.stringValue
        {
            return UserRef(id: id, username: username)
        }
        let matches = try api.get("users", realm: realm, query: [("username", nameOrID), ("exact", "true")]).arrayValue ?? []
        guard let rep = matches.first(where: { $0["username"]?.stringValue?.lowercased() == nameOrID.lowercased() }),
            let id = rep["id"]?.stringValue, let username = rep["username"]?.stringValue
        else { return nil }
        return UserRef(id: id, username: username)
    }

    public func requireUser(_ nameOrID: String) throws -> UserRef {
        guard let user = try user(nameOrID) else {
            throw KcxError(.notFound, "user '\(nameOrID)' not found in realm '\(realmLabel)'")
        }
        return user
    }

    var realmLabel: String { realm }
}
