// Fine-grained admin permissions v1 as far as legacy token exchange needs them (token-exchange.md §2.3,
// §2.5): `clients/{id}/management/permissions` and the `realm-management` client's authorization
// server (client policies, scope permissions, resources, scopes). With v1 off both answer 501.
// State lives in `Realm.extensions["fgap"]`, so it is persisted with the store.
import KcxJSON
import LoopbackHTTP

enum FineGrainedPermissions {
    static let extensionKey = "fgap"
    /// ClientPermissionManagement's scopes, in the order `scopePermissions` lists them (a LinkedHashMap).
    static let clientScopes = [
        "view", "manage", "configure", "map-roles", "map-roles-client-scope", "map-roles-composite", "token-exchange",
    ]

    static let featureNotEnabled = ServerResponse(
        status: 501, headers: [("Content-Type", "application/json")],
        body: JSON.object(OIDCResponse.oauthError("Feature not enabled", "For more on this error consult the server log."))
            .serializedBytes())

    static func notFound(_ message: String) -> ServerResponse {
        OIDCResponse.json(404, JSONObject([("error", .string(message))]), cacheControl: nil)
    }

    static func ok(_ body: JSON) -> ServerResponse {
        ServerResponse(
            status: 200, headers: [("Content-Type", "application/json;charset=UTF-8"), ("Cache-Control", "no-cache")],
            body: body.serializedBytes())
    }

    static let serverError = OIDCResponse.json(
        500, OIDCResponse.oauthError("unknown_error", "For more on this error consult the server log."), cacheControl: nil)

    // MARK: management/permissions

    /// GET/PUT `/admin/realms/{realm}/clients/{clientUUID}/management/permissions` (ClientResource);
    /// the caller's admin rights are checked by the admin routes before this is called.
    static func clientPermissions(_ request: ServerRequest, context: SandboxContext, realmName: String, clientUUID: String)
        -> ServerResponse
    {
        context.store.withLock { state -> ServerResponse in
            guard let realmIndex = state.realmIndex(named: realmName) else { return notFound("Realm not found.") }
            guard state.realms[realmIndex].client(id: clientUUID) != nil else { return notFound("Could not find client") }
            guard context.features.contains("admin-fine-grained-authz:v1") else { return featureNotEnabled }
            var data = Data(state.realms[realmIndex].extensions[extensionKey])
            switch request.method {
            case "GET":
                return ok(data.permissionsRepresentation(clientUUID))
            case "PUT":
                guard let raw = (try? JSON.parse(request.body))?.objectValue,
                    let body = try? AdminBody.bind(raw, schema: Schemas.managementPermission, ignoringUnknown: false),
                    let enabled = body["enabled"]?.boolValue
                else {
                    return OIDCResponse.json(
                        400, OIDCResponse.oauthError("unknown_error", "Cannot parse the JSON"), cacheControl: nil)
                }
                if enabled { data.enable(clientUUID) } else { data.disable(clientUUID) }
                state.realms[realmIndex].extensions[extensionKey] = data.json
                return ok(data.permissionsRepresentation(clientUUID))
            default:
                return OIDCResponse.json(405, JSONObject([("error", "HTTP 405 Method Not Allowed")]), cacheControl: nil)
            }
        }
    }

    // MARK: the realm-management authorization server

    /// `/admin/realms/{realm}/clients/{clientUUID}/authz/resource-server/<path>`; only the realm-management
    /// client has a resource server in the sandbox.
    static func resourceServer(
        _ request: ServerRequest, context: SandboxContext, realmName: String, clientUUID: String, path: [String]
    ) -> ServerResponse {
        context.store.withLock { state -> ServerResponse in
            guard let realmIndex = state.realmIndex(named: realmName) else { return notFound("Realm not found.") }
            let realm = state.realms[realmIndex]
            guard let client = realm.client(id: clientUUID) else { return notFound("Could not find client") }
            guard context.features.contains("admin-fine-grained-authz:v1"), client.clientId == "realm-management" else {
                return notFound("HTTP 404 Not Found")
            }
            var data = Data(realm.extensions[extensionKey])
            let response = route(request, path, &data, realm: realm)
            state.realms[realmIndex].extensions[extensionKey] = data.json
            return response
        }
    }

    private static func route(_ request: ServerRequest, _ path: [String], _ data: inout Data, realm: Realm) -> ServerResponse {
        switch (request.method, path) {
        case ("GET", ["resource"]): return ok(.array(data.resources.map { .object(data.brief($0)) }))
        case ("GET", ["scope"]): return ok(.array(data.scopes.map { .object($0) }))
        case ("GET", ["policy"]), ("GET", ["permission"]):
            let wantPermissions = path[0] == "permission"
            return ok(
                .array(
                    data.policies.filter { ($0["type"]?.stringValue == "scope") == wantPermissions }.map {
                        .object(data.summary($0))
                    }))
        case ("GET", ["policy", "search"]), ("GET", ["permission", "search"]):
            // PolicyService.findByName: 200 with an empty body when there is no such policy.
            guard let name = request.queryValue("name"),
                let policy = data.policies.first(where: { $0["name"]?.stringValue == name })
            else {
                return ServerResponse(status: 200, headers: [("Cache-Control", "no-cache")])
            }
            return ok(.object(data.summary(policy)))
        case ("POST", ["policy", "client"]):
            return createClientPolicy(request, &data, realm: realm)
        case ("GET", ["policy", "client"]), ("POST", ["permission", "scope"]):
            return AuthzPolicyLookups.typed(request, path, &data, realm: realm)
        case ("GET", let p) where p.count == 3 && AuthzPolicyLookups.subresources.contains(p[2]):
            return AuthzPolicyLookups.subresource(p[1], p[2], data)
        case ("GET", let p) where p.count == 3 && ["policy", "permission"].contains(p[0]),
            ("GET", let p) where p.count == 2 && ["policy", "permission"].contains(p[0]):
            guard let policy = data.policy(id: p.last!) else { return notFound("HTTP 404 Not Found") }
            if p.count == 3 && p[1] == "client" && policy["type"]?.stringValue == "client" {
                // The typed endpoint answers ClientPolicyRepresentation: `clients` as a list of ids,
                // where the generic one packs them into config as a JSON string.
                var typed = data.summary(policy)
                typed["config"] = nil
                typed["clients"] = .array(policy["clients"]?.arrayValue ?? [])
                return ok(.object(typed))
            }
            return ok(.object(data.summary(policy)))
        case ("GET", let p) where p.count == 4 && p[0] == "permission" && p[1] == "scope":
            guard let policy = data.policy(id: p[2]) else { return notFound("HTTP 404 Not Found") }
            switch p[3] {
            case "associatedPolicies":
                return ok(
                    .array(data.ids(policy, "policies").compactMap { data.policy(id: $0) }.map { .object(data.summary($0)) }))
            case "resources":
                return ok(
                    .array(data.ids(policy, "resources").compactMap { data.resource(id: $0) }.map { .object(data.brief($0)) }))
            case "scopes": return ok(.array(data.ids(policy, "scopes").compactMap { data.scope(id: $0) }.map { .object($0) }))
            default: return notFound("HTTP 404 Not Found")
            }
        case ("PUT", let p) where p.count == 3 && ["policy", "permission"].contains(p[0]):
            return update(request, id: p[2], &data, realm: realm)
        case ("DELETE", let p) where p.count >= 2 && ["policy", "permission"].contains(p[0]):
            guard data.policy(id: p.last!) != nil else { return notFound("HTTP 404 Not Found") }
            data.policies.removeAll { $0["id"]?.stringValue == p.last! }
            return ServerResponse(status: 204)
        default:
            return notFound("HTTP 404 Not Found")
        }
    }

    /// PolicyService.create for type `client`: 201 with the submitted representation plus `id`.
    private static func createClientPolicy(_ request: ServerRequest, _ data: inout Data, realm: Realm) -> ServerResponse {
        guard let raw = (try? JSON.parse(request.body))?.objectValue else { return serverError }
        guard let body = try? AdminBody.bind(raw, schema: Schemas.clientPolicy, ignoringUnknown: true) else {
            return OIDCResponse.json(400, OIDCResponse.oauthError("unknown_error", "Cannot parse the JSON"), cacheControl: nil)
        }
        guard let name = body["name"]?.stringValue else { return serverError }
        if data.policies.contains(where: { $0["name"]?.stringValue == name }) {
            return OIDCResponse.json(
                409, OIDCResponse.oauthError("Policy with name [\(name)] already exists", "Conflicting policy"), cacheControl: nil
            )
        }
        // ClientPolicyProviderFactory.updateClients: clientIds or UUIDs, stored as UUIDs; anything unknown fails.
        guard let clients = body["clients"]?.arrayValue, !clients.isEmpty else { return serverError }
        var uuids: [JSON] = []
        for entry in clients {
            guard let text = entry.stringValue, let client = realm.client(clientId: text) ?? realm.client(id: text) else {
                return serverError
            }
            uuids.append(.string(client.id))
        }
        let id = body["id"]?.stringValue ?? SandboxStore.newId()
        var stored = JSONObject([
            ("id", .string(id)), ("name", .string(name)), ("type", "client"),
            ("logic", body["logic"] ?? "POSITIVE"), ("decisionStrategy", body["decisionStrategy"] ?? "UNANIMOUS"),
        ])
        if let description = body["description"] { stored["description"] = description }
        stored["clients"] = .array(uuids)
        data.policies.append(stored)
        var echoed = JSONObject([("id", .string(id))])
        for (key, value) in body where key != "id" { echoed[key] = value }
        echoed["type"] = "client"
        return ServerResponse(
            status: 201, headers: [("Content-Type", "application/json;charset=UTF-8")],
            body: JSON.object(echoed).serializedBytes())
    }

    /// PolicyResourceService.update: 201 with no body; a missing list leaves it, an empty one clears
    /// it, entries are ids or names.
    private static func update(_ request: ServerRequest, id: String, _ data: inout Data, realm: Realm) -> ServerResponse {
        guard let index = data.policies.firstIndex(where: { $0["id"]?.stringValue == id }) else {
            return notFound("HTTP 404 Not Found")
        }
        guard let raw = (try? JSON.parse(request.body))?.objectValue else { return serverError }
        // The lists may name entries by id or name, or hold representations: bound as lists only.
        var schema = Schemas.clientPolicy
        for key in ["resources", "scopes", "policies"] { schema[key] = .array }
        guard let body = try? AdminBody.bind(raw, schema: schema, ignoringUnknown: true) else {
            return OIDCResponse.json(400, OIDCResponse.oauthError("unknown_error", "Cannot parse the JSON"), cacheControl: nil)
        }
        var policy = data.policies[index]
        for key in ["name", "description", "logic", "decisionStrategy"] {
            if let value = body[key], !value.isNull { policy[key] = value }
        }
        let lists: [(String, [JSONObject])] = [
            ("resources", data.resources), ("scopes", data.scopes), ("policies", data.policies),
        ]
        for (key, pool) in lists {
            guard let entries = body[key]?.arrayValue else { continue }
            var ids: [JSON] = []
            for entry in entries {
                let text = entry.stringValue ?? entry["id"]?.stringValue ?? entry["name"]?.stringValue ?? ""
                guard let match = pool.first(where: { $0["id"]?.stringValue == text || $0["name"]?.stringValue == text }),
                    let matchId = match["id"]
                else { return serverError }
                ids.append(matchId)
            }
            policy[key] = .array(ids)
        }
        // ClientPolicyProviderFactory.onUpdate: a client policy's `clients` (clientIds or UUIDs) replace
        // the stored UUIDs; an unknown client fails as on create.
        if policy["type"]?.stringValue == "client", let clients = body["clients"]?.arrayValue {
            var uuids: [JSON] = []
            for entry in clients {
                guard let text = entry.stringValue, let client = realm.client(clientId: text) ?? realm.client(id: text) else {
                    return serverError
                }
                uuids.append(.string(client.id))
            }
            guard !uuids.isEmpty else { return serverError }
            policy["clients"] = .array(uuids)
        }
        data.policies[index] = policy
        return ServerResponse(status: 201)
    }

    // MARK: evaluation

    /// ClientPermissions.canExchangeTo: the target's `token-exchange.permission.client.<uuid>` must exist,
    /// have policies and a scope, and its policies must grant the requester under its decision strategy.
    static func canExchange(realm: Realm, requester: Client, target: Client) -> Bool {
        let data = Data(realm.extensions[extensionKey])
        guard
            let permission = data.policies.first(where: {
                $0["name"]?.stringValue == "token-exchange.permission.client.\(target.id)"
            }),
            !data.ids(permission, "scopes").isEmpty
        else { return false }
        let policies = data.ids(permission, "policies").compactMap { data.policy(id: $0) }
        if policies.isEmpty { return false }
        let votes = policies.map { policy -> Bool in
            let matches = data.ids(policy, "clients").contains(requester.id)
            return policy["logic"]?.stringValue == "NEGATIVE" ? !matches : matches
        }
        let granted = votes.filter { $0 }.count
        switch permission["decisionStrategy"]?.stringValue ?? "UNANIMOUS" {
        case "AFFIRMATIVE": return granted > 0
        case "CONSENSUS": return granted > votes.count - granted
        default: return granted == votes.count
        }
    }

    /// The authorization objects of one realm.
    struct Data {
        var resources: [JSONObject]
        var scopes: [JSONObject]
        var policies: [JSONObject]
        var clientResources: JSONObject

        init(_ json: JSON?) {
            resources = json?["resources"]?.arrayValue?.compactMap(\.objectValue) ?? []
            scopes = json?["scopes"]?.arrayValue?.compactMap(\.objectValue) ?? []
            policies = json?["policies"]?.arrayValue?.compactMap(\.objectValue) ?? []
            clientResources = json?["clientResources"]?.objectValue ?? JSONObject()
        }

        var json: JSON {
            .object(
                JSONObject([
                    ("resources", .array(resources.map(JSON.object))), ("scopes", .array(scopes.map(JSON.object))),
                    ("policies", .array(policies.map(JSON.object))), ("clientResources", .object(clientResources)),
                ]))
        }

        func policy(id: String) -> JSONObject? { policies.first { $0["id"]?.stringValue == id } }
        func resource(id: String) -> JSONObject? { resources.first { $0["id"]?.stringValue == id } }
        func scope(id: String) -> JSONObject? { scopes.first { $0["id"]?.stringValue == id } }
        func ids(_ object: JSONObject, _ key: String) -> [String] { object[key]?.arrayValue?.compactMap(\.stringValue) ?? [] }

        /// A policy as GET returns it: lists are sub-resources, not inlined (§2.3).
        func summary(_ policy: JSONObject) -> JSONObject {
            var out = JSONObject()
            for key in ["id", "name", "description", "type", "logic", "decisionStrategy"] {
                if let value = policy[key] { out[key] = value }
            }
            if policy["type"]?.stringValue == "client" {
                out["config"] = .object(
                    JSONObject([("clients", .string(JSON.array(policy["clients"]?.arrayValue ?? []).serialized()))]))
            }
            return out
        }

        /// ResourceRepresentation names its id `_id` and lists it after the descriptive members.
        func brief(_ resource: JSONObject) -> JSONObject {
            JSONObject([
                ("name", resource["name"] ?? .null), ("type", resource["type"] ?? .null),
                ("ownerManagedAccess", resource["ownerManagedAccess"] ?? false), ("_id", resource["id"] ?? .null),
            ])
        }

        private mutating func scopeId(_ name: String) -> String {
            if let existing = scopes.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue { return existing }
            let id = SandboxStore.newId()
            scopes.append(JSONObject([("id", .string(id)), ("name", .string(name))]))
            return id
        }

        /// ClientPermissions.initialize: the client's resource and one empty scope permission per scope.
        mutating func enable(_ clientUUID: String) {
            if clientResources[clientUUID] != nil { return }
            let scopeIds = FineGrainedPermissions.clientScopes.map { scopeId($0) }
            let resourceId = SandboxStore.newId()
            resources.append(
                JSONObject([
                    ("id", .string(resourceId)), ("name", .string("client.resource.\(clientUUID)")), ("type", "Client"),
                    ("ownerManagedAccess", false), ("scopes", .array(scopeIds.map(JSON.string))),
                ]))
            var permissionIds = JSONObject()
            for (name, scopeId) in zip(FineGrainedPermissions.clientScopes, scopeIds) {
                let id = SandboxStore.newId()
                policies.append(
                    JSONObject([
                        ("id", .string(id)), ("name", .string("\(name).permission.client.\(clientUUID)")), ("type", "scope"),
                        ("logic", "POSITIVE"), ("decisionStrategy", "UNANIMOUS"), ("resources", [.string(resourceId)]),
                        ("scopes", [.string(scopeId)]), ("policies", []),
                    ]))
                permissionIds[name] = .string(id)
            }
            clientResources[clientUUID] = .object(
                JSONObject([("resource", .string(resourceId)), ("scopePermissions", .object(permissionIds))]))
        }

        /// `{"enabled": false}` deletes the client's resource and permissions.
        mutating func disable(_ clientUUID: String) {
            guard let entry = clientResources[clientUUID] else { return }
            let permissionIds = entry["scopePermissions"]?.objectValue?.entries.compactMap(\.value.stringValue) ?? []
            policies.removeAll { permissionIds.contains($0["id"]?.stringValue ?? "") }
            resources.removeAll { $0["id"]?.stringValue == entry["resource"]?.stringValue }
            clientResources[clientUUID] = nil
        }

        func permissionsRepresentation(_ clientUUID: String) -> JSON {
            guard let entry = clientResources[clientUUID]?.objectValue else { return ["enabled": false] }
            return .object(
                JSONObject([
                    ("enabled", true), ("resource", entry["resource"] ?? .null),
                    ("scopePermissions", entry["scopePermissions"] ?? [:]),
                ]))
        }
    }
}
