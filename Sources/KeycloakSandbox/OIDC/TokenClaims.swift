// Claim computation as Keycloak's TokenManager does it: effective client scopes (defaults + requested
// optionals, role-gated), the role scope (full scope or scope mappings), protocol mappers of the
// scopes and the client, audience resolve, and `audience` narrowing (token-exchange.md §1.6, §1.7, §4.2).
import Foundation
import KcxJSON

/// Where a set of claims goes; each protocol mapper opts in per target through its config switches.
enum ClaimTarget {
    case accessToken
    /// An access token of a client with `client.use.lightweight.access.token.enabled`.
    case lightweightAccessToken
    case idToken
    case userInfo
    case introspection
}

/// Everything a token's claims depend on. Built under the store lock from one consistent state.
struct ClaimInputs {
    var realm: Realm
    var client: Client
    var user: User
    var issuer: String
    /// The raw `scope` parameter (space separated); `openid` is kept for the `scope` claim.
    var scopeParameter: String?
    /// The clientIds of `audience` (token exchange, evaluate-scopes); nil means no narrowing.
    var requestedAudience: [String]?
    /// The user session's notes (`AUTH_TIME`, `client_id`, `clientHost`, `clientAddress`).
    var sessionNotes: JSONObject = JSONObject()
    /// Scope names a downscope executor allows (client-policies-events.md §1.6); nil = no restriction.
    /// When set, the client's own mappers do not run either (token-exchange.md §1.6).
    var restrictedScopeNames: Set<String>? = nil
}

struct TokenClaims {
    let inputs: ClaimInputs
    /// Client scopes applied, in the order their mappers run.
    let scopes: [ClientScope]
    /// Role ids the token may carry: the user's effective roles within the client's role scope.
    let roleIds: Set<String>

    init(_ inputs: ClaimInputs) {
        self.inputs = inputs
        let userRoles = Set(inputs.realm.effectiveRoleIds(of: inputs.user))
        let requestedAudienceIds = inputs.requestedAudience.map { names in
            Set(names.compactMap { inputs.realm.client(clientId: $0)?.id })
        }
        scopes = TokenClaims.effectiveScopes(inputs, userRoles: userRoles, audienceClientIds: requestedAudienceIds)
        roleIds = TokenClaims.roleScope(inputs, scopes: scopes, userRoles: userRoles)
    }

    /// The requested `scope` values that are neither `openid` nor a default/optional scope of the
    /// client (TokenManager.isValidScope); empty when the parameter is acceptable.
    static func invalidScopes(_ scopeParameter: String?, client: Client, realm: Realm) -> [String] {
        let names = Set((client.defaultScopeIds + client.optionalScopeIds).compactMap { realm.clientScope(id: $0)?.name })
        return words(scopeParameter).filter { $0 != "openid" && !names.contains($0) }
    }

    static func words(_ text: String?) -> [String] {
        (text ?? "").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    private static func effectiveScopes(_ inputs: ClaimInputs, userRoles: Set<String>, audienceClientIds: Set<String>?)
        -> [ClientScope]
    {
        let requested = Set(words(inputs.scopeParameter))
        let realm = inputs.realm
        var chosen = inputs.client.defaultScopeIds.compactMap { realm.clientScope(id: $0) }
        chosen += inputs.client.optionalScopeIds.compactMap { realm.clientScope(id: $0) }.filter { requested.contains($0.name) }
        if let restricted = inputs.restrictedScopeNames { chosen = chosen.filter { restricted.contains($0.name) } }
        let accepted = ["openid-connect", "oid4vc"]
        return chosen.filter { scope in
            guard accepted.contains(scope.loginProtocol) else { return false }
            // DefaultClientSessionContext.isClientScopePermittedForUser: a scope with role scope
            // mappings needs one of them; with `audience`, client roles of other clients do not count.
            var roles = scope.scopeMappingRoleIds.compactMap { realm.role(id: $0) }
            if roles.isEmpty { return true }
            if let audienceClientIds, roles.contains(where: \.clientRole) {
                roles = roles.filter { !$0.clientRole || audienceClientIds.contains($0.containerId) }
            }
            // `userRoles` is already expanded through the user's composites (RoleUtils.hasRole).
            return roles.contains { userRoles.contains($0.id) }
        }
    }

    /// TokenManager.getAccess: with full scope all the user's roles; otherwise those within the
    /// expanded scope mappings of the client (and its own roles) and of the applied scopes.
    private static func roleScope(_ inputs: ClaimInputs, scopes: [ClientScope], userRoles: Set<String>) -> Set<String> {
        if inputs.client.fullScopeAllowed { return userRoles }
        var mapped = inputs.client.roles.map(\.id) + inputs.client.scopeMappingRoleIds
        for scope in scopes { mapped += scope.scopeMappingRoleIds }
        return userRoles.intersection(inputs.realm.expandComposites(mapped))
    }

    /// Space-separated names of applied scopes shown in tokens (`include.in.token.scope`), plus
    /// `openid` when requested; sorted, since Keycloak's order is a Java set's.
    var scopeClaim: String {
        var names = scopes.filter(\.includeInTokenScope).map(\.name)
        if TokenClaims.words(inputs.scopeParameter).contains("openid") { names.append("openid") }
        return Array(Set(names)).sorted().joined(separator: " ")
    }

    /// Realm role names in the token, sorted as Keycloak lists them.
    var realmRoleNames: [String] {
        inputs.realm.roles.filter { roleIds.contains($0.id) }.map(\.name).sorted()
    }

    /// Client roles in the token by clientId, clients in realm order, role names sorted.
    var clientRoleNames: [(clientId: String, roles: [String])] {
        inputs.realm.clients.compactMap { client in
            let names = client.roles.filter { roleIds.contains($0.id) }.map(\.name).sorted()
            return names.isEmpty ? nil : (client.clientId, names)
        }
    }

    /// The protocol mappers that run, scopes first then the client's own (Keycloak orders by
    /// mapper priority, which for these mappers keeps this order).
    var mappers: [ProtocolMapper] {
        let own = inputs.restrictedScopeNames == nil ? inputs.client.protocolMappers : []
        return (scopes.flatMap(\.protocolMappers) + own).filter { $0.loginProtocol == "openid-connect" }
    }

    /// The mapper-produced claims for `target`, plus `aud` (audience and audience-resolve mappers),
    /// before any `audience` narrowing.
    func mappedClaims(for target: ClaimTarget) -> (claims: JSONObject, audience: [String]) {
        var claims = JSONObject()
        var audience: [String] = []
        for mapper in mappers where TokenClaims.applies(mapper, to: target) {
            let config = mapper.config
            switch mapper.protocolMapper {
            case "oidc-sub-mapper":
                claims["sub"] = .string(inputs.user.id)
            case "oidc-acr-mapper":
                // A fresh authentication (password, client credentials) is level 1, as recorded.
                claims["acr"] = "1"
            case "oidc-allowed-origins-mapper":
                let origins = allowedOrigins
                if !origins.isEmpty { claims["allowed-origins"] = .array(origins.map(JSON.string)) }
            case "oidc-audience-mapper":
                // AudienceProtocolMapper: the client audience wins; the custom one is the fallback.
                if let value = config["included.client.audience"]?.stringValue ?? config["included.custom.audience"]?.stringValue,
                    !audience.contains(value)
                {
                    audience.append(value)
                }
            case "oidc-audience-resolve-mapper":
                for (clientId, _) in clientRoleNames where clientId != inputs.client.clientId && !audience.contains(clientId) {
                    audience.append(clientId)
                }
            case "oidc-usermodel-realm-role-mapper":
                let prefix = config["usermodel.realmRoleMapping.rolePrefix"]?.stringValue ?? ""
                let names = realmRoleNames.map { prefix + $0 }
                if !names.isEmpty { TokenClaims.set(&claims, path: claimName(config), value: .array(names.map(JSON.string))) }
            case "oidc-usermodel-client-role-mapper":
                let only = config["usermodel.clientRoleMapping.clientId"]?.stringValue
                let prefix = config["usermodel.clientRoleMapping.rolePrefix"]?.stringValue ?? ""
                for (clientId, names) in clientRoleNames where only == nil || only == clientId {
                    let path = claimName(config).replacingOccurrences(of: "${client_id}", with: clientId)
                    TokenClaims.set(&claims, path: path, value: .array(names.map { .string(prefix + $0) }))
                }
            case "oidc-usermodel-attribute-mapper":
                if let name = config["user.attribute"]?.stringValue, let value = userAttribute(name, config) {
                    TokenClaims.set(&claims, path: claimName(config), value: value)
                }
            case "oidc-usermodel-property-mapper":
                if let name = config["user.attribute"]?.stringValue, let value = userProperty(name) {
                    TokenClaims.set(&claims, path: claimName(config), value: TokenClaims.typed(value, config))
                }
            case "oidc-full-name-mapper":
                let parts = [inputs.user.firstName, inputs.user.lastName].compactMap { $0 }.filter { !$0.isEmpty }
                if !parts.isEmpty { claims["name"] = .string(parts.joined(separator: " ")) }
            case "oidc-usersessionmodel-note-mapper":
                if let note = config["user.session.note"]?.stringValue, let value = inputs.sessionNotes[note] {
                    TokenClaims.set(&claims, path: claimName(config), value: TokenClaims.typed(value.plainText, config))
                }
            case "oidc-hardcoded-claim-mapper":
                if let value = config["claim.value"]?.stringValue {
                    TokenClaims.set(&claims, path: claimName(config), value: TokenClaims.typed(value, config))
                }
            default:
                // Group membership, address, pairwise sub and the rest are not emulated: they add nothing.
                break
            }
        }
        return (claims, audience)
    }

    private func claimName(_ config: JSONObject) -> String { config["claim.name"]?.stringValue ?? "" }

    /// `allowed-origins`: the client's web origins, `+` standing for its redirect URIs' origins.
    private var allowedOrigins: [String] {
        var out: [String] = []
        for origin in inputs.client.fields["webOrigins"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if origin == "+" {
                for uri in inputs.client.fields["redirectUris"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                    if let origin = TokenClaims.origin(of: uri), !out.contains(origin) { out.append(origin) }
                }
            } else if !out.contains(origin) {
                out.append(origin)
            }
        }
        return out
    }

    private static func origin(of uri: String) -> String? {
        guard let components = URLComponents(string: uri), let scheme = components.scheme, let host = components.host,
            scheme.hasPrefix("http")
        else { return nil }
        return components.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    private func userProperty(_ name: String) -> String? {
        let user = inputs.user
        switch name {
        case "username": return user.username
        case "email": return user.email
        case "firstName": return user.firstName
        case "lastName": return user.lastName
        case "emailVerified": return user.emailVerified ? "true" : "false"
        case "enabled": return user.enabled ? "true" : "false"
        case "createdTimestamp": return String(user.createdTimestamp)
        default: return nil
        }
    }

    /// A user attribute as a claim value; the profile attributes (username, names, email) come
    /// from the user's fields, as Keycloak's user profile exposes them.
    private func userAttribute(_ name: String, _ config: JSONObject) -> JSON? {
        var values: [String]
        switch name {
        case "username", "email", "firstName", "lastName", "emailVerified":
            values = userProperty(name).map { [$0] } ?? []
        default:
            values = inputs.user.attributes[name]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        if values.isEmpty { return nil }
        if config["multivalued"]?.stringValue == "true" {
            return .array(values.map { TokenClaims.typed($0, config) })
        }
        return TokenClaims.typed(values[0], config)
    }

    /// A string converted by the mapper's `jsonType.label` (String, boolean, long, int, JSON).
    static func typed(_ value: String, _ config: JSONObject) -> JSON {
        switch config["jsonType.label"]?.stringValue {
        case "boolean": return .bool(value == "true")
        case "long", "int": return Int64(value).map(JSON.int) ?? .string(value)
        case "JSON": return (try? JSON.parse(value)) ?? .string(value)
        default: return .string(value)
        }
    }

    /// Whether a mapper contributes to `target` (OIDCAttributeMapperHelper's include rules: an
    /// absent access-token switch means yes, an absent ID-token switch no, userinfo follows the
    /// ID token, introspection follows the access token).
    static func applies(_ mapper: ProtocolMapper, to target: ClaimTarget) -> Bool {
        let config = mapper.config
        func flag(_ key: String) -> Bool? { config[key]?.stringValue.map { $0 == "true" } }
        let access = flag("access.token.claim") ?? true
        let id = flag("id.token.claim") ?? false
        switch target {
        case .accessToken: return access
        case .lightweightAccessToken: return access && flag("lightweight.claim") == true
        case .idToken:
            return mapper.protocolMapper == "oidc-audience-resolve-mapper"
                || mapper.protocolMapper == "oidc-allowed-origins-mapper"
                ? false : id
        case .userInfo:
            if mapper.protocolMapper.hasPrefix("oidc-audience") || mapper.protocolMapper == "oidc-allowed-origins-mapper"
                || mapper.protocolMapper == "oidc-acr-mapper"
            {
                return false
            }
            return flag("userinfo.token.claim") ?? id
        case .introspection: return flag("introspection.token.claim") ?? access
        }
    }

    /// Sets a claim at a dotted path (`realm_access.roles`), `\.` escaping a literal dot; nested
    /// objects are created or merged.
    static func set(_ claims: inout JSONObject, path: String, value: JSON) {
        var components: [String] = []
        var current = ""
        var escaped = false
        for character in path {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "." {
                components.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        components.append(current)
        guard !components.contains(where: \.isEmpty) else { return }
        set(&claims, components[...], value)
    }

    private static func set(_ object: inout JSONObject, _ path: ArraySlice<String>, _ value: JSON) {
        let key = path[path.startIndex]
        if path.count == 1 {
            object[key] = value
            return
        }
        var child = object[key]?.objectValue ?? JSONObject()
        set(&child, path.dropFirst(), value)
        object[key] = .object(child)
    }
}

/// Claim names in the order Keycloak's token classes serialise them; other claims follow.
let orderedClaimNames = [
    "exp", "iat", "auth_time", "jti", "iss", "aud", "sub", "typ", "azp", "nonce", "sid", "at_hash", "acr",
    "allowed-origins", "realm_access", "resource_access", "scope", "email_verified", "name", "preferred_username",
    "given_name", "family_name", "email",
]

/// `claims` re-ordered: the known names first in Keycloak's order, the rest as they came.
func orderClaims(_ claims: JSONObject) -> JSONObject {
    var out = JSONObject()
    for name in orderedClaimNames { if let value = claims[name] { out[name] = value } }
    for (key, value) in claims where !orderedClaimNames.contains(key) { out[key] = value }
    return out
}

/// One value is a string, several an array, none no claim (StringOrArraySerializer).
func audienceClaim(_ audience: [String]) -> JSON? {
    switch audience.count {
    case 0: return nil
    case 1: return .string(audience[0])
    default: return .array(audience.map(JSON.string))
    }
}
