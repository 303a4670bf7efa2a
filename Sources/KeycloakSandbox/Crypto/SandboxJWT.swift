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
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerBytes = Base64URL.decode(String(parts[0])),
            let claimBytes = Base64URL.decode(String(parts[1])),
            let signature = Base64URL.decode(String(parts[2])),
            let header = (try? JSON.parse(headerBytes))?.objectValue,
            let claims = (try? JSON.parse(claimBytes))?.objectValue
        else { return nil }
        return Decoded(
            header: header, claims: claims, signingInput: Array((parts[0] + "." + parts[1]).utf8), signature: signature)
    }

    /// The claims of a token signed by `realm`'s current key; nil when malformed, signed by another key,
    /// or not RS256.
    static func verifiedClaims(_ token: String, realm: String, keys: RealmKeyring) -> JSONObject? {
        guard let decoded = decode(token),
            decoded.header["alg"]?.stringValue == "RS256",
            let kid = decoded.header["kid"]?.stringValue,
            let key = keys.existingSigningKey(realm: realm, kid: kid),
            key.verify(decoded.signingInput, signature: decoded.signature)
        else { return nil }
        return decoded.claims
    }
}
