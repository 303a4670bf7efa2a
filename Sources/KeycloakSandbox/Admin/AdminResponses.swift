// Keycloak's admin answers: success shapes (JSON reads, 201 with Location, 204) and the four
// error-body shapes of admin-api.md §10, plus request-body decoding with Keycloak's JSON errors.
import KcxJSON
import LoopbackHTTP

enum AdminResponse {
    /// A successful read: `application/json;charset=UTF-8` and `Cache-Control: no-cache` (§10.3).
    static func json(_ body: JSON, status: Int = 200, noCache: Bool = true) -> ServerResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json;charset=UTF-8")]
        if noCache { headers.append(("Cache-Control", "no-cache")) }
        return ServerResponse(status: status, headers: headers, body: body.serializedBytes())
    }

    static func json(_ body: JSONObject) -> ServerResponse { json(.object(body)) }
    static func json(_ body: [JSONObject]) -> ServerResponse { json(.array(body.map { .object($0) })) }

    /// 201 with an absolute Location and no body (§10.5). `noCache`: the resource method carries
    /// `@NoCache`, which adds `Cache-Control: no-cache` to writes too (recorded per route: creating a
    /// client scope or a protocol mapper does, creating a client, user, role or realm does not).
    static func created(_ location: String, noCache: Bool = false) -> ServerResponse {
        var headers: [(name: String, value: String)] = []
        if noCache { headers.append(("Cache-Control", "no-cache")) }
        headers.append(("Location", location))
        return ServerResponse(status: 201, headers: headers)
    }

    /// 204 from a resource method without `@NoCache` (updates, role mappings, composites, realm deletion).
    static let noContent = ServerResponse(status: 204)
    /// 204 from a `@NoCache` method (recorded 26.7.1: deleting a client, client scope, user, role or
    /// protocol mapper; updating a protocol mapper; adding or removing a default client scope).
    static let noContentNoCache = ServerResponse(status: 204, headers: [("Cache-Control", "no-cache")])

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

/// The Java type of a representation field, as Jackson binds JSON to it.
indirect enum FieldKind {
    /// `String`: also takes a number or boolean, as its text.
    case string
    /// `Boolean`: also takes "true"/"True"/"TRUE" and "false"/"False"/"FALSE" (trimmed), and a whole
    /// number (0 is false); "" is null.
    case bool
    /// `Integer`: also takes a whole number as a string ("600") and truncates a fraction; "" is null.
    case int
    /// `Long`: as `int`, in 64 bits.
    case long
    /// `List<String>`/`Set<String>`: each element as `string`.
    case stringArray
    /// `Map<String, String>`: each value as `string`.
    case stringMap
    /// Any other object or list, bound without a closer look.
    case object, array
    /// A list of nested representations: each element bound by that schema (unknown fields kept).
    case objects([String: FieldKind])
    case any
}

extension FieldKind {
    var isLong: Bool { if case .long = self { return true } else { return false } }
}

/// Why a request body does not bind to a representation.
enum BindingFailure: Error, Equatable {
    /// A field the representation does not have (Jackson's `UnrecognizedPropertyException`).
    case unknownField(String)
    /// A value of the wrong JSON type, or a string that is no number or boolean (`MismatchedInputException`).
    case mismatch(String)
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
        guard let schema else { return object }
        return try bind(object, schema: schema, className: className, body: request.body)
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
            if let schema {
                objects.append(try bind(object, schema: schema, className: className, body: request.body))
            } else {
                objects.append(object)
            }
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

    /// Binds a top-level representation: Keycloak's Jackson answers for an unknown field or a value
    /// that does not fit (admin-api.md §10.2, §10.4).
    private static func bind(
        _ object: JSONObject, schema: [String: FieldKind], className: String, body: [UInt8]
    ) throws(BodyError) -> JSONObject {
        do {
            return try bind(object, schema: schema, ignoringUnknown: Schemas.ignoresUnknownFields.contains(className))
        } catch .unknownField(let key) {
            let (line, column) = valueLocation(of: key, in: body)
            throw BodyError(
                response: AdminResponse.error(
                    400,
                    "Invalid json representation for \(className). Unrecognized field \"\(key)\" at line \(line) column \(column)."
                ))
        } catch {
            throw BodyError(response: AdminResponse.oauth(400, "unknown_error", "Cannot parse the JSON"))
        }
    }

    /// The representation as Jackson reads it into `schema`'s field types: scalars coerced to the
    /// field's type (`"true"` becomes `true` for a Boolean, `600` becomes `"600"` for a String), or the
    /// first field that does not bind. Every route that takes a representation decodes it here.
    static func bind(
        _ object: JSONObject, schema: [String: FieldKind], ignoringUnknown: Bool
    ) throws(BindingFailure) -> JSONObject {
        var members: [(String, JSON)] = []
        members.reserveCapacity(object.count)
        for (key, value) in object {
            guard let kind = schema[key] else {
                if ignoringUnknown {
                    members.append((key, value))
                    continue
                }
                throw .unknownField(key)
            }
            guard let bound = bind(value, to: kind) else { throw .mismatch(key) }
            members.append((key, bound))
        }
        return JSONObject(members: members)
    }

    /// One value as a field of `kind` holds it, or nil when Jackson refuses it. `null` binds to anything.
    static func bind(_ value: JSON, to kind: FieldKind) -> JSON? {
        if value.isNull { return value }
        switch (kind, value) {
        case (.any, _): return value
        case (.string, .string): return value
        case (.string, .int(let number)): return .string(String(number))
        case (.string, .double(let number)): return .string(javaText(number))
        case (.string, .bool(let flag)): return .string(flag ? "true" : "false")
        case (.bool, .bool): return value
        // Integer to Boolean is a coercion Jackson allows by default (`_coerceBooleanFromInt`): 0 is false.
        case (.bool, .int(let number)): return .bool(number != 0)
        case (.bool, .string(let text)):
            let word = text.trimmed
            if word.isEmpty || word == "null" { return .null }
            if ["true", "True", "TRUE"].contains(word) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(word) { return .bool(false) }
            return nil
        case (.int, _), (.long, _):
            let range: ClosedRange<Int64> = kind.isLong ? Int64.min...Int64.max : Int64(Int32.min)...Int64(Int32.max)
            switch value {
            case .int(let number):
                // (Not a ternary: `nil` there would be JSON's nil literal, `.null`.)
                guard range.contains(number) else { return nil }
                return value
            case .double(let number):
                // ACCEPT_FLOAT_AS_INT: the fraction is dropped.
                guard number.isFinite, let whole = Int64(exactly: number.rounded(.towardZero)), range.contains(whole) else {
                    return nil
                }
                return .int(whole)
            case .string(let text):
                let word = text.trimmed
                if word.isEmpty || word == "null" { return .null }
                guard let number = Int64(word.hasPrefix("+") ? String(word.dropFirst()) : word), range.contains(number) else {
                    return nil
                }
                return .int(number)
            default: return nil
            }
        case (.stringArray, .array(let items)):
            var out: [JSON] = []
            for item in items {
                guard let bound = bind(item, to: .string) else { return nil }
                out.append(bound)
            }
            return .array(out)
        case (.stringMap, .object(let map)):
            var members: [(String, JSON)] = []
            for (key, item) in map {
                guard let bound = bind(item, to: .string) else { return nil }
                members.append((key, bound))
            }
            return .object(JSONObject(members: members))
        case (.objects(let schema), .array(let items)):
            var out: [JSON] = []
            for item in items {
                guard case .object(let nested) = item else {
                    if item.isNull { out.append(item) } else { return nil }
                    continue
                }
                guard let bound = try? bind(nested, schema: schema, ignoringUnknown: true) else { return nil }
                out.append(.object(bound))
            }
            return .array(out)
        case (.object, .object), (.array, .array): return value
        default: return nil
        }
    }

    /// Java's `Double.toString` for the common cases (a whole number keeps ".0").
    private static func javaText(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e7 { return String(Int64(number)) + ".0" }
        return String(number)
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
