// `kcx token decode --verify` against forged tokens, with the real binary: a token minted by a fake
// issuer on loopback (its own key, iss/jku/x5u pointing at itself), alg none and HS256 keyed with the
// realm's public key, a foreign key under the genuine issuer, a token from another realm of the same
// server; and genuine sandbox tokens, which verify. The fake issuer records every request it gets.
import CCrypto
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

/// An issuer of the attacker's: an RSA key of its own, a JWKS at the usual place, and a record of
/// every request that reaches it.
final class FakeIssuer: @unchecked Sendable {
    let server: LoopbackHTTPServer
    let key: OpaquePointer
    let kid = "attacker-key"
    private let lock = NSLock()
    private var received: [ServerRequest] = []

    init() throws {
        key = kcx_rsa_generate(2048)!
        let box = Box()
        server = LoopbackHTTPServer { request in
            box.issuer?.record(request)
            let body = request.path.hasSuffix("/certs") ? box.issuer?.jwks.serialized() ?? "{}" : "{}"
            return .respond(ServerResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        }
        try server.start()
        box.issuer = self
    }

    deinit { EVP_PKEY_free(key) }

    private final class Box: @unchecked Sendable { weak var issuer: FakeIssuer? }

    private func record(_ request: ServerRequest) { lock.withLock { received.append(request) } }
    var requests: [ServerRequest] { lock.withLock { received } }

    var issuer: String { server.baseURL + "/realms/master" }

    var jwks: JSON {
        [
            "keys": [
                [
                    "kid": .string(kid), "kty": "RSA", "alg": "RS256", "use": "sig", "n": .string(b64url(param("n"))),
                    "e": .string(b64url(param("e"))),
                ]
            ]
        ]
    }

    /// A token signed with this issuer's key, with any header and claims.
    func token(header: JSON, claims: JSON) -> String {
        let input = b64url(header.serializedBytes()) + "." + b64url(claims.serializedBytes())
        var signature = [UInt8](repeating: 0, count: 512)
        let bytes = Array(input.utf8)
        let length = kcx_rs256_sign(key, bytes, bytes.count, &signature, signature.count)
        return input + "." + b64url(Array(signature[0..<Int(length)]))
    }

    private func param(_ name: String) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 600)
        let length = kcx_rsa_param(key, name, &buffer, Int32(buffer.count))
        return Array(buffer[0..<Int(length)])
    }

    func stop() { server.stop() }
}

func b64url(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func b64urlDecode(_ text: Substring) -> [UInt8] {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Array(Data(base64Encoded: base64) ?? Data())
}

/// HMAC-SHA-256 (RFC 2104) over libcrypto's SHA-256: what a verifier confused into HS256 would check.
func hmacSHA256(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    func sha256(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        _ = kcx_digest(256, data, data.count, &out)
        return out
    }
    var block = key.count > 64 ? sha256(key) : key
    block += [UInt8](repeating: 0, count: 64 - block.count)
    return sha256(block.map { $0 ^ 0x5C } + sha256(block.map { $0 ^ 0x36 } + message))
}

@Suite(.serialized) struct VerifyAttackTests {
    let keycloak = TestKeycloak.shared
    static let otherIssuerHint =
        "hint: kcx trusts only the issuer it was given: name another realm of the same server with -r REALM, or the issuer with --issuer URL\n"

    var masterIssuer: String { keycloak.baseURL + "/realms/master" }

    /// A logged-in environment (session in master), a realm with a confidential client, and a fresh
    /// token of that realm's client.
    func setUp(_ prefix: String) throws -> (fixture: RealmFixture, realmToken: String) {
        let fixture = try RealmFixture(keycloak, prefix: prefix)
        let secret = try fixture.confidentialClient("svc")
        let token = try fixture.inRealm(["token", "get", "--client", "svc", "--secret-file", secret]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (fixture, token)
    }

    func verify(_ env: KcxEnvironment, _ token: String, _ options: [String] = []) throws -> ProcessResult {
        try env.kcx(["token", "decode", "--verify"] + options + ["-"], stdin: token + "\n")
    }

    /// The requests a -v trace shows (`> GET url`).
    func tracedRequests(_ result: ProcessResult) -> [String] {
        result.stderr.split(separator: "\n").filter { $0.hasPrefix("> GET ") || $0.hasPrefix("> POST ") }.map(String.init)
    }

    @Test func aTokenFromAFakeIssuerIsRefusedWithoutContactingIt() throws {
        let (fixture, _) = try setUp("vfake")
        let fake = try FakeIssuer()
        defer { fake.stop() }
        let now = Int(Date().timeIntervalSince1970)
        let forged = fake.token(
            header: [
                "alg": "RS256", "typ": "JWT", "kid": .string(fake.kid), "jku": .string(fake.server.baseURL + "/jwks.json"),
                "x5u": .string(fake.server.baseURL + "/cert.pem"),
            ],
            claims: [
                "iss": .string(fake.issuer), "sub": "admin", "azp": "admin-cli", "exp": .int(Int64(now + 300)),
                "iat": .int(Int64(now)),
            ])

        // The session's realm (master), then the fixture's realm named with -r: refused both times,
        // before any request (the -v trace shows none).
        for (options, expected) in [
            ([String](), masterIssuer), (["-r", fixture.realm], keycloak.baseURL + "/realms/" + fixture.realm),
        ] {
            let result = try verify(fixture.env, forged, options + ["-v"])
            #expect(result.status == 7, "\(result)")
            #expect(result.stdout == "", "no unverified claims on stdout")
            #expect(
                result.stderr
                    == "error: token does not verify: token issuer is '\(fake.issuer)', expected '\(expected)'\n"
                    + Self.otherIssuerHint)
        }
        #expect(fake.requests.isEmpty, "the fake issuer was contacted: \(fake.requests.map { "\($0.method) \($0.target)" })")
    }

    @Test func aForeignKeyUnderTheGenuineIssuerIsRefused() throws {
        let (fixture, _) = try setUp("vkey")
        let fake = try FakeIssuer()
        defer { fake.stop() }
        let genuine = try keycloak.adminToken()
        let genuineHeader = try JSON.parse(b64urlDecode(genuine.split(separator: ".")[0]))
        let genuineKid = try #require(genuineHeader["kid"]?.stringValue)
        let now = Int(Date().timeIntervalSince1970)
        let claims: JSON = ["iss": .string(masterIssuer), "sub": "admin", "exp": .int(Int64(now + 300)), "iat": .int(Int64(now))]
        let certs = "> GET \(masterIssuer)/protocol/openid-connect/certs"

        // The attacker's kid, with jku pointing at the attacker's JWKS: only the realm's JWKS is read.
        let ownKid = fake.token(
            header: [
                "alg": "RS256", "kid": .string(fake.kid),
                "jku": .string(fake.server.baseURL + "/realms/master/protocol/openid-connect/certs"),
            ], claims: claims)
        let unknown = try verify(fixture.env, ownKid, ["-v"])
        #expect(unknown.status == 7, "\(unknown)")
        #expect(unknown.stdout == "")
        #expect(
            unknown.stderr.hasSuffix("error: token does not verify: no key with kid '\(fake.kid)' in the issuer's JWKS\n"),
            "\(unknown)")
        #expect(tracedRequests(unknown) == [certs])

        // The realm's own kid over the attacker's signature.
        let stolenKid = fake.token(
            header: ["alg": "RS256", "kid": .string(genuineKid), "x5u": .string(fake.server.baseURL + "/cert.pem")],
            claims: claims)
        let forged = try verify(fixture.env, stolenKid, ["-v"])
        #expect(forged.status == 7, "\(forged)")
        #expect(forged.stdout == "")
        #expect(forged.stderr.hasSuffix("error: token does not verify: token signature does not verify\n"), "\(forged)")
        #expect(tracedRequests(forged) == [certs])
        #expect(fake.requests.isEmpty, "the fake issuer was contacted: \(fake.requests.map { "\($0.method) \($0.target)" })")

        // The genuine token of the same issuer verifies, through the same request.
        let verified = try verify(fixture.env, genuine)
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.stderr == "verified: RS256 signature by \(masterIssuer), not expired\n")
    }

    @Test func algNoneAndHS256KeyedWithThePublicKeyAreRefused() throws {
        let (fixture, realmToken) = try setUp("valg")
        let issuer = keycloak.baseURL + "/realms/" + fixture.realm
        let parts = realmToken.split(separator: ".")
        let header = try JSON.parse(b64urlDecode(parts[0]))
        let kid = try #require(header["kid"]?.stringValue)
        let jwks = try #require(try keycloak.request("GET", "/realms/\(fixture.realm)/protocol/openid-connect/certs").json)
        let jwk = try #require(jwks["keys"]?.arrayValue?.first { $0["kid"]?.stringValue == kid })
        let modulus = b64urlDecode(Substring(jwk["n"]?.stringValue ?? ""))
        #expect(modulus.count >= 256)

        func relabelled(_ alg: String, signature: (String) -> [UInt8]) -> String {
            let head = b64url((["alg": .string(alg), "typ": "JWT", "kid": .string(kid)] as JSON).serializedBytes())
            let input = head + "." + parts[1]
            return input + "." + b64url(signature(input))
        }
        let cases: [(String, String)] = [
            (relabelled("none") { _ in [] }, "none"),
            // Key confusion: a verifier that took HS256 would check this HMAC keyed with the public key.
            (relabelled("HS256") { hmacSHA256(key: modulus, Array($0.utf8)) }, "HS256"),
            (relabelled("HS256") { hmacSHA256(key: Array(jwks.serialized().utf8), Array($0.utf8)) }, "HS256"),
            // The genuine RS256 signature under another RSA algorithm's name.
            (relabelled("RS512") { _ in b64urlDecode(parts[2]) }, "RS512"),
        ]
        for (token, alg) in cases {
            let result = try verify(fixture.env, token, ["-r", fixture.realm, "-v"])
            #expect(result.status == 7, "\(alg): \(result)")
            #expect(result.stdout == "")
            #expect(
                result.stderr == "error: token does not verify: the token's alg is '\(alg)'; only RS256 is accepted\n", "\(alg)")
        }
        // The untouched token verifies against the same realm.
        let genuine = try verify(fixture.env, realmToken, ["-r", fixture.realm])
        #expect(genuine.status == 0, "\(genuine)")
        #expect(genuine.stderr == "verified: RS256 signature by \(issuer), not expired\n")
        #expect(genuine.json?["claims"]?["iss"]?.stringValue == issuer)
        #expect(genuine.json?["claims"]?["azp"]?.stringValue == "svc")
        #expect(genuine.json?["header"]?["kid"]?.stringValue == kid)
    }

    @Test func aTokenFromAnotherRealmOfTheSameServerIsRefusedUnlessNamed() throws {
        let (fixture, realmToken) = try setUp("vrealm")
        let realmIssuer = keycloak.baseURL + "/realms/" + fixture.realm

        // The session is in master: a token of the fixture's realm is not master's.
        let refused = try verify(fixture.env, realmToken)
        #expect(refused.status == 7, "\(refused)")
        #expect(refused.stdout == "")
        #expect(
            refused.stderr == "error: token does not verify: token issuer is '\(realmIssuer)', expected '\(masterIssuer)'\n"
                + Self.otherIssuerHint)
        let wrongIssuer = try verify(fixture.env, realmToken, ["--issuer", masterIssuer])
        #expect(wrongIssuer.status == 7)
        #expect(wrongIssuer.stderr == refused.stderr)

        // Named with -r, KCX_REALM or --issuer, it verifies.
        var withRealm = fixture.env
        withRealm.extra["KCX_REALM"] = fixture.realm
        for (env, options) in [
            (fixture.env, ["-r", fixture.realm]), (fixture.env, ["--issuer", realmIssuer]),
            (fixture.env, ["--issuer", realmIssuer + "/"]), (withRealm, []),
        ] {
            let result = try verify(env, realmToken, options)
            #expect(result.status == 0, "\(options): \(result)")
            #expect(result.stderr == "verified: RS256 signature by \(realmIssuer), not expired\n")
            #expect(result.json?["claims"]?["iss"]?.stringValue == realmIssuer)
        }
        // --audience is checked on top: the realm's token is not addressed to an unknown client.
        let audience = try verify(fixture.env, realmToken, ["-r", fixture.realm, "--audience", "nobody"])
        #expect(audience.status == 7)
        #expect(audience.stderr.hasPrefix("error: token does not verify: token has "), "\(audience)")
        #expect(audience.stderr.hasSuffix(", expected 'nobody'\n"), "\(audience)")

        // Without a session, --issuer alone is enough (and nothing else is).
        let fresh = try KcxEnvironment()
        let explicit = try verify(fresh, realmToken, ["--issuer", realmIssuer])
        #expect(explicit.status == 0, "\(explicit)")
        #expect(explicit.stderr == "verified: RS256 signature by \(realmIssuer), not expired\n")
    }

    @Test func verifyWithoutASessionOrIssuerIsAUsageError() throws {
        let fake = try FakeIssuer()
        defer { fake.stop() }
        let token = fake.token(header: ["alg": "RS256", "kid": .string(fake.kid)], claims: ["iss": .string(fake.issuer)])
        let env = try KcxEnvironment()
        let result = try verify(env, token, ["-v"])
        #expect(
            result
                == ProcessResult(
                    status: 2, stdout: "",
                    stderr: """
                        error: --verify needs an issuer to trust: log in with 'kcx config credentials', or pass --issuer URL
                        hint: for example: kcx token decode --verify --issuer https://keycloak.example.com/realms/myrealm

                        """))
        // The option table's mistakes are usage errors too, before anything is read.
        let both = try env.kcx(["token", "decode", "--verify", "--issuer", fake.issuer, "-r", "master", "-"], stdin: token)
        #expect(both.status == 2)
        #expect(both.stderr == "error: --issuer names the server and realm itself: give it without --server and -r\n")
        let alone = try env.kcx(["token", "decode", "--issuer", fake.issuer, "-"], stdin: token)
        #expect(alone.status == 2)
        #expect(alone.stderr == "error: --issuer goes with --verify\n")
        #expect(fake.requests.isEmpty)
    }

    @Test func controlCharactersInTheTokensIssAreEscaped() throws {
        let (fixture, _) = try setUp("vesc")
        let fake = try FakeIssuer()
        defer { fake.stop() }
        let hostile = "http://evil.example/\u{1B}]0;owned\u{07}\u{1B}[2J\r\nverified: RS256 signature by \(masterIssuer)"
        let token = fake.token(header: ["alg": "RS256", "kid": .string(fake.kid)], claims: ["iss": .string(hostile)])
        let result = try verify(fixture.env, token)
        #expect(result.status == 7)
        #expect(
            result.stderr
                == "error: token does not verify: token issuer is 'http://evil.example/\\u001b]0;owned\\u0007\\u001b[2J\\r\\nverified: RS256 signature by \(masterIssuer)', expected '\(masterIssuer)'\n"
                + Self.otherIssuerHint)
        #expect(!result.stderr.contains("\u{1B}") && !result.stderr.contains("\r"))
        #expect(fake.requests.isEmpty)
    }
}

extension ProcessResult: Equatable {
    static func == (lhs: ProcessResult, rhs: ProcessResult) -> Bool {
        lhs.status == rhs.status && lhs.stdout == rhs.stdout && lhs.stderr == rhs.stderr
    }
}
