// `/admin/realms/{realm}/clients...`: list/search, create, read, update, delete, secret,
// service-account user, client default/optional scopes (admin-api.md §3, §6), and the sub-resources
// (mappers, scope mappings, roles, evaluate-scopes, management permissions).
import KcxJSON
import LoopbackHTTP

enum ClientRoutes {
    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard let clientId = tail.first else {
            switch call.method {
            case "GET": return list(call)
            case "POST": return create(call)
            default: return AdminResponse.methodNotAllowed
            }
        }
        // An unknown client is a 404 only for callers who may list clients (§3.3).
        guard call.rights.queryClients || call.rights.viewClients else { return AdminResponse.forbidden }
        guard call.store.read({ $0.realm(named: call.realmName)?.client(id: clientId) != nil }) else {
            return AdminResponse.error(404, "Could not find client")
        }
        let rest = Array(tail.dropFirst())
        guard let resource = rest.first else { return single(call, clientId) }
        let more = Array(rest.dropFirst())
        switch resource {
        case "client-secret" where more.isEmpty: return secret(call, clientId)
        case "service-account-user" where more.isEmpty: return serviceAccountUser(call, clientId)
        case "default-client-scopes": return scopes(call, clientId, optional: false, more)
        case "optional-client-scopes": return scopes(call, clientId, optional: true, more)
        case "protocol-mappers": return MapperRoutes.route(call, .client(clientId), more)
        case "scope-mappings": return ScopeMappingRoutes.route(call, .client(clientId), more)
        case "roles": return RoleRoutes.clientRoles(call, clientId, more)
        case "installation": return RealmExtrasRoutes.installation(call, clientId, more)
        case "certificates": return RealmExtrasRoutes.certificates(call, clientId, more)
        case "evaluate-scopes", "management", "authz":
            // Claim computation and FGAP v1 belong to the OIDC side (token-exchange.md §2.3, §5).
            return OIDCAdminHooks.route(call, clientId: clientId, resource: resource, more)
        default: return AdminResponse.notFound
        }
    }

    /// `access` as Keycloak computes it for the caller; master's `<realm>-realm` admin clients
    /// cannot be configured (as recorded).
    static func access(_ client: Client, _ call: AdminCall) -> JSONObject {
        let locked =
            call.realmName == "master" && client.clientId.hasSuffix("-realm") && client.attribute("realm_client") == "true"
        return JSONObject([
            ("view", .bool(call.rights.viewClients)), ("configure", .bool(call.rights.manageClients && !locked)),
            ("manage", .bool(call.rights.manageClients && !locked)),
        ])
    }

    static func representation(_ client: Client, _ realm: Realm, _ call: AdminCall) -> JSONObject {
        var out = client.representation(in: realm, includeSecret: call.rights.manageClients)
        out["access"] = .object(access(client, call))
        return out
    }

    /// §3.1: `clientId` exact (or substring with `search=true`), `q` attribute search, paging.
    private static func list(_ call: AdminCall) -> ServerResponse {
        guard call.rights.queryClients else { return AdminResponse.forbidden }
        var attributeFilters: [(String, String)] = []
        if let query = call.request.queryValue("q") {
            for term in query.split(separator: " ") {
                let parts = term.split(separator: ":", maxSplits: 1)
                guard parts.count == 2 else { return AdminResponse.oauth(400, "invalid_request", "Invalid query") }
                attributeFilters.append((String(parts[0]), String(parts[1])))
            }
        }
        return call.read { realm in
            // Callers with query-clients only see no client they may view.
            guard call.rights.viewClients else { return AdminResponse.json([JSONObject]()) }
            // Filter before sorting: an exact clientId lookup then costs one scan, not a sort of the realm.
            var clients = realm.clients
            if let clientId = call.request.queryValue("clientId") {
                if call.flag("search") {
                    let needle = clientId.lowercased()
                    clients = clients.filter { $0.clientId.lowercased().contains(needle) }
                } else {
                    clients = clients.filter { $0.clientId == clientId }
                }
            }
            for (key, value) in attributeFilters { clients = clients.filter { $0.attribute(key) == value } }
            clients.sort { $0.clientId < $1.clientId }
            clients = paged(clients, first: call.integer("first"), max: call.integer("max"))
            return AdminResponse.json(clients.map { representation($0, realm, call) })
        }
    }

    private static func create(_ call: AdminCall) -> ServerResponse {
        guard call.rights.createClient else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("ClientRepresentation", schema: Schemas.client) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        if let invalid = validate(body) { return invalid }
        let now = call.now
        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            do throws(ClientCreateError) {
                let id = try ClientFactory.create(body, in: &realm, now: now, mapperIdInUse: state.mapperIdInUse)
                state.realms[index] = realm
                return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(id))")
            } catch {
                switch error {
                case .duplicate(let clientId): return AdminResponse.errorMessage(409, "Client \(clientId) already exists")
                // Not established (admin-api.md Appendix B); Keycloak dereferences the null clientId.
                case .missingClientId: return AdminResponse.serverError
                }
            }
        }
    }

    /// URL checks of DefaultClientValidationProvider, joined by "; " (§3.2).
    static func validate(_ body: JSONObject) -> ServerResponse? {
        var messages: [String] = []
        func scheme(_ url: String) -> String? {
            guard let colon = url.firstIndex(of: ":") else { return nil }
            return String(url[..<colon]).lowercased()
        }
        if let root = body["rootUrl"]?.stringValue, !root.isEmpty, !root.hasPrefix("${") {
            if scheme(root) == nil || !root.contains("://") {
                messages.append("Root URL is not a valid URL")
            } else if root.contains("#") {
                messages.append("Root URL must not contain an URL fragment")
            } else if ["javascript", "data"].contains(scheme(root) ?? "") {
                messages.append("Root URL uses an illegal scheme")
            }
        }
        if let base = body["baseUrl"]?.stringValue, !base.isEmpty, base.contains(" ") {
            messages.append("Base URL is not a valid URL")
        }
        let redirects = body["redirectUris"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if redirects.contains(where: { $0.contains(" ") }) { messages.append("A redirect URI is not a valid URI") }
        if redirects.contains(where: { $0.contains("#") }) { messages.append("Redirect URIs must not contain an URI fragment") }
        if redirects.contains(where: { ["javascript", "data"].contains(scheme($0) ?? "") }) {
            messages.append("A redirect URI uses an illegal scheme")
        }
        if messages.isEmpty { return nil }
        return AdminResponse.oauth(400, "invalid_input", messages.joined(separator: "; "))
    }

    private static func single(_ call: AdminCall, _ clientId: String) -> ServerResponse {
        switch call.method {
        case "GET":
            guard call.rights.viewClients else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
                return AdminResponse.json(representation(client, realm, call))
            }
        case "PUT": return update(call, clientId)
        case "DELETE":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            return call.update { realm in
                guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
                // Newest ClientManager refuses the realm's internal clients.
                if client.attribute("realm_client") == "true" {
                    return AdminResponse.oauth(400, "invalid_request", "Could not delete client")
                }
                ClientFactory.remove(clientId: clientId, from: &realm)
                return AdminResponse.noContentNoCache
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    /// §3.3: merge update; scope lists ignored; protocolMappers matched by (protocol, name).
    private static func update(_ call: AdminCall, _ clientId: String) -> ServerResponse {
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("ClientRepresentation", schema: Schemas.client) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        if let invalid = validate(body) { return invalid }
        let now = call.now
        return call.update { realm in
            guard let index = realm.clientIndex(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            var client = realm.clients[index]
            if let newClientId = body["clientId"]?.stringValue, newClientId != client.clientId {
                if realm.client(clientId: newClientId) != nil { return AdminResponse.errorMessage(409, "Client already exists") }
                if let userId = client.serviceAccountUserId, let userIndex = realm.users.firstIndex(where: { $0.id == userId }) {
                    realm.users[userIndex].username = "service-account-\(newClientId)".lowercased()
                }
            }
            ClientFactory.apply(body, to: &client.fields)
            if let mappers = body["protocolMappers"]?.arrayValue?.compactMap(\.objectValue) {
                var seen: [(String, String)] = []
                var updated: [ProtocolMapper] = []
                for mapperBody in mappers {
                    var mapper = ClientFactory.makeMapper(mapperBody, defaultProtocol: client.loginProtocol ?? "openid-connect")
                    if seen.contains(where: { $0 == (mapper.loginProtocol, mapper.name) }) {
                        return AdminResponse.oauth(
                            400, "invalid_input",
                            "Cannot add protocol mapper '\(mapper.name)'. Protocol mapper name must be unique per protocol")
                    }
                    seen.append((mapper.loginProtocol, mapper.name))
                    if let existing = client.protocolMappers.first(where: {
                        $0.loginProtocol == mapper.loginProtocol && $0.name == mapper.name
                    }) {
                        mapper.id = existing.id
                    }
                    updated.append(mapper)
                }
                client.protocolMappers = updated
            }
            ClientFactory.refreshSecret(&client, now: now, keepGiven: true)
            realm.clients[index] = client
            if client.serviceAccountsEnabled { ClientFactory.enableServiceAccount(clientId: clientId, in: &realm, now: now) }
            return AdminResponse.noContent
        }
    }

    /// §3.4: `{"type":"secret","value":...}`; POST regenerates.
    private static func secret(_ call: AdminCall, _ clientId: String) -> ServerResponse {
        guard call.method == "GET" || call.method == "POST" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        // The GET carries Cache-Control, the regenerating POST does not (recorded 26.7.1:
        // golden/admin/clients/secret-read.http, secret-regenerate.http).
        func body(_ client: Client) -> ServerResponse {
            var out = JSONObject([("type", "secret")])
            if let secret = client.secret { out["value"] = .string(secret) }
            return AdminResponse.json(.object(out), noCache: call.method == "GET")
        }
        if call.method == "GET" {
            return call.read { realm in realm.client(id: clientId).map(body) ?? AdminResponse.error(404, "Could not find client")
            }
        }
        let now = call.now
        return call.update { realm in
            guard let index = realm.clientIndex(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            // Not established for public clients (Appendix B): the sandbox generates one anyway.
            ClientFactory.regenerateSecret(&realm.clients[index], now: now)
            return body(realm.clients[index])
        }
    }

    /// §3.5.
    private static func serviceAccountUser(_ call: AdminCall, _ clientId: String) -> ServerResponse {
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewClients else { return AdminResponse.forbidden }
        return call.read { realm in
            guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            guard client.serviceAccountsEnabled, let userId = client.serviceAccountUserId, let user = realm.user(id: userId)
            else {
                return AdminResponse.error(400, "Service account not enabled for the client '\(client.clientId)'")
            }
            return AdminResponse.json(user.representation)
        }
    }

    /// §6: `[{"id","name"}]`; PUT attaches silently (or not at all); DELETE ignores the list named.
    private static func scopes(_ call: AdminCall, _ clientId: String, optional: Bool, _ tail: [String]) -> ServerResponse {
        if tail.isEmpty {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewClients else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
                let ids = optional ? client.optionalScopeIds : client.defaultScopeIds
                return AdminResponse.json(
                    ids.compactMap { realm.clientScope(id: $0) }.map {
                        JSONObject([("id", .string($0.id)), ("name", .string($0.name))])
                    })
            }
        }
        guard tail.count == 1 else { return AdminResponse.notFound }
        let scopeId = tail[0]
        guard call.method == "PUT" || call.method == "DELETE" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        return call.update { realm in
            guard let index = realm.clientIndex(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            guard let scope = realm.clientScope(id: scopeId) else { return AdminResponse.error(404, "Client scope not found") }
            if call.method == "PUT" {
                ClientFactory.attach(scope, to: &realm.clients[index], optional: optional)
            } else {
                realm.clients[index].defaultScopeIds.removeAll { $0 == scopeId }
                realm.clients[index].optionalScopeIds.removeAll { $0 == scopeId }
            }
            return AdminResponse.noContentNoCache
        }
    }
}
