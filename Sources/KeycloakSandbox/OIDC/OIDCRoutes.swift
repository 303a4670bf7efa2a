// Placeholder: routes under /realms/{realm}/ (filled in by the OIDC work).
import LoopbackHTTP

enum OIDCRoutes {
    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? { nil }
}
