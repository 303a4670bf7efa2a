// Compact RS256 JWTs as the sandbox mints and re-reads them (header `alg`,`typ`,`kid` in Keycloak's order).
import KcxJSON

enum SandboxJWT {
    /// `typ` is `JWT` for every token Keycloak signs with a realm key (access, ID and refresh tokens).
    static func sign(_ claims: JSONObject, with key: RSAKey, type: String = "JWT") -> String {
        let header = JSONObject([("alg", "RS256"), ("typ", .string(type)), ("kid", .string(key.kid))])
        let signingInput =
            Base64URL.encode(JSON.object(header).serializedBytes()) + "."
            + Base64URL.encode(JSON.object(claims).serializedBytes())
        return signingInput + "." + Base64URL.encode(key.sign(Array(signingInput.utf8)))
    }

    struct Decoded {
        var header: JSONObject
        var claims: JSONObject
        var signingInput: [UInt8]
        var signature: [UInt8]
    }

    /// Splits and parses a token without checking its signature; nil for anything malformed.
    static func decode(_ token: String) -> Decoded? {
        let bytes = Array(token.utf8)
        // Exactly two dots, found on the bytes (a JWT is ASCII; anything else fails base64url below).
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
            let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
            !bytes[(secondDot + 1)...].contains(UInt8(ascii: ".")),
            let headerBytes = Base64URL.decode(bytes[..<firstDot]),
            let claimBytes = Base64URL.decode(bytes[(firstDot + 1)..<secondDot]),
            let signature = Base64URL.decode(bytes[(secondDot + 1)...]),
            let header = (try? JSON.parse(headerBytes))?.objectValue,
            let claims = (try? JSON.parse(claimBytes))?.objectValue
        else { return nil }
        return Decoded(header: header, claims: claims, signingInput: Array(bytes[..<secondDot]), signature: signature)
    }

    /// The realm's signing key that signed `decoded`, or nil when it is not RS256, names another key,
    /// or the signature does not match.
    static func signingKey(of decoded: Decoded, realm: String, keys: RealmKeyring) -> RSAKey? {
        guard decoded.header["alg"]?.stringValue == "RS256",
            let kid = decoded.header["kid"]?.stringValue,
            let key = keys.existingSigningKey(realm: realm, kid: kid),
            key.verify(decoded.signingInput, signature: decoded.signature)
        else { return nil }
        return key
    }

    /// The claims of a token signed by `realm`'s current key; nil when malformed, signed by another key,
    /// or not RS256. A token verified before is answered from the keyring's cache.
    static func verifiedClaims(_ token: String, realm: String, keys: RealmKeyring) -> JSONObject? {
        if let cached = keys.cachedVerification(of: token) { return cached.realm == realm ? cached.claims : nil }
        guard let decoded = decode(token), let key = signingKey(of: decoded, realm: realm, keys: keys) else { return nil }
        keys.rememberVerification(of: token, realm: realm, key: key, claims: decoded.claims)
        return decoded.claims
    }
}
