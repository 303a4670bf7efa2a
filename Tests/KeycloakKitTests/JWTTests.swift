// JWT decoding and RS256 verification against a JWKS: happy path, each check, and hostile input.
import CCrypto
import KcxJSON
import Testing

@testable import KeycloakKit

/// A throw-away RS256 signer for the tests (libcrypto directly, independent of the code under test).
private final class TestSigner: @unchecked Sendable {
    let key: OpaquePointer
    let kid: String

    init(kid: String) {
        key = kcx_rsa_generate(2048)!
        self.kid = kid
    }

    deinit { EVP_PKEY_free(key) }

    func jwk(use: String = "sig", alg: String = "RS256") -> JSON {
        ["kid": .string(kid), "kty": "RSA", "alg": .string(alg), "use": .string(use),
         "n": .string(b64(param("n"))), "e": .string(b64(param("e")))]
    }

    func token(_ claims: JSON, header: JSON? = nil) -> String {
        let head = header ?? ["alg": "RS256", "typ": "JWT", "kid": .string(kid)]
        let input = b64(head.serializedBytes()) + "." + b64(claims.serializedBytes())
        var signature = [UInt8](repeating: 0, count: 512)
        let bytes = Array(input.utf8)
        let length = kcx_rs256_sign(key, bytes, bytes.count, &signature, signature.count)
        return input + "." + b64(Array(signature[0..<Int(length)]))
    }

    private func param(_ name: String) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 600)
        let length = kcx_rsa_param(key, name, &buffer, Int32(buffer.count))
        return Array(buffer[0..<Int(length)])
    }
}

private func b64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    var out = ""
    var index = 0
    while index < bytes.count {
        let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
        for position in 0...chunk.count { out.append(alphabet[Int((value >> UInt32(18 - 6 * position)) & 63)]) }
        index += 3
    }
    return out
}

private let signer = TestSigner(kid: "key-1")
private let otherSigner = TestSigner(kid: "key-2")
private let issuer = "http://127.0.0.1:8080/realms/demo"

private func jwks(_ keys: JSON...) throws -> JWKS { try JWKS(["keys": .array(keys)]) }

@Suite struct JWTTests {
    let claims: JSON = ["exp": 1_000_300, "iat": 1_000_000, "iss": .string(issuer), "aud": ["account", "api"], "azp": "cli"]

    @Test func decodeReturnsHeaderAndClaimsInOrder() throws {
        let jwt = try JWT.decode(signer.token(claims))
        #expect(jwt.header.keys == ["alg", "typ", "kid"])
        #expect(jwt.keyID == "key-1")
        #expect(jwt.claims.keys == ["exp", "iat", "iss", "aud", "azp"])
        #expect(jwt.audiences == ["account", "api"])
        #expect(jwt.issuer == issuer)
        #expect(jwt.expiresAt == 1_000_300)
    }

    // A single audience is a JSON string in Keycloak's tokens (token-exchange.md §4.2).
    @Test func stringAudienceIsOneAudience() throws {
        #expect(try JWT.decode(signer.token(["aud": "api"])).audiences == ["api"])
        #expect(try JWT.decode(signer.token(["sub": "x"])).audiences == [])
    }

    @Test func verifiesWithTheKeyNamedByKid() throws {
        // The encryption key comes first, as a decoy: only `use:sig` RS256 keys sign.
        let set = try jwks(otherSigner.jwk(use: "enc", alg: "RSA-OAEP"), otherSigner.jwk(), signer.jwk())
        let jwt = try JWT.verify(
            signer.token(claims), jwks: set, expectations: JWTExpectations(issuer: issuer, audience: "api", now: 1_000_100))
        #expect(jwt.claims["azp"] == "cli")
    }

    @Test func eachCheckFailsWithItsOwnError() throws {
        let set = try jwks(signer.jwk())
        let token = signer.token(claims)
        func failure(_ token: String, _ expectations: JWTExpectations, in set: JWKS) -> JWTError? {
            do {
                _ = try JWT.verify(token, jwks: set, expectations: expectations)
                return nil
            } catch { return error }
        }
        #expect(failure(token, JWTExpectations(now: 1_000_311), in: set) == .expired(expiresAt: 1_000_300, now: 1_000_311))
        // Inside the 10 s leeway.
        #expect(failure(token, JWTExpectations(now: 1_000_310), in: set) == nil)
        #expect(
            failure(token, JWTExpectations(issuer: "http://x/realms/other", now: 1_000_000), in: set)
                == .wrongIssuer(expected: "http://x/realms/other", actual: issuer))
        #expect(
            failure(token, JWTExpectations(audience: "billing", now: 1_000_000), in: set)
                == .wrongAudience(expected: "billing", actual: ["account", "api"]))
        #expect(failure(otherSigner.token(claims), JWTExpectations(now: 1_000_000), in: set) == .unknownKey(kid: "key-2"))
        // Right kid, wrong key material: a forged signature.
        let forged = otherSigner.token(claims, header: ["alg": "RS256", "kid": "key-1"])
        #expect(failure(forged, JWTExpectations(now: 1_000_000), in: set) == .badSignature)
        let none = signer.token(claims, header: ["alg": "none", "kid": "key-1"])
        #expect(failure(none, JWTExpectations(now: 1_000_000), in: set) == .unsupportedAlgorithm("none"))
        let notBefore = signer.token(["nbf": 2_000_000])
        #expect(failure(notBefore, JWTExpectations(now: 1_000_000), in: set) == .notYetValid(notBefore: 2_000_000, now: 1_000_000))
        // Payload swapped after signing.
        let parts = token.split(separator: ".")
        let swapped = parts[0] + "." + b64((["exp": 9_999_999] as JSON).serializedBytes()) + "." + parts[2]
        #expect(failure(String(swapped), JWTExpectations(now: 1_000_000), in: set) == .badSignature)
    }

    @Test func tokenWithoutKidNeedsASingleSigningKey() throws {
        let token = signer.token(claims, header: ["alg": "RS256"])
        #expect(try JWT.verify(token, jwks: jwks(signer.jwk()), expectations: JWTExpectations(now: 1_000_000)).claims["azp"] == "cli")
        #expect(throws: JWTError.unknownKey(kid: nil)) {
            try JWT.verify(token, jwks: jwks(signer.jwk(), otherSigner.jwk()), expectations: JWTExpectations(now: 1_000_000))
        }
    }

    @Test func malformedTokensGiveClearErrors() {
        let cases: [(String, JWTError)] = [
            ("", .malformed("expected three dot-separated parts, found 1")),
            ("abc", .malformed("expected three dot-separated parts, found 1")),
            ("a.b", .malformed("expected three dot-separated parts, found 2")),
            ("a.b.c.d", .malformed("expected three dot-separated parts, found 4")),
            ("e30=.e30.e30", .malformed("header is not base64url")),
            ("e30.e30.a+b", .malformed("signature is not base64url")),
            ("eyJ.e30.e30", .malformed("header is not JSON")),
            ("W10.e30.e30", .malformed("header is not a JSON object")),
            ("e30.bnVsbA.e30", .malformed("payload is not a JSON object")),
            ("e30.e30.a", .malformed("signature is not base64url")),
        ]
        for (token, expected) in cases {
            #expect(throws: expected, "\(token)") { try JWT.decode(token) }
        }
    }

    // Fuzz-ish: every prefix of a real token and byte-level garbage must fail cleanly, never crash.
    @Test func truncatedAndGarbageInputNeverCrashes() throws {
        let set = try jwks(signer.jwk())
        let token = signer.token(claims)
        var rejected = 0
        for length in 0..<token.count {
            if (try? JWT.verify(String(token.prefix(length)), jwks: set, expectations: JWTExpectations(now: 1_000_000))) == nil {
                rejected += 1
            }
        }
        #expect(rejected == token.count)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let garbage = String(decoding: (0..<Int.random(in: 0..<80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self)
            #expect((try? JWT.verify(garbage + "." + garbage + "." + garbage, jwks: set, expectations: JWTExpectations(now: 0))) == nil)
        }
    }

    @Test func invalidJWKSDocumentsAreRejected() {
        #expect(throws: JWTError.invalidJWKS("no \"keys\" array")) { try JWKS(["keys": "x"]) }
        #expect(throws: JWTError.invalidJWKS("RSA key k lacks a valid n or e")) {
            try JWKS(["keys": [["kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"]]])
        }
        // Non-RSA keys are skipped, not fatal.
        #expect((try? JWKS(["keys": [["kty": "EC", "kid": "k"]]])) != nil)
    }

    @Test func errorMessagesReadAsSentences() {
        #expect(JWTError.expired(expiresAt: 5, now: 9).description == "token expired at 5 (now 9)")
        #expect(JWTError.wrongAudience(expected: "api", actual: []).description == "token has no audience, expected 'api'")
        #expect(JWTError.unknownKey(kid: "k").description == "no RS256 signing key with kid 'k' in the JWKS")
    }
}
