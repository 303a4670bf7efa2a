// A raw-socket HTTP client for the server tests: sends exact bytes and reads exact answers.
import Foundation
import LoopbackHTTP

#if canImport(Glibc)
    import Glibc
#endif

struct RawResponse {
    var statusLine: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var status: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

enum RawClientError: Error { case connectFailed, timedOut, closedEarly, malformed(String) }

/// One TCP connection to the server under test.
final class RawHTTPClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16, host: String = "127.0.0.1") throws {
        let isIPv6 = host.contains(":")
        fd = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var result: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            close(fd)
            throw RawClientError.connectFailed
        }
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Reads more bytes; false on end of stream or error. Times out after `timeout` seconds.
    private func fill(timeout: Double) throws -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(timeout * 1000))
        if ready == 0 { throw RawClientError.timedOut }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Reads one response; `forHead` when the request was HEAD (no body follows despite Content-Length).
    func readResponse(forHead: Bool = false, timeout: Double = 5) throws -> RawResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findCRLFCRLF() { headEnd = range; break }
            guard try fill(timeout: timeout) else { throw RawClientError.closedEarly }
        }
        let headText = String(decoding: buffer[0..<headEnd! - 4], as: UTF8.self)
        buffer.removeFirst(headEnd!)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw RawClientError.malformed(line) }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = RawResponse(statusLine: statusLine, headers: headers, body: [])
        let length = forHead ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while buffer.count < length {
            guard try fill(timeout: timeout) else { throw RawClientError.closedEarly }
        }
        response.body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return response
    }

    /// True when the server closes the connection (end of stream) within `timeout`, with no further bytes.
    func readsEndOfStream(timeout: Double = 5) throws -> Bool {
        guard buffer.isEmpty else { return false }
        return try !fill(timeout: timeout) && buffer.isEmpty
    }

    /// Everything until the server closes.
    func readAll(timeout: Double = 5) throws -> [UInt8] {
        while try fill(timeout: timeout) {}
        defer { buffer.removeAll() }
        return buffer
    }

    private func findCRLFCRLF() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

/// A server whose handler echoes what it received: `METHOD PATH` then the body; query in `X-Query`.
func makeEchoServer(limits: LoopbackHTTPLimits = LoopbackHTTPLimits()) throws -> LoopbackHTTPServer {
    let server = LoopbackHTTPServer(limits: limits) { request in
        let query = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        var body = Array("\(request.method) \(request.path)\n".utf8)
        body.append(contentsOf: request.body)
        return .respond(
            ServerResponse(
                status: 200, headers: [("Content-Type", "text/plain"), ("X-Query", query), ("X-Remote", request.remoteAddress)],
                body: body))
    }
    try server.start()
    return server
}
