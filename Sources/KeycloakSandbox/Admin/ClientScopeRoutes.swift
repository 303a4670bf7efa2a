// `/admin/realms/{realm}/client-scopes...` (and the deprecated `/client-templates` alias): list,
// create with Keycloak's validation order, read, merge update, cascading delete (admin-api.md §4).
import KcxJSON
import LoopbackHTTP

enum ClientScopeRoutes {
    static let protocols: Set<String> = ["openid-connect", "saml", "oid4vc"]

    static func route(_ call: AdminCall, _ tail: [String], collection: String) -> ServerResponse {
        guard let scopeId = tail.first else {
            switch call.method {
            case "GET":
                guard call.rights.queryClients else { return AdminResponse.forbidden }
                guard call.rights.viewClients else { return AdminResponse.json([JSONObject]()) }
                return call.read { AdminResponse.json($0.clientScopes.map(\.representation)) }
            case "POST": return create(call)
            default: return AdminResponse.methodNotAllowed
            }
        }
        guard call.rights.viewClients else { return AdminResponse.forbidden }
        guard call.store.read({ $0.realm(named: call.realmName)?.clientScope(id: scopeId) != nil }) else {
            return AdminResponse.error(404, "Could not find client scope")
        }
        let rest = Array(tail.dropFirst())
        guard let resource = rest.first else { return single(call, scopeId) }
        switch resource {
        case "protocol-mappers": return MapperRoutes.route(call, .clientScope(scopeId), Array(rest.dropFirst()))
        case "scope-mappings": return ScopeMappingRoutes.route(call, .clientScope(scopeId), Array(rest.dropFirst()))
        default: return AdminResponse.notFound
        }
    }

    /// `validateClientScopeName`: printable ASCII except space, `"` and `\`.
    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
    }

    /// The name check shared by create and update: absent → 500 (Keycloak NPEs), invalid → 400.
    private static func nameError(_ body: JSONObject) -> ServerResponse? {
        guard let name = body["name"], !name.isNull else { return AdminResponse.serverError }
        let text = name.plainText
        if !validName(text) { return AdminResponse.errorMessage(400, "Unexpected name \"\(text)\" for ClientScope") }
        return nil
    }

    /// Dynamic scopes are a disabled-by-default feature: their attributes are refused (§4.3 step 4).
    private static func dynamicScopeError(_ body: JSONObject, features: FeatureSet) -> ServerResponse? {
        guard !features.contains("dynamic-scopes") else { return nil }
        let attributes = body["attributes"]?.objectValue ?? JSONObject()
        if let value = attributes["is.dynamic.scope"]?.plainText, value == "true" {
            return AdminResponse.errorMessage(400, "Unexpected value \"true\" for attribute is.dynamic.scope in ClientScope")
        }
        if let value = attributes["dynamic.scope.regexp"]?.plainText, !value.isEmpty {
            return AdminResponse.errorMessage(
                400, "Unexpected value \"\(value)\" for attribute dynamic.scope.regexp in ClientScope")
        }
        return nil
    }

    private static func body(_ call: AdminCall) -> Result<JSONObject, BodyError> {
        call.jsonObject("ClientScopeRepresentation", schema: Schemas.clientScope)
    }

    /// §4.3: name, protocol, dynamic attributes, then the duplicate check.
    private static func create(_ call: AdminCall) -> ServerResponse {
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        let body: JSONObject
        switch Self.body(call) {
        case .success(let value): body = value
        case .failure(let error): return error.response
        }
        if let error = nameError(body) { return error }
        guard let protocolName = body["protocol"]?.stringValue, protocols.contains(protocolName) else {
            return AdminResponse.errorMessage(400, "Unexpected protocol")
        }
        if protocolName == "oid4vc" {
            return AdminResponse.errorMessage(
                400, "OID4VC protocol cannot be used when Verifiable Credentials is disabled for the realm")
        }
        if let error = dynamicScopeError(body, features: call.context.features) { return error }
        let name = body["name"]?.plainText ?? ""
        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            if realm.clientScope(name: name) != nil {
                return AdminResponse.errorMessage(409, "Client Scope \(name) already exists")
            }
            let id = body["id"]?.stringValue ?? SandboxStore.newId()
            if realm.clientScope(id: id) != nil { return AdminResponse.duplicateResource }
            var attributes = JSONObject()
            for (key, value) in body["attributes"]?.objectValue ?? JSONObject() where !value.isNull {
                attributes[key] = .string(value.plainText)
            }
            var scope = ClientScope(
                id: id, name: name, description: body["description"]?.stringValue, loginProtocol: protocolName,
                attributes: attributes)
            for mapperBody in body["protocolMappers"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                let mapper = ClientFactory.makeMapper(mapperBody, defaultProtocol: protocolName)
                if state.mapperIdInUse(mapper.id) || scope.protocolMappers.contains(where: { $0.id == mapper.id }) {
                    return AdminResponse.duplicateResource
                }
                scope.protocolMappers.append(mapper)
            }
            realm.clientScopes.append(scope)
            state.realms[index] = realm
            return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(id))", noCache: true)
        }
    }

    private static func single(_ call: AdminCall, _ scopeId: String) -> ServerResponse {
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let scope = realm.clientScope(id: scopeId) else {
                    return AdminResponse.error(404, "Could not find client scope")
                }
                return AdminResponse.json(scope.representation)
            }
        case "PUT":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            let body: JSONObject
            switch Self.body(call) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            if let error = nameError(body) { return error }
            if let error = dynamicScopeError(body, features: call.context.features) { return error }
            return call.update { realm in
                guard let index = realm.clientScopes.firstIndex(where: { $0.id == scopeId }) else {
                    return AdminResponse.error(404, "Could not find client scope")
                }
                let name = body["name"]?.plainText ?? realm.clientScopes[index].name
                if realm.clientScopes.contains(where: { $0.name == name && $0.id != scopeId }) {
                    return AdminResponse.errorMessage(409, "Client Scope \(name) already exists")
                }
                // Merge: protocol not re-validated, attributes key by key, mappers ignored (§4.4).
                realm.clientScopes[index].name = name
                if let description = body["description"], !description.isNull {
                    realm.clientScopes[index].description = description.plainText
                }
                if let protocolName = body["protocol"]?.stringValue { realm.clientScopes[index].loginProtocol = protocolName }
                for (key, value) in body["attributes"]?.objectValue ?? JSONObject() {
                    realm.clientScopes[index].attributes[key] = value.isNull ? nil : .string(value.plainText)
                }
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            return call.update { realm in
                guard realm.clientScope(id: scopeId) != nil else {
                    return AdminResponse.error(404, "Could not find client scope")
                }
                if realm.clientScopes.count == 1 {
                    return AdminResponse.errorMessage(403, "You are not allowed to delete all the client scopes.")
                }
                // In-use scopes are deleted anyway, detached everywhere (§4.5).
                realm.clientScopes.removeAll { $0.id == scopeId }
                realm.defaultDefaultScopeIds.removeAll { $0 == scopeId }
                realm.defaultOptionalScopeIds.removeAll { $0 == scopeId }
                for index in realm.clients.indices {
                    realm.clients[index].defaultScopeIds.removeAll { $0 == scopeId }
                    realm.clients[index].optionalScopeIds.removeAll { $0 == scopeId }
                }
                return AdminResponse.noContentNoCache
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}
