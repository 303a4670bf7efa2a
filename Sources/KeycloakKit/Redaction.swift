// Hides secrets (tokens, passwords, client secrets) from everything kcx shows: verbose traces,
// error messages and status output.
import KcxJSON

public enum Redaction {
    public static let placeholder = "<redacted>"

    /// Form fields and JSON members whose values are secrets, by exact (lower-cased) name. Found by
    /// reading Keycloak's representations: OAuth form fields; a client's `secret`,
    /// `registrationAccessToken`, previous secret after a rotation (`client.secret.rotated`) and SAML
    /// private keys (attributes); an identity provider's `clientSecret`; an LDAP `bindCredential`;
    /// key providers' `privateKey`, `secret`, `keystorePassword`, `keyPassword`; SMTP's `password`
    /// and `authTokenClientSecret`; a credential's `secretData` and (old imports) `hashedSaltedValue`.
    /// Names ending in password, secret or private key are secret too (`isSecretName`).
    public static let secretNames: Set<String> = [
        "password", "client_secret", "secret", "refresh_token", "access_token", "id_token", "subject_token",
        "actor_token", "token", "client_assertion", "new_password", "code_verifier", "assertion",
        "registrationaccesstoken", "client.secret.rotated", "clientsecret", "bindcredential", "privatekey",
        "accesstoken", "refreshtoken", "idtoken", "saml.signing.private.key", "saml.encryption.private.key",
        "keystorepassword", "keypassword", "authtokenclientsecret", "secretdata", "hashedsaltedvalue",
    ]

    /// True when a member or field of this name holds a secret: a name listed above, or one that ends
    /// in password, secret or private key (`keystorePassword`, `authTokenClientSecret`), or, for
    /// names without dots (dotted ones are Keycloak's boolean switches, `…use_refresh_token`), token.
    public static func isSecretName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        if secretNames.contains(lowered) { return true }
        if lowered.hasSuffix("password") || lowered.hasSuffix("secret") || lowered.hasSuffix("privatekey")
            || lowered.hasSuffix(".private.key")
        {
            return true
        }
        return !lowered.contains(".") && lowered.hasSuffix("token")
    }

    /// Query and fragment fields that carry a secret in a URL: the form names plus an authorization code.
    private static func isURLSecretName(_ name: String) -> Bool { name.lowercased() == "code" || isSecretName(name) }

    /// JSON members that hold a secret under a neutral name when their sibling `type` says so: a
    /// credential (`{"type":"password","value":…}`, otp, totp, hotp, a client secret's `{"type":"secret"}`).
    private static let secretTypes: Set<String> = ["secret", "password", "otp", "totp", "hotp", "password-history"]

    /// `Authorization: Bearer abc` → `Bearer <redacted>`; the scheme stays visible.
    public static func authorizationValue(_ value: String) -> String {
        if let space = value.firstIndex(of: " ") { return "\(value[..<space]) \(placeholder)" }
        return placeholder
    }

    public static func headerValue(name: String, value: String) -> String {
        switch name.lowercased() {
        case "authorization", "proxy-authorization": return authorizationValue(value)
        case "cookie", "set-cookie": return placeholder
        default: return value
        }
    }

    /// `a=1&password=x` → `a=1&password=<redacted>`; field order and other values are kept.
    public static func formBody(_ body: String) -> String {
        fields(body, secret: isSecretName)
    }

    private static func fields(_ text: some StringProtocol, secret isSecret: (String) -> Bool) -> String {
        text.split(separator: "&", omittingEmptySubsequences: false).map { field -> String in
            guard let equals = field.firstIndex(of: "=") else { return String(field) }
            let name = String(field[..<equals])
            // A name may arrive percent-encoded (`client%5Fsecret`); compare it decoded.
            let decoded = URLEncoding.decode(name)
            return isSecret(decoded) ? "\(name)=\(placeholder)" : String(field)
        }.joined(separator: "&")
    }

    /// A URL as it may be shown: a password in its user info, and secret query or fragment fields
    /// (`?code=`, `#access_token=` of a redirect) replaced; everything else kept as given.
    public static func url(_ text: String) -> String {
        var rest = Substring(text)
        var result = ""
        if let scheme = rest.firstRange(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    result += userInfo[..<colon] + ":" + placeholder
                } else {
                    result += userInfo
                }
                result += authority[at...]
            } else {
                result += authority
            }
            rest = rest[authorityEnd...]
        }
        let fragmentStart = rest.firstIndex(of: "#")
        let beforeFragment = rest[..<(fragmentStart ?? rest.endIndex)]
        if let question = beforeFragment.firstIndex(of: "?") {
            result += beforeFragment[...question]
            result += fields(beforeFragment[beforeFragment.index(after: question)...], secret: isURLSecretName)
        } else {
            result += beforeFragment
        }
        if let fragmentStart {
            result += "#" + fields(rest[rest.index(after: fragmentStart)...], secret: isURLSecretName)
        }
        return result
    }

    /// Every secret member, at any depth, replaced by the placeholder string.
    public static func json(_ value: JSON) -> JSON {
        switch value {
        case .object(let object):
            var result = JSONObject()
            let typeIsSecret = object["type"]?.stringValue.map { secretTypes.contains($0.lowercased()) } ?? false
            for (key, member) in object {
                // Secrets are strings (or, in a component's config, lists of strings); a boolean
                // switch or a number named like one says nothing secret and stays visible.
                let holdsText = member.stringValue != nil || member.arrayValue?.allSatisfy { $0.stringValue != nil } == true
                if member.isNull || !holdsText {
                    result[key] = json(member)
                } else if isSecretName(key) || (typeIsSecret && key.lowercased() == "value") {
                    result[key] = .string(placeholder)
                } else {
                    result[key] = json(member)
                }
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(json))
        default:
            return value
        }
    }

    /// A body as it may be shown: JSON and form bodies redacted, anything else summarised,
    /// long text cut to `limit` characters.
    public static func body(_ bytes: [UInt8], contentType: String?, limit: Int = 2000) -> String {
        if bytes.isEmpty { return "" }
        let type = contentType?.lowercased() ?? ""
        if type.contains("x-www-form-urlencoded") {
            return truncate(formBody(String(decoding: bytes, as: UTF8.self)), limit: limit)
        }
        if let parsed = try? JSON.parse(bytes) {
            return truncate(json(parsed).serialized(), limit: limit)
        }
        if type.contains("json") || type.isEmpty || type.hasPrefix("text/") {
            // Not parseable: it may still carry a secret, so show only what it is.
            return "(\(bytes.count) bytes of \(type.isEmpty ? "unlabelled" : type) content, not shown)"
        }
        return "(\(bytes.count) bytes of \(type), not shown)"
    }

    private static func truncate(_ text: String, limit: Int) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count - limit) more characters)"
    }
}
