// Token life cycle with a scripted token endpoint and a hand-moved clock: login forms and errors,
// refresh shortly before expiry, refresh after a 401, re-login from env or file, and giving up.
import Foundation
import KeycloakKit
import Testing

@Suite("TokenManager")
struct TokenManagerTests {
    let tokenURL = "http://kc/realms/master/protocol/openid-connect/token"
    let clock = TestClock()

    func tokenJSON(_ access: String, _ refresh: String? = nil, expiresIn: Int = 60, refreshExpiresIn: Int = 1800) -> String {
        let refreshPart =
            refresh.map { #","refresh_expires_in":\#(refreshExpiresIn),"refresh_token":"\#($0)""# } ?? #","refresh_expires_in":0"#
        return
            #"{"access_token":"\#(access)","expires_in":\#(expiresIn)\#(refreshPart),"token_type":"Bearer","not-before-policy":0,"scope":"profile email"}"#
    }

    func passwordSession(
        accessExpiresIn: Double = 60, refreshExpiresIn: Double = 1800, source: SecretSource? = .environment("KCX_PASSWORD")
    ) -> StoredSession {
        StoredSession(
            server: "http://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
            passwordSource: source, accessToken: "A1", accessTokenExpiresAt: clock.now.addingTimeInterval(accessExpiresIn),
            refreshToken: "R1", refreshTokenExpiresAt: clock.now.addingTimeInterval(refreshExpiresIn))
    }

    func manager(
        _ session: StoredSession, _ transport: HTTPTransport, environment: [String: String] = ["KCX_PASSWORD": "p@ss w"],
        saved: SavedSessions? = nil
    ) -> TokenManager {
        let clock = self.clock
        return TokenManager(
            session: session, transport: transport, environment: environment, now: { clock.now },
            loginHint: "log in again with: kcx config credentials", onChange: { saved?.sessions.append($0) })
    }

    @Test("login: password grant form, expiry from expires_in, refresh expiry from refresh_expires_in")
    func passwordLogin() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=p%40ss%20w", status: 200,
            json: tokenJSON("A1", "R1")
        ) { request in
            #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(request.header("Authorization") == nil)
        }
        let clock = self.clock
        let tokens = try TokenEndpoint.login(
            server: "http://kc/", realm: "master",
            credentials: LoginCredentials(grant: .password, clientId: "admin-cli", username: "admin", password: "p@ss w"),
            transport: transport, now: { clock.now })
        #expect(
            tokens
                == IssuedTokens(
                    accessToken: "A1", accessTokenExpiresAt: clock.now.addingTimeInterval(60), refreshToken: "R1",
                    refreshTokenExpiresAt: clock.now.addingTimeInterval(1800)))
    }

    @Test("login: client credentials send the secret in the form; no refresh token is fine")
    func clientCredentialsLogin() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", "http://kc/realms/apps/protocol/openid-connect/token",
            body: "grant_type=client_credentials&client_id=provisioner&client_secret=s%26cret", status: 200,
            json: tokenJSON("A", nil, expiresIn: 300))
        let clock = self.clock
        let tokens = try TokenEndpoint.login(
            server: "http://kc", realm: "apps",
            credentials: LoginCredentials(grant: .clientCredentials, clientId: "provisioner", clientSecret: "s&cret"),
            transport: transport, now: { clock.now })
        #expect(
            tokens
                == IssuedTokens(
                    accessToken: "A", accessTokenExpiresAt: clock.now.addingTimeInterval(300), refreshToken: nil,
                    refreshTokenExpiresAt: nil))
    }

    @Test(
        "login errors: exit code and hint by Keycloak's answer",
        arguments: [
            (
                400, #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#,
                "POST /realms/master/protocol/openid-connect/token: 400 Invalid user credentials (invalid_grant)",
                ExitCode.authentication,
                "check the user name and password" as String?
            ),
            (
                401, #"{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}"#,
                "POST /realms/master/protocol/openid-connect/token: 401 Invalid client or Invalid client credentials (invalid_client)",
                .authentication,
                "check the client id 'admin-cli' and its secret"
            ),
            (
                400, #"{"error":"unauthorized_client","error_description":"Client not allowed for direct access grants"}"#,
                "POST /realms/master/protocol/openid-connect/token: 400 Client not allowed for direct access grants (unauthorized_client)",
                .authentication,
                "enable 'Direct access grants' on client 'admin-cli', or log in with a service account (--client ID and a secret)"
            ),
            (
                404, #"{"error":"Realm does not exist"}"#,
                "POST /realms/master/protocol/openid-connect/token: 404 Realm does not exist", .notFound,
                "realm 'master' does not exist: check -r/--target-realm or the realm you logged in to"
            ),
        ])
    func loginErrors(status: Int, body: String, message: String, code: ExitCode, hint: String?) {
        let transport = ScriptedHTTPTransport()
        transport.expect("POST", tokenURL, status: status, json: body)
        let clock = self.clock
        let error = #expect(throws: KcxError.self) {
            try TokenEndpoint.login(
                server: "http://kc", realm: "master",
                credentials: LoginCredentials(grant: .password, clientId: "admin-cli", username: "admin", password: "x"),
                transport: transport, now: { clock.now })
        }
        #expect(error == KcxError(code, message, hint: hint))
    }

    @Test("a token valid for longer than the margin is used without a request")
    func validTokenUsed() throws {
        let transport = ScriptedHTTPTransport()
        #expect(try manager(passwordSession(accessExpiresIn: 11), transport).accessToken() == "A1")
        #expect(transport.received.isEmpty)
    }

    @Test("a token about to expire is refreshed first, and the new session is stored")
    func refreshBeforeExpiry() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=refresh_token&refresh_token=R1&client_id=admin-cli", status: 200,
            json: tokenJSON("A2", "R2"))
        let saved = SavedSessions()
        let tokens = manager(passwordSession(accessExpiresIn: 60), transport, saved: saved)
        clock.advance(51)  // 9 s left: inside the 10 s margin
        #expect(try tokens.accessToken() == "A2")
        var expected = passwordSession(accessExpiresIn: 60)
        expected.accessToken = "A2"
        expected.accessTokenExpiresAt = clock.now.addingTimeInterval(60)
        expected.refreshToken = "R2"
        expected.refreshTokenExpiresAt = clock.now.addingTimeInterval(1800)
        #expect(saved.sessions == [expected])
        // Now fresh: no further request.
        #expect(try tokens.accessToken() == "A2")
        #expect(transport.remaining == 0)
    }

    @Test("a refused refresh falls back to a login from the recorded environment variable")
    func refreshRefusedThenRelogin() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=refresh_token&refresh_token=R1&client_id=admin-cli", status: 400,
            json: #"{"error":"invalid_grant","error_description":"Session not active"}"#)
        transport.expect(
            "POST", tokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=p%40ss%20w", status: 200,
            json: tokenJSON("A3", "R3"))
        let saved = SavedSessions()
        let tokens = manager(passwordSession(accessExpiresIn: 5), transport, saved: saved)
        #expect(try tokens.accessToken() == "A3")
        #expect(saved.sessions.map(\.refreshToken) == ["R3"])
        #expect(transport.remaining == 0)
    }

    @Test("an expired refresh token is not sent; kcx logs in again from the recorded file")
    func expiredRefreshRelogsFromFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "from-file\n".write(toFile: directory + "/pw", atomically: false, encoding: .utf8)
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=from-file", status: 200,
            json: tokenJSON("A4", "R4"))
        let tokens = manager(
            passwordSession(accessExpiresIn: 60, refreshExpiresIn: 1800, source: .file(directory + "/pw")), transport,
            environment: [:])
        clock.advance(1800)
        #expect(try tokens.accessToken() == "A4")
        #expect(transport.remaining == 0)
    }

    @Test("without a refresh token or a source to log in from, the session has expired: exit 4 with the hint")
    func expiredWithoutSource() {
        let transport = ScriptedHTTPTransport()
        let tokens = manager(passwordSession(source: nil), transport)
        clock.advance(1800)
        let error = #expect(throws: KcxError.self) { try tokens.accessToken() }
        #expect(
            error
                == KcxError(
                    .authentication, "the session for user admin at http://kc realm master has expired",
                    hint: "log in again with: kcx config credentials"))
        #expect(transport.received.isEmpty)
    }

    @Test("a recorded source that is gone: exit 4 naming it, with the login hint")
    func sourceGone() {
        let transport = ScriptedHTTPTransport()
        let tokens = manager(passwordSession(), transport, environment: [:])
        clock.advance(1800)
        let error = #expect(throws: KcxError.self) { try tokens.accessToken() }
        #expect(
            error
                == KcxError(
                    .authentication,
                    "the session at http://kc realm master has expired and kcx cannot log in again: environment variable KCX_PASSWORD is not set",
                    hint: "log in again with: kcx config credentials"))
        #expect(transport.received.isEmpty)
    }

    @Test("client credentials without refresh tokens log in again with the secret from the environment")
    func clientCredentialsRelogin() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=client_credentials&client_id=prov&client_secret=S", status: 200,
            json: tokenJSON("C2"))
        let session = StoredSession(
            server: "http://kc", realm: "master", clientId: "prov", grant: .clientCredentials,
            clientSecretSource: .environment("KCX_CLIENT_SECRET"),
            accessToken: "C1", accessTokenExpiresAt: clock.now.addingTimeInterval(300))
        let tokens = manager(session, transport, environment: ["KCX_CLIENT_SECRET": "S"])
        clock.advance(295)
        #expect(try tokens.accessToken() == "C2")
        #expect(transport.remaining == 0)
    }

    @Test("after a 401 the token is renewed even though it looked valid; with no means to renew, nil")
    func renewAfterRejection() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", tokenURL, body: "grant_type=refresh_token&refresh_token=R1&client_id=admin-cli", status: 200,
            json: tokenJSON("A5", "R5"))
        #expect(try manager(passwordSession(), transport).renewAfterRejection(of: "A1") == "A5")
        #expect(transport.remaining == 0)

        var noRefresh = passwordSession(source: nil)
        noRefresh.refreshToken = nil
        #expect(try manager(noRefresh, transport).renewAfterRejection(of: "A1") == nil)
        #expect(transport.received.count == 1)
    }

    @Test("logout posts the refresh token to the logout endpoint and forgets the tokens")
    func logout() throws {
        let transport = ScriptedHTTPTransport()
        transport.expect(
            "POST", "http://kc/realms/master/protocol/openid-connect/logout", body: "client_id=admin-cli&refresh_token=R1",
            status: 204)
        let tokens = manager(passwordSession(), transport)
        try tokens.logout()
        #expect(tokens.session.accessToken == nil && tokens.session.refreshToken == nil)
        #expect(transport.remaining == 0)
    }
}

final class SavedSessions {
    var sessions: [StoredSession] = []
}
