// Which requests send a password or client secret in the clear: plain http:// to a host other
// than this machine. The decision, and a transport that reports it once per run.
import Synchronization

public enum PlainHTTPCredentials {
    /// The warning for `request`, or nil: it names the credentials the request's form carries and
    /// the host, when the URL is plain `http://` and the host is not loopback (127.0.0.0/8, ::1,
    /// localhost), where anyone on the path can read them.
    public static func warning(for request: HTTPRequest) -> String? {
        guard let host = exposedHost(request.url) else { return nil }
        let credentials = credentialNames(in: request)
        guard !credentials.isEmpty else { return nil }
        return
            "sending \(credentials.joined(separator: " and ")) over plain http:// to \(TerminalText.escape(host, newlines: false)), where the network can read it; use https://"
    }

    /// `the password`, `the client secret`, or both, as the request's form body carries them.
    static func credentialNames(in request: HTTPRequest) -> [String] {
        guard let body = request.body, !body.isEmpty,
            request.header("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        else { return [] }
        var names: Set<String> = []
        for field in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let name = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                URLEncoding.decode(String($0))
            }
            names.insert(name?.lowercased() ?? "")
        }
        var result: [String] = []
        if names.contains("password") { result.append("the password") }
        if names.contains("client_secret") { result.append("the client secret") }
        return result
    }

    /// The host of a plain `http://` URL whose host is not loopback (as the URL spells it,
    /// lowercased, IPv6 in brackets), else nil (https, loopback, or not an http URL at all).
    public static func exposedHost(_ url: String) -> String? {
        guard url.count > 7, url.prefix(7).lowercased() == "http://" else { return nil }
        let authority = url.dropFirst(7).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        // User info never reaches here (checkServerURL refuses it); drop it all the same.
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let host: Substring
        if hostAndPort.first == "[" {
            guard let close = hostAndPort.firstIndex(of: "]") else { return String(hostAndPort).lowercased() }
            host = hostAndPort[...close]
        } else {
            host = hostAndPort.prefix { $0 != ":" }
        }
        let shown = host.lowercased()
        return isLoopback(host: shown) ? nil : shown
    }

    /// 127.0.0.0/8 in dotted-quad form, `::1` (or `::ffff:127.x.y.z`), `localhost`; an IPv6
    /// address may come in brackets and with a zone. Other spellings (`127.1`, `2130706433`)
    /// count as not loopback: the warning is then one too many, never one too few.
    public static func isLoopback(host: String) -> Bool {
        var name = Substring(host.lowercased())
        if name.hasSuffix(".") { name = name.dropLast() }
        if name == "localhost" { return true }
        if name.first == "[" && name.last == "]" { name = name.dropFirst().dropLast() }
        if let percent = name.firstIndex(of: "%") { name = name[..<percent] }
        if let octets = ipv4(name) { return octets[0] == 127 }
        guard let words = ipv6(name) else { return false }
        if words == [0, 0, 0, 0, 0, 0, 0, 1] { return true }
        // An IPv4-mapped address (::ffff:127.0.0.1) reaches the IPv4 loopback.
        return words[0..<5].allSatisfy { $0 == 0 } && words[5] == 0xFFFF && words[6] >> 8 == 127
    }

    /// Four decimal octets 0-255, without leading zeros (which some parsers read as octal).
    static func ipv4(_ text: Substring) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = Int(part), value <= 255
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// Eight 16-bit words, with `::` expanded and a trailing dotted quad read as two words.
    static func ipv6(_ text: Substring) -> [UInt16]? {
        guard text.contains(":") else { return nil }
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !(halves.count == 2 && halves[1].contains("::")) else { return nil }
        func words(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let groups = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, group) in groups.enumerated() {
                if index == groups.count - 1, group.contains("."), let octets = ipv4(group) {
                    result.append(UInt16(octets[0] << 8 | octets[1]))
                    result.append(UInt16(octets[2] << 8 | octets[3]))
                } else {
                    guard (1...4).contains(group.count), group.allSatisfy(\.isHexDigit), let value = UInt16(group, radix: 16)
                    else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = words(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = words(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}

/// Reports `PlainHTTPCredentials.warning` through `warn` the first time a request calls for it,
/// then stays quiet: a command that logs in, refreshes and logs in again warns once.
public final class PlainHTTPWarningTransport: HTTPTransport {
    private let inner: HTTPTransport
    private let warn: (String) -> Void
    private let warned = Mutex(false)

    public init(wrapping inner: HTTPTransport, warn: @escaping (String) -> Void) {
        self.inner = inner
        self.warn = warn
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        if let warning = PlainHTTPCredentials.warning(for: request),
            warned.withLock({ done in
                defer { done = true }; return !done
            })
        {
            warn(warning)
        }
        return try inner.send(request)
    }
}
