// Sends authenticated requests to Keycloak's Admin REST API and turns error responses into
// KcxError with Keycloak's message and a hint.
import KcxJSON

/// Where the bearer token comes from: a fixed token (`--token`) or a managed session.
public protocol AccessTokenProvider: AnyObject {
    /// A token to send now; a managed session refreshes or logs in again when it is about to expire.
    func accessToken() throws -> String
    /// Called once after the server answered 401 to `rejected`; returns a fresh token, or nil when
    /// no other token can be had (the 401 is then reported).
    func renewAfterRejection(of rejected: String) throws -> String?
    /// How to log in again to this session (its server, login realm and user), for a 401 that
    /// renewing did not cure; nil when there is no session to log in to (a fixed token).
    var reloginHint: String? { get }
}

extension AccessTokenProvider {
    public var reloginHint: String? { nil }
}

/// A token given by the user: used as is, never refreshed, never stored.
public final class StaticToken: AccessTokenProvider {
    private let token: String
    public init(_ token: String) { self.token = token }
    public func accessToken() throws -> String { token }
    public func renewAfterRejection(of rejected: String) throws -> String? { nil }
}

public final class AdminClient {
    /// Server root, e.g. `http://localhost:8080`.
    public let server: String
    /// Realm used for relative endpoints unless a call names another (`-r/--target-realm`).
    public let realm: String
    public let transport: HTTPTransport
    /// Shared (behind a lock) by the workers of a parallel apply.
    public let tokens: AccessTokenProvider
    /// The Admin REST root when it is not `{server}/admin` (kcadm's `-a/--admin-root`), without a
    /// trailing slash.
    public var adminRoot: String?

    public init(server: String, realm: String, transport: HTTPTransport, tokens: AccessTokenProvider) {
        self.server = AdminClient.normalizedServer(server)
        self.realm = realm
        self.transport = transport
        self.tokens = tokens
    }

    public convenience init(server: String, realm: String, transport: HTTPTransport, token: String) {
        self.init(server: server, realm: realm, transport: transport, tokens: StaticToken(token))
    }

    /// `https://kc.example.com/` → `https://kc.example.com`, so paths join with exactly one slash.
    public static func normalizedServer(_ server: String) -> String {
        var result = server
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// ENDPOINT resolved as kcadm does: relative to `{server}/admin/realms/{realm}/`, except
    /// `realms...` and `serverinfo...`, which are relative to `{server}/admin/`, and absolute
    /// `http(s)://` URLs (only from `Endpoint.typed`), used as they are. The endpoint's values are
    /// already encoded as segments; the realm and query are encoded here.
    public func url(for endpoint: Endpoint, realm: String? = nil, query: [(String, String)] = []) -> String {
        var base: String
        let text = endpoint.encoded
        if text.hasPrefix("http://") || text.hasPrefix("https://") {
            base = text
        } else {
            var relative = Substring(text)
            while relative.first == "/" { relative.removeFirst() }
            let firstSegment =
                relative.split(separator: "/", maxSplits: 1).first.map { $0.split(separator: "?").first ?? $0 } ?? ""
            let admin = adminRoot ?? "\(server)/admin"
            if firstSegment == "realms" || firstSegment == "serverinfo" {
                base = "\(admin)/\(relative)"
            } else {
                base = "\(admin)/realms/\(URLEncoding.encode(realm ?? self.realm))"
                if !relative.isEmpty { base += "/\(relative)" }
            }
        }
        if query.isEmpty { return base }
        return base + (base.contains("?") ? "&" : "?") + URLEncoding.query(query)
    }

    /// Returns 2xx responses; throws KcxError for error statuses and network failures. A 401 is
    /// answered once by renewing the token and repeating the request.
    /// `headers` (kcadm's `-h NAME=VALUE`) are added to the request and replace kcx's own of the
    /// same name (Accept, Content-Type; an Authorization given there is sent instead of the token);
    /// `rawBody` is sent as it is instead of `body` (a non-JSON Content-Type given in `headers`).
    public func send(
        method: String, endpoint: Endpoint, realm: String? = nil, query: [(String, String)] = [], body: JSON? = nil
    ) throws -> HTTPResponse {
        try send(method: method, endpoint: endpoint, realm: realm, query: query, body: body, headers: [])
    }

    public func send(
        method: String, endpoint: Endpoint, realm: String? = nil, query: [(String, String)] = [], body: JSON? = nil,
        headers: [(name: String, value: String)], rawBody: [UInt8]? = nil
    ) throws -> HTTPResponse {
        let method = method.uppercased()
        if let unusable = endpoint.unusableSegment { throw Endpoint.unusable(unusable, naming: "the id or name") }
        _ = try URLEncoding.segment(realm ?? self.realm, naming: "the realm")
        let url = url(for: endpoint, realm: realm, query: query)
        let bodyBytes = rawBody ?? body?.serializedBytes()
        var token = try tokens.accessToken()
        var response = try perform(method: method, url: url, token: token, body: bodyBytes, extra: headers)
        if response.status == 401, let renewed = try tokens.renewAfterRejection(of: token) {
            token = renewed
            response = try perform(method: method, url: url, token: token, body: bodyBytes, extra: headers)
        }
        guard (200..<300).contains(response.status) else {
            var error = APIError.error(method: method, url: url, server: server, response: response)
            // The session's own login realm, not the realm the request was about (`-r r1` of a master login).
            if response.status == 401, let hint = tokens.reloginHint { error.hint = hint }
            if response.status == 404, let missing = AdminPath(APIError.displayPath(url: url, server: server)).realm,
                APIError.describe(response).hasPrefix("Realm not found")
                    || APIError.describe(response).hasPrefix("Realm does not exist")
            {
                error.hint = APIError.missingRealmHint(missing, near: similarRealms(to: missing, token: token))
            }
            throw error
        }
        return response
    }

    /// Realm names close to one that does not exist, asked for only after the 404 (never on the
    /// success path); none when the account may not list realms or the list fails.
    func similarRealms(to name: String, token: String) -> [String] {
        guard
            let response = try? perform(
                method: "GET", url: "\(server)/admin/realms?briefRepresentation=true", token: token, body: nil),
            response.status == 200, let realms = response.json?.arrayValue
        else { return [] }
        return Suggestions.closest(to: name, among: realms.compactMap { $0["realm"]?.stringValue })
    }

    private func perform(
        method: String, url: String, token: String, body: [UInt8]?, extra: [(name: String, value: String)] = []
    ) throws -> HTTPResponse {
        var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(token)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        for header in extra {
            headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
            headers.append(header)
        }
        do {
            return try transport.send(HTTPRequest(method: method, url: url, headers: headers, body: body))
        } catch {
            throw APIError.error(method: method, server: server, error)
        }
    }
}
