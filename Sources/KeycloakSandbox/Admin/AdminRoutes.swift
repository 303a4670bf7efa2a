// Placeholder: routes under /admin (filled in by the store/admin work).
import LoopbackHTTP

enum AdminRoutes {
    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? { nil }
}
