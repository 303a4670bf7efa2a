// The `-v/--verbose` trace: wraps a transport and reports each exchange, secrets redacted,
// through a logger closure (KeycloakKit never prints).

public final class VerboseTransport: HTTPTransport {
    private let inner: HTTPTransport
    private let log: (String) -> Void
    private let clock: () -> Double

    /// `clock` returns seconds from any fixed origin; it is injected so tests see fixed timings.
    public init(
        wrapping inner: HTTPTransport, log: @escaping (String) -> Void,
        clock: @escaping () -> Double = VerboseTransport.monotonicSeconds
    ) {
        self.inner = inner
        self.log = log
        self.clock = clock
    }

    public static func monotonicSeconds() -> Double {
        let elapsed = ContinuousClock.Instant.now - processStart
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let shownURL = Redaction.url(request.url)
        log("> \(request.method) \(shownURL)")
        for header in request.headers {
            log("> \(header.name): \(Redaction.headerValue(name: header.name, value: header.value))")
        }
        if let body = request.body, !body.isEmpty {
            log("> " + Redaction.body(body, contentType: request.header("Content-Type")))
        }
        let start = clock()
        let response: HTTPResponse
        do {
            response = try inner.send(request)
        } catch {
            log(
                "! \(request.method) \(shownURL) failed after \(milliseconds(since: start)) ms: \(error.message.replacingURL(request.url, with: shownURL))"
            )
            throw error
        }
        log("< \(response.status) \(HTTPStatus.reason(response.status)) (\(milliseconds(since: start)) ms)")
        if let type = response.header("Content-Type") { log("< Content-Type: \(type)") }
        // A redirect's Location can carry a code or tokens (`#access_token=`).
        if let location = response.header("Location") { log("< Location: \(Redaction.url(location))") }
        if !response.body.isEmpty {
            log("< " + Redaction.body(response.body, contentType: response.header("Content-Type")))
        }
        return response
    }

    private func milliseconds(since start: Double) -> Int {
        Int(((clock() - start) * 1000).rounded())
    }
}

private let processStart = ContinuousClock.Instant.now

extension String {
    /// This text with every occurrence of `url` (as a transport error may quote it) shown as `shown`.
    fileprivate func replacingURL(_ url: String, with shown: String) -> String {
        guard url != shown, !url.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: url) {
            result += rest[..<range.lowerBound] + shown
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// Reason phrases for the statuses Keycloak and proxies send.
public enum HTTPStatus {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
