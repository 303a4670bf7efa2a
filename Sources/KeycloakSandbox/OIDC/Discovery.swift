// GET /realms/{realm}/.well-known/openid-configuration and …/protocol/openid-connect/certs,
// shaped like the 26.7.1 recordings (golden/oidc/discovery/master.http, certs/master.http).
import KcxJSON
import LoopbackHTTP

enum Discovery {
    private static let signingAlgorithms: JSON = [
        "PS384", "RS384", "EdDSA", "ES384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512",
    ]
    private static let asymmetricAlgorithms: JSON = [
        "PS384", "RS384", "EdDSA", "ES384", "ES256", "RS256", "ES512", "PS256", "PS512", "RS512",
    ]
    private static let encryptionAlgorithms: JSON = [
        "ECDH-ES+A256KW", "ECDH-ES+A192KW", "ECDH-ES+A128KW", "RSA-OAEP", "RSA-OAEP-256", "RSA1_5", "ECDH-ES",
    ]
    private static let encryptionEncodings: JSON = [
        "A256GCM", "A192GCM", "A128GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512",
    ]
    private static let authMethods: JSON = [
        "private_key_jwt", "client_secret_basic", "client_secret_post", "tls_client_auth", "client_secret_jwt",
    ]

    static func openIDConfiguration(realm: Realm, baseURL: String, features: FeatureSet) -> ServerResponse {
        let issuer = TokenIssuer.issuer(baseURL: baseURL, realm: realm.name)
        let oidc = issuer + "/protocol/openid-connect"
        var signingWithNone = signingAlgorithms.arrayValue ?? []
        signingWithNone.append("none")
        var grants: [JSON] = [
            "authorization_code", "client_credentials", "implicit", "password", "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ]
        if TokenEndpoint.supportedGrants(features).contains(GrantType.tokenExchange) {
            grants.append(.string(GrantType.tokenExchange))
        }
        grants += ["urn:ietf:params:oauth:grant-type:uma-ticket", "urn:openid:params:grant-type:ciba"]
        // The realm's OIDC scopes published in metadata, plus `openid`, sorted as recorded.
        var scopes = realm.clientScopes.filter {
            $0.loginProtocol == "openid-connect" && $0.attributes["include.in.openid.provider.metadata"]?.stringValue != "false"
        }.map(\.name)
        scopes.append("openid")
        let endpoints: [(String, String)] = [
            ("token_endpoint", oidc + "/token"), ("revocation_endpoint", oidc + "/revoke"),
            ("introspection_endpoint", oidc + "/token/introspect"),
            ("device_authorization_endpoint", oidc + "/auth/device"),
            ("registration_endpoint", issuer + "/clients-registrations/openid-connect"),
            ("userinfo_endpoint", oidc + "/userinfo"),
            ("pushed_authorization_request_endpoint", oidc + "/ext/par/request"),
            ("backchannel_authentication_endpoint", oidc + "/ext/ciba/auth"),
        ]
        let body = JSONObject([
            ("issuer", .string(issuer)),
            ("authorization_endpoint", .string(oidc + "/auth")),
            ("token_endpoint", .string(oidc + "/token")),
            ("introspection_endpoint", .string(oidc + "/token/introspect")),
            ("userinfo_endpoint", .string(oidc + "/userinfo")),
            ("end_session_endpoint", .string(oidc + "/logout")),
            ("frontchannel_logout_session_supported", true),
            ("frontchannel_logout_supported", true),
            ("jwks_uri", .string(oidc + "/certs")),
            ("check_session_iframe", .string(oidc + "/login-status-iframe.html")),
            ("grant_types_supported", .array(grants)),
            ("acr_values_supported", ["0", "1"]),
            (
                "response_types_supported",
                [
                    "code", "none", "id_token", "token", "id_token token", "code id_token", "code token", "code id_token token",
                ]
            ),
            ("subject_types_supported", ["public", "pairwise"]),
            ("prompt_values_supported", ["none", "login", "consent"]),
            ("id_token_signing_alg_values_supported", signingAlgorithms),
            ("id_token_encryption_alg_values_supported", encryptionAlgorithms),
            ("id_token_encryption_enc_values_supported", encryptionEncodings),
            ("userinfo_signing_alg_values_supported", .array(signingWithNone)),
            ("userinfo_encryption_alg_values_supported", encryptionAlgorithms),
            ("userinfo_encryption_enc_values_supported", encryptionEncodings),
            ("request_object_signing_alg_values_supported", .array(signingWithNone)),
            ("request_object_encryption_alg_values_supported", encryptionAlgorithms),
            ("request_object_encryption_enc_values_supported", encryptionEncodings),
            (
                "response_modes_supported",
                ["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"]
            ),
            ("registration_endpoint", .string(issuer + "/clients-registrations/openid-connect")),
            ("token_endpoint_auth_methods_supported", authMethods),
            ("token_endpoint_auth_signing_alg_values_supported", signingAlgorithms),
            ("introspection_endpoint_auth_methods_supported", authMethods),
            ("introspection_endpoint_auth_signing_alg_values_supported", signingAlgorithms),
            ("authorization_signing_alg_values_supported", signingAlgorithms),
            ("authorization_encryption_alg_values_supported", encryptionAlgorithms),
            ("authorization_encryption_enc_values_supported", encryptionEncodings),
            (
                "claims_supported",
                [
                    "iss", "sub", "aud", "exp", "iat", "auth_time", "name", "given_name", "family_name", "preferred_username",
                    "email", "acr", "azp", "nonce",
                ]
            ),
            ("claim_types_supported", ["normal"]),
            ("claims_parameter_supported", true),
            ("scopes_supported", .array(Array(Set(scopes)).sorted().map(JSON.string))),
            ("request_parameter_supported", true),
            ("request_uri_parameter_supported", true),
            ("require_request_uri_registration", true),
            ("code_challenge_methods_supported", ["plain", "S256"]),
            ("tls_client_certificate_bound_access_tokens", true),
            ("dpop_signing_alg_values_supported", asymmetricAlgorithms),
            ("revocation_endpoint", .string(oidc + "/revoke")),
            ("revocation_endpoint_auth_methods_supported", authMethods),
            ("revocation_endpoint_auth_signing_alg_values_supported", signingAlgorithms),
            ("backchannel_logout_supported", true),
            ("backchannel_logout_session_supported", true),
            ("device_authorization_endpoint", .string(oidc + "/auth/device")),
            ("backchannel_token_delivery_modes_supported", ["poll", "ping"]),
            ("backchannel_authentication_endpoint", .string(oidc + "/ext/ciba/auth")),
            ("backchannel_authentication_request_signing_alg_values_supported", asymmetricAlgorithms),
            ("require_pushed_authorization_requests", false),
            ("pushed_authorization_request_endpoint", .string(oidc + "/ext/par/request")),
            ("mtls_endpoint_aliases", .object(JSONObject(endpoints.map { ($0.0, JSON.string($0.1)) }))),
            ("authorization_response_iss_parameter_supported", true),
        ])
        return OIDCResponse.json(200, body, cacheControl: "no-cache, must-revalidate, no-transform, no-store")
    }

    static func certs(realmName: String, keys: RealmKeyring) -> ServerResponse {
        let published = keys.publishedKeys(realm: realmName).map { JSON.object($0.jwk) }
        return OIDCResponse.json(200, JSONObject([("keys", .array(published))]))
    }
}
