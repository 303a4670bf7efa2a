// The HTTP seam: commands talk to Keycloak through `HTTPTransport`, so tests can inject a stub
// and the real binary uses libcurl (`CurlTransport`).
import KcxJSON

public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// Absolute URL, query string included.
    public var url: String
    /// Header order is kept; names are compared case-insensitively.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Why this request's headers cannot be sent, or nil: a name that is not an HTTP token, or a
    /// value holding a control character (a CR or LF would end the header and start one the
    /// request never meant to send). Names the header, never shows its value.
    public var headerProblem: String? {
        for header in headers {
            guard ControlCharacters.isHeaderName(header.name) else {
                return "the header name '\(TerminalText.escape(header.name, newlines: false))' is not an HTTP token"
            }
            if let scalar = ControlCharacters.firstInHeaderValue(header.value) {
                return "the \(header.name) header contains a control character (\(ControlCharacters.name(scalar)))"
            }
        }
        return nil
    }

    public static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name.lowercased()):\($0.value)" }
                == rhs.headers.map { "\($0.name.lowercased()):\($0.value)" }
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Set by `RetryingTransport` on a failed answer it stopped retrying: how many attempts were
    /// made, or why it did not retry, e.g. `gave up after 4 attempts`. Error messages append it.
    public var retryNote: String?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON, or nil when it is empty or not JSON (an HTML error page from a proxy).
    public var json: JSON? { body.isEmpty ? nil : try? JSON.parse(body) }
}

/// Settings that apply to every request of one kcx run.
public struct TransportOptions: Sendable, Equatable {
    /// Total time for one request, in seconds; the connect phase gets the smaller of this and 10 s.
    public var timeoutSeconds: Double = 30
    /// Skip TLS certificate and host name verification (`--insecure`).
    public var insecure = false
    /// PEM bundle of trusted CAs (`--cacert`).
    public var caCertificateFile: String?
    /// Trusted CAs as PEM text, read from a PKCS#12 truststore (`--truststore FILE.p12`); wins over
    /// `caCertificateFile`.
    public var caCertificatePEM: [UInt8]?
    /// Largest response body kcx reads; a larger one fails the request (`.responseTooLarge`) instead
    /// of filling memory. Keycloak's largest answers (a realm export, 10,000 clients) are a few MiB.
    public var maxResponseBytes = 64 << 20
    public var userAgent = "kcx/\(KcxVersion.current)"

    public init() {}
}

/// Failures below HTTP: nothing usable came back.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case connectionRefused
        case couldNotResolveHost
        case timedOut
        case tls
        /// The connection broke before a whole answer came: reset, empty reply, body cut short.
        case connectionLost
        /// The answer was larger than `TransportOptions.maxResponseBytes`.
        case responseTooLarge
        /// kcx refused to send the request (`HTTPRequest.headerProblem`); nothing left the machine.
        case invalidRequest
        case other
    }

    public let kind: Kind
    public let message: String
    public let url: String
    /// Set by `RetryingTransport` when it stopped retrying, e.g. `gave up after 4 attempts`.
    public var retryNote: String?

    public init(kind: Kind, message: String, url: String) {
        self.kind = kind
        self.message = message
        self.url = url
    }

    public var description: String { message }
}

/// Sends one request and waits for the whole response. Implementations are synchronous and
/// are called from the main thread or from threads they own, never from Swift's cooperative pool.
public protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
