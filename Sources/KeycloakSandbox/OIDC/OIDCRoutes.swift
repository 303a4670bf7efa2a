// Routes under /realms/{realm}/: discovery, JWKS and the openid-connect endpoints; nil for other paths.
import KcxJSON
import LoopbackHTTP

enum OIDCRoutes {
    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard segments.count >= 3, segments[0] == "realms" else { return nil }
        let realmName = FormBody.decode(ArraySlice(Array(segments[1].utf8)), plusAsSpace: false)
        let rest = segments.dropFirst(2).joined(separator: "/")
        let endpoint: Endpoint
        switch rest {
        case ".well-known/openid-configuration": endpoint = .discovery
        case "protocol/openid-connect/certs": endpoint = .certs
        case "protocol/openid-connect/token": endpoint = .token
        case "protocol/openid-connect/token/introspect": endpoint = .introspect
        case "protocol/openid-connect/userinfo": endpoint = .userInfo
        case "protocol/openid-connect/logout": endpoint = .logout
        case "protocol/openid-connect/revoke": endpoint = .revoke
        default: return nil
        }
        guard let realm = context.store.read({ $0.realm(named: realmName) }) else { return OIDCResponse.realmNotFound }
        guard endpoint.methods.contains(request.method) else {
            return OIDCResponse.json(405, JSONObject([("error", "HTTP 405 Method Not Allowed")]), cacheControl: nil)
        }
        switch endpoint {
        case .discovery: return Discovery.openIDConfiguration(realm: realm, baseURL: context.baseURL, features: context.features)
        case .certs: return Discovery.certs(realmName: realmName, keys: context.keys)
        case .token: return TokenEndpoint.handle(request, realmName: realmName, context: context)
        case .introspect: return Introspection.handle(request, realmName: realmName, context: context)
        case .userInfo: return UserInfo.handle(request, realmName: realmName, context: context)
        case .logout: return Logout.handleLogout(request, realmName: realmName, context: context)
        case .revoke: return Logout.handleRevoke(request, realmName: realmName, context: context)
        }
    }

    private enum Endpoint {
        case discovery, certs, token, introspect, userInfo, logout, revoke

        var methods: [String] {
            switch self {
            case .discovery, .certs: return ["GET", "HEAD"]
            case .userInfo: return ["GET", "POST"]
            case .token, .introspect, .logout, .revoke: return ["POST"]
            }
        }
    }
}
