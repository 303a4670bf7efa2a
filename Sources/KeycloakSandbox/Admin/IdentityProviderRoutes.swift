// `/admin/realms/{realm}/identity-provider/...`: identity-provider instances (CRUD) and their mappers,
// kept in the realm's `extensions` (persisted with the snapshot). No brokering happens: the
// sandbox stores and answers the configuration only.
//
// Source (read, not copied): keycloak/keycloak services/.../resources/admin/IdentityProvidersResource.java
// and IdentityProviderResource.java (Keycloak 26): reads need view-identity-providers (implied by
// manage-identity-providers, view-realm, manage-realm), writes manage-identity-providers (or
// manage-realm); an unknown provider type is 400 `Invalid identity provider id [<id>]` (the
// IllegalArgumentException of RepresentationToModel.toModel), a duplicate alias 409 `Identity Provider
// <alias> already exists`, an unknown alias the plain JAX-RS 404; secrets in `config` read back as
// `**********` and a PUT that sends `**********` keeps the stored secret.
import KcxJSON
import LoopbackHTTP

enum IdentityProviderRoutes {
    static let providersKey = "identityProviders"
    static let mappersKey = "identityProviderMappers"
    static let secretMask = "**********"

    /// The provider ids Keycloak 26 ships (IdentityProviderFactory implementations).
    static let knownProviders: Set<String> = [
        "oidc", "keycloak-oidc", "saml", "google", "github", "facebook", "gitlab", "bitbucket", "microsoft",
        "twitter", "stackoverflow", "linkedin-openid-connect", "instagram", "paypal", "openshift-v3", "openshift-v4",
        "kubernetes", "spiffe", "jwt-authorization-grant",
    ]

    /// IdentityProviderRepresentation's fields in Keycloak's order, with their defaults.
    static let defaults: [(String, JSON)] = [
        ("alias", .null), ("displayName", .null), ("internalId", .null), ("providerId", .null), ("enabled", true),
        ("updateProfileFirstLoginMode", "on"), ("trustEmail", false), ("storeToken", false),
        ("addReadTokenRoleOnCreate", false), ("authenticateByDefault", false), ("linkOnly", false),
        ("hideOnLogin", false), ("firstBrokerLoginFlowAlias", "first broker login"), ("postBrokerLoginFlowAlias", .null),
        ("organizationId", .null), ("config", .object(JSONObject())),
    ]

    /// Config keys holding secrets (`clientSecret` of OIDC and social providers).
    static func isSecretConfigKey(_ key: String) -> Bool { key.lowercased().hasSuffix("secret") }

    static func providers(_ realm: Realm) -> [JSONObject] {
        realm.extensions[providersKey]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    static func mappers(_ realm: Realm) -> [JSONObject] {
        realm.extensions[mappersKey]?.arrayValue?.compactMap(\.objectValue) ?? []
    }

    private static func store(_ list: [JSONObject], _ key: String, _ realm: inout Realm) {
        realm.extensions[key] = list.isEmpty ? nil : .array(list.map { .object($0) })
    }

    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.first == "instances" else { return AdminResponse.notFound }
        let rest = Array(tail.dropFirst())
        guard let alias = rest.first else {
            switch call.method {
            case "GET": return list(call)
            case "POST": return create(call)
            default: return AdminResponse.methodNotAllowed
            }
        }
        guard call.rights.viewIdentityProviders else { return AdminResponse.forbidden }
        guard
            call.store.read({ state in
                state.realm(named: call.realmName).map { providers($0).contains { $0["alias"]?.stringValue == alias } } ?? false
            })
        else { return AdminResponse.notFound }
        let sub = Array(rest.dropFirst())
        switch sub.first {
        case nil: return single(call, alias)
        case "mappers": return mapperRoute(call, alias, Array(sub.dropFirst()))
        case "mapper-types" where sub.count == 1:
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            return AdminResponse.json(JSONObject())
        default: return AdminResponse.notFound
        }
    }

    /// The stored provider as Keycloak answers it: defaults filled, secrets masked.
    static func representation(_ stored: JSONObject) -> JSONObject {
        var out = JSONObject()
        for (key, value) in defaults {
            let current = stored[key] ?? value
            if current.isNull { continue }
            out[key] = current
        }
        if var config = out["config"]?.objectValue {
            for (key, _) in config where isSecretConfigKey(key) { config[key] = .string(secretMask) }
            out["config"] = .object(config)
        }
        return out
    }

    /// `GET /instances`: `search` (substring of the alias; `*` wildcards ignored), `first`, `max`,
    /// `briefRepresentation` (alias, displayName, internalId, providerId, enabled only).
    private static func list(_ call: AdminCall) -> ServerResponse {
        guard call.rights.viewIdentityProviders else { return AdminResponse.forbidden }
        let brief = call.flag("briefRepresentation")
        return call.read { realm in
            var list = providers(realm).sorted { ($0["alias"]?.stringValue ?? "") < ($1["alias"]?.stringValue ?? "") }
            if let search = call.request.queryValue("search") {
                let needle = search.split(separator: "*").joined().lowercased()
                if !needle.isEmpty { list = list.filter { ($0["alias"]?.stringValue ?? "").lowercased().contains(needle) } }
            }
            list = paged(list, first: call.integer("first"), max: call.integer("max"))
            return AdminResponse.json(
                list.map { stored in
                    let full = representation(stored)
                    guard brief else { return full }
                    return JSONObject(
                        ["alias", "displayName", "internalId", "providerId", "enabled"].compactMap { key in
                            full[key].map { (key, $0) }
                        })
                })
        }
    }

    private static func body(_ call: AdminCall) -> Result<JSONObject, BodyError> {
        call.jsonObject("IdentityProviderRepresentation", schema: nil)
    }

    private static func create(_ call: AdminCall) -> ServerResponse {
        guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
        let input: JSONObject
        switch body(call) {
        case .success(let value): input = value
        case .failure(let error): return error.response
        }
        let providerId = input["providerId"]?.stringValue
        guard let providerId, knownProviders.contains(providerId) else {
            return AdminResponse.errorMessage(400, "Invalid identity provider id [\(providerId ?? "null")]")
        }
        guard let alias = input["alias"]?.stringValue, !alias.isEmpty else {
            return AdminResponse.errorMessage(400, "Identity Provider alias must be set")
        }
        return call.update { realm in
            var all = providers(realm)
            if all.contains(where: { $0["alias"]?.stringValue == alias }) {
                return AdminResponse.errorMessage(409, "Identity Provider \(alias) already exists")
            }
            var stored = JSONObject()
            for (key, _) in defaults { if let value = input[key], !value.isNull { stored[key] = value } }
            stored["internalId"] = .string(SandboxStore.newId())
            all.append(stored)
            store(all, providersKey, &realm)
            return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(alias))")
        }
    }

    private static func single(_ call: AdminCall, _ alias: String) -> ServerResponse {
        func index(_ all: [JSONObject]) -> Int? { all.firstIndex { $0["alias"]?.stringValue == alias } }
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let found = providers(realm).first(where: { $0["alias"]?.stringValue == alias }) else {
                    return AdminResponse.notFound
                }
                return AdminResponse.json(representation(found))
            }
        case "PUT":
            guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
            let input: JSONObject
            switch body(call) {
            case .success(let value): input = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                var all = providers(realm)
                guard let position = index(all) else { return AdminResponse.notFound }
                let old = all[position]
                var updated = JSONObject()
                for (key, _) in defaults { if let value = input[key], !value.isNull { updated[key] = value } }
                updated["internalId"] = old["internalId"]
                updated["providerId"] = old["providerId"]
                let newAlias = updated["alias"]?.stringValue ?? alias
                updated["alias"] = .string(newAlias)
                if newAlias != alias, all.contains(where: { $0["alias"]?.stringValue == newAlias }) {
                    return AdminResponse.errorMessage(409, "Identity Provider \(newAlias) already exists")
                }
                // A masked secret sent back keeps the stored one (ComponentRepresentation.SECRET_VALUE).
                if var config = updated["config"]?.objectValue {
                    for (key, value) in config where value.stringValue == secretMask { config[key] = old["config"]?[key] }
                    updated["config"] = .object(config)
                }
                all[position] = updated
                store(all, providersKey, &realm)
                if newAlias != alias {
                    let moved = mappers(realm).map { mapper -> JSONObject in
                        var mapper = mapper
                        if mapper["identityProviderAlias"]?.stringValue == alias {
                            mapper["identityProviderAlias"] = .string(newAlias)
                        }
                        return mapper
                    }
                    store(moved, mappersKey, &realm)
                }
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
            return call.update { realm in
                var all = providers(realm)
                guard let position = index(all) else { return AdminResponse.notFound }
                all.remove(at: position)
                store(all, providersKey, &realm)
                store(mappers(realm).filter { $0["identityProviderAlias"]?.stringValue != alias }, mappersKey, &realm)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }

    // MARK: mappers

    /// IdentityProviderMapperRepresentation: id, name, identityProviderAlias, identityProviderMapper, config.
    private static func mapperRepresentation(_ stored: JSONObject) -> JSONObject {
        var out = JSONObject()
        for key in ["id", "name", "identityProviderAlias", "identityProviderMapper"] {
            if let value = stored[key] { out[key] = value }
        }
        out["config"] = stored["config"] ?? .object(JSONObject())
        return out
    }

    private static func mapperRoute(_ call: AdminCall, _ alias: String, _ tail: [String]) -> ServerResponse {
        let mapperNotFound = AdminResponse.error(404, "Model not found")
        func input() -> Result<JSONObject, BodyError> { call.jsonObject("IdentityProviderMapperRepresentation", schema: nil) }
        func stored(from body: JSONObject, id: String) -> JSONObject {
            var out = JSONObject([("id", .string(id))])
            out["name"] = body["name"] ?? .null
            out["identityProviderAlias"] = body["identityProviderAlias"] ?? .string(alias)
            out["identityProviderMapper"] = body["identityProviderMapper"] ?? .null
            out["config"] = body["config"]?.objectValue.map { .object($0) } ?? .object(JSONObject())
            return JSONObject(out.filter { !$0.value.isNull }.map { ($0.key, $0.value) })
        }
        guard let mapperId = tail.first else {
            switch call.method {
            case "GET":
                return call.read { realm in
                    AdminResponse.json(
                        mappers(realm).filter { $0["identityProviderAlias"]?.stringValue == alias }.map(mapperRepresentation))
                }
            case "POST":
                guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
                let body: JSONObject
                switch input() {
                case .success(let value): body = value
                case .failure(let error): return error.response
                }
                guard let name = body["name"]?.stringValue, !name.isEmpty, body["identityProviderMapper"]?.stringValue != nil
                else {
                    return AdminResponse.serverError
                }
                return call.update { realm in
                    var all = mappers(realm)
                    let mapperAlias = body["identityProviderAlias"]?.stringValue ?? alias
                    if all.contains(where: {
                        $0["identityProviderAlias"]?.stringValue == mapperAlias && $0["name"]?.stringValue == name
                    }) {
                        return AdminResponse.errorMessage(400, "Failed to add mapper '\(name)' to identity provider [\(alias)].")
                    }
                    let id = SandboxStore.newId()
                    all.append(stored(from: body, id: id))
                    store(all, mappersKey, &realm)
                    return AdminResponse.created("\(call.requestURL)/\(AdminPath.encode(id))")
                }
            default: return AdminResponse.methodNotAllowed
            }
        }
        guard tail.count == 1 else { return AdminResponse.notFound }
        switch call.method {
        case "GET":
            return call.read { realm in
                guard let found = mappers(realm).first(where: { $0["id"]?.stringValue == mapperId }) else {
                    return mapperNotFound
                }
                return AdminResponse.json(mapperRepresentation(found))
            }
        case "PUT":
            guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
            let body: JSONObject
            switch input() {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                var all = mappers(realm)
                guard let position = all.firstIndex(where: { $0["id"]?.stringValue == mapperId }) else { return mapperNotFound }
                all[position] = stored(from: body, id: mapperId)
                store(all, mappersKey, &realm)
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageIdentityProviders else { return AdminResponse.forbidden }
            return call.update { realm in
                var all = mappers(realm)
                guard all.contains(where: { $0["id"]?.stringValue == mapperId }) else { return mapperNotFound }
                all.removeAll { $0["id"]?.stringValue == mapperId }
                store(all, mappersKey, &realm)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}
