// kcadm's signed-JWT client login on the kcx side: reading the key of an alias from PKCS#12
// keystores made by the openssl CLI (current and legacy encryption), each refusal, and the
// assertion's header and claims (kcadm's AuthUtil.getSignedRequestToken), its signature checked
// by the openssl CLI against the certificate.
import Foundation
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct ClientAssertionTests {
    struct Files {
        let directory: URL
        var key: URL { directory.appendingPathComponent("key.pem") }
        var certificate: URL { directory.appendingPathComponent("cert.pem") }
        func keystore(_ name: String) -> URL { directory.appendingPathComponent(name) }
    }

    @discardableResult
    static func openssl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadUnknown) }
        return String(decoding: data, as: UTF8.self)
    }

    static func files() throws -> Files {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-assertion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = Files(directory: directory)
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", files.key.path, "-out", files.certificate.path, "-days",
            "2",
            "-subj", "/CN=robot",
        ])
        return files
    }

    static func keystore(_ files: Files, name: String, alias: String, password: String, legacy: Bool = false) throws -> [UInt8] {
        let url = files.keystore(name)
        try openssl(
            [
                "pkcs12", "-export", "-in", files.certificate.path, "-inkey", files.key.path, "-name", alias, "-passout",
                "pass:\(password)",
                "-out", url.path,
            ] + (legacy ? ["-legacy"] : []))
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func readsTheKeyOfAnAliasAndRefusesWhatItCannotUse() throws {
        let files = try Self.files()
        let bytes = try Self.keystore(files, name: "ks.p12", alias: "Robot-Key", password: "pw")
        // Aliases compare without case, as Java's PKCS12 keystore (kcadm) looks them up.
        guard case .success = ClientSigningKey.read(keystore: bytes, storePassword: "pw", keyPassword: "pw", alias: "robot-key")
        else {
            Issue.record("the alias in another case was not found")
            return
        }
        #expect(
            ClientSigningKey.read(keystore: bytes, storePassword: "nope", keyPassword: "nope", alias: "Robot-Key").failure
                == .wrongStorePassword)
        #expect(
            ClientSigningKey.read(keystore: bytes, storePassword: "pw", keyPassword: "other", alias: "Robot-Key").failure
                == .wrongKeyPassword)
        #expect(
            ClientSigningKey.read(keystore: bytes, storePassword: "pw", keyPassword: "pw", alias: "robot").failure
                == .noSuchAlias(aliases: ["Robot-Key"]))
        #expect(
            ClientSigningKey.read(
                keystore: [0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2], storePassword: "pw", keyPassword: "pw", alias: "a"
            ).failure == .javaKeystore)
        #expect(
            ClientSigningKey.read(keystore: Array("not a keystore".utf8), storePassword: "pw", keyPassword: "pw", alias: "a")
                .failure == .notPKCS12)
        // RC2/3DES bags (older keytool, openssl -legacy) are read through OpenSSL's legacy provider.
        let legacy = try Self.keystore(files, name: "legacy.p12", alias: "robot", password: "pw", legacy: true)
        #expect(ClientSigningKey.read(keystore: legacy, storePassword: "pw", keyPassword: "pw", alias: "robot").failure == nil)
        #expect(
            ClientAssertion.describe(.noSuchAlias(aliases: []), alias: "x") == "no key with alias 'x' (it holds no named key)")
    }

    @Test func theAssertionCarriesKcadmsClaimsAndVerifiesWithTheCertificate() throws {
        let files = try Self.files()
        let bytes = try Self.keystore(files, name: "ks.p12", alias: "robot", password: "pw")
        let key = try ClientSigningKey.read(keystore: bytes, storePassword: "pw", keyPassword: "pw", alias: "robot").get()
        let now = Date(timeIntervalSince1970: 1_800_000_000.7)
        let first = try ClientAssertion.sign(
            clientId: "robot", audience: ClientAssertion.audience(server: "https://kc.example.com/", realm: "apps"), key: key,
            now: now)
        let second = try ClientAssertion.sign(
            clientId: "robot", audience: "https://kc.example.com/realms/apps", key: key, now: now)
        let jwt = try JWT.decode(first)
        #expect(JSON.object(jwt.header) == ["alg": "RS256", "typ": "JWT"])
        let jti = try #require(jwt.claims["jti"]?.stringValue)
        #expect(
            JSON.object(jwt.claims) == [
                "jti": .string(jti), "exp": .int(1_800_000_600), "nbf": .int(1_800_000_000), "iat": .int(1_800_000_000),
                "iss": "robot",
                "aud": "https://kc.example.com/realms/apps", "sub": "robot",
            ])
        #expect(try JWT.decode(second).claims["jti"]?.stringValue != jti, "each assertion has a new jti")

        // The signature, checked by openssl against the certificate's public key.
        let parts = first.split(separator: ".")
        let input = files.directory.appendingPathComponent("input")
        let signature = files.directory.appendingPathComponent("signature")
        let publicKey = files.directory.appendingPathComponent("public.pem")
        try Data((parts[0] + "." + parts[1]).utf8).write(to: input)
        try Data(try #require(JWTBase64URL.decode(parts[2]))).write(to: signature)
        try Self.openssl(["x509", "-in", files.certificate.path, "-pubkey", "-noout", "-out", publicKey.path])
        let verified = try Self.openssl(["dgst", "-sha256", "-verify", publicKey.path, "-signature", signature.path, input.path])
        #expect(verified == "Verified OK\n")
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
