// `GET /admin/serverinfo`: the version, the feature flags and the protocol mapper types kcx uses, reported
// as Keycloak's ServerInfoRepresentation does (token-exchange.md §3). Providers, themes and the rest are
// not served.
import Foundation
import KcxJSON
import LoopbackHTTP

enum ServerInfoRoute {
    /// The Keycloak version whose behaviour the sandbox reproduces (the recordings it was checked against).
    static let emulatedVersion = "26.7.1"

    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? {
        guard request.path == "/admin/serverinfo" || request.path == "/admin/serverinfo/" else { return nil }
        guard let caller = AdminAuth.caller(for: request, context) else { return AdminResponse.unauthorized }
        // ServerInfoAdminResource answers any caller holding an admin role in some realm; others get 403.
        let isAdmin = context.store.read { state in
            state.realms.contains { caller.rights(in: $0.name, state).isAdmin }
        }
        guard isAdmin else { return AdminResponse.forbidden }
        guard request.method == "GET" else { return AdminResponse.methodNotAllowed }
        return AdminResponse.json(representation(context))
    }

    /// `systemInfo`, `profileInfo` and `features`, in Keycloak's key order.
    static func representation(_ context: SandboxContext) -> JSON {
        let now = context.now()
        var systemInfo = JSONObject()
        systemInfo["version"] = .string(emulatedVersion)
        systemInfo["serverTime"] = .string(serverTime(now))
        systemInfo["uptimeMillis"] = .int(Int64(uptime() * 1000))
        var info = JSONObject()
        info["systemInfo"] = .object(systemInfo)
        info["profileInfo"] = context.features.serverInfoProfile()
        info["features"] = context.features.serverInfoFeatures()
        info["protocolMapperTypes"] = .object(JSONObject([("openid-connect", .array(protocolMapperTypes.map { .object($0) }))]))
        return .object(info)
    }

    /// ProtocolMapperTypeRepresentation of the mapper types kcx and the recordings use (`AudienceProtocolMapper`,
    /// `AudienceResolveProtocolMapper`, `UserAttributeMapper`): id, display name, category, help text, priority and the config
    /// properties, whose labels and help texts are the admin console's message keys, as Keycloak 26 sends them.
    /// The include-in-token switches come from `OIDCAttributeMapperHelper.addIncludeInTokensConfig`, by the
    /// token interfaces each mapper implements.
    static let protocolMapperTypes: [JSONObject] = [
        mapperType(
            id: "oidc-audience-mapper", name: "Audience", category: "Token mapper",
            helpText: "Add specified audience to the audience (aud) field of token", priority: 0,
            properties: [
                property(
                    "included.client.audience", "included.client.audience.label", "included.client.audience.tooltip", "ClientList"
                ),
                property(
                    "included.custom.audience", "included.custom.audience.label", "included.custom.audience.tooltip", "String"),
                // The audience mapper overrides the ID-token default to "false".
                property(
                    "id.token.claim", "includeInIdToken.label", "includeInIdToken.tooltip", "boolean", defaultValue: "false"),
                property(
                    "access.token.claim", "includeInAccessToken.label", "includeInAccessToken.tooltip", "boolean",
                    defaultValue: "true"),
                property(
                    "lightweight.claim", "includeInLightweight.label", "includeInLightweight.tooltip", "boolean",
                    defaultValue: "false"),
                property(
                    "introspection.token.claim", "includeInIntrospection.label", "includeInIntrospection.tooltip", "boolean",
                    defaultValue: "true"),
            ]),
        mapperType(
            id: "oidc-audience-resolve-mapper", name: "Audience Resolve", category: "Token mapper",
            helpText:
                "Adds all client_ids of \"allowed\" clients to the audience field of the token. Allowed client means the client\n for which user has at least one client role",
            priority: 30,
            properties: [
                property(
                    "access.token.claim", "includeInAccessToken.label", "includeInAccessToken.tooltip", "boolean",
                    defaultValue: "true"),
                property(
                    "lightweight.claim", "includeInLightweight.label", "includeInLightweight.tooltip", "boolean",
                    defaultValue: "false"),
                property(
                    "introspection.token.claim", "includeInIntrospection.label", "includeInIntrospection.tooltip", "boolean",
                    defaultValue: "true"),
            ]),
        // UserAttributeMapper: the attribute, then OIDCAttributeMapperHelper.addAttributeConfig (claim name,
        // JSON type, the include switches of its four token interfaces), then multivalued and aggregate.attrs.
        mapperType(
            id: "oidc-usermodel-attribute-mapper", name: "User Attribute", category: "Token mapper",
            helpText: "Map a custom user attribute to a token claim.", priority: 0,
            properties: [
                property("user.attribute", "usermodel.attr.label", "usermodel.attr.tooltip", "UserProfileAttributeList"),
                property("claim.name", "tokenClaimName.label", "tokenClaimName.tooltip", "String", required: true),
                property(
                    "jsonType.label", "jsonType.label", "jsonType.tooltip", "List",
                    options: ["String", "long", "int", "boolean", "JSON"]),
                property("id.token.claim", "includeInIdToken.label", "includeInIdToken.tooltip", "boolean", defaultValue: "true"),
                property(
                    "access.token.claim", "includeInAccessToken.label", "includeInAccessToken.tooltip", "boolean",
                    defaultValue: "true"),
                property(
                    "lightweight.claim", "includeInLightweight.label", "includeInLightweight.tooltip", "boolean",
                    defaultValue: "false"),
                property(
                    "userinfo.token.claim", "includeInUserInfo.label", "includeInUserInfo.tooltip", "boolean",
                    defaultValue: "true"),
                property(
                    "introspection.token.claim", "includeInIntrospection.label", "includeInIntrospection.tooltip", "boolean",
                    defaultValue: "true"),
                property("multivalued", "multivalued.label", "multivalued.tooltip", "boolean"),
                property("aggregate.attrs", "aggregate.attrs.label", "aggregate.attrs.tooltip", "boolean"),
            ]),
    ]

    private static func mapperType(
        id: String, name: String, category: String, helpText: String, priority: Int64, properties: [JSONObject]
    ) -> JSONObject {
        JSONObject([
            ("id", .string(id)), ("name", .string(name)), ("category", .string(category)), ("helpText", .string(helpText)),
            ("priority", .int(priority)), ("properties", .array(properties.map { .object($0) })),
        ])
    }

    /// ConfigPropertyRepresentation: `defaultValue` and `options` only when set (NON_NULL); the three switches always.
    private static func property(
        _ name: String, _ label: String, _ helpText: String, _ type: String, defaultValue: String? = nil,
        options: [String]? = nil,
        required: Bool = false
    ) -> JSONObject {
        var out = JSONObject([
            ("name", .string(name)), ("label", .string(label)), ("helpText", .string(helpText)), ("type", .string(type)),
        ])
        if let defaultValue { out["defaultValue"] = .string(defaultValue) }
        if let options { out["options"] = .array(options.map { .string($0) }) }
        out["secret"] = false
        out["required"] = .bool(required)
        out["readOnly"] = false
        return out
    }

    private static let processStart = Date()

    private static func uptime() -> Double { Date().timeIntervalSince(processStart) }

    /// Java's `Date.toString()` shape (e.g. "Mon Jan 05 10:11:12 UTC 2026"), always in UTC here.
    private static func serverTime(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss zzz yyyy"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
