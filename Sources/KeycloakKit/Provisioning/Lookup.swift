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

/// What one run has read, so each object is fetched once: a client by its exact look-up (its
/// representation carries its mappers and the names of its default and optional scopes), the
/// client-scope list (mappers inline). A `Writer` keeps its entries true after its own writes
/// (`updateClient`, `updateScope`, `forgetScopes`), so a run never reads what it already knows.
public final class LookupCache {
    /// By clientId and by id; nil: looked up and not there.
    var clients: [String: ClientRef?] = [:]
    var scopes: [ClientScopeRef]?

    public init() {}

    func remember(_ client: ClientRef) {
        clients[client.clientId] = client
        clients[client.id] = client
    }

    /// Changes a remembered client's representation (after a write of this run).
    func updateClient(id: String, _ change: (inout JSON) -> Void) {
        guard case let client?? = clients[id] else { return }
        var representation = client.representation
        change(&representation)
        remember(ClientRef(id: client.id, clientId: client.clientId, representation: representation))
    }

    /// Changes a remembered scope's representation, or adds one this run created.
    func updateScope(id: String, name: String, _ change: (inout JSON) -> Void) {
        guard var list = scopes else { return }
        if let index = list.firstIndex(where: { $0.id == id }) {
            var representation = list[index].representation
            change(&representation)
            list[index] = ClientScopeRef(id: id, name: list[index].name, representation: representation)
        } else {
            var representation: JSON = ["id": .string(id), "name": .string(name)]
            change(&representation)
            list.append(ClientScopeRef(id: id, name: name, representation: representation))
        }
        scopes = list
    }

    /// After a write whose effect is not known here (another run's object found by a 409).
    func forgetScopes() { scopes = nil }
}

public struct Lookup {
    let api: AdminAPI
    let realm: String
    /// nil: every call reads from the server.
    let cache: LookupCache?

    public init(api: AdminAPI, realm: String, cache: LookupCache? = nil) {
        self.api = api
        self.realm = realm
        self.cache = cache
    }

    /// A client by clientId (exact, server-side filter) or by its UUID.
    public func client(_ nameOrID: String) throws -> ClientRef? {
        if let known = cache?.clients[nameOrID] { return known }
        let found = try readClient(nameOrID)
        if let found { cache?.remember(found) } else { cache?.clients[nameOrID] = .some(nil) }
        return found
    }

    private func readClient(_ nameOrID: String) throws -> ClientRef? {
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
            let list = "list clients with: \(Shell.kcx("get", "clients", "-r", realmLabel, "--fields", "clientId"))"
            throw KcxError(
                .notFound, "client '\(nameOrID)' not found in realm '\(realmLabel)'",
                hint: Suggestions.phrase(try similarClientIds(to: nameOrID)).map { "\($0) (or \(list))" } ?? list)
        }
        return client
    }

    /// clientIds close to a name that matched none. Only asked for once a lookup failed (the
    /// lookup itself is a server-side exact filter), so the success path costs no request; bounded
    /// to the first 1000 clients. A failure to list gives no suggestion rather than an error.
    public func similarClientIds(to name: String) throws -> [String] {
        guard let all = try? api.getArray("clients", realm: realm, query: [("first", "0"), ("max", "1000")]) else { return [] }
        return Suggestions.closest(to: name, among: all.compactMap { $0["clientId"]?.stringValue })
    }

    /// Every client scope of the realm. Keycloak has no server-side filter for client scopes
    /// (the endpoint is unpaged), so this is one request for the whole list.
    public func clientScopes() throws -> [ClientScopeRef] {
        if let known = cache?.scopes { return known }
        let scopes = try readClientScopes()
        cache?.scopes = scopes
        return scopes
    }

    private func readClientScopes() throws -> [ClientScopeRef] {
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
        let scopes = try clientScopes()
        guard let scope = scopes.first(where: { $0.name == nameOrID }) ?? scopes.first(where: { $0.id == nameOrID }) else {
            // The names are already here: a near miss is a typo, not a scope to create.
            let near = Suggestions.closest(to: nameOrID, among: scopes.map(\.name))
            throw KcxError(
                .notFound, "client scope '\(nameOrID)' not found in realm '\(realmLabel)'",
                hint: Suggestions.phrase(near).map {
                    "\($0) (if not, create it with: \(Shell.kcx("client-scope", "ensure", nameOrID, "-r", realmLabel)))"
                }
                    ?? "create it with: \(Shell.kcx("client-scope", "ensure", nameOrID, "-r", realmLabel))")
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
            // Asked only after the exact lookup failed; bounded, and silent when listing is refused.
            let all =
                (try? api.getArray(
                    "users", realm: realm, query: [("briefRepresentation", "true"), ("first", "0"), ("max", "1000")])) ?? []
            let near = Suggestions.closest(to: nameOrID, among: all.compactMap { $0["username"]?.stringValue })
            throw KcxError(.notFound, "user '\(nameOrID)' not found in realm '\(realmLabel)'", hint: Suggestions.phrase(near))
        }
        return user
    }

    var realmLabel: String { realm }
}

extension Lookup {
    /// The clients that hold the scope `scopeName`, and in which list: what a delete of the scope
    /// takes away. One request (the client list carries each client's scope names).
    public func clientsAssigned(scope scopeName: String) throws -> [(clientId: String, list: ScopeList)] {
        var result: [(clientId: String, list: ScopeList)] = []
        for client in try api.getArray("clients", realm: realm) {
            guard let clientId = client["clientId"]?.stringValue else { continue }
            if client["defaultClientScopes"]?.arrayValue?.contains(.string(scopeName)) == true {
                result.append((clientId, .default))
            } else if client["optionalClientScopes"]?.arrayValue?.contains(.string(scopeName)) == true {
                result.append((clientId, .optional))
            }
        }
        return result
    }
}
