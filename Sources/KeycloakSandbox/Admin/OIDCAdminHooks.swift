// Admin paths whose behaviour is claim computation or FGAP v1 authorization (the OIDC side's):
// `evaluate-scopes/*`, `management/permissions`, `authz/resource-server/*` under a client.
import KcxJSON
import LoopbackHTTP

enum OIDCAdminHooks {
    static func route(_ call: AdminCall, clientId: String, resource: String, _ tail: [String]) -> ServerResponse {
        if resource == "management", tail == ["permissions"] {
            // FGAP v1 endpoints start with requireFeature(ADMIN_FINE_GRAINED_AUTHZ) (token-exchange.md §2.3, §2.5).
            guard call.context.features.fineGrainedAuthzV1 else { return AdminResponse.error(501, "Feature not enabled") }
        }
        // The OIDC side implements these; until it is wired, answer 501 rather than pretend.
        return AdminResponse.error(501, "Not implemented in kcx-sandbox yet")
    }
}
