// The verified-token cache behind admin authorization: only the signature check is reused; expiry,
// revocation, session, user and key checks still decide every request.
import Foundation
import KcxJSON
import Testing

@testable import KeycloakSandbox

@Suite struct TokenVerificationCacheTests {
    let fixture: OIDCFixture

    init() {
        fixture = OIDCFixture()
        fixture.addClient(["clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true])
        fixture.addUser("alice")
    }

    private func login() -> (access: String, refresh: String) {
        let body = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret")
        return (body["access_token"]!.stringValue!, body["refresh_token"]!.stringValue!)
    }

    private func verify(_ token: String) -> Result<VerifiedToken, TokenRejection> {
        AccessTokenVerifier.verify(token, context: fixture.context)
    }

    /// Why `token` is refused now; nil when it is accepted.
    private func rejection(_ token: String, expectedRealm: String? = nil) -> TokenRejection? {
        if case .failure(let reason) = AccessTokenVerifier.verify(token, context: fixture.context, expectedRealm: expectedRealm) {
            return reason
        }
        return nil
    }

    @Test func secondVerificationIsAnsweredFromTheCacheWithTheSameResult() throws {
        let (access, _) = login()
        #expect(fixture.context.keys.cachedVerificationCount == 0)
        let first = try verify(access).get()
        #expect(fixture.context.keys.cachedVerificationCount == 1)
        let second = try verify(access).get()
        #expect(fixture.context.keys.cachedVerificationCount == 1)
        #expect(second.claims == first.claims)
        #expect(second.userId == first.userId)
        #expect(second.sessionId == first.sessionId)
        #expect(second.realmName == "demo")
        #expect(second.clientId == "app")
    }

    @Test func cachedTokenStillExpires() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        let exp = try #require(jwtClaims(access)["exp"]?.intValue)
        fixture.advance(Double(exp) - fixture.now + 1)
        #expect(rejection(access) == .expired)
    }

    @Test func cachedTokenFailsOnceItsSessionIsLoggedOut() throws {
        let (access, refresh) = login()
        _ = try verify(access).get()
        let logout = fixture.request(
            "POST", "/realms/demo/protocol/openid-connect/logout",
            form: [("client_id", "app"), ("client_secret", "app-secret"), ("refresh_token", refresh)])
        #expect(logout.status == 204)
        #expect(rejection(access) == .sessionNotActive)
    }

    @Test func cachedTokenFailsOnceRevoked() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        let revoke = fixture.request(
            "POST", "/realms/demo/protocol/openid-connect/revoke",
            form: [("client_id", "app"), ("client_secret", "app-secret"), ("token", access)])
        #expect(revoke.status == 200)
        #expect(rejection(access) == .revoked)
    }

    @Test func cachedTokenFailsOnceItsUserIsDisabled() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        fixture.updateRealm { realm in realm.users[realm.users.firstIndex { $0.username == "alice" }!].enabled = false }
        #expect(rejection(access) == .userDisabled)
    }

    // A deleted realm's key is forgotten: the cached entry no longer counts and nothing verifies the token.
    @Test func cachedTokenFailsOnceItsRealmKeyIsGone() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        fixture.context.keys.removeRealm("demo")
        #expect(fixture.context.keys.cachedVerification(of: access) == nil)
        #expect(rejection(access) == .badSignature)
    }

    // Restored keys (a --state load) replace the key objects; a token of the old key is verified afresh.
    @Test func restoringKeysEmptiesTheCache() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        let saved = fixture.context.keys.snapshot()
        try fixture.context.keys.restore(saved)
        #expect(fixture.context.keys.cachedVerificationCount == 0)
        // Same key material restored: the token verifies again and is cached again.
        _ = try verify(access).get()
        #expect(fixture.context.keys.cachedVerificationCount == 1)
    }

    @Test func tamperedTokenIsNotTakenFromTheCache() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        var tampered = Array(access)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        #expect(rejection(String(tampered)) == .badSignature)
        #expect(fixture.context.keys.cachedVerificationCount == 1)
    }

    // userinfo names the realm in its path: a cached token of another realm is still refused.
    @Test func cachedTokenOfAnotherRealmIsRefusedWhereARealmIsExpected() throws {
        let (access, _) = login()
        _ = try verify(access).get()
        #expect(rejection(access, expectedRealm: "master") == .badSignature)
        #expect(rejection(access, expectedRealm: "demo") == nil)
        #expect(SandboxJWT.verifiedClaims(access, realm: "master", keys: fixture.context.keys) == nil)
        #expect(SandboxJWT.verifiedClaims(access, realm: "demo", keys: fixture.context.keys)?["azp"] == "app")
    }

    @Test func cacheIsBoundedByDroppingEverythingWhenFull() {
        let keyring = RealmKeyring()
        let key = keyring.signingKey(realm: "demo")
        for index in 0..<RealmKeyring.verificationCacheLimit {
            keyring.rememberVerification(of: "token-\(index)", realm: "demo", key: key, claims: JSONObject())
        }
        #expect(keyring.cachedVerificationCount == RealmKeyring.verificationCacheLimit)
        keyring.rememberVerification(of: "one-more", realm: "demo", key: key, claims: JSONObject())
        #expect(keyring.cachedVerificationCount == 1)
        #expect(keyring.cachedVerification(of: "one-more")?.realm == "demo")
        #expect(keyring.cachedVerification(of: "token-0") == nil)
    }

    // The byte-level decoder agrees with Foundation's on every length, both alphabets' special
    // characters and non-canonical trailing bits (which both ignore).
    @Test func base64URLDecodingMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let standard = Data(bytes).base64EncodedString()
            let url = String(standard.filter { $0 != "=" }.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
            #expect(Base64URL.decode(url) == bytes)
        }
        #expect(Base64URL.decode("QR") == [0x41])
        #expect(Base64URL.decode("QR") == [UInt8](Data(base64Encoded: "QR==")!))
        #expect(Base64URL.decode("QUJD") == Array("ABC".utf8))
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("QUJDR") == nil)
        #expect(Base64URL.decode("QU D") == nil)
        #expect(Base64URL.decode("QUé=") == nil)
    }
}
