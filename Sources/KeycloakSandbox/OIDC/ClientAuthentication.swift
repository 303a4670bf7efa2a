// Client authentication at the token, introspection, logout and revocation endpoints
// (ClientIdAndSecretAuthenticator: Basic header first, form `client_id`/`client_secret` override it).
import Foundation
import KcxJSON
import LoopbackHTTP

/// Why a client could not be authenticated; each maps to Keycloak's status and body (token-exchange.md §0.1 G5–G9).
enum ClientAuthenticationFailure: Error {
    case missingClientId
    case unknownClient
    case disabledClient
    case missingSecret
    case wrongSecret
    /// A "client-jwt" client's assertion was refused: 400 invalid_client with Keycloak's description.
    case assertion(String)

    var status: Int {
        switch self {
        case .missingClientId, .assertion: return 400
        default: return 401
        }
    }
    var error: String {
        switch self {
        case .missingClientId, .unknownClient, .disabledClient, .assertion: return "invalid_client"
        case .missingSecret, .wrongSecret: return "unauthorized_client"
        }
    }
    var description: String {
        switch self {
        case .missingClientId: return "Missing client_id parameter"
        case .assertion(let description): return description
        default: return "Invalid client or Invalid client credentials"
        }
    }
}

enum ClientAuthentication {
    /// The client id and secret a request presents, form values winning over the Basic header.
    static func credentials(_ request: ServerRequest, _ form: FormBody) -> (clientId: String?, secret: String?) {
        var clientId: String?
        var secret: String?
        if let header = request.header("Authorization"), header.lowercased().hasPrefix("basic "),
            let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            // Keycloak URL-decodes both halves (RFC 6749 §2.3.1).
            clientId = FormBody.decode(ArraySlice(Array(text[..<colon].utf8)))
            secret = FormBody.decode(ArraySlice(Array(text[text.index(after: colon)...].utf8)))
        }
        if let formId = form.first("client_id") { clientId = formId }
        if let formSecret = form.first("client_secret") { secret = formSecret }
        return (clientId, secret)
    }

    /// The authenticated client. Public clients need only their id; a client whose authenticator
    /// is "client-jwt" proves itself with a signed assertion (SignedJWTClientAuthentication.swift),
    /// which may also name it (`sub`) when no client_id is sent.
    static func authenticate(
        _ request: ServerRequest, _ form: FormBody, realm: Realm, assertions: ClientAssertionCheck? = nil
    ) -> Result<Client, ClientAuthenticationFailure> {
        let (formClientId, secret) = credentials(request, form)
        var clientId = formClientId
        if clientId?.isEmpty ?? true, let assertion = form.first("client_assertion"), let decoded = SandboxJWT.decode(assertion),
            let subject = decoded.claims["sub"]?.stringValue, subject == decoded.claims["iss"]?.stringValue
        {
            clientId = subject
        }
        guard let clientId, !clientId.isEmpty else { return .failure(.missingClientId) }
        guard let client = realm.client(clientId: clientId) else { return .failure(.unknownClient) }
        guard client.enabled else { return .failure(.disabledClient) }
        if client.fields["clientAuthenticatorType"]?.stringValue == SignedJWTClientAuthentication.providerId {
            guard let assertions else { return .failure(.wrongSecret) }
            return SignedJWTClientAuthentication.verify(form, client: client, check: assertions).map { client }
        }
        if client.publicClient { return .success(client) }
        guard let secret, !secret.isEmpty else { return .failure(.missingSecret) }
        guard let expected = client.secret, constantTimeEquals(secret, expected) else { return .failure(.wrongSecret) }
        return .success(client)
    }

    private static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
