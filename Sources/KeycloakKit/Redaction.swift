// Hides secrets (tokens, passwords, client secrets) from everything kcx shows: verbose traces,
// error messages and status output.
import KcxJSON

public enum Redaction {
    public static let placeholder = "<redacted>"

    /// Form fields and JSON members whose values are secrets.
    public static let secretNames: Set<String> = [
        "password", "client_secret", "secret", "refresh_token", "access_token", "id_token", "subject_token",
        "actor_token", "token", "client_assertion", "new_password",
        // Keycloak representations: a client's registration token and its previous secret after a rotation,
        // an identity provider's clientSecret, an LDAP bind credential, a key provider's private key.
        "registrationaccesstoken", "client.secret.rotated", "clientsecret", "bindcredential", "privatekey",
        "accesstoken", "refreshtoken", "idtoken",
    ]

    /// Query and fragment fields that carry a secret in a URL: the form names plus an authorization code.
    private static let urlSecretNames: Set<String> = secretNames.union(["code"])

    /// JSON members that hold a secret under a neutral name when their sibling `type` says so
    /// (`{"type":"secret","value":...}` from client-secret, credentials with `"type":"password"`).
    private static let secretTypes: Set<String> = ["secret", "password"]

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
        fields(body, secret: secretNames)
    }

    private static func fields(_ text: some StringProtocol, secret names: Set<String>) -> String {
        text.split(separator: "&", omittingEmptySubsequences: false).map { field -> String in
            guard let equals = field.firstIndex(of: "=") else { return String(field) }
            let name = String(field[..<equals])
            // A name may arrive percent-encoded (`client%5Fsecret`); compare it decoded.
            let decoded = URLEncoding.decode(name)
            return names.contains(decoded.lowercased()) ? "\(name)=\(placeholder)" : String(field)
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
            result += fields(beforeFragment[beforeFragment.index(after: question)...], secret: urlSecretNames)
        } else {
            result += beforeFragment
        }
        if let fragmentStart {
            result += "#" + fields(rest[rest.index(after: fragmentStart)...], secret: urlSecretNames)
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
                let lowered = key.lowercased()
                if member.isNull {
                    result[key] = member
                } else if secretNames.contains(lowered) || (typeIsSecret && lowered == "value") {
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
