// JWT decoding and RS256 verification against a pinned issuer's JWKS: happy path, each check, and hostile
// tokens (another issuer, alg none or HS256, a kid naming the wrong kind of key).
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
        [
            "kid": .string(kid), "kty": "RSA", "alg": .string(alg), "use": .string(use),
            "n": .string(b64(param("n"))), "e": .string(b64(param("e"))),
        ]
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

    private func failure(_ token: String, _ expectations: JWTExpectations, in set: JWKS) -> JWTError? {
        do {
            _ = try JWT.verify(token, jwks: set, expectations: expectations)
            return nil
        } catch { return error }
    }

    @Test func eachCheckFailsWithItsOwnError() throws {
        let set = try jwks(signer.jwk())
        let token = signer.token(claims)
        #expect(
            failure(token, JWTExpectations(issuer: issuer, now: 1_000_311), in: set)
                == .expired(expiresAt: 1_000_300, now: 1_000_311))
        // Inside the 10 s leeway.
        #expect(failure(token, JWTExpectations(issuer: issuer, now: 1_000_310), in: set) == nil)
        #expect(
            failure(token, JWTExpectations(issuer: issuer, audience: "billing", now: 1_000_000), in: set)
                == .wrongAudience(expected: "billing", actual: ["account", "api"]))
        #expect(
            failure(otherSigner.token(claims), JWTExpectations(issuer: issuer, now: 1_000_000), in: set)
                == .unknownKey(kid: "key-2"))
        // Right kid, wrong key material: a forged signature.
        let forged = otherSigner.token(claims, header: ["alg": "RS256", "kid": "key-1"])
        #expect(failure(forged, JWTExpectations(issuer: issuer, now: 1_000_000), in: set) == .badSignature)
        let notBefore = signer.token(["iss": .string(issuer), "nbf": 2_000_000])
        #expect(
            failure(notBefore, JWTExpectations(issuer: issuer, now: 1_000_000), in: set)
                == .notYetValid(notBefore: 2_000_000, now: 1_000_000))
        // Payload swapped after signing.
        let parts = token.split(separator: ".")
        let swapped =
            parts[0] + "." + b64((["iss": .string(issuer), "exp": 9_999_999] as JSON).serializedBytes()) + "." + parts[2]
        #expect(failure(String(swapped), JWTExpectations(issuer: issuer, now: 1_000_000), in: set) == .badSignature)
    }

    // The issuer is the caller's choice: a token signed by a key the JWKS holds, naming another
    // issuer (or this one spelled differently), is refused, before its key is even looked up.
    @Test func issuerMustEqualThePinnedOneExactly() throws {
        let set = try jwks(signer.jwk())
        let expectations = JWTExpectations(issuer: issuer, now: 1_000_000)
        for other in [
            "http://evil.example/realms/demo", issuer + "/", "HTTP://127.0.0.1:8080/realms/demo",
            "http://127.0.0.1:8080/realms/Demo", "",
        ] {
            var forged = claims
            forged["iss"] = .string(other)
            #expect(
                failure(signer.token(forged), expectations, in: set) == .wrongIssuer(expected: issuer, actual: other), "\(other)")
            // An unknown key does not hide the wrong issuer: the issuer is checked first.
            #expect(failure(otherSigner.token(forged), expectations, in: set) == .wrongIssuer(expected: issuer, actual: other))
        }
        #expect(failure(signer.token(["exp": 1_000_300]), expectations, in: set) == .wrongIssuer(expected: issuer, actual: nil))
        #expect(failure(signer.token(["iss": 42]), expectations, in: set) == .wrongIssuer(expected: issuer, actual: nil))
        let jwt = try JWT.decode(signer.token(claims))
        #expect(throws: JWTError.wrongIssuer(expected: "http://x/realms/other", actual: issuer)) {
            try jwt.checkBeforeFetchingKeys(trusting: "http://x/realms/other")
        }
        try jwt.checkBeforeFetchingKeys(trusting: issuer)
    }

    // Only RS256: `none`, HS256 keyed with the public key (key confusion), other RSA or EC
    // algorithms, a missing or non-string alg are refused whatever the signature holds.
    @Test func onlyRS256IsAccepted() throws {
        let set = try jwks(signer.jwk())
        let expectations = JWTExpectations(issuer: issuer, now: 1_000_000)
        let payload = b64(claims.serializedBytes())
        func token(_ header: JSON, signature: [UInt8]) -> String {
            let input = b64(header.serializedBytes()) + "." + payload
            return input + "." + b64(signature)
        }
        let modulus = try #require(JWTBase64URL.decode(Substring(signer.jwk()["n"]?.stringValue ?? "")))
        let hsHeader: JSON = ["alg": "HS256", "kid": "key-1"]
        let hsInput = Array((b64(hsHeader.serializedBytes()) + "." + payload).utf8)
        let confused = token(hsHeader, signature: hmacSHA256(key: modulus, hsInput))
        #expect(failure(confused, expectations, in: set) == .unsupportedAlgorithm("HS256"))
        #expect(
            failure(token(["alg": "none", "kid": "key-1"], signature: []), expectations, in: set) == .unsupportedAlgorithm("none")
        )
        #expect(
            failure(token(["alg": "NONE", "kid": "key-1"], signature: []), expectations, in: set) == .unsupportedAlgorithm("NONE")
        )
        #expect(
            failure(token(["alg": "rs256", "kid": "key-1"], signature: []), expectations, in: set)
                == .unsupportedAlgorithm("rs256"))
        #expect(
            failure(token(["alg": "RS512", "kid": "key-1"], signature: []), expectations, in: set)
                == .unsupportedAlgorithm("RS512"))
        #expect(
            failure(token(["alg": "ES256", "kid": "key-1"], signature: []), expectations, in: set)
                == .unsupportedAlgorithm("ES256"))
        #expect(failure(token(["kid": "key-1"], signature: []), expectations, in: set) == .unsupportedAlgorithm("(missing)"))
        #expect(
            failure(token(["alg": ["RS256"], "kid": "key-1"], signature: []), expectations, in: set)
                == .unsupportedAlgorithm("(not a string)"))
        // The genuine RS256 signature under a header that says none is refused too.
        let genuine = signer.token(claims).split(separator: ".")
        let relabelled = b64((["alg": "none", "kid": "key-1"] as JSON).serializedBytes()) + "." + genuine[1] + "." + genuine[2]
        #expect(failure(relabelled, expectations, in: set) == .unsupportedAlgorithm("none"))
    }

    // kid selects the key, and the key must be an RSA signing key for RS256 when it says so.
    @Test func theKeyNamedByKidMustBeAnRS256SigningKey() throws {
        let expectations = JWTExpectations(issuer: issuer, now: 1_000_000)
        let token = signer.token(claims)
        #expect(
            failure(signer.token(claims, header: ["alg": "RS256"]), expectations, in: try jwks(signer.jwk())) == .missingKeyID)
        #expect(
            failure(signer.token(claims, header: ["alg": "RS256", "kid": 7]), expectations, in: try jwks(signer.jwk()))
                == .missingKeyID)
        #expect(
            failure(token, expectations, in: try jwks(signer.jwk(alg: "RS512")))
                == .unusableKey(kid: "key-1", reason: "it is for alg 'RS512', the token says 'RS256'"))
        #expect(
            failure(token, expectations, in: try jwks(signer.jwk(use: "enc", alg: "RSA-OAEP")))
                == .unusableKey(kid: "key-1", reason: "it is for use 'enc', not sig"))
        #expect(
            failure(token, expectations, in: try jwks(["kty": "EC", "kid": "key-1", "crv": "P-256"]))
                == .unusableKey(kid: "key-1", reason: "its kty is 'EC', not RSA"))
        #expect(
            failure(token, expectations, in: try jwks(["kty": "oct", "kid": "key-1", "k": "c2VjcmV0"]))
                == .unusableKey(kid: "key-1", reason: "its kty is 'oct', not RSA"))
        #expect(failure(token, expectations, in: try jwks(signer.jwk(), signer.jwk())) == .ambiguousKey(kid: "key-1"))
        // A usable key beside an unusable one with the same kid (Keycloak's enc key never shares one, but
        // a JWKS may): the usable one verifies.
        #expect(failure(token, expectations, in: try jwks(signer.jwk(use: "enc", alg: "RSA-OAEP"), signer.jwk())) == nil)
        // A key that states neither use nor alg may sign.
        var bare = signer.jwk()
        bare["use"] = nil
        bare["alg"] = nil
        #expect(failure(token, expectations, in: try jwks(bare)) == nil)
    }

    // Header parameters that point at keys elsewhere are never used; one marked critical is refused.
    @Test func keyLocationsInTheHeaderAreIgnoredAndCritIsRefused() throws {
        let set = try jwks(signer.jwk())
        let expectations = JWTExpectations(issuer: issuer, now: 1_000_000)
        let pointing = signer.token(
            claims,
            header: [
                "alg": "RS256", "kid": "key-1", "jku": "http://evil.example/jwks", "x5u": "http://evil.example/cert",
                "jwk": otherSigner.jwk(),
            ])
        #expect(failure(pointing, expectations, in: set) == nil)
        let critical = signer.token(claims, header: ["alg": "RS256", "kid": "key-1", "crit": ["exp"], "exp": 1])
        #expect(failure(critical, expectations, in: set) == .criticalHeader(["exp"]))
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
            if (try? JWT.verify(
                String(token.prefix(length)), jwks: set, expectations: JWTExpectations(issuer: issuer, now: 1_000_000))) == nil
            {
                rejected += 1
            }
        }
        #expect(rejected == token.count)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let garbage = String(
                decoding: (0..<Int.random(in: 0..<80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator)
                }, as: UTF8.self)
            #expect(
                (try? JWT.verify(
                    garbage + "." + garbage + "." + garbage, jwks: set, expectations: JWTExpectations(issuer: issuer, now: 0)))
                    == nil)
        }
    }

    @Test func invalidJWKSDocumentsAreRejected() {
        #expect(throws: JWTError.invalidJWKS("no \"keys\" array")) { try JWKS(["keys": "x"]) }
        #expect(throws: JWTError.invalidJWKS("RSA key k lacks a valid n or e")) {
            try JWKS(["keys": [["kty": "RSA", "kid": "k", "n": "!!", "e": "AQAB"]]])
        }
        // Keys of other types are kept (a token naming one is refused), not fatal.
        #expect((try? JWKS(["keys": [["kty": "EC", "kid": "k"]]])) != nil)
    }

    @Test func errorMessagesReadAsSentences() {
        #expect(JWTError.expired(expiresAt: 5, now: 9).description == "token expired at 5 (now 9)")
        #expect(JWTError.wrongAudience(expected: "api", actual: []).description == "token has no audience, expected 'api'")
        #expect(JWTError.unknownKey(kid: "k").description == "no key with kid 'k' in the issuer's JWKS")
        #expect(JWTError.missingKeyID.description == "the token names no signing key (no kid in its header)")
        #expect(JWTError.unsupportedAlgorithm("HS256").description == "the token's alg is 'HS256'; only RS256 is accepted")
        #expect(
            JWTError.wrongIssuer(expected: "http://kc/realms/a", actual: "http://kc/realms/b").description
                == "token issuer is 'http://kc/realms/b', expected 'http://kc/realms/a'")
        #expect(
            JWTError.wrongIssuer(expected: "http://kc/realms/a", actual: nil).description
                == "token issuer is missing, expected 'http://kc/realms/a'")
    }

    // What the token says is quoted with its control characters escaped: an iss or kid cannot
    // move the cursor, recolour the terminal or fake a line of output.
    @Test func tokenTextInMessagesHasControlCharactersEscaped() {
        #expect(
            JWTError.wrongIssuer(expected: "http://kc/realms/a", actual: "http://e\r\nvil\u{1B}[31m\u{9B}\\x\u{7F}").description
                == #"token issuer is 'http://e\r\nvil\u001b[31m\u009b\x\u007f', expected 'http://kc/realms/a'"#)
        #expect(JWTError.unknownKey(kid: "k\u{7}\n").description == #"no key with kid 'k\u0007\n' in the issuer's JWKS"#)
        #expect(JWTError.unsupportedAlgorithm("none\r").description == #"the token's alg is 'none\r'; only RS256 is accepted"#)
        #expect(
            JWTError.wrongAudience(expected: "api", actual: ["a\u{1B}]0;x\u{7}"]).description
                == #"token has audience [a\u001b]0;x\u0007], expected 'api'"#)
    }
}

/// HMAC-SHA-256 (RFC 2104) over libcrypto's SHA-256, for the key-confusion token.
private func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = kcx_digest(256, data, data.count, &out)
        return out
    }
    var block = key.count > 64 ? sha256(key) : key
    block += [UInt8](repeating: 0, count: 64 - block.count)
    let inner = sha256(block.map { $0 ^ 0x36 } + message)
    return sha256(block.map { $0 ^ 0x5C } + inner)
}
