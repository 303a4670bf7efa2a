// Turns Keycloak error responses (all four body shapes) and transport failures into KcxError:
// `<METHOD> <path>: <status> <text>`, the exit code for the status, and a hint where one helps.
import KcxJSON

/// What made a request fail: the server's status, or a failure below HTTP.
public enum RequestFailure: Sendable, Equatable {
    case status(Int)
    case transport(TransportError.Kind)

    /// A write may or may not have taken effect: a proxy or a restarting server answered
    /// 502/503/504, or the connection broke or was refused (a create then looks before re-sending).
    public var writeMayBeLost: Bool {
        switch self {
        case .status(let status): return RetryPolicy.retriesStatus(status)
        case .transport(let kind): return kind == .connectionLost || kind == .connectionRefused
        }
    }
}

public enum APIError {
    /// The exit code a non-2xx status maps to.
    public static func exitCode(forStatus status: Int) -> ExitCode {
        switch status {
        case 401, 403: return .authentication
        case 404: return .notFound
        case 409: return .conflict
        default: return .serverError
        }
    }

    /// What the server said, from the body: `errorMessage` (with nested `errors`), or
    /// `error_description (error)`, or `error` alone; a short note for bodies that are not
    /// Keycloak's (an HTML page from a proxy); the reason phrase for an empty body.
    public static func describe(_ response: HTTPResponse) -> String {
        let reason = HTTPStatus.reason(response.status)
        if response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return reason }
        guard let json = try? JSON.parse(response.body) else {
            let type =
                response.header("Content-Type").map { $0.split(separator: ";").first.map(String.init) ?? $0 } ?? "unlabelled"
            let prefix = reason.isEmpty ? "" : reason + " "
            return
                "\(prefix)(a \(type) body of \(response.body.count) bytes, not from Keycloak's API: a proxy or load balancer may have answered)"
        }
        if let object = json.objectValue {
            if let message = object["errorMessage"]?.stringValue {
                var text = message
                if let field = object["field"]?.stringValue { text += " (field \(field))" }
                let nested = (object["errors"]?.arrayValue ?? []).compactMap { $0["errorMessage"]?.stringValue }
                    .filter { $0 != message }
                if !nested.isEmpty { text += ": " + nested.joined(separator: "; ") }
                return text
            }
            if let error = object["error"]?.stringValue {
                if let description = object["error_description"]?.stringValue, !description.isEmpty {
                    return "\(description) (\(error))"
                }
                return error
            }
            if let errors = object["errors"]?.arrayValue {
                let messages = errors.compactMap { $0["errorMessage"]?.stringValue }
                if !messages.isEmpty { return messages.joined(separator: "; ") }
            }
        }
        let shown = Redaction.json(json).serialized()
        return shown.count > 200 ? String(shown.prefix(200)) + "…" : shown
    }

    /// The path shown in messages: relative to the server when the URL is on it.
    public static func displayPath(url: String, server: String) -> String {
        let root = server.hasSuffix("/") ? String(server.dropLast()) : server
        if url.hasPrefix(root + "/") { return String(url.dropFirst(root.count)) }
        return url
    }

    /// The error for a non-2xx response to `method url`.
    public static func error(method: String, url: String, server: String, response: HTTPResponse) -> KcxError {
        let path = displayPath(url: url, server: server)
        let text = describe(response)
        var message = "\(method) \(path): \(response.status)\(text.isEmpty ? "" : " " + text)"
        if let note = response.retryNote { message += " (\(note))" }
        let location = AdminPath(path)
        let hint: String?
        switch response.status {
        case 401 where location.isTokenEndpoint:
            // The token endpoint authenticates the requesting client, not the admin session.
            hint =
                "the requesting client could not authenticate: check its clientId (it must exist and be enabled) and its secret"
        case 401:
            hint =
                "log in again: "
                + Shell.kcx("config", "credentials", "--server", server, "--realm", location.realm ?? "REALM", "--user", "NAME")
        case 403 where text.hasPrefix("Realm not enabled"):
            hint = realmDisabledHint(location.realm)
        case 403:
            hint = forbiddenHint(method: method, location: location)
        case 404 where oldContextPath(server) != nil:
            hint = oldContextPathHint(server)
        case 404:
            hint = notFoundHint(location: location, text: text)
        case 409:
            hint = "it already exists: change it with 'kcx update' instead, or use an idempotent kcx command"
        case 300..<400:
            hint = response.header("Location").map {
                "the server redirects to \(Redaction.url($0)); kcx does not follow redirects, so check the server URL"
            }
        case 502, 503, 504:
            hint = unavailableHint(method: method, note: response.retryNote)
        default:
            hint = nil
        }
        return KcxError(exitCode(forStatus: response.status), message, hint: hint, cause: .status(response.status))
    }

    /// The error for a request that got no HTTP answer.
    public static func error(method: String, server: String, _ failure: TransportError) -> KcxError {
        let path = displayPath(url: failure.url, server: server)
        let hint: String?
        switch failure.kind {
        case .connectionRefused:
            hint = "nothing answered at \(server): check the server URL and that Keycloak is running"
        case .couldNotResolveHost:
            hint = "check the host name in the server URL (\(server))"
        case .timedOut:
            hint = "the server did not answer in time; allow longer with --timeout SECONDS (default 30)"
        case .tls:
            hint = "trust the server's CA with --cacert FILE (PEM), or, not recommended, skip verification with --insecure"
        case .connectionLost:
            hint =
                "the connection broke before a whole answer came: a proxy or the server may be restarting; try again, or allow more attempts with --retries N"
        case .responseTooLarge:
            hint = "no Keycloak answer should be that large: check the server URL (another service may be answering)"
        case .invalidRequest, .other:
            hint = nil
        }
        var message = "\(method) \(path): \(failure.message)"
        if let note = failure.retryNote { message += " (\(note))" }
        // An answer too large is the server's doing, not the network's.
        let code: ExitCode =
            failure.kind == .responseTooLarge ? .serverError : failure.kind == .invalidRequest ? .usage : .network
        return KcxError(code, message, hint: hint, cause: .transport(failure.kind))
    }

    static func missingRealmHint(_ realm: String, near: [String]) -> String {
        "realm '\(realm)' does not exist: "
            + (Suggestions.phrase(near) ?? "check -r/--target-realm or the realm you logged in to")
    }

    /// `https://host/auth` when `server` ends in the context path Keycloak dropped in version 17.
    static func oldContextPath(_ server: String) -> String? {
        let root = AdminClient.normalizedServer(server)
        // `https://host/auth`, not a host that merely ends in "auth" (`https://auth`).
        let afterScheme = root.split(separator: "/", omittingEmptySubsequences: true).dropFirst()
        guard root.hasSuffix("/auth"), afterScheme.count >= 2 else { return nil }
        return String(root.dropLast("/auth".count))
    }

    static func oldContextPathHint(_ server: String) -> String {
        let root = oldContextPath(server) ?? server
        return
            "the server URL ends in /auth, the context path Keycloak dropped in version 17: use --server \(root) (only Keycloak 16 and older, or a server started with --http-relative-path=/auth, serve under /auth)"
    }

    /// 403 `Realm not enabled`: the realm is switched off, whatever the account's roles.
    static func realmDisabledHint(_ realm: String?) -> String {
        guard let realm else { return "the realm is disabled: an administrator must enable it" }
        return "realm '\(realm)' is disabled (its enabled switch is off; no role is missing): turn it on with "
            + Shell.kcx("update", "realms/\(realm)", "-s", "enabled:=true")
    }

    /// 502/503/504: a proxy or a server that is starting or stopping answered.
    private static func unavailableHint(method: String, note: String?) -> String? {
        if let note, note.hasPrefix("gave up") {
            return "the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N"
        }
        if note != nil { return "try again after the time the server asked for" }
        if method == "POST" {
            return "kcx never repeats a POST blindly: check whether it took effect, then run the command again"
        }
        return nil
    }

    private static func forbiddenHint(method: String, location: AdminPath) -> String {
        let reads = method == "GET" || method == "HEAD"
        guard let realm = location.realm else {
            if location.isRealmList && method == "POST" {
                return "creating a realm needs the role 'create-realm' in the master realm"
            }
            if location.isRealmList { return "the account can see no realm: it needs a role such as 'view-realm' in some realm" }
            return "the account lacks a role this endpoint needs"
        }
        let role: String
        let segments = location.rest
        if segments.contains("evaluate-scopes") {
            role = "view-clients' and 'view-users"
        } else if segments.contains(where: { clientSegments.contains($0) }) {
            role = reads ? "view-clients" : "manage-clients"
        } else if segments.first == "users" || segments.first == "groups" {
            role = reads ? "view-users" : "manage-users"
        } else {
            role = reads ? "view-realm" : "manage-realm"
        }
        return
            "the account likely lacks the role '\(role)' for realm '\(realm)' (client realm-management; 'realm-admin' includes it)"
    }

    private static let clientSegments: Set<String> = [
        "clients", "client-scopes", "client-templates", "default-default-client-scopes", "default-optional-client-scopes",
    ]

    private static let collectionNames: [String: String] = [
        "clients": "client", "client-scopes": "client scope", "client-templates": "client scope",
        "models": "protocol mapper", "users": "user", "groups": "group", "roles-by-id": "role",
        "roles": "role", "components": "component", "default-client-scopes": "client scope",
        "optional-client-scopes": "client scope", "default-default-client-scopes": "client scope",
        "default-optional-client-scopes": "client scope", "identity-provider": "identity provider",
    ]

    private static func notFoundHint(location: AdminPath, text: String) -> String? {
        guard let realm = location.realm else {
            if text.contains("Realm does not exist") { return "the realm does not exist: check the realm name" }
            return nil
        }
        if text.hasPrefix("Realm not found") || text.hasPrefix("Realm does not exist") {
            return missingRealmHint(realm, near: [])
        }
        let segments = location.rest
        // RESTEasy's own 404: every object on the path was found (Keycloak looks each one up as it
        // descends, answering "Could not find ..." for a missing one), but nothing serves the rest.
        if text == "HTTP 404 Not Found" || text.hasPrefix("Unable to find matching target") {
            return noSuchEndpointHint(segments: segments, realm: realm)
        }
        // Keycloak's message names the kind of object missing ("Could not find client scope",
        // "Client scope not found", "Model not found"): the deepest `collection/id` pair of that kind.
        let named = missingKind(text)
        var index = segments.count - 1
        while index >= 1 {
            if let thing = collectionNames[segments[index - 1]], named == nil || named == thing {
                let id = segments[index]
                let lookup =
                    segments[index - 1] == "clients"
                    ? "; find a client's id with: kcx get clients -q clientId=NAME --fields id,clientId" : ""
                return "no \(thing) with id '\(id)' in realm '\(realm)'\(lookup)"
            }
            index -= 1
        }
        return nil
    }

    /// The kind of object Keycloak's 404 message says is missing, in `collectionNames`' words.
    static func missingKind(_ text: String) -> String? {
        let lower = text.lowercased()
        let kinds: [(String, String)] = [
            ("client scope", "client scope"), ("model", "protocol mapper"), ("protocolmapper", "protocol mapper"),
            ("role", "role"), ("user", "user"), ("group", "group"), ("component", "component"),
            ("identity provider", "identity provider"), ("client", "client"),
        ]
        guard lower.hasPrefix("could not find") || lower.hasSuffix("not found") || lower.hasPrefix("no ") else { return nil }
        return kinds.first { lower.contains($0.0) }?.1
    }

    /// Sub-resources of a client and of a client scope, for "did you mean" on a mistyped sub-path.
    static let subResources: [String: [String]] = [
        "clients": [
            "default-client-scopes", "optional-client-scopes", "protocol-mappers/models", "scope-mappings", "roles",
            "client-secret", "service-account-user", "evaluate-scopes", "management/permissions", "user-sessions",
            "offline-sessions", "installation/providers", "authz/resource-server", "certificates", "nodes", "session-count",
        ],
        "client-scopes": ["protocol-mappers/models", "scope-mappings"],
        "users": [
            "role-mappings", "groups", "credentials", "sessions", "consents", "federated-identity", "reset-password",
            "execute-actions-email", "impersonation", "logout", "configured-user-storage-credential-types",
        ],
        "groups": ["members", "children", "role-mappings", "management/permissions"],
    ]

    private static func noSuchEndpointHint(segments: [String], realm: String) -> String {
        let relative = "ENDPOINT is relative to /admin/realms/\(realm)/ (realms and serverinfo are top-level)"
        // `clients/{id}/WRONG...`: the object exists (Keycloak said so by getting this far).
        if segments.count >= 3, let thing = collectionNames[segments[0]], let known = subResources[segments[0]] {
            let wrong = segments[2]
            let words = known.map { String($0.split(separator: "/")[0]) }
            var candidates = Suggestions.closest(to: wrong, among: words)
            for word in words where word.contains(wrong) && !candidates.contains(word) { candidates.append(word) }
            let suggestion = Suggestions.phrase(Array(candidates.prefix(3)).map { "\(segments[0])/\(segments[1])/\($0)" })
            return "\(thing) '\(segments[1])' exists, but it has no sub-resource '\(segments[2...].joined(separator: "/"))'"
                + (suggestion.map { ": " + $0 } ?? "; \(relative)")
        }
        return "no such endpoint: \(relative)"
    }
}

/// An admin path taken apart: `/admin/realms/{realm}/{rest...}`.
struct AdminPath {
    var realm: String?
    var rest: [String] = []
    var isRealmList = false
    /// `/realms/{realm}/protocol/openid-connect/token[/introspect]`, where a 401 is the client's.
    var isTokenEndpoint = false

    init(_ path: String) {
        let withoutQuery =
            path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? path
        let segments = withoutQuery.split(separator: "/").map { URLEncoding.decode(String($0)) }
        if segments.count >= 2, segments[0] == "admin", segments[1] == "realms" {
            if segments.count == 2 {
                isRealmList = true
            } else {
                realm = segments[2]
                rest = Array(segments.dropFirst(3))
            }
        } else if segments.count >= 2, segments[0] == "realms" {
            // Token and logout endpoints: /realms/{realm}/protocol/...
            realm = segments[1]
            isTokenEndpoint = segments.count >= 5 && segments[2] == "protocol" && segments[4] == "token"
        }
    }
}
