// Response builders for the OIDC endpoints, with the headers Keycloak 26.7.1 sends on each.
import KcxJSON
import LoopbackHTTP

enum OIDCResponse {
    /// Token-endpoint answers (success and error) carry `no-store` and `Pragma` (TokenEndpoint, recorded).
    static func token(_ status: Int, _ body: JSONObject) -> ServerResponse {
        ServerResponse(
            status: status,
            headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("Pragma", "no-cache")],
            body: JSON.object(body).serializedBytes())
    }

    static func tokenError(_ status: Int, _ error: String, _ description: String) -> ServerResponse {
        token(status, oauthError(error, description))
    }

    /// Errors of the other OIDC endpoints: plain JSON, no cache headers (recorded on logout/introspect).
    static func error(_ status: Int, _ error: String, _ description: String) -> ServerResponse {
        json(status, oauthError(error, description), cacheControl: nil)
    }

    static func json(_ status: Int, _ body: JSONObject, cacheControl: String? = "no-cache") -> ServerResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let cacheControl { headers.append(("Cache-Control", cacheControl)) }
        return ServerResponse(status: status, headers: headers, body: JSON.object(body).serializedBytes())
    }

    static func oauthError(_ error: String, _ description: String) -> JSONObject {
        JSONObject([("error", .string(error)), ("error_description", .string(description))])
    }

    /// `{"error":"Realm does not exist"}`, 404, for every path under an unknown realm (recorded).
    static let realmNotFound = json(404, JSONObject([("error", "Realm does not exist")]), cacheControl: nil)

    /// Userinfo refusals: an empty body with the reason in `WWW-Authenticate` (recorded).
    static func bearerChallenge(_ status: Int, realm: String, error: String?, description: String?) -> ServerResponse {
        var challenge = "Bearer realm=\"\(realm)\""
        if let error { challenge += ", error=\"\(error)\"" }
        if let description { challenge += ", error_description=\"\(description)\"" }
        return ServerResponse(
            status: status,
            headers: [
                ("Cache-Control", "no-store"), ("Content-Type", "text/plain;charset=utf-8"), ("Pragma", "no-cache"),
                ("WWW-Authenticate", challenge),
            ])
    }
}

/// An `application/x-www-form-urlencoded` body, parameters in order, repeats kept.
struct FormBody {
    var parameters: [(name: String, value: String)]

    init(_ bytes: [UInt8]) {
        parameters = []
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = FormBody.decode(parts[0])
            let value = parts.count > 1 ? FormBody.decode(parts[1]) : ""
            parameters.append((name, value))
        }
    }

    func first(_ name: String) -> String? { parameters.first { $0.name == name }?.value }

    func all(_ name: String) -> [String] { parameters.filter { $0.name == name }.map(\.value) }

    /// The first parameter, other than those allowed to repeat, that occurs more than once.
    func duplicatedParameter(allowing repeatable: Set<String> = []) -> String? {
        var seen = Set<String>()
        for (name, _) in parameters where !repeatable.contains(name) {
            if !seen.insert(name).inserted { return name }
        }
        return nil
    }

    /// Percent-decoding, `+` as space unless decoding a path segment; invalid escapes are kept literally.
    static func decode(_ bytes: ArraySlice<UInt8>, plusAsSpace: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") && plusAsSpace {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
