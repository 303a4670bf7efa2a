// Sends authenticated requests to Keycloak's Admin REST API and turns error responses into
// KcxError with Keycloak's message and a hint.
import KcxJSON

/// How an ENDPOINT argument is resolved, as kcadm does: relative to `/admin/realms/{realm}/`,
/// except `realms...` and `serverinfo` which are top-level, and absolute URLs used as-is.
public struct AdminClient {
    public let server: String
    public let realm: String

    public init(server: String, realm: String) {
        self.server = server
        self.realm = realm
    }

    /// Placeholder until the session layer lands: fails loudly rather than pretending.
    public func send(method: String, endpoint: String, query: [(String, String)] = [], body: JSON? = nil) throws -> HTTPResponse {
        throw KcxError(.serverError, "admin requests are not implemented yet")
    }
}
