// Signed-JWT client login at the redaction and sandbox boundaries: the keystore's passwords and the
// client assertion never reach output, -v traces or the config file; and the sandbox, like
// Keycloak's client-jwt authenticator, refuses an assertion that is replayed, expired, for another
// audience, signed by another key, unsigned, or replaced by a secret.
import Foundation
import KcxJSON
import Testing

@Suite struct KeystoreAttackTests {
    /// An RS256 assertion signed with `key` by the openssl CLI (not kcx's code), with `claims`.
    static func assertion(_ claims: JSON, key: URL, alg: String = "RS256") throws -> String {
        func b64url(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let header: JSON = ["alg": .string(alg), "typ": "JWT"]
        let input = b64url(Data(header.serialized().utf8)) + "." + b64url(Data(claims.serialized().utf8))
        if alg == "none" { return input + "." }
        let file = key.deletingLastPathComponent().appendingPathComponent("input-\(UUID().uuidString)")
        try Data(input.utf8).write(to: file)
        let signature = try runProcess(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "openssl dgst -sha256 -sign '\(key.path)' '\(file.path)' | base64 -w0"],
            environment: ProcessInfo.processInfo.environment)
        return input + "." + b64url(Data(base64Encoded: signature.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!)
    }

    @Test func replayedExpiredOrForeignAssertionIsRefused() throws {
        let keycloak = TestKeycloak.shared
        guard !keycloak.isReal else { return }
        let realm = try keycloak.createRealm("jwt")
        let env = try KcxEnvironment()
        let keys = try TestKeystore(in: env.home, name: "robot", alias: "robot", storePassword: "pw")
        let other = try TestKeystore(in: env.home, name: "other", alias: "robot", storePassword: "pw")
        _ = try keycloak.signedJWTClient("robot", realm: realm, certificate: keys.certificateBase64)
        let now = try #require(keycloak.request("GET", "/_sandbox/clock").json?["now"]?.doubleValue).rounded(.down)
        let issuer = keycloak.baseURL + "/realms/" + realm
        func claims(aud: String = issuer, iat: Double = now, exp: Double = now + 600, jti: String = UUID().uuidString) -> JSON {
            [
                "jti": .string(jti), "iss": "robot", "sub": "robot", "aud": .string(aud), "iat": .int(Int64(iat)),
                "nbf": .int(Int64(iat)), "exp": .int(Int64(exp)),
            ]
        }
        func token(_ fields: [(String, String)]) throws -> TestKeycloak.HTTPResult {
            let body = fields.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
            return try keycloak.request(
                "POST", "/realms/\(realm)/protocol/openid-connect/token", body: Data(body.utf8),
                contentType: "application/x-www-form-urlencoded")
        }
        func signedIn(_ assertion: String) throws -> TestKeycloak.HTTPResult {
            try token([
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ])
        }
        func refused(_ result: TestKeycloak.HTTPResult, _ description: String, sourceLocation: SourceLocation = #_sourceLocation)
        {
            #expect(result.status == 400, "\(result.text)", sourceLocation: sourceLocation)
            #expect(
                result.json == ["error": "invalid_client", "error_description": .string(description)],
                sourceLocation: sourceLocation)
        }

        let genuine = try Self.assertion(claims(), key: keys.keyPEM)
        let first = try signedIn(genuine)
        #expect(first.status == 200, "\(first.text)")
        #expect(first.json?["access_token"]?.stringValue != nil)
        refused(try signedIn(genuine), "Token reuse detected")
        refused(try signedIn(try Self.assertion(claims(iat: now - 200, exp: now - 100), key: keys.keyPEM)), "Token is not active")
        refused(
            try signedIn(try Self.assertion(claims(iat: now - 120, exp: now + 600), key: keys.keyPEM)),
            "Token was issued too far in the past to be used now")
        refused(
            try signedIn(try Self.assertion(claims(aud: "https://elsewhere.example/realms/\(realm)"), key: keys.keyPEM)),
            "Invalid token audience")
        refused(
            try signedIn(try Self.assertion(claims(), key: other.keyPEM)),
            "Client authentication with signed JWT failed: Signature on JWT token failed validation")
        refused(
            try signedIn(try Self.assertion(claims(), key: keys.keyPEM, alg: "none")),
            "Client authentication with signed JWT failed: Signature on JWT token failed validation")
        refused(
            try token([("grant_type", "client_credentials"), ("client_id", "robot"), ("client_secret", "guess")]),
            "Parameter client_assertion_type is missing")
        // The token endpoint's path as audience is accepted too (JWTClientValidator's list).
        let tokenURL = try signedIn(try Self.assertion(claims(aud: issuer + "/protocol/openid-connect/token"), key: keys.keyPEM))
        #expect(tokenURL.status == 200, "\(tokenURL.text)")
    }

    @Test func keystorePasswordsAndAssertionNeverAppearInOutputTracesOrConfig() throws {
        let keycloak = TestKeycloak.shared
        let realm = try keycloak.createRealm("jwt")
        var env = try KcxEnvironment()
        let storePassword = "store-\(UUID().uuidString)"
        let keys = try TestKeystore(in: env.home, name: "robot", alias: "robot", storePassword: storePassword)
        _ = try keycloak.signedJWTClient("robot", realm: realm, certificate: keys.certificateBase64)
        env.extra["KC_CLI_KEY_PASSWORD"] = storePassword
        let login = try env.kcx([
            "config", "credentials", "-v", "--server", keycloak.baseURL, "--realm", realm, "--client", "robot", "--keystore",
            keys.keystore.path,
            "--storepass", storePassword,
        ])
        #expect(login.status == 0, "\(login)")
        #expect(
            login.stderr.contains(
                "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=<redacted>"
            ), "\(login)")
        let oneShot = try env.kcx([
            "get", "clients", "-v", "-r", realm, "--no-config", "--server", keycloak.baseURL, "--realm", realm, "--client",
            "robot",
            "--keystore", keys.keystore.path, "--storepass", storePassword, "--keypass", storePassword,
        ])
        #expect(oneShot.status == 0, "\(oneShot)")
        let config = try String(contentsOf: env.configFile, encoding: .utf8)
        for (label, text) in [
            ("login", login.stdout + login.stderr), ("one-shot", oneShot.stdout + oneShot.stderr), ("config", config),
        ] {
            #expect(!text.contains(storePassword), "\(label) shows the keystore password")
            // An assertion is three base64url parts starting with the header {"alg":"RS256","typ":"JWT"}.
            #expect(!text.contains("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."), "\(label) shows a client assertion")
        }
        #expect(config.contains("\"keyPasswordSource\""))
    }
}
