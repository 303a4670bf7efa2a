// Hides secrets (tokens, passwords, client secrets) from everything kcx shows: verbose traces,
// error messages and status output.
import KcxJSON

public enum Redaction {
    public static let placeholder = "<redacted>"

    /// Form fields and JSON members whose values are secrets.
    public static let secretNames: Set<String> = [
        "password", "client_secret", "secret", "refresh_token", "access_token", "id_token", "subject_token",
        "actor_token", "token", "client_assertion", "new_password",
    ]

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
        body.split(separator: "&", omittingEmptySubsequences: false).map { field -> String in
            guard let equals = field.firstIndex(of: "=") else { return String(field) }
            let name = String(field[..<equals])
            return secretNames.contains(name.lowercased()) ? "\(name)=\(placeholder)" : String(field)
        }.joined(separator: "&")
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
