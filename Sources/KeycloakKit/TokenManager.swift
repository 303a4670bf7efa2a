// Logs in at Keycloak's token endpoint and keeps a session's access token fresh: refresh shortly
// before expiry, once more after a 401, and a fresh login from the recorded secret source when
// the refresh token is gone. Renewals of a stored session happen under the config file's lock,
// so concurrent kcx processes (and an apply's workers) renew once and share the result.
import FoundationEssentials
import KcxJSON

/// What one login sends. Secrets live here only for the duration of the run.
public struct LoginCredentials: Sendable {
    public var grant: GrantKind
    public var clientId: String
    public var username: String?
    public var password: String?
    public var clientSecret: String?
    /// A signed client assertion (Keycloak's "client-jwt"), sent instead of a secret.
    public var clientAssertion: String?

    public init(
        grant: GrantKind, clientId: String, username: String? = nil, password: String? = nil, clientSecret: String? = nil,
        clientAssertion: String? = nil
    ) {
        self.grant = grant
        self.clientId = clientId
        self.username = username
        self.password = password
        self.clientSecret = clientSecret
        self.clientAssertion = clientAssertion
    }
}

/// Tokens from one successful token-endpoint call.
public struct IssuedTokens: Sendable, Equatable {
    public var accessToken: String
    public var accessTokenExpiresAt: Date?
    public var refreshToken: String?
    public var refreshTokenExpiresAt: Date?

    public init(accessToken: String, accessTokenExpiresAt: Date?, refreshToken: String?, refreshTokenExpiresAt: Date?) {
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshToken = refreshToken
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
    }
}

public enum TokenEndpoint {
    public static func url(server: String, realm: String) throws(KcxError) -> String {
        "\(AdminClient.normalizedServer(server))/realms/\(try URLEncoding.segment(realm, naming: "the realm"))/protocol/openid-connect/token"
    }

    public static func logoutURL(server: String, realm: String) throws(KcxError) -> String {
        "\(AdminClient.normalizedServer(server))/realms/\(try URLEncoding.segment(realm, naming: "the realm"))/protocol/openid-connect/logout"
    }

    /// The form for a password or client-credentials grant. The client authenticates in the form
    /// (client_secret_post) rather than with HTTP Basic: Keycloak accepts both, and the form
    /// avoids Basic's double encoding (RFC 6749 §2.3.1 form-encodes id and secret before base64,
    /// which clients and servers often get wrong for secrets with special characters).
    public static func loginForm(_ credentials: LoginCredentials) -> [(String, String)] {
        var form: [(String, String)] = [("grant_type", credentials.grant.rawValue), ("client_id", credentials.clientId)]
        if let secret = credentials.clientSecret { form.append(("client_secret", secret)) }
        if let assertion = credentials.clientAssertion {
            form.append(("client_assertion_type", ClientAssertion.type))
            form.append(("client_assertion", assertion))
        }
        if credentials.grant == .password {
            form.append(("username", credentials.username ?? ""))
            form.append(("password", credentials.password ?? ""))
        }
        return form
    }

    /// POSTs a form to the token endpoint (or another OIDC endpoint) and returns the raw response;
    /// only transport failures throw here.
    static func post(_ form: [(String, String)], to url: String, server: String, transport: HTTPTransport) throws -> HTTPResponse
    {
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(URLEncoding.query(form).utf8))
        do {
            return try transport.send(request)
        } catch {
            throw APIError.error(method: "POST", server: server, error)
        }
    }

    /// Parses a 2xx token response; times are counted from `issuedAt` (taken before the request,
    /// so kcx never believes a token lives longer than it does).
    static func tokens(from response: HTTPResponse, issuedAt: Date, url: String, server: String) throws -> IssuedTokens {
        guard let json = response.json, let access = json["access_token"]?.stringValue, !access.isEmpty else {
            throw KcxError(
                .serverError,
                "POST \(APIError.displayPath(url: url, server: server)): \(response.status) answer without an access_token",
                hint: "check that the server URL points at Keycloak")
        }
        // Lifetimes are clamped to 0...10 years: a bogus 1e300 would trap where the config file stores
        // whole seconds, and no Keycloak token lives longer.
        // The access token becomes an Authorization header: one holding a CR or LF (a hostile
        // server, or something between kcx and it) would add headers to every later request.
        if let scalar = ControlCharacters.firstInHeaderValue(access) {
            throw KcxError(
                .serverError,
                "POST \(APIError.displayPath(url: url, server: server)): the access_token in the answer contains a control character (\(ControlCharacters.name(scalar)))",
                hint:
                    "no Keycloak sends such a token: check the server URL and what sits between kcx and the server; nothing was stored"
            )
        }
        func lifetime(_ key: String) -> Double? { json[key]?.doubleValue.map { min(max($0, 0), 315_360_000) } }
        let expiresIn = lifetime("expires_in")
        let refresh = json["refresh_token"]?.stringValue
        let refreshExpiresIn = lifetime("refresh_expires_in") ?? 0
        return IssuedTokens(
            accessToken: access,
            accessTokenExpiresAt: expiresIn.map { issuedAt.addingTimeInterval($0) },
            refreshToken: refresh,
            // Keycloak sends 0 for refresh tokens that do not expire on their own (offline tokens).
            refreshTokenExpiresAt: refresh != nil && refreshExpiresIn > 0 ? issuedAt.addingTimeInterval(refreshExpiresIn) : nil)
    }

    /// The KcxError for a refused login: exit 4 for bad credentials, 3 for an unknown realm.
    static func loginError(url: String, server: String, clientId: String, response: HTTPResponse) -> KcxError {
        var error = APIError.error(method: "POST", url: url, server: server, response: response)
        let code = response.json?["error"]?.stringValue ?? ""
        let description = response.json?["error_description"]?.stringValue ?? ""
        switch response.status {
        case 400, 401:
            error.code = .authentication
            if description.contains("direct access grants") {
                error.hint =
                    "enable 'Direct access grants' on client '\(clientId)', or log in with a service account (--client ID and a secret)"
            } else if description.contains("service account") {
                error.hint = "enable 'Service accounts' on client '\(clientId)' (a confidential client)"
            } else if description.hasPrefix("Client authentication with signed JWT failed")
                || description == "Unable to load public key"
            {
                error.hint =
                    "check that client '\(clientId)' authenticates with Signed JWT and holds the certificate of the keystore's key"
            } else if description.hasPrefix("Parameter client_assertion_type") {
                error.hint = "client '\(clientId)' authenticates with Signed JWT: log in with --keystore FILE"
            } else if code == "invalid_client" || code == "unauthorized_client" {
                error.hint = "check the client id '\(clientId)' and its secret"
            } else if code == "invalid_grant" && description.contains("credentials") {
                error.hint = "check the user name and password"
            } else if description.contains("not fully set up") {
                error.hint = "the user has pending required actions; finish them in the account console first"
            } else {
                error.hint = nil
            }
        default:
            break
        }
        return error
    }

    /// One login; throws KcxError when refused.
    public static func login(
        server: String, realm: String, credentials: LoginCredentials, transport: HTTPTransport, now: () -> Date
    ) throws -> IssuedTokens {
        let url = try url(server: server, realm: realm)
        let issuedAt = now()
        let response = try post(loginForm(credentials), to: url, server: server, transport: transport)
        guard (200..<300).contains(response.status) else {
            throw loginError(url: url, server: server, clientId: credentials.clientId, response: response)
        }
        return try tokens(from: response, issuedAt: issuedAt, url: url, server: server)
    }
}

/// The profile a session is stored as, so that a renewal can coordinate with other kcx processes.
public struct SessionStorage: Sendable {
    public let store: ConfigStore
    public let profile: String

    public init(store: ConfigStore, profile: String) {
        self.store = store
        self.profile = profile
    }
}

public final class TokenManager: AccessTokenProvider {
    /// An access token this close to expiry is refreshed first, so it cannot expire in flight.
    public static let expiryMargin: Double = 10

    public private(set) var session: StoredSession
    private let transport: HTTPTransport
    private let environment: [String: String]
    private let now: () -> Date
    private let onChange: (StoredSession) throws -> Void
    private let storage: SessionStorage?
    private let loginHint: String

    /// `loginHint` is shown when the session cannot be renewed without the user.
    ///
    /// With `storage`, each renewal runs under the config file's lock: it first re-reads the
    /// profile and uses a token another process stored meanwhile, else renews and stores the result
    /// before the lock is released. Without it, `onChange` receives the session after every token
    /// change (it is not called with `storage`, which does the storing).
    public init(
        session: StoredSession, transport: HTTPTransport, environment: [String: String], now: @escaping () -> Date,
        loginHint: String, storage: SessionStorage? = nil, onChange: @escaping (StoredSession) throws -> Void = { _ in }
    ) {
        self.session = session
        self.transport = transport
        self.environment = environment
        self.now = now
        self.loginHint = loginHint
        self.storage = storage
        self.onChange = onChange
    }

    public var reloginHint: String? { loginHint }

    public func accessToken() throws -> String {
        if let token = session.accessToken, isFresh(session.accessTokenExpiresAt) {
            // Tokens from the server are checked on arrival; this one was read back from the config file.
            if let scalar = ControlCharacters.firstInHeaderValue(token) {
                throw KcxError(
                    .usage,
                    "the access token stored for \(session.server) realm \(session.realm) contains a control character (\(ControlCharacters.name(scalar)))",
                    hint: loginHint)
            }
            return token
        }
        return try renew(replacing: session.accessToken)
    }

    public func renewAfterRejection(of rejected: String) throws -> String? {
        // The workers of a parallel apply share this manager behind a lock: when several are refused
        // at once, the first renews and the others get its token here, so a revocation costs one
        // renewal, not one per worker.
        if let current = session.accessToken, current != rejected { return current }
        guard hasUsableRefreshToken || canLogInAgain else { return nil }
        return try renew(replacing: rejected)
    }

    /// An access token expiring later than the margin (one without an expiry counts as fresh).
    private func isFresh(_ expiry: Date?) -> Bool {
        guard let expiry else { return true }
        return expiry.timeIntervalSince(now()) > TokenManager.expiryMargin
    }

    /// A refresh token that has not expired (one without an expiry counts as usable).
    public var hasUsableRefreshToken: Bool {
        guard session.refreshToken != nil else { return false }
        guard let expiry = session.refreshTokenExpiresAt else { return true }
        return expiry.timeIntervalSince(now()) > 1
    }

    /// True when every secret the grant needs was recorded at a source kcx can read again.
    public var canLogInAgain: Bool {
        if let keystore = session.clientKeystore {
            guard keystore.canSignAgain else { return false }
            return session.grant == .clientCredentials || session.passwordSource != nil
        }
        switch session.grant {
        case .password: return session.passwordSource != nil
        case .clientCredentials: return session.clientSecretSource != nil
        }
    }

    /// A new client assertion signed with the session's keystore, or nil for a session without one.
    private func freshAssertion() throws -> String? {
        guard let keystore = session.clientKeystore else { return nil }
        let key = try keystore.signingKey(environment: environment)
        return try ClientAssertion.sign(
            clientId: session.clientId, audience: ClientAssertion.audience(server: session.server, realm: session.realm),
            key: key, now: now())
    }

    /// A token to use instead of `stale` (the one that expired or was refused).
    private func renew(replacing stale: String?) throws -> String {
        guard let storage else { return try renewHere() }
        var token = ""
        try storage.store.updateSession(named: storage.profile) { stored in
            // Another process renewed while this one waited for the lock: use its token (a second
            // refresh would only cost a request, and would race with the first one's save).
            if let stored, stored.isSameLogin(as: session), let newer = stored.accessToken, newer != stale,
                isFresh(stored.accessTokenExpiresAt)
            {
                session.accessToken = newer
                session.accessTokenExpiresAt = stored.accessTokenExpiresAt
                session.refreshToken = stored.refreshToken
                session.refreshTokenExpiresAt = stored.refreshTokenExpiresAt
                token = newer
                return nil
            }
            token = try renewHere()
            // A profile removed (logout) or replaced by another login meanwhile belongs to that
            // command now: the renewed tokens serve this run only.
            guard let stored, stored.isSameLogin(as: session) else { return nil }
            var updated = stored
            updated.accessToken = session.accessToken
            updated.accessTokenExpiresAt = session.accessTokenExpiresAt
            updated.refreshToken = session.refreshToken
            updated.refreshTokenExpiresAt = session.refreshTokenExpiresAt
            return updated
        }
        return token
    }

    /// A refresh, else a fresh login from the recorded source, else the error saying to log in.
    private func renewHere() throws -> String {
        if hasUsableRefreshToken, let refreshed = try refresh() { return refreshed }
        guard canLogInAgain else {
            throw KcxError(
                .authentication,
                "the session for \(session.username.map { "user \($0)" } ?? "client \(session.clientId)") at \(session.server) realm \(session.realm) has expired",
                hint: loginHint)
        }
        return try logInAgain()
    }

    /// Returns nil when the server refuses the refresh token (expired session, revoked, server
    /// restarted), so the caller can fall back to a fresh login.
    private func refresh() throws -> String? {
        guard let refreshToken = session.refreshToken else { return nil }
        let url = try TokenEndpoint.url(server: session.server, realm: session.realm)
        var form: [(String, String)] = [
            ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", session.clientId),
        ]
        do {
            if let secret = try session.clientSecretSource?.read(environment: environment) {
                form.append(("client_secret", secret))
            }
            if session.clientKeystore != nil {
                // A signed-JWT client authenticates each refresh with a new assertion (each jti is
                // accepted once); without its passwords the session cannot be refreshed.
                guard session.clientKeystore?.canSignAgain == true else { return nil }
                if let assertion = try freshAssertion() {
                    form.append(("client_assertion_type", ClientAssertion.type))
                    form.append(("client_assertion", assertion))
                }
            }
        } catch let error as KcxError {
            throw KcxError(
                .authentication, "the session at \(session.server) realm \(session.realm) cannot be refreshed: \(error.message)",
                hint: loginHint)
        }
        let issuedAt = now()
        let response = try TokenEndpoint.post(form, to: url, server: session.server, transport: transport)
        if response.status == 400 || response.status == 401 {
            session.refreshToken = nil
            session.refreshTokenExpiresAt = nil
            return nil
        }
        guard (200..<300).contains(response.status) else {
            throw TokenEndpoint.loginError(url: url, server: session.server, clientId: session.clientId, response: response)
        }
        try store(TokenEndpoint.tokens(from: response, issuedAt: issuedAt, url: url, server: session.server))
        return session.accessToken!
    }

    private func logInAgain() throws -> String {
        let credentials: LoginCredentials
        do {
            credentials = LoginCredentials(
                grant: session.grant, clientId: session.clientId, username: session.username,
                password: try session.passwordSource?.read(environment: environment),
                clientSecret: try session.clientSecretSource?.read(environment: environment),
                clientAssertion: try freshAssertion())
        } catch let error as KcxError {
            // The source recorded at login is gone: the session cannot renew itself any more.
            throw KcxError(
                .authentication,
                "the session at \(session.server) realm \(session.realm) has expired and kcx cannot log in again: \(error.message)",
                hint: loginHint)
        }
        try store(
            TokenEndpoint.login(
                server: session.server, realm: session.realm, credentials: credentials, transport: transport, now: now))
        return session.accessToken!
    }

    private func store(_ tokens: IssuedTokens) throws {
        session.accessToken = tokens.accessToken
        session.accessTokenExpiresAt = tokens.accessTokenExpiresAt
        // A refresh response may omit a new refresh token; the old one then stays valid.
        if tokens.refreshToken != nil || session.refreshToken == nil {
            session.refreshToken = tokens.refreshToken
            session.refreshTokenExpiresAt = tokens.refreshTokenExpiresAt
        }
        if storage == nil { try onChange(session) }
    }

    /// Ends the server-side session (when there is a refresh token) and forgets the tokens.
    public func logout() throws {
        defer {
            session.accessToken = nil
            session.accessTokenExpiresAt = nil
            session.refreshToken = nil
            session.refreshTokenExpiresAt = nil
        }
        guard let refreshToken = session.refreshToken else { return }
        let url = try TokenEndpoint.logoutURL(server: session.server, realm: session.realm)
        var form: [(String, String)] = [("client_id", session.clientId), ("refresh_token", refreshToken)]
        if let secret = try? session.clientSecretSource?.read(environment: environment) { form.append(("client_secret", secret)) }
        if session.clientKeystore?.canSignAgain == true, let assertion = try? freshAssertion() {
            form.append(("client_assertion_type", ClientAssertion.type))
            form.append(("client_assertion", assertion))
        }
        let response = try TokenEndpoint.post(form, to: url, server: session.server, transport: transport)
        guard (200..<300).contains(response.status) else {
            throw APIError.error(method: "POST", url: url, server: session.server, response: response)
        }
    }
}
