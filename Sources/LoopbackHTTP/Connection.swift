// One client connection: reads requests (keep-alive, pipelined), calls the handler, writes answers.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

final class Connection {
    private let fd: Int32
    private let remoteAddress: String
    private let server: LoopbackHTTPServer
    private var limits: LoopbackHTTPLimits { server.limits }
    /// Received bytes not yet consumed by a request.
    private var buffer: [UInt8] = []
    private var readChunk = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32, remoteAddress: String, server: LoopbackHTTPServer) {
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.server = server
    }

    /// Serves requests until the peer closes, a timeout fires, an error closes the connection or the server stops.
    /// The descriptor itself is closed by the server afterwards.
    func run() {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var sendTimeout = timeval(
            tv_sec: Int(limits.writeTimeout), tv_usec: Int(limits.writeTimeout.truncatingRemainder(dividingBy: 1) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))

        while !server.isStopping {
            guard serveOne() else { return }
        }
    }

    private enum Outcome { case keepOpen, close }

    /// Reads and answers one request; false when the connection must end.
    private func serveOne() -> Bool {
        // Idle wait for the first byte of the next request (empty lines between requests are skipped).
        while true {
            while let first = buffer.first, first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n") { buffer.removeFirst() }
            if !buffer.isEmpty { break }
            guard fill(deadline: monotonicSeconds() + limits.idleTimeout) == .data else { return false }
        }
        let deadline = monotonicSeconds() + limits.requestTimeout

        // The head.
        var searchFrom = 0
        var headEnd: Int?
        while headEnd == nil {
            headEnd = RequestParser.headEnd(in: buffer, from: searchFrom)
            if headEnd != nil { break }
            if buffer.count > limits.maxHeadBytes { return fail(431) }
            // A complete but bad request line (garbage, HTTP/0.9's bare `GET /`) is refused at once,
            // not after the request timeout: such a client may never send the empty line.
            if let status = RequestParser.requestLineProblem(in: buffer) { return fail(status) }
            searchFrom = max(0, buffer.count - 2)
            switch fill(deadline: deadline) {
            case .data: continue
            case .timedOut: return fail(408)
            case .closed: return false
            }
        }
        guard let headEnd, headEnd <= limits.maxHeadBytes else { return fail(431) }
        let head: RequestHead
        do {
            head = try RequestParser.parseHead(buffer[0..<headEnd])
        } catch {
            return fail(error.status)
        }
        buffer.removeFirst(headEnd)

        // RFC 9112 §3.2: HTTP/1.1 requests carry exactly one Host.
        if head.minorVersion == 1 && head.headerValues("host").count != 1 { return fail(400) }

        // Framing of the body.
        let transferEncodings = head.headerValues("transfer-encoding")
        let contentLengths = head.headerValues("content-length")
        var chunked = false
        var contentLength = 0
        if !transferEncodings.isEmpty {
            // Both framings at once is a smuggling vector: refuse (RFC 9112 §6.3 allows it).
            if !contentLengths.isEmpty { return fail(400) }
            let codings = transferEncodings.joined(separator: ",").split(separator: ",").map {
                $0.trimmingSpaces().lowercased()
            }
            guard codings == ["chunked"] else { return fail(codings.last == "chunked" ? 501 : 400) }
            chunked = true
        } else if !contentLengths.isEmpty {
            let values = Set(contentLengths.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces() } })
            guard values.count == 1, let text = values.first, !text.isEmpty, text.count <= 18,
                text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let length = Int(text)
            else { return fail(400) }
            if length > limits.maxBodyBytes { return fail(413) }
            contentLength = length
        }

        if let expectation = head.header("expect") {
            guard expectation.lowercased() == "100-continue" else { return fail(417) }
            let bodyPending = chunked ? buffer.isEmpty : buffer.count < contentLength
            if head.minorVersion == 1 && bodyPending {
                guard write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return false }
            }
        }

        // The body.
        var body: [UInt8] = []
        if chunked {
            switch readChunkedBody(deadline: deadline) {
            case .success(let bytes): body = bytes
            case .failure(let error): return error.status == 0 ? false : fail(error.status)
            }
        } else if contentLength > 0 {
            while buffer.count < contentLength {
                switch fill(deadline: deadline) {
                case .data: continue
                case .timedOut: return fail(408)
                case .closed: return false
                }
            }
            body = Array(buffer[0..<contentLength])
            buffer.removeFirst(contentLength)
        }

        // Keep-alive: the HTTP/1.1 default unless the client says close; HTTP/1.0 only on request.
        let connectionTokens = head.headerValues("connection").joined(separator: ",").lowercased()
            .split(separator: ",").map { $0.trimmingSpaces() }
        var keepAlive = head.minorVersion == 1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")

        // JAX-RS answers HEAD with the GET resource minus the body; the handler sees GET.
        let isHead = head.method == "HEAD"
        let request = ServerRequest(
            method: isHead ? "GET" : head.method, target: head.target, path: head.path, query: head.query,
            headers: head.headers, body: body, remoteAddress: remoteAddress)

        let response: ServerResponse
        switch server.handle(request) {
        case .respond(let answer):
            response = answer
        case .respondAfter(let seconds, let answer):
            let until = monotonicSeconds() + seconds
            while monotonicSeconds() < until {
                if server.isStopping { return false }
                usleep(UInt32(min(max(until - monotonicSeconds(), 0), 0.05) * 1_000_000))
            }
            response = answer
        case .dropConnection:
            // No answer at all: the client sees the connection closed (fault injection).
            shutdown(fd, Int32(SHUT_RDWR))
            return false
        }
        if response.headers.contains(where: { $0.name.lowercased() == "connection" && $0.value.lowercased() == "close" }) {
            keepAlive = false
        }
        server.countServed()
        let sent = write(serialize(response, isHead: isHead, keepAlive: keepAlive, minorVersion: head.minorVersion))
        return sent && keepAlive
    }

    private enum FillResult { case data, timedOut, closed }

    /// Waits (until `deadline`) for more bytes and appends them to the buffer.
    private func fill(deadline: Double) -> FillResult {
        while true {
            if server.isStopping { return .closed }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 { return .timedOut }
            var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollDescriptor, 1, Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                return .closed
            }
            if ready == 0 { continue }
            let count = readChunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: readChunk[0..<count])
                return .data
            }
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return .closed
        }
    }

    /// Status 0 means "close without answering" (the peer went away).
    private struct BodyError: Error { var status: Int }

    private func readChunkedBody(deadline: Double) -> Result<[UInt8], BodyError> {
        var body: [UInt8] = []
        var position = 0
        func readLine() -> Result<ArraySlice<UInt8>, BodyError> {
            while true {
                if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = newline
                    if end > position, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let line = buffer[position..<end]
                    position = newline + 1
                    return .success(line)
                }
                if buffer.count - position > 4096 { return .failure(BodyError(status: 400)) }
                switch fill(deadline: deadline) {
                case .data: continue
                case .timedOut: return .failure(BodyError(status: 408))
                case .closed: return .failure(BodyError(status: 0))
                }
            }
        }
        while true {
            let sizeLine: ArraySlice<UInt8>
            switch readLine() {
            case .success(let line): sizeLine = line
            case .failure(let error): return .failure(error)
            }
            let digits = sizeLine.prefix { $0 != UInt8(ascii: ";") }.drop { $0 == 0x20 }.reversed().drop {
                $0 == 0x20 || $0 == 0x09
            }.reversed()
            guard !digits.isEmpty, digits.count <= 15 else { return .failure(BodyError(status: 400)) }
            var size = 0
            for digit in digits {
                guard let value = RequestParser.hexValue(digit) else { return .failure(BodyError(status: 400)) }
                size = size * 16 + Int(value)
            }
            if size == 0 { break }
            if body.count + size > limits.maxBodyBytes { return .failure(BodyError(status: 413)) }
            while buffer.count - position < size + 2 {
                switch fill(deadline: deadline) {
                case .data: continue
                case .timedOut: return .failure(BodyError(status: 408))
                case .closed: return .failure(BodyError(status: 0))
                }
            }
            body.append(contentsOf: buffer[position..<position + size])
            position += size
            // The chunk's data must end with CRLF (or a bare LF).
            if buffer[position] == UInt8(ascii: "\r") && buffer[position + 1] == UInt8(ascii: "\n") {
                position += 2
            } else if buffer[position] == UInt8(ascii: "\n") {
                position += 1
            } else {
                return .failure(BodyError(status: 400))
            }
            // Keep the buffer small for large bodies.
            buffer.removeFirst(position)
            position = 0
        }
        // Trailer fields, ignored, up to the empty line.
        var trailerBytes = 0
        while true {
            switch readLine() {
            case .success(let line):
                if line.isEmpty {
                    buffer.removeFirst(position)
                    return .success(body)
                }
                trailerBytes += line.count
                if trailerBytes > limits.maxHeadBytes { return .failure(BodyError(status: 431)) }
            case .failure(let error): return .failure(error)
            }
        }
    }

    private func serialize(_ response: ServerResponse, isHead: Bool, keepAlive: Bool, minorVersion: Int) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        for (name, value) in response.headers {
            let lowered = name.lowercased()
            if lowered == "content-length" || lowered == "connection" || lowered == "transfer-encoding" { continue }
            // A handler bug must not split the response: drop fields that would inject lines.
            if name.utf8.contains(where: { $0 == 13 || $0 == 10 }) || value.utf8.contains(where: { $0 == 13 || $0 == 10 }) {
                continue
            }
            head += "\(name): \(value)\r\n"
        }
        let hasNoBody = response.status == 204 || response.status == 304 || (100..<200).contains(response.status)
        if !hasNoBody { head += "Content-Length: \(response.body.count)\r\n" }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if minorVersion == 0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !isHead && !hasNoBody { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// Sends all of `bytes`; false when the peer is gone or a write timed out.
    private func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
            } else if sent < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Answers an unusable request with `status` and closes: first our side, then (briefly) draining what
    /// the client still sends, so it reads the answer instead of a connection reset.
    private func fail(_ status: Int) -> Bool {
        server.countServed()
        let answer = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        guard write(Array(answer.utf8)) else { return false }
        shutdown(fd, Int32(SHUT_WR))
        let drainDeadline = monotonicSeconds() + 1
        var drained = 0
        buffer.removeAll()
        while drained < 1024 * 1024, fill(deadline: drainDeadline) == .data {
            drained += buffer.count
            buffer.removeAll()
        }
        return false
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// RFC 9110 reason phrases for the statuses a Keycloak-like server uses.
func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: return "Continue"
    case 200: return "OK"
    case 201: return "Created"
    case 202: return "Accepted"
    case 204: return "No Content"
    case 301: return "Moved Permanently"
    case 302: return "Found"
    case 303: return "See Other"
    case 304: return "Not Modified"
    case 307: return "Temporary Redirect"
    case 400: return "Bad Request"
    case 401: return "Unauthorized"
    case 403: return "Forbidden"
    case 404: return "Not Found"
    case 405: return "Method Not Allowed"
    case 406: return "Not Acceptable"
    case 408: return "Request Timeout"
    case 409: return "Conflict"
    case 413: return "Content Too Large"
    case 415: return "Unsupported Media Type"
    case 417: return "Expectation Failed"
    case 422: return "Unprocessable Content"
    case 429: return "Too Many Requests"
    case 431: return "Request Header Fields Too Large"
    case 500: return "Internal Server Error"
    case 501: return "Not Implemented"
    case 502: return "Bad Gateway"
    case 503: return "Service Unavailable"
    case 504: return "Gateway Timeout"
    case 505: return "HTTP Version Not Supported"
    default: return "Status \(status)"
    }
}
