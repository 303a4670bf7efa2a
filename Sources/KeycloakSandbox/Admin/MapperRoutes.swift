// `.../protocol-mappers/...` on clients and client scopes (admin-api.md §5): models CRUD,
// add-models, by protocol; provider check, name uniqueness per protocol, server-wide ids.
import KcxJSON
import LoopbackHTTP

/// A client or client scope: both hold protocol mappers and scope mappings.
enum MappingContainer {
    case client(String)
    case clientScope(String)

    var notFound: ServerResponse {
        switch self {
        case .client: return AdminResponse.error(404, "Could not find client")
        case .clientScope: return AdminResponse.error(404, "Could not find client scope")
        }
    }

    func mappers(in realm: Realm) -> [ProtocolMapper]? {
        switch self {
        case .client(let id): return realm.client(id: id)?.protocolMappers
        case .clientScope(let id): return realm.clientScope(id: id)?.protocolMappers
        }
    }

    func setMappers(_ mappers: [ProtocolMapper], in realm: inout Realm) {
        switch self {
        case .client(let id): if let index = realm.clientIndex(id: id) { realm.clients[index].protocolMappers = mappers }
        case .clientScope(let id):
            if let index = realm.clientScopes.firstIndex(where: { $0.id == id }) {
                realm.clientScopes[index].protocolMappers = mappers
            }
        }
    }

    func scopeRoleIds(in realm: Realm) -> [String]? {
        switch self {
        case .client(let id): return realm.client(id: id)?.scopeMappingRoleIds
        case .clientScope(let id): return realm.clientScope(id: id)?.scopeMappingRoleIds
        }
    }

    func setScopeRoleIds(_ ids: [String], in realm: inout Realm) {
        switch self {
        case .client(let id): if let index = realm.clientIndex(id: id) { realm.clients[index].scopeMappingRoleIds = ids }
        case .clientScope(let id):
            if let index = realm.clientScopes.firstIndex(where: { $0.id == id }) {
                realm.clientScopes[index].scopeMappingRoleIds = ids
            }
        }
    }
}

enum MapperRoutes {
    /// Provider ids of Keycloak 26.7's default distribution (META-INF/services ProtocolMapper).
    static let providers: Set<String> = [
        "oidc-usermodel-attribute-mapper", "oidc-usermodel-property-mapper", "oidc-hardcoded-claim-mapper",
        "oidc-hardcoded-role-mapper", "oidc-role-name-mapper", "oidc-usermodel-realm-role-mapper",
        "oidc-usermodel-client-role-mapper", "oidc-group-membership-mapper", "oidc-audience-mapper",
        "oidc-audience-resolve-mapper", "oidc-allowed-origins-mapper", "oidc-usersessionmodel-note-mapper",
        "oidc-full-name-mapper", "oidc-address-mapper", "oidc-acr-mapper", "oidc-amr-mapper", "oidc-sub-mapper",
        "oidc-session-state-mapper", "oidc-sha256-pairwise-sub-mapper", "oidc-claims-param-token-mapper",
        "oidc-claims-param-value-idtoken-mapper", "oidc-nonce-backwards-compatible-mapper",
        "oidc-organization-membership-mapper", "oidc-hardcoded-group-mapper", "saml-role-list-mapper",
        "saml-role-name-mapper", "saml-hardcode-role-mapper", "saml-hardcode-attribute-mapper",
        "saml-user-attribute-mapper", "saml-user-property-mapper", "saml-user-session-note-mapper",
        "saml-group-membership-mapper", "saml-audience-mapper", "saml-audience-resolve-mapper",
        "saml-user-attribute-nameid-mapper", "saml-organization-membership-mapper", "saml-authn-context-class-ref-mapper",
        "docker-v2-allow-all-mapper",
    ]

    static func route(_ call: AdminCall, _ container: MappingContainer, _ tail: [String]) -> ServerResponse {
        switch (tail.first, tail.count) {
        case ("models", 1):
            switch call.method {
            case "GET":
                return call.read { realm in
                    guard let mappers = container.mappers(in: realm) else { return container.notFound }
                    return AdminResponse.json(mappers.map(\.effectiveRepresentation))
                }
            case "POST": return create(call, container)
            default: return AdminResponse.methodNotAllowed
            }
        case ("models", 2): return single(call, container, mapperId: tail[1])
        case ("add-models", 1):
            guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
            return addModels(call, container)
        case ("protocol", 2):
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return call.read { realm in
                guard let mappers = container.mappers(in: realm) else { return container.notFound }
                return AdminResponse.json(mappers.filter { $0.loginProtocol == tail[1] }.map(\.effectiveRepresentation))
            }
        default: return AdminResponse.notFound
        }
    }

    /// Checks one new mapper against the container and the server (§5.3 steps 1, 3, 4, 6).
    /// `duplicateName` is the answer for a (protocol, name) clash, which differs by route.
    private static func check(
        _ body: JSONObject, _ mapper: ProtocolMapper, existing: [ProtocolMapper], state: StoreState,
        duplicateName: ServerResponse
    ) -> ServerResponse? {
        guard let provider = body["protocolMapper"]?.stringValue, providers.contains(provider) else {
            return AdminResponse.error(404, "ProtocolMapper provider not found")
        }
        if existing.contains(where: { $0.loginProtocol == mapper.loginProtocol && $0.name == mapper.name }) {
            return duplicateName
        }
        // NOT NULL columns: a missing name or protocol fails in the database.
        if body["name"]?.stringValue == nil || body["protocol"]?.stringValue == nil { return AdminResponse.duplicateResource }
        if existing.contains(where: { $0.id == mapper.id }) { return duplicateName }
        if state.mapperIdInUse(mapper.id) { return AdminResponse.duplicateResource }
        return nil
    }

    private static func create(_ call: AdminCall, _ container: MappingContainer) -> ServerResponse {
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        let body: JSONObject
        switch call.jsonObject("ProtocolMapperRepresentation", schema: Schemas.protocolMapper) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            guard var mappers = container.mappers(in: realm) else { return container.notFound }
            let mapper = ClientFactory.makeMapper(body, defaultProtocol: nil)
            if let error = check(
                body, mapper, existing: mappers, state: state,
                duplicateName: AdminResponse.errorMessage(409, "Protocol mapper exists with same name"))
            {
                return error
            }
            mappers.append(mapper)
            container.setMappers(mappers, in: &realm)
            state.realms[index] = realm
            return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(mapper.id))", noCache: true)
        }
    }

    /// All-or-nothing; a duplicate name surfaces unwrapped (§5.3).
    private static func addModels(_ call: AdminCall, _ container: MappingContainer) -> ServerResponse {
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        let bodies: [JSONObject]
        switch call.jsonArray("ProtocolMapperRepresentation", schema: Schemas.protocolMapper) {
        case .success(let value): bodies = value
        case .failure(let error): return error.response
        }
        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            guard var mappers = container.mappers(in: realm) else { return container.notFound }
            for body in bodies {
                let mapper = ClientFactory.makeMapper(body, defaultProtocol: nil)
                if let error = check(
                    body, mapper, existing: mappers, state: state,
                    duplicateName: AdminResponse.oauth(409, "conflict", "Protocol mapper name must be unique per protocol"))
                {
                    return error
                }
                mappers.append(mapper)
            }
            container.setMappers(mappers, in: &realm)
            state.realms[index] = realm
            return AdminResponse.noContentNoCache
        }
    }

    private static func single(_ call: AdminCall, _ container: MappingContainer, mapperId: String) -> ServerResponse {
        let modelNotFound = AdminResponse.error(404, "Model not found")
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let mappers = container.mappers(in: realm) else { return container.notFound }
                guard let mapper = mappers.first(where: { $0.id == mapperId }) else { return modelNotFound }
                return AdminResponse.json(mapper.effectiveRepresentation)
            }
        case "PUT":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("ProtocolMapperRepresentation", schema: Schemas.protocolMapper) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                guard var mappers = container.mappers(in: realm) else { return container.notFound }
                guard mappers.contains(where: { $0.id == mapperId }) else { return modelNotFound }
                guard let provider = body["protocolMapper"]?.stringValue, providers.contains(provider) else {
                    return AdminResponse.error(404, "ProtocolMapper provider not found")
                }
                // The model written is the body's: its id picks the mapper, only provider and config change (§5.3).
                guard let targetId = body["id"]?.stringValue else { return AdminResponse.serverError }
                guard let index = mappers.firstIndex(where: { $0.id == targetId }) else { return modelNotFound }
                let replacement = ClientFactory.makeMapper(body, defaultProtocol: nil)
                mappers[index].protocolMapper = provider
                mappers[index].config = replacement.config
                container.setMappers(mappers, in: &realm)
                return AdminResponse.noContentNoCache
            }
        case "DELETE":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            return call.update { realm in
                guard var mappers = container.mappers(in: realm) else { return container.notFound }
                guard mappers.contains(where: { $0.id == mapperId }) else { return modelNotFound }
                mappers.removeAll { $0.id == mapperId }
                container.setMappers(mappers, in: &realm)
                return AdminResponse.noContentNoCache
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}
