// Keycloak's admin answers: success shapes (JSON reads, 201 with Location, 204) and the four
// error-body shapes of admin-api.md §10, plus request-body decoding with Keycloak's JSON errors.
import KcxJSON
import LoopbackHTTP

enum AdminResponse {
    /// A successful read: `application/json;charset=UTF-8` and `Cache-Control: no-cache` (§10.3).
    static func json(_ body: JSON, status: Int = 200) -> ServerResponse {
        ServerResponse(
            status: status,
            headers: [("Content-Type", "application/json;charset=UTF-8"), ("Cache-Control", "no-cache")],
            body: body.serializedBytes())
    }

    static func json(_ body: JSONObject) -> ServerResponse { json(.object(body)) }
    static func json(_ body: [JSONObject]) -> ServerResponse { json(.array(body.map { .object($0) })) }

    /// 201 with an absolute Location and no body (§10.5).
    static func created(_ location: String) -> ServerResponse {
        ServerResponse(status: 201, headers: [("Location", location)])
    }

    static let noContent = ServerResponse(status: 204)

    /// Shape B: prose in `error` (JAX-RS exceptions).
    static func error(_ status: Int, _ message: String) -> ServerResponse {
        errorBody(status, JSONObject([("error", .string(message))]))
    }

    /// Shape C: `ErrorRepresentation` (`ErrorResponse.error` / `exists`).
    static func errorMessage(_ status: Int, _ message: String) -> ServerResponse {
        errorBody(status, JSONObject([("errorMessage", .string(message))]))
    }

    /// Shape A: OAuth2-style `error` + `error_description`.
    static func oauth(_ status: Int, _ error: String, _ description: String) -> ServerResponse {
        errorBody(status, JSONObject([("error", .string(error)), ("error_description", .string(description))]))
    }

    static func errorBody(_ status: Int, _ body: JSONObject) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")], body: JSON.object(body).serializedBytes())
    }

    static let unauthorized = error(401, "HTTP 401 Unauthorized")
    static let forbidden = error(403, "HTTP 403 Forbidden")
    static let notFound = error(404, "HTTP 404 Not Found")
    static let methodNotAllowed = error(405, "HTTP 405 Method Not Allowed")
    static let realmNotFound = error(404, "Realm not found.")
    /// Shape D for anything that is a server-side exception in Keycloak (null body, missing name...).
    static let serverError = oauth(500, "unknown_error", "For more on this error consult the server log.")
    static let duplicateResource = oauth(409, "conflict", "Duplicate resource error")
    static let unsupportedMediaType = error(415, "The content-type header value did not match the value in @Consumes")
}

/// Why a request body could not become the representation a route wants, already as Keycloak's answer.
struct BodyError: Error {
    let response: ServerResponse
}

/// The JSON types of representation fields, for Jackson-like binding checks.
enum FieldKind {
    case string, bool, int, stringArray, object, array, any
}

/// Decodes request bodies the way Keycloak's Jackson binding fails (§10.2, §10.4).
enum AdminBody {
    /// True when the request's Content-Type is JSON. A missing header is accepted: Keycloak's
    /// behaviour there is not established (admin-api.md Appendix B) and every real client sends one.
    static func hasJSONContentType(_ request: ServerRequest) -> Bool {
        guard let type = request.header("Content-Type") else { return true }
        let mediaType = type.split(separator: ";").first.map { String($0).lowercased() } ?? ""
        return mediaType.trimmed == "application/json"
    }

    /// Parses the body as a `className` object. `schema` lists the known fields and their kinds;
    /// nil means unknown fields are ignored (`@JsonIgnoreProperties(ignoreUnknown=true)`).
    static func object(
        _ request: ServerRequest, className: String, schema: [String: FieldKind]?
    ) throws(BodyError) -> JSONObject {
        let value = try parse(request)
        guard case .object(let object) = value else {
            // `null` binds to a null representation, which the resource then dereferences.
            if value.isNull { throw BodyError(response: AdminResponse.serverError) }
            throw BodyError(response: AdminResponse.oauth(400, "unknown_error", "Cannot parse the JSON"))
        }
        if let schema { try check(object, schema: schema, className: className, body: request.body) }
        return object
    }

    /// Parses the body as an array of objects (add-models, role lists).
    static func array(
        _ request: ServerRequest, className: String, schema: [String: FieldKind]?
    ) throws(BodyError) -> [JSONObject] {
        let value = try parse(request)
        guard case .array(let items) = value else {
            if value.isNull { throw BodyError(response: AdminResponse.serverError) }
            throw BodyError(response: AdminResponse.oauth(400, "unknown_error", "Cannot parse the JSON"))
        }
        var objects: [JSONObject] = []
        for item in items {
            guard case .object(let object) = item else {
                throw BodyError(response: AdminResponse.oauth(400, "unknown_error", "Cannot parse the JSON"))
            }
            if let schema { try check(object, schema: schema, className: className, body: request.body) }
            objects.append(object)
        }
        return objects
    }

    /// Syntax errors are 400 `invalid_request`; an empty body is a null entity → 500.
    static func parse(_ request: ServerRequest) throws(BodyError) -> JSON {
        if request.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw BodyError(response: AdminResponse.serverError)
        }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw BodyError(response: AdminResponse.oauth(400, "invalid_request", "Cannot parse the JSON"))
        }
    }

    private static func check(
        _ object: JSONObject, schema: [String: FieldKind], className: String, body: [UInt8]
    ) throws(BodyError) {
        for (key, value) in object {
            guard let kind = schema[key] else {
                let (line, column) = valueLocation(of: key, in: body)
                throw BodyError(
                    response: AdminResponse.error(
                        400,
                        "Invalid json representation for \(className). Unrecognized field \"\(key)\" at line \(line) column \(column)."
                    ))
            }
            if !binds(value, to: kind) {
                throw BodyError(response: AdminResponse.oauth(400, "unknown_error", "Cannot parse the JSON"))
            }
        }
    }

    /// Jackson's scalar coercions: strings accept numbers and booleans; booleans and numbers accept
    /// their string spellings; `null` binds to anything.
    private static func binds(_ value: JSON, to kind: FieldKind) -> Bool {
        if value.isNull { return true }
        switch (kind, value) {
        case (.any, _): return true
        case (.string, .string), (.string, .int), (.string, .double), (.string, .bool): return true
        case (.bool, .bool): return true
        case (.bool, .string(let text)): return text == "true" || text == "false"
        case (.int, .int): return true
        case (.int, .string(let text)): return Int64(text) != nil
        case (.object, .object), (.array, .array): return true
        case (.stringArray, .array(let items)): return items.allSatisfy { binds($0, to: .string) }
        default: return false
        }
    }

    /// Where Jackson reports an unknown property: the start of its value (1-based line and column).
    static func valueLocation(of key: String, in body: [UInt8]) -> (Int, Int) {
        var depth = 0
        var index = 0
        var line = 1
        var lineStart = 0
        func skipWhitespace() {
            while index < body.count, [0x20, 0x09, 0x0A, 0x0D].contains(body[index]) {
                if body[index] == 0x0A {
                    line += 1
                    lineStart = index + 1
                }
                index += 1
            }
        }
        while index < body.count {
            let byte = body[index]
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
            if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
            if byte == 0x0A {
                line += 1
                lineStart = index + 1
            }
            if byte == UInt8(ascii: "\"") {
                let start = index + 1
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    if body[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                let text = String(decoding: body[start..<min(index, body.count)], as: UTF8.self)
                index += 1
                skipWhitespace()
                if depth == 1, index < body.count, body[index] == UInt8(ascii: ":"), text == key {
                    index += 1
                    skipWhitespace()
                    return (line, index - lineStart + 1)
                }
                continue
            }
            index += 1
        }
        return (1, 1)
    }
}

extension String {
    /// Without leading and trailing spaces (FoundationEssentials has no trimmingCharacters).
    var trimmed: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
