// Parses HTTP/1.x request heads (request line and header fields) and decodes request targets.

/// A parsed request head; the body is read separately by the connection.
struct RequestHead {
    var method: String
    var target: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: [(name: String, value: String)]
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    var minorVersion: Int

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name }?.value
    }

    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name }.map(\.value)
    }
}

/// Why a request head was refused, as the status the server answers with.
struct RequestHeadError: Error, Equatable {
    var status: Int
    var reason: String
}

enum RequestParser {
    /// Finds the end of the head (the index just after the empty line) in `buffer`, starting the
    /// search at `from`. Lines end in CRLF or, leniently, a bare LF.
    static func headEnd(in buffer: [UInt8], from: Int) -> Int? {
        var index = max(from, 0)
        while index < buffer.count {
            if buffer[index] == UInt8(ascii: "\n") {
                if index + 1 < buffer.count, buffer[index + 1] == UInt8(ascii: "\n") { return index + 2 }
                if index + 2 < buffer.count, buffer[index + 1] == UInt8(ascii: "\r"), buffer[index + 2] == UInt8(ascii: "\n") {
                    return index + 3
                }
            }
            index += 1
        }
        return nil
    }

    /// The status refusing the buffer's first line when it is complete and not a valid request line;
    /// nil while it is incomplete or valid. Empty lines before it are skipped, as `parseHead` does.
    static func requestLineProblem(in buffer: [UInt8]) -> Int? {
        var start = 0
        while start < buffer.count, buffer[start] == UInt8(ascii: "\r") || buffer[start] == UInt8(ascii: "\n") { start += 1 }
        guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var end = newline
        if end > start, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        do {
            _ = try parseRequestLine(buffer[start..<end])
            return nil
        } catch {
            return error.status
        }
    }

    /// Parses `bytes` (the head including its final empty line).
    static func parseHead(_ bytes: ArraySlice<UInt8>) throws(RequestHeadError) -> RequestHead {
        var lines = splitLines(bytes)
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        while let first = lines.first, first.isEmpty { lines.removeFirst() }
        guard let requestLine = lines.first else { throw RequestHeadError(status: 400, reason: "empty request") }
        let (method, target, minorVersion) = try parseRequestLine(requestLine)

        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            headers.append(try parseHeaderLine(line))
        }
        let (path, query) = try splitTarget(target)
        return RequestHead(method: method, target: target, path: path, query: query, headers: headers, minorVersion: minorVersion)
    }

    private static func splitLines(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\n") {
                var end = index
                if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                lines.append(bytes[start..<end])
                start = index + 1
            }
            index += 1
        }
        if start < bytes.endIndex { lines.append(bytes[start..<bytes.endIndex]) }
        return lines
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(RequestHeadError) -> (String, String, Int) {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw RequestHeadError(status: 400, reason: "malformed request line")
        }
        guard parts[0].allSatisfy(isTokenCharacter) else { throw RequestHeadError(status: 400, reason: "malformed method") }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw RequestHeadError(status: 400, reason: "malformed request target")
        }
        let version = String(decoding: parts[2], as: UTF8.self)
        let minorVersion: Int
        switch version {
        case "HTTP/1.1": minorVersion = 1
        case "HTTP/1.0": minorVersion = 0
        default:
            let isHTTPVersion = version.hasPrefix("HTTP/") && version.count == 8
            throw RequestHeadError(status: isHTTPVersion ? 505 : 400, reason: "unsupported protocol version")
        }
        return (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self), minorVersion)
    }

    private static func parseHeaderLine(_ line: ArraySlice<UInt8>) throws(RequestHeadError) -> (name: String, value: String) {
        // Obsolete line folding (a line starting with whitespace) is refused, as RFC 9112 §5.2 allows.
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(isTokenCharacter)
        else { throw RequestHeadError(status: 400, reason: "malformed header field") }
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let value = line[valueStart..<valueEnd]
        guard value.allSatisfy({ $0 >= 0x20 || $0 == 0x09 }), !value.contains(0x7F) else {
            throw RequestHeadError(status: 400, reason: "malformed header value")
        }
        return (String(decoding: line[line.startIndex..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// Splits an origin-form (or absolute-form) target into its still-encoded path and decoded query.
    static func splitTarget(_ target: String) throws(RequestHeadError) -> (String, [(name: String, value: String)]) {
        var rest = Substring(target)
        if rest.hasPrefix("http://") || rest.hasPrefix("https://") {
            // Absolute form (RFC 9112 §3.2.2): drop scheme and authority.
            rest = rest.drop { $0 != ":" }.dropFirst(3)
            rest = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        } else if rest == "*" {
            return ("*", [])
        } else if !rest.hasPrefix("/") {
            throw RequestHeadError(status: 400, reason: "malformed request target")
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        guard let question = rest.firstIndex(of: "?") else { return (String(rest), []) }
        let path = String(rest[..<question])
        let queryString = rest[rest.index(after: question)...]
        var query: [(name: String, value: String)] = []
        for pair in queryString.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: "=") {
                query.append((formDecode(pair[..<equals]), formDecode(pair[pair.index(after: equals)...])))
            } else {
                query.append((formDecode(pair), ""))
            }
        }
        return (path, query)
    }

    /// Decodes `+` and `%XX`; a malformed escape is kept literally rather than refused.
    static func formDecode(_ text: Substring) -> String {
        percentDecode(text, plusAsSpace: true)
    }

    static func percentDecode(_ text: Substring, plusAsSpace: Bool) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count, let high = hexValue(utf8[index + 1]),
                let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// RFC 9110 §5.6.2 `tchar`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
