// The slice of the admin client the provisioning operations need, so they test against a fake.
import KcxJSON

public protocol AdminAPI: AnyObject {
    /// Returns 2xx responses; throws KcxError for error statuses and TransportError below HTTP.
    func send(method: String, endpoint: Endpoint, realm: String?, query: [(String, String)], body: JSON?) throws -> HTTPResponse
    /// The retry layer under this API, which paces a create re-sent by `createOnce`; nil: no re-sending.
    var retrying: RetryingTransport? { get }
    /// How messages name a request to `endpoint`, e.g. `/admin/realms/demo/clients`.
    func displayPath(endpoint: Endpoint, realm: String?) -> String
}

extension AdminClient: AdminAPI {
    public var retrying: RetryingTransport? { transport as? RetryingTransport }

    public func displayPath(endpoint: Endpoint, realm: String?) -> String {
        APIError.displayPath(url: url(for: endpoint, realm: realm), server: server)
    }
}

/// How `createOnce` went.
public enum CreateResult {
    /// The POST succeeded: its answer.
    case created(HTTPResponse)
    /// The answer was lost (502/503/504, broken connection) but the object exists: the POST took effect.
    case recovered(id: String)
    /// 409: someone else made it (a concurrent run); the caller compares and updates as usual.
    case existing(id: String)
}

extension AdminAPI {
    public var retrying: RetryingTransport? { nil }

    public func displayPath(endpoint: Endpoint, realm: String?) -> String { endpoint.encoded }

    /// POSTs a new object without ever making two. When the answer is lost (502/503/504, a broken or
    /// refused connection) the object may or may not exist, so `find` (a lookup by its natural key:
    /// name, clientId, mapper name) decides: found, it is used; not found, the POST is sent again, at
    /// most `--retries` times with backoff. A 409 is answered by `find` too (`.existing`), which is
    /// how two runs creating the same object at once both succeed. A timeout is not re-sent.
    public func createOnce(_ endpoint: Endpoint, realm: String?, body: JSON, find: () throws -> String?) throws -> CreateResult {
        var resend = 0
        while true {
            do {
                return .created(try send(method: "POST", endpoint: endpoint, realm: realm, query: [], body: body))
            } catch let error as KcxError where error.cause == .status(409) {
                guard let id = try find() else { throw error }
                return .existing(id: id)
            } catch let error as KcxError where error.cause?.writeMayBeLost == true {
                if let id = try find() { return .recovered(id: id) }
                resend += 1
                let reason: String
                switch error.cause {
                case .status(let status)?: reason = "\(status)"
                case .transport(.connectionRefused)?: reason = "a refused connection"
                default: reason = "a lost connection"
                }
                guard let retrying,
                    retrying.pauseBeforeResending(
                        resend, method: "POST", url: displayPath(endpoint: endpoint, realm: realm), after: reason)
                else {
                    var failure = error
                    failure.message +=
                        resend > 1
                        ? " (gave up after \(resend) attempts, each time checking it had not been created)"
                        : " (kcx checked: it was not created)"
                    failure.hint =
                        resend > 1
                        ? "the server, or a proxy in front of it, kept failing: try again later, or allow more attempts with --retries N"
                        : "run the command again: it checks before creating, so it will not make a second one"
                    throw failure
                }
            }
        }
    }

    func get(_ endpoint: Endpoint, realm: String, query: [(String, String)] = []) throws -> JSON {
        let response = try send(method: "GET", endpoint: endpoint, realm: realm, query: query, body: nil)
        return try decode(response, "GET", endpoint, realm: realm)
    }

    /// The answer as JSON, or an error naming the request and what is wrong with the body: empty,
    /// cut short, or not JSON at all (an HTML page from a proxy answering 200).
    func decode(_ response: HTTPResponse, _ method: String, _ endpoint: Endpoint, realm: String) throws -> JSON {
        let path = displayPath(endpoint: endpoint, realm: realm)
        guard !response.body.isEmpty else {
            throw KcxError(
                .serverError,
                "\(method) \(path): the server answered \(response.status) with an empty body where JSON was expected")
        }
        do {
            return try JSON.parse(response.body)
        } catch {
            let type =
                response.header("Content-Type").map { $0.split(separator: ";").first.map(String.init) ?? $0 } ?? "unlabelled"
            let looksJSON = type.hasSuffix("json")
            throw KcxError(
                .serverError,
                "\(method) \(path): the server's answer (\(response.status), \(type), \(response.body.count) bytes) is not valid JSON: \(error.description)",
                hint: looksJSON
                    ? "the answer looks cut short: try again; if it repeats, a proxy may be truncating responses"
                    : "a proxy or load balancer may have answered instead of Keycloak: check the server URL")
        }
    }

    /// A GET whose answer must be a JSON array (every list endpoint).
    func getArray(_ endpoint: Endpoint, realm: String, query: [(String, String)] = []) throws -> [JSON] {
        let json = try get(endpoint, realm: realm, query: query)
        guard let array = json.arrayValue else {
            throw KcxError(
                .serverError,
                "GET \(displayPath(endpoint: endpoint, realm: realm)): expected a JSON array from the server, got \(JSONShape.name(of: json))",
                hint: "a proxy or another service may be answering instead of Keycloak: check the server URL")
        }
        return array
    }

    /// `value[key]` as a string, or an error naming the request, the element and the member.
    func requireString(_ value: JSON, _ key: String, in endpoint: Endpoint, realm: String, element index: Int? = nil) throws
        -> String
    {
        if let text = value[key]?.stringValue { return text }
        let which = index.map { "element \($0) of the answer" } ?? "the answer"
        let found = value[key].map { "is \(JSONShape.name(of: $0))" } ?? "is missing"
        throw KcxError(
            .serverError,
            "GET \(displayPath(endpoint: endpoint, realm: realm)): \(which): \"\(key)\" \(found), expected a string",
            hint: "a proxy or another service may be answering instead of Keycloak: check the server URL")
    }

    /// GET that answers nil for 404 instead of throwing.
    func getIfExists(_ endpoint: Endpoint, realm: String, query: [(String, String)] = []) throws -> JSON? {
        do {
            return try get(endpoint, realm: realm, query: query)
        } catch let error as KcxError where error.code == .notFound {
            return nil
        }
    }
}

/// Keycloak ids are UUIDs; anything else given where an object is named is a clientId or name.
func looksLikeUUID(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            if byte != UInt8(ascii: "-") { return false }
        } else if !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            && !(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
        {
            return false
        }
    }
    return true
}

/// Last path segment of a `Location` header: the id Keycloak gave a created object. Endpoints
/// that answer with the representation instead (authorization policies) give it as `id`.
func createdID(from response: HTTPResponse) -> String? {
    if let location = response.header("Location"), let slash = location.lastIndex(of: "/") {
        let id = String(location[location.index(after: slash)...])
        return id.isEmpty ? nil : id
    }
    return response.json?["id"]?.stringValue
}

/// Names a JSON value's kind in error messages.
enum JSONShape {
    static func name(of value: JSON) -> String {
        switch value {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .null: return "null"
        default: return "a number"
        }
    }
}
