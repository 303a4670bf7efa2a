// kcadm's signed-JWT client login (`--keystore FILE --storepass P --keypass P --alias A`): the
// client's private key is read from a PKCS#12 keystore and signs a client assertion (RFC 7523,
// Keycloak's "client-jwt" authenticator) for each token request. The assertion carries what
// kcadm's AuthUtil puts in it: jti, iss = sub = the client id, aud = the realm's issuer URL, iat,
// nbf and exp (600 seconds later). The key and the passwords are used and dropped; a session keeps
// the keystore's path and alias and, when the passwords came from the environment, the variables'
// names, so it can sign a new assertion when it must log in again.
import CCrypto
import FoundationEssentials
import KcxJSON

public enum ClientKeystoreError: Error, Sendable, Equatable {
    case notPKCS12
    /// A Java keystore (JKS, JCEKS): OpenSSL reads none.
    case javaKeystore
    case wrongStorePassword
    case unreadable
    /// No key under the alias; `aliases` are the keys' aliases the file holds.
    case noSuchAlias(aliases: [String])
    case wrongKeyPassword
    case notRSA
}

/// An RSA private key read from a keystore; freed with the value.
public final class ClientSigningKey: @unchecked Sendable {
    // EVP_PKEY*, owned.
    private let key: OpaquePointer

    init(key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    /// Reads the key `alias` of a PKCS#12 keystore's bytes.
    public static func read(keystore bytes: [UInt8], storePassword: String, keyPassword: String, alias: String) -> Result<
        ClientSigningKey, ClientKeystoreError
    > {
        if TruststoreFile.format(of: bytes) == .javaKeystore { return .failure(.javaKeystore) }
        var key: OpaquePointer?
        var names: UnsafeMutablePointer<CChar>?
        var namesLength = 0
        let code = bytes.withUnsafeBufferPointer { buffer in
            storePassword.withCString { store in
                keyPassword.withCString { keyPass in
                    alias.withCString { name in
                        kcx_pkcs12_private_key(buffer.baseAddress, buffer.count, store, keyPass, name, &key, &names, &namesLength)
                    }
                }
            }
        }
        defer { kcx_free(names) }
        switch code {
        case 0:
            guard let key else { return .failure(.unreadable) }
            return .success(ClientSigningKey(key: key))
        case 1: return .failure(.notPKCS12)
        case 2: return .failure(.wrongStorePassword)
        case 5:
            let text =
                names.map { pointer in
                    pointer.withMemoryRebound(to: UInt8.self, capacity: namesLength) {
                        String(decoding: UnsafeBufferPointer(start: $0, count: namesLength), as: UTF8.self)
                    }
                } ?? ""
            return .failure(.noSuchAlias(aliases: text.split(separator: "\n").map(String.init)))
        case 6: return .failure(.wrongKeyPassword)
        case 7: return .failure(.notRSA)
        default: return .failure(.unreadable)
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256.
    func signRS256(_ data: [UInt8]) -> [UInt8]? {
        var signature = [UInt8](repeating: 0, count: 1024)
        let length = data.withUnsafeBufferPointer { input in
            kcx_rs256_sign(key, input.baseAddress, input.count, &signature, signature.count)
        }
        guard length > 0 else { return nil }
        return Array(signature[0..<Int(length)])
    }
}

/// Where a session finds its keystore again: the file, the alias, and the environment variables
/// holding its passwords (never the passwords).
public struct ClientKeystoreReference: Sendable, Equatable {
    public var file: String
    public var alias: String
    /// nil: the store password came from the command line or a prompt; kcx cannot sign again.
    public var storePasswordSource: SecretSource?
    /// nil: the key password is the store password (kcadm's default), unless `keyPasswordGiven`.
    public var keyPasswordSource: SecretSource?
    /// A key password other than the store password was given once (command line or prompt).
    public var keyPasswordGiven: Bool

    public init(
        file: String, alias: String, storePasswordSource: SecretSource?, keyPasswordSource: SecretSource?, keyPasswordGiven: Bool
    ) {
        self.file = file
        self.alias = alias
        self.storePasswordSource = storePasswordSource
        self.keyPasswordSource = keyPasswordSource
        self.keyPasswordGiven = keyPasswordGiven
    }

    /// True when kcx can read both passwords again without the user.
    public var canSignAgain: Bool { storePasswordSource != nil && (keyPasswordSource != nil || !keyPasswordGiven) }

    /// Reads the key again from the recorded sources; a KcxError names what is missing.
    public func signingKey(environment: [String: String]) throws -> ClientSigningKey {
        guard let storeSource = storePasswordSource, canSignAgain else {
            throw KcxError(.authentication, "the keystore passwords were given by hand, not kept")
        }
        let store = try storeSource.read(environment: environment)
        let key = try keyPasswordSource?.read(environment: environment) ?? store
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(file, limit: .data) } catch {
            throw KcxError(.authentication, "keystore '\(file)': \(error.description)")
        }
        switch ClientSigningKey.read(keystore: bytes, storePassword: store, keyPassword: key, alias: alias) {
        case .success(let signingKey): return signingKey
        case .failure(let error):
            throw KcxError(.authentication, "keystore '\(file)': \(ClientAssertion.describe(error, alias: alias))")
        }
    }

    var json: JSON {
        var object = JSONObject()
        object["file"] = .string(file)
        object["alias"] = .string(alias)
        object["storePasswordSource"] = storePasswordSource?.json
        object["keyPasswordSource"] = keyPasswordSource?.json
        object["keyPasswordGiven"] = keyPasswordGiven ? .bool(true) : nil
        return .object(object)
    }

    init?(json: JSON?) {
        guard let file = json?["file"]?.stringValue, let alias = json?["alias"]?.stringValue else { return nil }
        self.init(
            file: file, alias: alias, storePasswordSource: SecretSource(json: json?["storePasswordSource"]),
            keyPasswordSource: SecretSource(json: json?["keyPasswordSource"]),
            keyPasswordGiven: json?["keyPasswordGiven"]?.boolValue ?? false)
    }
}

public enum ClientAssertion {
    public static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    /// kcadm's signature lifetime (BaseConfigCredentialsCmd.sigLifetime).
    public static let lifetime: Int64 = 600

    /// The RS256-signed assertion of `clientId` for the realm whose issuer URL is `audience`.
    public static func sign(
        clientId: String, audience: String, key: ClientSigningKey, now: Date, jti: String = UUID().uuidString.lowercased()
    ) throws -> String {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let header: JSON = ["alg": "RS256", "typ": "JWT"]
        let claims = JSON.object(
            JSONObject([
                ("jti", .string(jti)), ("exp", .int(issuedAt + lifetime)), ("nbf", .int(issuedAt)), ("iat", .int(issuedAt)),
                ("iss", .string(clientId)), ("aud", .string(audience)), ("sub", .string(clientId)),
            ]))
        let input =
            JWTBase64URL.encode(Array(header.serialized().utf8)) + "." + JWTBase64URL.encode(Array(claims.serialized().utf8))
        guard let signature = key.signRS256(Array(input.utf8)) else {
            throw KcxError(.usage, "the keystore's key cannot sign (RS256)")
        }
        return input + "." + JWTBase64URL.encode(signature)
    }

    /// The realm's issuer URL, which kcadm puts in `aud`: SERVER/realms/REALM.
    public static func audience(server: String, realm: String) -> String {
        "\(AdminClient.normalizedServer(server))/realms/\(realm)"
    }

    /// What went wrong, for a message that starts with the keystore's name.
    public static func describe(_ error: ClientKeystoreError, alias: String) -> String {
        switch error {
        case .notPKCS12: return "not a PKCS#12 keystore"
        case .javaKeystore: return "a Java keystore (JKS), which kcx cannot read; it reads PKCS#12 keystores"
        case .wrongStorePassword: return "wrong keystore password (the PKCS#12 integrity check failed)"
        case .unreadable: return "the PKCS#12 contents cannot be decrypted (a wrong password, or an algorithm this OpenSSL lacks)"
        case .noSuchAlias(let aliases):
            let list =
                aliases.isEmpty ? "it holds no named key" : "its keys: " + aliases.map { "'\($0)'" }.joined(separator: ", ")
            return "no key with alias '\(alias)' (\(list))"
        case .wrongKeyPassword: return "wrong key password for alias '\(alias)'"
        case .notRSA: return "the key '\(alias)' is not an RSA key (kcadm signs with RS256)"
        }
    }
}

extension JWTBase64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [
                alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)],
                alphabet[Int(value & 63)],
            ]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let value = UInt32(bytes[index]) << 16
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)]]
        } else if rest == 2 {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
