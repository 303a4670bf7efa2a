// The secret-bearing members of Keycloak's representations, found by reading them, are hidden
// wherever kcx shows a body (-v, dry runs, error bodies); switches and public keys stay visible.
import KcxJSON
import KeycloakKit
import Testing

@Suite struct RedactionJSONTests {
    @Test func everySecretOfKeycloaksRepresentationsIsHidden() throws {
        let client: JSON = [
            "clientId": "svc", "secret": "s1", "registrationAccessToken": "r1",
            "attributes": [
                "client.secret.rotated": "s0", "saml.signing.private.key": "MIIk", "saml.encryption.private.key": "MIIe",
                "saml.signing.certificate": "MIIc", "client_credentials.use_refresh_token": "false",
            ],
        ]
        #expect(
            Redaction.json(client) == [
                "clientId": "svc", "secret": "<redacted>", "registrationAccessToken": "<redacted>",
                "attributes": [
                    "client.secret.rotated": "<redacted>", "saml.signing.private.key": "<redacted>",
                    "saml.encryption.private.key": "<redacted>",
                    "saml.signing.certificate": "MIIc", "client_credentials.use_refresh_token": "false",
                ],
            ])
        let realm: JSON = [
            "realm": "r", "revokeRefreshToken": true, "passwordPolicy": "length(8)",
            "smtpServer": ["host": "mail", "password": "p", "authTokenClientSecret": "t", "authTokenClientId": "c"],
        ]
        #expect(
            Redaction.json(realm) == [
                "realm": "r", "revokeRefreshToken": true, "passwordPolicy": "length(8)",
                "smtpServer": [
                    "host": "mail", "password": "<redacted>", "authTokenClientSecret": "<redacted>", "authTokenClientId": "c",
                ],
            ])
        let keyProvider: JSON = [
            "providerId": "java-keystore",
            "config": [
                "keystore": ["/k.jks"], "keystorePassword": ["kp"], "keyPassword": ["p"], "privateKey": ["MII"], "secret": ["h"],
                "priority": ["100"],
            ],
        ]
        #expect(
            Redaction.json(keyProvider) == [
                "providerId": "java-keystore",
                "config": [
                    "keystore": ["/k.jks"], "keystorePassword": "<redacted>", "keyPassword": "<redacted>",
                    "privateKey": "<redacted>",
                    "secret": "<redacted>", "priority": ["100"],
                ],
            ])
        let identityProvider: JSON = ["alias": "g", "config": ["clientId": "c", "clientSecret": "cs", "bindCredential": "b"]]
        #expect(
            Redaction.json(identityProvider) == [
                "alias": "g", "config": ["clientId": "c", "clientSecret": "<redacted>", "bindCredential": "<redacted>"],
            ])
        let user: JSON = [
            "username": "u",
            "credentials": [
                ["type": "password", "value": "pw", "temporary": false], ["type": "otp", "value": "123456"],
                ["type": "password", "secretData": "{\"value\":\"h\"}", "credentialData": "{}", "hashedSaltedValue": "x"],
            ],
        ]
        #expect(
            Redaction.json(user) == [
                "username": "u",
                "credentials": [
                    ["type": "password", "value": "<redacted>", "temporary": false], ["type": "otp", "value": "<redacted>"],
                    ["type": "password", "secretData": "<redacted>", "credentialData": "{}", "hashedSaltedValue": "<redacted>"],
                ],
            ])
    }

    @Test func formsAndURLsUseTheSameNames() {
        #expect(
            Redaction.formBody("grant_type=password&password=p&code_verifier=v&client_id=c")
                == "grant_type=password&password=<redacted>&code_verifier=<redacted>&client_id=c")
        #expect(Redaction.url("https://kc/cb?code=abc&state=s") == "https://kc/cb?code=<redacted>&state=s")
    }
}
