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
        let matches = try api.getArray("clients", realm: realm, query: [("clientId", nameOrID)])
        guard let index = matches.firstIndex(where: { $0["clientId"]?.stringValue == nameOrID }) else { return nil }
        // A match without an id is a broken answer, not a missing client (which would be created again).
        let id = try api.requireString(matches[index], "id", in: "clients", realm: realm, element: index)
        return ClientRef(id: id, clientId: nameOrID, representation: matches[index])
    }

    public func requireClient(_ nameOrID: String) throws -> ClientRef {
        guard let client = try client(nameOrID) else {
            throw KcxError(
                .notFound, "client '\(nameOrID)' not found in realm '\(realmLabel)'",
                hint: "list clients with: \(Shell.kcx("get", "clients", "-r", realmLabel, "--fields", "clientId"))")
        }
        return client
    }

    /// Every client scope of the realm. Keycloak has no server-side filter for client scopes
    /// (the endpoint is unpaged), so this is one request for the whole list.
    public func clientScopes() throws -> [ClientScopeRef] {
        let list = try api.getArray("client-scopes", realm: realm)
        // Every scope has an id and a name; one without them is a broken answer, and skipping it
        // would make kcx create a second scope of that name.
        return try list.enumerated().map { index, rep in
            ClientScopeRef(
                id: try api.requireString(rep, "id", in: "client-scopes", realm: realm, element: index),
                name: try api.requireString(rep, "name", in: "client-scopes", realm: realm, element: index), representation: rep)
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
                hint: "create it with: \(Shell.kcx("client-scope", "ensure", nameOrID, "-r", realmLabel))")
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
        let matches = try api.getArray("users", realm: realm, query: [("username", nameOrID), ("exact", "true")])
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
