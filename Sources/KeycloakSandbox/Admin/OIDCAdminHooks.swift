// Admin paths whose behaviour is claim computation or FGAP v1 authorization (the OIDC side's):
// `evaluate-scopes/*`, `management/permissions`, `authz/resource-server/*` under a client.
// Authorization happens here; the work is in OIDC/EvaluateScopes.swift and OIDC/FineGrainedPermissions.swift.
import KcxJSON
import LoopbackHTTP

enum OIDCAdminHooks {
    static func route(_ call: AdminCall, clientId: String, resource: String, _ tail: [String]) -> ServerResponse {
        switch resource {
        case "evaluate-scopes": return evaluate(call, clientId: clientId, tail)
        case "management" where tail == ["permissions"]: return managementPermissions(call, clientId: clientId)
        case "authz" where tail.first == "resource-server":
            // Reads need view-authorization, writes manage-authorization (AuthorizationService).
            let allowed =
                call.method == "GET"
                ? call.rights.has("view-authorization", "manage-authorization", "realm-admin")
                : call.rights.has("manage-authorization", "realm-admin")
            guard allowed else { return AdminResponse.forbidden }
            return FineGrainedPermissions.resourceServer(
                call.request, context: call.context, realmName: call.realmName, clientUUID: clientId,
                path: Array(tail.dropFirst()))
        default: return AdminResponse.notFound
        }
    }

    /// admin-api.md §8: client read rights; the generators also need user read rights.
    private static func evaluate(_ call: AdminCall, clientId: String, _ tail: [String]) -> ServerResponse {
        guard let endpoint = tail.first else { return AdminResponse.notFound }
        guard call.method == "GET" else {
            return endpoint == "protocol-mappers" && tail.count == 1
                ? AdminResponse.error(405, "HTTP 405 Method Not Allowed") : AdminResponse.notFound
        }
        guard call.rights.viewClients else { return AdminResponse.forbidden }
        let (request, context, realm) = (call.request, call.context, call.realmName)
        let example: EvaluateScopes.Example?
        switch endpoint {
        case "generate-example-access-token": example = .accessToken
        case "generate-example-id-token": example = .idToken
        case "generate-example-userinfo": example = .userInfo
        default: example = nil
        }
        if let example, tail.count == 1 {
            guard call.rights.viewUsers else { return AdminResponse.error(403, "You have no access to this user") }
            return EvaluateScopes.example(example, request, context: context, realmName: realm, clientUUID: clientId)
        }
        switch tail.count {
        case 1 where endpoint == "protocol-mappers":
            return EvaluateScopes.protocolMappers(request, context: context, realmName: realm, clientUUID: clientId)
        case 3 where endpoint == "scope-mappings" && ["granted", "not-granted"].contains(tail[2]):
            return EvaluateScopes.scopeMappings(
                request, context: context, realmName: realm, clientUUID: clientId, container: tail[1],
                granted: tail[2] == "granted")
        default:
            return AdminResponse.notFound
        }
    }

    /// token-exchange.md §2.3/§2.5: unknown client 404, then requireFeature (501 under FGAP v2), then
    /// view (GET) or manage (PUT) on the client.
    private static func managementPermissions(_ call: AdminCall, clientId: String) -> ServerResponse {
        let exists = call.store.read { $0.realm(named: call.realmName)?.client(id: clientId) != nil }
        guard exists else { return AdminResponse.error(404, "Could not find client") }
        guard call.context.features.fineGrainedAuthzV1 else { return FineGrainedPermissions.featureNotEnabled }
        guard call.method == "GET" ? call.rights.viewClients : call.rights.manageClients else { return AdminResponse.forbidden }
        return FineGrainedPermissions.clientPermissions(
            call.request, context: call.context, realmName: call.realmName, clientUUID: clientId)
    }
}
