// Token-endpoint calls a user makes to try the configuration out: get a token, exchange it,
// introspect it, fetch the realm's keys. Refusals carry Keycloak's error plus a hint naming the
// kcx command that fixes the cause.
import FoundationEssentials
import KcxJSON

public enum RequestedTokenType: String, Sendable, CaseIterable {
    case accessToken = "access_token"
    case refreshToken = "refresh_token"
    case idToken = "id_token"

    public var urn: String { "urn:ietf:params:oauth:token-type:\(rawValue)" }
}

public struct TokenRequests {
    public let server: String
    public let realm: String
    public let transport: HTTPTransport

    public init(server: String, realm: String, transport: HTTPTransport) {
        self.server = AdminClient.normalizedServer(server)
        self.realm = realm
        self.transport = transport
    }

    /// A realm's issuer as Keycloak writes it into `iss`: `{server}/realms/{realm}`.
    public static func issuer(server: String, realm: String) throws(KcxError) -> String {
        "\(AdminClient.normalizedServer(server))/realms/\(try URLEncoding.segment(realm, naming: "the realm"))"
    }

    var openIDConnect: String {
        get throws { "\(try TokenRequests.issuer(server: server, realm: realm))/protocol/openid-connect" }
    }

    /// A token for a client: password grant with `username`, else client credentials.
    public func get(clientId: String, secret: String?, username: String?, password: String?, scope: String?) throws -> JSON {
        var form: [(String, String)] = [
            ("grant_type", username == nil ? "client_credentials" : "password"), ("client_id", clientId),
        ]
        if let secret { form.append(("client_secret", secret)) }
        if let username {
            form.append(("username", username))
            form.append(("password", password ?? ""))
        }
        if let scope, !scope.isEmpty { form.append(("scope", scope)) }
        return try post(form, to: "\(try openIDConnect)/token", client: clientId)
    }

    /// RFC 8693 exchange of an access token by `clientId`.
    public func exchange(
        clientId: String, secret: String?, subjectToken: String, audiences: [String], scope: String?,
        requestedType: RequestedTokenType?
    ) throws -> JSON {
        var form: [(String, String)] = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("client_id", clientId),
        ]
        if let secret { form.append(("client_secret", secret)) }
        form.append(("subject_token", subjectToken))
        form.append(("subject_token_type", RequestedTokenType.accessToken.urn))
        for audience in audiences { form.append(("audience", audience)) }
        if let scope, !scope.isEmpty { form.append(("scope", scope)) }
        if let requestedType { form.append(("requested_token_type", requestedType.urn)) }
        return try post(
            form, to: "\(try openIDConnect)/token", client: clientId, audiences: audiences, subjectToken: subjectToken)
    }

    public func introspect(clientId: String, secret: String?, token: String) throws -> JSON {
        var form: [(String, String)] = [("client_id", clientId)]
        if let secret { form.append(("client_secret", secret)) }
        form.append(("token", token))
        return try post(form, to: "\(try openIDConnect)/token/introspect", client: clientId)
    }

    /// The realm's signing keys, for verifying tokens it issued. `issuer` is the one the caller
    /// trusts, never a token's `iss`.
    public static func jwks(issuer: String, transport: HTTPTransport) throws -> JSON {
        let url = "\(issuer)/protocol/openid-connect/certs"
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", "application/json")]))
        } catch {
            throw APIError.error(method: "GET", server: issuer, error)
        }
        guard (200..<300).contains(response.status), let json = response.json else {
            throw KcxError(.serverError, "GET \(url): \(response.status) \(APIError.describe(response))")
        }
        return json
    }

    func post(_ form: [(String, String)], to url: String, client: String, audiences: [String] = [], subjectToken: String? = nil)
        throws -> JSON
    {
        let response = try TokenEndpoint.post(form, to: url, server: server, transport: transport)
        guard (200..<300).contains(response.status) else {
            var error = APIError.error(method: "POST", url: url, server: server, response: response)
            if response.status == 400 || response.status == 401 || response.status == 403 { error.code = .authentication }
            let known = HintContext(
                client: client, audiences: audiences, realm: realm, sentSecret: form.contains { $0.0 == "client_secret" },
                subjectClient: subjectToken.flatMap(TokenRequests.authorizedParty(of:)))
            error.hint =
                TokenRequests.hint(
                    error: response.json?["error"]?.stringValue ?? "",
                    description: response.json?["error_description"]?.stringValue ?? "",
                    known) ?? error.hint
            throw error
        }
        guard let json = response.json else {
            throw KcxError(.serverError, "POST \(APIError.displayPath(url: url, server: server)): the answer is not JSON")
        }
        return json
    }

    /// What kcx knows about a token request beyond Keycloak's answer, so a hint can name real
    /// clients instead of placeholders.
    public struct HintContext: Sendable {
        /// The requesting client (clientId).
        public var client: String
        public var audiences: [String]
        public var realm: String
        /// Whether a client secret was sent: a requester that authenticated without one is public.
        public var sentSecret: Bool
        /// The client that obtained the subject token (its `azp`), when kcx holds the token.
        public var subjectClient: String?

        public init(client: String, audiences: [String], realm: String, sentSecret: Bool = true, subjectClient: String? = nil) {
            self.client = client
            self.audiences = audiences
            self.realm = realm
            self.sentSecret = sentSecret
            self.subjectClient = subjectClient
        }
    }

    /// The `azp` of a token, read without verification: only to fill a hint's command line.
    public static func authorizedParty(of token: String) -> String? {
        (try? JWT.decode(token))?.claims["azp"]?.stringValue
    }

    public static func hint(error: String, description: String, client: String, audiences: [String], realm: String) -> String? {
        hint(error: error, description: description, HintContext(client: client, audiences: audiences, realm: realm))
    }

    /// Maps Keycloak's token-endpoint refusals to the kcx command that fixes them.
    public static func hint(error: String, description: String, _ known: HintContext) -> String? {
        let client = known.client
        let realm = known.realm
        // The target: the audience asked for, else the one Keycloak names in its refusal.
        let prefix = "Requested audience not available: "
        let named =
            description.hasPrefix(prefix)
            ? String(description.dropFirst(prefix.count)).split(separator: " ").first.map(String.init) : nil
        let target = known.audiences.first ?? named
        let r = ["-r", realm]
        func kcx(_ words: [String]) -> String { Shell.command(["kcx"] + words + r) }
        func ownAudience(_ audience: String, for holder: String) -> String {
            kcx([
                "audience", "add", "--audience", audience, "--scope", audienceScopeName(for: audience), "--create-scope",
                "--assign", holder, "--default",
            ])
        }
        let publicRequester = {
            var text =
                "'\(client)' is a public client, and Keycloak lets only confidential clients exchange tokens: let a confidential client (a backend holding a secret) exchange '\(client)' tokens instead"
            if let target {
                text +=
                    ", e.g. \(kcx(["token-exchange", "allow", "--from", "BACKEND", "--to", target, "--subject-client", client]))"
                text +=
                    "; or, if '\(client)' only needs to call '\(target)', no exchange is needed: \(ownAudience(target, for: client))"
            }
            return text
        }
        if description.contains("Invalid client credentials") {
            var text =
                "client '\(client)' could not authenticate to realm '\(realm)' (the requesting client's own credentials, not your kcx session): check that clientId '\(client)' exists and is enabled in realm '\(realm)'"
            text +=
                known.sentSecret
                ? ", and that the secret sent is its current one (a regenerated secret replaces the old)"
                : "; no secret was sent: a confidential client needs one (--secret-file FILE, --secret-stdin or $KCX_CLIENT_SECRET)"
            return text
        }
        if description.contains("Standard token exchange is not enabled") {
            // Keycloak checks this switch before it refuses a public requester: allowing would fail.
            if !known.sentSecret { return publicRequester() }
            guard let target else { return "turn it on: \(kcx(["token-exchange", "enable", "--client", client]))" }
            return
                "allow it: \(kcx(["token-exchange", "allow", "--from", client, "--to", target]))   (or just: \(kcx(["token-exchange", "enable", "--client", client])))"
        }
        if description.contains("Client is not within the token audience") {
            let initial = known.subjectClient.flatMap { $0 == client ? nil : $0 }
            guard let initial else {
                guard let target else {
                    return
                        "the subject token's aud must contain '\(client)': \(kcx(["audience", "add", "--audience", client, "--scope", audienceScopeName(for: client), "--create-scope", "--assign"])) <client that obtained the subject token> --default"
                }
                return
                    "the subject token's aud must contain '\(client)': \(Shell.command(["kcx", "token-exchange", "allow", "--from", client, "--to", target, "--subject-client"])) <client that obtained the subject token> \(Shell.command(r))"
            }
            guard let target else {
                return
                    "the subject token (from '\(initial)') must carry '\(client)' in aud: \(ownAudience(client, for: initial)); then get a new subject token"
            }
            return
                "the subject token (from '\(initial)') must carry '\(client)' in aud: \(kcx(["token-exchange", "allow", "--from", client, "--to", target, "--subject-client", initial])); then get a new subject token"
        }
        if description.contains("Public client is not allowed to exchange") {
            return publicRequester()
        }
        if description.hasPrefix("Requested audience not available"), let target {
            return
                "'\(client)' tokens cannot carry '\(target)' yet: \(kcx(["token-exchange", "allow", "--from", client, "--to", target])); see why with \(kcx(["audience", "check", "--client", client, "--audience", target]))"
        }
        if description.contains("Audience not found") {
            let which = known.audiences.count == 1 ? "'\(known.audiences[0])' is not" : "each audience must be"
            return
                "\(which) the clientId of an existing client in realm '\(realm)' (custom audiences cannot be requested); list them with \(Shell.kcx("get", "clients", "-r", realm, "--fields", "clientId"))"
        }
        if description.contains("Client not allowed to exchange") {
            return
                "legacy exchange needs a permission on the target: \(kcx(["token-exchange", "allow", "--from", client, "--to", target ?? "TARGET", "--mode", "legacy"]))"
        }
        if error == "invalid_scope" && description.contains("not present in the initial access token") {
            return "downscoping is enforced: request only scopes the subject token already has"
        }
        if error == "invalid_scope" {
            return
                "a requested scope is not a client scope of '\(client)': \(kcx(["client-scope", "assign", "SCOPE", "--client", client, "--optional"]))"
        }
        if description.contains("requested_token_type unsupported") {
            return
                "refresh tokens from exchange need: \(kcx(["token-exchange", "enable", "--client", client, "--allow-refresh"]))"
        }
        if description.contains("subject_issuer") {
            return
                "standard exchange is internal to one realm; cross-realm or external tokens need identity brokering with the legacy exchange features"
        }
        if description == "Invalid token" {
            return
                "the subject token is expired, revoked, or not an access token of realm '\(realm)': get a fresh one with kcx token get"
        }
        return nil
    }
}
