// Requests and responses as the server's handler sees them: raw bytes and ordered headers,
// nothing Keycloak-specific.

public struct ServerRequest: Sendable {
    public var method: String
    /// The request target exactly as received, e.g. `/admin/realms/x/clients?first=0&max=10`.
    public var target: String
    /// The target's path, still percent-encoded (so `%2F` inside an id stays distinguishable).
    public var path: String
    /// Query parameters, percent- and `+`-decoded, in order.
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var remoteAddress: String

    public init(
        method: String, target: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], body: [UInt8], remoteAddress: String = "127.0.0.1"
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
}

public struct ServerResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What the handler wants done with a request; the last two exist for fault injection.
public enum ServerAction: Sendable {
    case respond(ServerResponse)
    /// Wait before answering (a slow server), then answer.
    case respondAfter(seconds: Double, ServerResponse)
    /// Close the connection without sending anything.
    case dropConnection
}
