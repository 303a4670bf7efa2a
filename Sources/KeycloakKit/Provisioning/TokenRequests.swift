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
        var form: [(String, String)] = [("grant_type", username == nil ? "client_credentials" : "password"), ("client_id", clientId)]
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
        clientId: String, secret: String?, subjectToken: String, audiences: [String], scope: String?, requestedType: RequestedTokenType?
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
        return try post(form, to: "\(try openIDConnect)/token", client: clientId, audiences: audiences)
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

    func post(_ form: [(String, String)], to url: String, client: String, audiences: [String] = []) throws -> JSON {
        let response = try TokenEndpoint.post(form, to: url, server: server, transport: transport)
        guard (200..<300).contains(response.status) else {
            var error = APIError.error(method: "POST", url: url, server: server, response: response)
            if response.status == 400 || response.status == 401 || response.status == 403 { error.code = .authentication }
            error.hint = TokenRequests.hint(
                error: response.json?["error"]?.stringValue ?? "", description: response.json?["error_description"]?.stringValue ?? "",
                client: client, audiences: audiences, realm: realm) ?? error.hint
            throw error
        }
        guard let json = response.json else {
            throw KcxError(.serverError, "POST \(APIError.displayPath(url: url, server: server)): the answer is not JSON")
        }
        return json
    }

    /// Maps Keycloak's token-endpoint refusals to the kcx command that fixes them.
    public static func hint(error: String, description: String, client: String, audiences: [String], realm: String) -> String? {
        let target = audiences.first ?? "TARGET"
        let r = ["-r", realm]
        func kcx(_ words: [String]) -> String { Shell.command(["kcx"] + words + r) }
        if description.contains("Standard token exchange is not enabled") {
            return "allow it: \(kcx(["token-exchange", "allow", "--from", client, "--to", target]))   (or just: \(kcx(["token-exchange", "enable", "--client", client])))"
        }
        if description.contains("Client is not within the token audience") {
            return "the subject token's aud must contain '\(client)': \(Shell.command(["kcx", "token-exchange", "allow", "--from", client, "--to", target, "--subject-client"])) <client that obtained the subject token> \(Shell.command(r))"
        }
        if description.contains("Public client is not allowed to exchange") {
            return "exchange from a confidential client (e.g. a backend-for-frontend), or give the public client's own tokens the audience: \(kcx(["audience", "add", "--audience", target, "--scope", audienceScopeName(for: target), "--create-scope", "--assign", client, "--default"]))"
        }
        if description.hasPrefix("Requested audience not available") {
            return "'\(client)' tokens cannot carry that audience yet: \(kcx(["token-exchange", "allow", "--from", client, "--to", target])); see why with \(kcx(["audience", "check", "--client", client, "--audience", target]))"
        }
        if description.contains("Audience not found") {
            return "audience must be the clientId of an existing client in realm '\(realm)' (custom audiences cannot be requested)"
        }
        if description.contains("Client not allowed to exchange") {
            return "legacy exchange needs a permission on the target: \(kcx(["token-exchange", "allow", "--from", client, "--to", target, "--mode", "legacy"]))"
        }
        if error == "invalid_scope" && description.contains("not present in the initial access token") {
            return "downscoping is enforced: request only scopes the subject token already has"
        }
        if error == "invalid_scope" {
            return "a requested scope is not a client scope of '\(client)': \(kcx(["client-scope", "assign", "SCOPE", "--client", client, "--optional"]))"
        }
        if description.contains("requested_token_type unsupported") {
            return "refresh tokens from exchange need: \(kcx(["token-exchange", "enable", "--client", client, "--allow-refresh"]))"
        }
        if description.contains("subject_issuer") {
            return "standard exchange is internal to one realm; cross-realm or external tokens need identity brokering with the legacy exchange features"
        }
        if description == "Invalid token" {
            return "the subject token is expired, revoked, or not an access token of realm '\(realm)': get a fresh one with kcx token get"
        }
        return nil
    }
}
