// `/admin/realms` and `/admin/realms/{realm}`: list, create, read, update, delete, and the realm's
// default/optional client scope lists (admin-api.md §2).
import KcxJSON
import LoopbackHTTP

enum RealmRoutes {
    /// `GET` and `POST /admin/realms`.
    static func collection(_ request: ServerRequest, _ context: SandboxContext, caller: AdminCaller) -> ServerResponse {
        switch request.method {
        case "GET": return list(request, context, caller: caller)
        case "POST": return create(request, context, caller: caller)
        default: return AdminResponse.methodNotAllowed
        }
    }

    /// The realms the caller administers; an empty result is a 403, not `[]` (§2.1).
    private static func list(_ request: ServerRequest, _ context: SandboxContext, caller: AdminCaller) -> ServerResponse {
        let brief = request.queryValue("briefRepresentation")?.lowercased() == "true"
        let realms: [JSONObject] = context.store.read { state in
            state.realms.compactMap { realm in
                let rights = caller.rights(in: realm.name, state)
                guard rights.isAdmin else { return nil }
                if brief { return realm.briefRepresentation }
                return rights.viewRealm ? realm.fullRepresentation : JSONObject([("realm", .string(realm.name))])
            }
        }
        if realms.isEmpty { return AdminResponse.forbidden }
        return AdminResponse.json(realms)
    }

    /// `POST /admin/realms` (§2.2): 415, then `create-realm`, then the body.
    private static func create(_ request: ServerRequest, _ context: SandboxContext, caller: AdminCaller) -> ServerResponse {
        guard AdminBody.hasJSONContentType(request) else { return AdminResponse.unsupportedMediaType }
        guard context.store.read({ caller.rights(in: "master", $0).createRealm }) else { return AdminResponse.forbidden }
        // The importer reads the raw stream: any unreadable body, including an unknown field
        // (our choice: Keycloak's importer binds strictly), answers the same.
        let unreadable = AdminResponse.errorMessage(400, "unable to read contents from stream")
        guard let body = try? JSON.parse(request.body), case .object(let raw) = body,
            let representation = try? AdminBody.bind(raw, schema: Schemas.realm, ignoringUnknown: false)
        else { return unreadable }
        let name = representation["realm"]?.stringValue ?? ""
        if name.trimmed.isEmpty { return AdminResponse.errorMessage(400, "Realm name cannot be empty") }
        let now = context.now()
        let outcome: RealmImport.Outcome = context.store.withLock { state in
            if state.realm(named: name) != nil { return .conflict("Realm \(name) already exists") }
            var copy = state
            let result = RealmImport.importRealm(representation, into: &copy, now: now)
            if case .created = result { state = copy }
            return result
        }
        switch outcome {
        case .created: return AdminResponse.created("\(context.baseURL)/admin/realms/\(AdminPath.encode(name))")
        case .conflict(let message): return AdminResponse.errorMessage(409, message)
        case .invalid(let message): return AdminResponse.errorMessage(400, message)
        }
    }

    /// `GET`, `PUT`, `DELETE /admin/realms/{realm}`.
    static func realm(_ call: AdminCall) -> ServerResponse {
        switch call.method {
        case "GET":
            if call.rights.viewRealm { return call.read { AdminResponse.json($0.fullRepresentation) } }
            guard call.rights.isAdmin else { return AdminResponse.forbidden }
            // Other admins get the short form (RealmAdminResource.getRealm).
            return call.read { realm in
                var out = JSONObject([("realm", .string(realm.name))])
                for key in ["displayName", "displayNameHtml"] { if let value = realm.representation[key] { out[key] = value } }
                out["registrationEmailAsUsername"] = realm.representation["registrationEmailAsUsername"] ?? false
                out["bruteForceProtected"] = realm.representation["bruteForceProtected"] ?? false
                out["supportedLocales"] = realm.representation["supportedLocales"] ?? []
                out["organizationsEnabled"] = realm.representation["organizationsEnabled"] ?? false
                return AdminResponse.json(out)
            }
        case "PUT": return update(call)
        case "DELETE":
            guard call.rights.manageRealm else { return AdminResponse.forbidden }
            if call.realmName == "master" { return AdminResponse.errorMessage(400, "Can't remove master realm") }
            return call.store.withLock { state in
                guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
                state.realms.remove(at: index)
                state.unlinkAdminClient(forRealm: call.realmName)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    /// Merge update (§2.3): absent and null fields keep their values; a new `realm` renames.
    private static func update(_ call: AdminCall) -> ServerResponse {
        guard call.rights.manageRealm else { return AdminResponse.forbidden }
        let representation: JSONObject
        switch call.jsonObject("RealmRepresentation", schema: Schemas.realm) {
        case .success(let value): representation = value
        case .failure(let error): return error.response
        }
        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            if let newName = representation["realm"]?.stringValue, newName != realm.name {
                if realm.name == "master" { return AdminResponse.errorMessage(400, "Can't rename master realm") }
                if state.realm(named: newName) != nil { return AdminResponse.errorMessage(409, "Realm with same name exists") }
                state.renameAdminClient(from: realm.name, to: newName)
                realm.name = newName
                realm.representation["realm"] = .string(newName)
            }
            for (key, value) in representation where !value.isNull && RealmImport.settingKeys(key) {
                realm.representation[key] = value
            }
            state.realms[index] = realm
            return AdminResponse.noContent
        }
    }

    /// `/default-default-client-scopes[/{id}]` and `/default-optional-client-scopes[/{id}]` (§2.4).
    static func defaultScopes(_ call: AdminCall, optional: Bool, _ tail: [String]) -> ServerResponse {
        if tail.isEmpty {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewClients else { return AdminResponse.forbidden }
            return call.read { realm in
                let ids = optional ? realm.defaultOptionalScopeIds : realm.defaultDefaultScopeIds
                return AdminResponse.json(
                    ids.compactMap { realm.clientScope(id: $0) }.map {
                        JSONObject([("id", .string($0.id)), ("name", .string($0.name)), ("protocol", .string($0.loginProtocol))])
                    })
            }
        }
        guard tail.count == 1 else { return AdminResponse.notFound }
        let scopeId = tail[0]
        switch call.method {
        case "PUT":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            return call.update { realm in
                guard realm.clientScope(id: scopeId) != nil else { return AdminResponse.error(404, "Client scope not found") }
                // One table with a flag: a scope in either list is a primary-key clash.
                if realm.defaultDefaultScopeIds.contains(scopeId) || realm.defaultOptionalScopeIds.contains(scopeId) {
                    return AdminResponse.duplicateResource
                }
                if optional {
                    realm.defaultOptionalScopeIds.append(scopeId)
                } else {
                    realm.defaultDefaultScopeIds.append(scopeId)
                }
                return AdminResponse.noContentNoCache
            }
        case "DELETE":
            guard call.rights.manageClients else { return AdminResponse.forbidden }
            return call.update { realm in
                guard realm.clientScope(id: scopeId) != nil else { return AdminResponse.error(404, "Client scope not found") }
                // `removeDefaultClientScope` ignores which list the path names.
                realm.defaultDefaultScopeIds.removeAll { $0 == scopeId }
                realm.defaultOptionalScopeIds.removeAll { $0 == scopeId }
                return AdminResponse.noContentNoCache
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}

enum AdminPath {
    /// Percent-encodes a path segment for a `Location` header.
    static func encode(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (byte < 0x80)
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar))
                    || "-._~".contains(Character(scalar)))
            {
                out.append(Character(scalar))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
