// Sends authenticated requests to Keycloak's Admin REST API and turns error responses into
// KcxError with Keycloak's message and a hint.
import KcxJSON

/// Placeholder until the session layer lands; the `send` signature is the contract that the
/// request commands build on.
public final class AdminClient {
    /// Server root, e.g. `http://localhost:8080`.
    public let server: String
    /// Realm used for relative endpoints unless a call names another (`-r/--target-realm`).
    public let realm: String

    public init(server: String, realm: String) {
        self.server = server
        self.realm = realm
    }

    /// ENDPOINT is resolved as kcadm does: relative to `/admin/realms/{realm}/`, except `realms...`
    /// and `serverinfo` which are top-level, and absolute URLs which are used as-is.
    /// Returns 2xx responses; throws KcxError for error statuses and network failures.
    public func send(
        method: String, endpoint: String, realm: String? = nil, query: [(String, String)] = [], body: JSON? = nil
    ) throws -> HTTPResponse {
        throw KcxError(.serverError, "admin requests are not implemented yet")
    }
}
