// Keycloak's JSON representations of the stored model, in the key order Keycloak emits.
import KcxJSON

extension ProtocolMapper {
    /// ProtocolMapperRepresentation as stored (client and client-scope bodies).
    public var representation: JSONObject {
        JSONObject([
            ("id", .string(id)), ("name", .string(name)), ("protocol", .string(loginProtocol)),
            ("protocolMapper", .string(protocolMapper)), ("consentRequired", false), ("config", .object(config)),
        ])
    }

    /// The model as the protocol-mapper routes return it (`ProtocolMapper.getEffectiveModel`,
    /// admin-api.md §5.4): OIDC mappers gain `userinfo.token.claim` from `id.token.claim` and
    /// `introspection.token.claim` from `access.token.claim`; audience-resolve and allowed-origins
    /// always carry both access and introspection flags.
    ///
    /// The config comes back in `java.util.HashMap` order: Keycloak copies the stored config into a map
    /// sized for its keys and then adds the derived ones, so the order follows the keys' hashes
    /// (recorded 26.7.1: golden/admin/protocol-mappers/config-key-order.http, config-key-order-grown.http
    /// and read-created.http).
    public var effectiveRepresentation: JSONObject {
        var mapper = self
        if loginProtocol == "openid-connect" && protocolMapper.hasPrefix("oidc-") {
            var config = mapper.config
            if ["oidc-audience-resolve-mapper", "oidc-allowed-origins-mapper"].contains(protocolMapper) {
                if config["access.token.claim"] == nil { config["access.token.claim"] = "true" }
                if config["introspection.token.claim"] == nil { config["introspection.token.claim"] = "true" }
            }
            if let idToken = config["id.token.claim"], config["userinfo.token.claim"] == nil,
                !Self.withoutUserinfo.contains(protocolMapper)
            {
                config["userinfo.token.claim"] = idToken
            }
            if let access = config["access.token.claim"], config["introspection.token.claim"] == nil {
                config["introspection.token.claim"] = access
            }
            mapper.config = config
        }
        mapper.config = JavaHashMapOrder.ordered(mapper.config, sizedFor: self.config.count)
        return mapper.representation
    }

    /// Mappers that do not implement the userinfo interface (no `userinfo.token.claim` is derived).
    private static let withoutUserinfo: Set<String> = ["oidc-audience-mapper", "oidc-audience-resolve-mapper"]
}

extension ClientScope {
    /// ClientScopeRepresentation: `description` and `protocolMappers` absent when empty (§4.1).
    public var representation: JSONObject {
        var out = JSONObject([("id", .string(id)), ("name", .string(name))])
        if let description { out["description"] = .string(description) }
        out["protocol"] = .string(loginProtocol)
        out["attributes"] = .object(attributes)
        if !protocolMappers.isEmpty { out["protocolMappers"] = .array(protocolMappers.map { .object($0.representation) }) }
        return out
    }
}

extension Role {
    public var representation: JSONObject {
        var out = JSONObject([("id", .string(id)), ("name", .string(name))])
        if let description { out["description"] = .string(description) }
        out["composite"] = .bool(!compositeIds.isEmpty)
        out["clientRole"] = .bool(clientRole)
        out["containerId"] = .string(containerId)
        return out
    }

    /// The full form (single-role reads) adds `attributes`.
    public var fullRepresentation: JSONObject {
        var out = representation
        out["attributes"] = .object(attributes)
        return out
    }
}

extension User {
    /// UserRepresentation without `access` (the admin layer adds it per caller).
    public var representation: JSONObject {
        var out = JSONObject([("id", .string(id)), ("username", .string(username))])
        if let firstName { out["firstName"] = .string(firstName) }
        if let lastName { out["lastName"] = .string(lastName) }
        if let email { out["email"] = .string(email) }
        out["emailVerified"] = .bool(emailVerified)
        if !attributes.isEmpty { out["attributes"] = .object(attributes) }
        out["enabled"] = .bool(enabled)
        out["createdTimestamp"] = .int(createdTimestamp)
        out["totp"] = false
        out["disableableCredentialTypes"] = []
        out["requiredActions"] = .array(requiredActions.map { .string($0) })
        out["notBefore"] = .int(notBefore)
        return out
    }
}

extension Client {
    /// ClientRepresentation keys in the order Keycloak serialises them.
    static let keyOrder = [
        "id", "clientId", "name", "description", "type", "rootUrl", "adminUrl", "baseUrl", "surrogateAuthRequired",
        "enabled", "alwaysDisplayInConsole", "clientAuthenticatorType", "secret", "registrationAccessToken",
        "defaultRoles", "redirectUris", "webOrigins", "notBefore", "bearerOnly", "consentRequired",
        "standardFlowEnabled", "implicitFlowEnabled", "directAccessGrantsEnabled", "serviceAccountsEnabled",
        "authorizationServicesEnabled", "directGrantsOnly", "publicClient", "frontchannelLogout", "protocol",
        "attributes", "authenticationFlowBindingOverrides", "fullScopeAllowed", "nodeReRegistrationTimeout",
        "registeredNodes", "protocolMappers", "clientTemplate", "useTemplateConfig", "useTemplateScope",
        "useTemplateMappers", "defaultClientScopes", "optionalClientScopes", "authorizationSettings", "access",
        "origin",
    ]

    /// The stored client as a ClientRepresentation; scope names come from `realm`.
    /// Attributes are listed sorted by key, as a live 26.7.1 lists them.
    public func representation(in realm: Realm, includeSecret: Bool = true) -> JSONObject {
        var values = fields
        values["id"] = .string(id)
        if !includeSecret { values["secret"] = nil }
        if case .object(let attributes)? = values["attributes"] {
            values["attributes"] = .object(JSONObject(attributes.entries.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        }
        if !protocolMappers.isEmpty { values["protocolMappers"] = .array(protocolMappers.map { .object($0.representation) }) }
        values["defaultClientScopes"] = .array(scopeNames(defaultScopeIds, in: realm))
        values["optionalClientScopes"] = .array(scopeNames(optionalScopeIds, in: realm))
        var out = JSONObject()
        for key in Self.keyOrder { if let value = values[key] { out[key] = value } }
        return out
    }

    /// Names sorted, as a live Keycloak lists them (its order is a set's).
    private func scopeNames(_ ids: [String], in realm: Realm) -> [JSON] {
        ids.compactMap { realm.clientScope(id: $0)?.name }.sorted().map { .string($0) }
    }
}

extension Realm {
    /// RealmRepresentation as `GET /admin/realms/{realm}` returns it to a realm viewer.
    public var fullRepresentation: JSONObject {
        var out = JSONObject()
        for (key, value) in representation {
            out[key] = value
            // `defaultRole` sits right after the brute-force settings in Keycloak's order.
            if key == "maxSecondaryAuthFailures", let role = realmRole(name: "default-roles-\(name)") {
                out["defaultRole"] = .object(role.representation)
            }
        }
        out["id"] = .string(id)
        out["realm"] = .string(name)
        return out
    }

    /// `{"id","realm","displayName"?,"displayNameHtml"?,"enabled"}` (briefRepresentation=true).
    public var briefRepresentation: JSONObject {
        var out = JSONObject([("id", .string(id)), ("realm", .string(name))])
        if let displayName = representation["displayName"] { out["displayName"] = displayName }
        if let displayNameHtml = representation["displayNameHtml"] { out["displayNameHtml"] = displayNameHtml }
        out["enabled"] = .bool(enabled)
        return out
    }
}

/// The iteration order of a `java.util.HashMap<String, …>` (JDK 21): keys by bucket (the spread
/// `String.hashCode` masked by the table size), in insertion order within a bucket.
enum JavaHashMapOrder {
    /// `object`'s members in the order a HashMap copied from a map of `initialCount` entries (the
    /// `HashMap(Map)` constructor sizes its table for them), then grown by the remaining keys, iterates them.
    static func ordered(_ object: JSONObject, sizedFor initialCount: Int) -> JSONObject {
        var capacity = initialCount > 0 ? tableSize(for: Int((Double(initialCount) / 0.75).rounded(.up))) : 16
        while object.count > capacity * 3 / 4 { capacity *= 2 }
        let mask = Int32(capacity - 1)
        let members = object.entries.enumerated().map {
            (bucket: spread(javaHash($0.element.key)) & mask, index: $0.offset, member: $0.element)
        }
        let sorted = members.sorted { ($0.bucket, $0.index) < ($1.bucket, $1.index) }
        return JSONObject(members: sorted.map { ($0.member.key, $0.member.value) })
    }

    /// `String.hashCode`: over UTF-16 code units, wrapping.
    static func javaHash(_ text: String) -> Int32 {
        var hash: Int32 = 0
        for unit in text.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return hash
    }

    /// `HashMap.hash`: the high half folded into the low half.
    static func spread(_ hash: Int32) -> Int32 { hash ^ Int32(bitPattern: UInt32(bitPattern: hash) >> 16) }

    /// `HashMap.tableSizeFor`: the smallest power of two at least `count`.
    static func tableSize(for count: Int) -> Int {
        var size = 1
        while size < count { size *= 2 }
        return size
    }
}
