// Entry point for `/admin/realms...`: bearer authentication, realm resolution, and dispatch to the
// resource handlers (realms, clients, client scopes, mappers, scope mappings, users, roles).
import KcxJSON
import LoopbackHTTP

enum AdminRoutes {
    /// nil when the path is not an admin REST path this layer serves (`/admin/serverinfo` and the
    /// console belong to the server layer).
    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? {
        guard request.path == "/admin/realms" || request.path.hasPrefix("/admin/realms/") else { return nil }
        // AdminRoot authenticates before any resource is matched (admin-api.md §1.2).
        guard let caller = AdminAuth.caller(for: request, context) else { return AdminResponse.unauthorized }
        return handle(request, context, caller: caller)
    }

    /// Dispatch for an already authenticated caller (tests call this directly with a caller).
    static func handle(_ request: ServerRequest, _ context: SandboxContext, caller: AdminCaller) -> ServerResponse {
        let segments = pathSegments(request.path)
        guard segments.count >= 2, segments[0] == "admin", segments[1] == "realms" else { return AdminResponse.notFound }
        let rest = Array(segments.dropFirst(2))
        if rest.isEmpty { return RealmRoutes.collection(request, context, caller: caller) }

        let realmName = rest[0]
        guard
            let rights = context.store.read({ state -> AdminRights? in
                guard state.realm(named: realmName) != nil else { return nil }
                return caller.rights(in: realmName, state)
            })
        else { return AdminResponse.realmNotFound }
        let call = AdminCall(request: request, context: context, caller: caller, realmName: realmName, rights: rights)
        let path = Array(rest.dropFirst())
        guard let resource = path.first else { return RealmRoutes.realm(call) }
        let tail = Array(path.dropFirst())
        switch resource {
        case "default-default-client-scopes": return RealmRoutes.defaultScopes(call, optional: false, tail)
        case "default-optional-client-scopes": return RealmRoutes.defaultScopes(call, optional: true, tail)
        case "clients": return ClientRoutes.route(call, tail)
        case "client-scopes", "client-templates": return ClientScopeRoutes.route(call, tail, collection: resource)
        case "users": return UserRoutes.route(call, tail)
        case "roles": return RoleRoutes.realmRoles(call, tail)
        case "roles-by-id": return RoleRoutes.byId(call, tail)
        case "partialImport": return PartialImport.handle(call, tail)
        case "partial-export": return PartialExport.handle(call, tail)
        case "client-policies": return ClientPolicyRoutes.route(call, tail)  // Policies/ (issue 8)
        case "events": return EventRoutes.route(call, tail)  // Events/ (issue 8)
        case "groups": return GroupRoutes.route(call, tail)
        case "group-by-path": return GroupRoutes.byPath(call, tail)
        case "identity-provider": return IdentityProviderRoutes.route(call, tail)
        case "keys": return RealmExtrasRoutes.keys(call, tail)
        case "clear-realm-cache", "clear-user-cache", "clear-keys-cache": return RealmExtrasRoutes.clearCache(call, tail)
        default: return AdminResponse.notFound
        }
    }

    /// Path segments, percent-decoded one by one (so an encoded `/` stays inside its segment).
    static func pathSegments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map { percentDecoded(String($0)) }
    }

    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One admin request inside a resolved realm: who calls, with which rights, and store helpers.
struct AdminCall {
    let request: ServerRequest
    let context: SandboxContext
    let caller: AdminCaller
    let realmName: String
    let rights: AdminRights

    var method: String { request.method }
    var store: SandboxStore { context.store }
    var now: Double { context.now() }

    /// Absolute URL of the requested path, for `Location` headers (§10.5).
    var requestURL: String {
        let path = request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        return context.baseURL + path
    }

    /// Reads the realm under the store lock; 404 `Realm not found.` if it vanished meanwhile.
    func read(_ body: (Realm) -> ServerResponse) -> ServerResponse {
        store.read { state in
            guard let realm = state.realm(named: realmName) else { return AdminResponse.realmNotFound }
            return body(realm)
        }
    }

    /// Mutates the realm under the store lock. The closure works on a copy that is written back
    /// only when the answer is a success, so a failing request changes nothing.
    func update(_ body: (inout Realm) -> ServerResponse) -> ServerResponse {
        store.withLock { state in
            guard let index = state.realmIndex(named: realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            let response = body(&realm)
            if response.status < 300 { state.realms[index] = realm }
            return response
        }
    }

    /// The body as a strictly or leniently bound object, or Keycloak's error for it.
    func jsonObject(_ className: String, schema: [String: FieldKind]?) -> Result<JSONObject, BodyError> {
        guard AdminBody.hasJSONContentType(request) else {
            return .failure(BodyError(response: AdminResponse.unsupportedMediaType))
        }
        do { return .success(try AdminBody.object(request, className: className, schema: schema)) } catch {
            return .failure(error)
        }
    }

    func jsonArray(_ className: String, schema: [String: FieldKind]?) -> Result<[JSONObject], BodyError> {
        guard AdminBody.hasJSONContentType(request) else {
            return .failure(BodyError(response: AdminResponse.unsupportedMediaType))
        }
        do { return .success(try AdminBody.array(request, className: className, schema: schema)) } catch {
            return .failure(error)
        }
    }

    /// A query flag as Keycloak's `Boolean.parseBoolean` reads it.
    func flag(_ name: String, default value: Bool = false) -> Bool {
        guard let text = request.queryValue(name) else { return value }
        return text.lowercased() == "true"
    }

    /// An integer query parameter; nil when absent or not a number.
    func integer(_ name: String) -> Int? { request.queryValue(name).flatMap { Int($0) } }
}

/// Applies `first`/`max` paging as Keycloak's stores do (negative or absent = no bound).
func paged<T>(_ items: [T], first: Int?, max: Int?) -> [T] {
    let start = Swift.max(0, first ?? 0)
    guard start < items.count else { return [] }
    var slice = Array(items[start...])
    if let max, max >= 0, max < slice.count { slice = Array(slice.prefix(max)) }
    return slice
}
