// The sandbox's keys and RS256 tokens: JWK shape of the certs endpoint, signing, persistence round trip.
import Foundation
import KcxJSON
import Testing

@testable import KeycloakSandbox

@Suite struct JWTSigningTests {
    // token-exchange.md §4.4: {kid,kty,alg,use,x5c,x5t,x5t#S256,n,e}; key order from the 26.7.1
    // recording golden/oidc/certs/master.http.
    @Test func signingJWKHasKeycloaksMembersInOrder() throws {
        let key = try RSAKey.generate(purpose: .signing, realmName: "demo")
        let jwk = key.jwk
        #expect(jwk.keys == ["kid", "kty", "alg", "use", "x5c", "x5t", "x5t#S256", "n", "e"])
        #expect(jwk["kty"] == "RSA")
        #expect(jwk["alg"] == "RS256")
        #expect(jwk["use"] == "sig")
        #expect(jwk["e"] == "AQAB")
        #expect(Base64URL.decode(jwk["n"]?.stringValue ?? "")?.count == 256)
        #expect(jwk["kid"]?.stringValue?.count == 43)
        #expect(jwk["x5c"]?.arrayValue?.count == 1)
        #expect(Base64URL.decode(jwk["x5t"]?.stringValue ?? "")?.count == 20)
        #expect(Base64URL.decode(jwk["x5t#S256"]?.stringValue ?? "")?.count == 32)
    }

    @Test func encryptionKeyIsPublishedAsRSAOAEP() throws {
        let keyring = RealmKeyring()
        let keys = keyring.publishedKeys(realm: "demo")
        #expect(keys.map(\.jwk["alg"]) == ["RS256", "RSA-OAEP"])
        #expect(keys.map(\.jwk["use"]) == ["sig", "enc"])
        #expect(keys[0].kid != keys[1].kid)
        // The same keys come back on the next call: generated once per realm.
        #expect(keyring.signingKey(realm: "demo").kid == keys[0].kid)
        #expect(keyring.signingKey(realm: "other").kid != keys[0].kid)
    }

    @Test func signedTokenVerifiesOnlyWithItsRealmsKey() throws {
        let keyring = RealmKeyring()
        let key = keyring.signingKey(realm: "demo")
        let token = SandboxJWT.sign(JSONObject([("sub", "u1"), ("exp", 100)]), with: key)
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        let header = try JSON.parse(Base64URL.decode(String(parts[0])) ?? [])
        #expect(header == ["alg": "RS256", "typ": "JWT", "kid": .string(key.kid)])
        #expect(header.objectValue?.keys == ["alg", "typ", "kid"])
        #expect(SandboxJWT.verifiedClaims(token, realm: "demo", keys: keyring)?["sub"] == "u1")
        _ = keyring.signingKey(realm: "other")
        #expect(SandboxJWT.verifiedClaims(token, realm: "other", keys: keyring) == nil)
        // One flipped character in the signature breaks it.
        var tampered = Array(token)
        tampered[tampered.count - 5] = tampered[tampered.count - 5] == "A" ? "B" : "A"
        #expect(SandboxJWT.verifiedClaims(String(tampered), realm: "demo", keys: keyring) == nil)
    }

    @Test func malformedTokensDecodeToNil() {
        for garbage in ["", ".", "..", "a.b", "a.b.c.d", "e30.e30.!!!", "e30.eyJ.e30", "W10.e30.e30", "e30.W10.e30"] {
            #expect(SandboxJWT.decode(garbage) == nil, "\(garbage)")
        }
    }

    @Test func keyringSnapshotRestoresTheSameKeys() throws {
        let keyring = RealmKeyring()
        let original = keyring.publishedKeys(realm: "demo").map(\.jwk)
        let token = SandboxJWT.sign(JSONObject([("sub", "u1")]), with: keyring.signingKey(realm: "demo"))
        let saved = try JSON.parse(keyring.snapshot().serialized())
        let restored = RealmKeyring()
        try restored.restore(saved)
        #expect(restored.publishedKeys(realm: "demo").map(\.jwk) == original)
        #expect(SandboxJWT.verifiedClaims(token, realm: "demo", keys: restored)?["sub"] == "u1")
        #expect(throws: CryptoError.self) { try restored.restore(["demo": [["use": "sig", "privateKey": "AAAA"]]]) }
    }

    @Test func base64URLRoundTripsAndRejectsForeignCharacters() {
        for length in 0..<20 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 250) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("ab+c") == nil)
        #expect(Base64URL.decode("ab=") == nil)
    }
}
