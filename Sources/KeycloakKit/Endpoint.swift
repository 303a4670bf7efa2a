// An admin API path relative to /admin/realms/{realm}/ (or /admin/ for realms…, serverinfo…), built
// so that a value from the user or the server can only ever be one path segment.
//
// Interpolating a String percent-encodes it as exactly one segment ("a/b" → a%2Fb); interpolating
// another Endpoint keeps its segments. A value that cannot be a segment at all (empty, `.`, `..`:
// servers and libcurl collapse those, so `../../tenant-c` as an id would leave the realm) is kept
// as `unusableSegment`, and the request is refused before anything is sent.

public struct Endpoint: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// The path as sent: literal parts as written, interpolated values percent-encoded.
    public let encoded: String
    /// The path for people (dry runs, plans): values keep their spaces and brackets, and only what
    /// would change the path's shape or the terminal (`/ ? # %`, control characters) is encoded.
    public let readable: String
    /// The first interpolated value that cannot be a path segment, if any.
    public let unusableSegment: String?

    public var description: String { encoded }

    public init(stringLiteral value: String) {
        encoded = value
        readable = value
        unusableSegment = nil
    }

    public init(stringInterpolation: StringInterpolation) {
        encoded = stringInterpolation.encoded
        readable = stringInterpolation.readable
        unusableSegment = stringInterpolation.unusable
    }

    private init(typed: String) {
        encoded = typed
        readable = typed
        unusableSegment = nil
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var encoded = ""
        var readable = ""
        var unusable: String?

        public init(literalCapacity: Int, interpolationCount: Int) {
            encoded.reserveCapacity(literalCapacity + 40 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            encoded += literal
            readable += literal
        }

        /// One path segment, whatever the value holds.
        public mutating func appendInterpolation(_ segment: String) {
            if URLEncoding.isUnusableSegment(segment), unusable == nil { unusable = segment }
            encoded += URLEncoding.encode(segment)
            readable += URLEncoding.encode(
                segment,
                keeping: { byte in
                    byte >= 0x20 && byte != 0x7F && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "?")
                        && byte != UInt8(ascii: "#") && byte != UInt8(ascii: "%")
                })
        }

        /// A path built the same way: its segments as they are.
        public mutating func appendInterpolation(_ path: Endpoint) {
            if unusable == nil { unusable = path.unusableSegment }
            encoded += path.encoded
            readable += path.readable
        }
    }

    /// An ENDPOINT typed on the command line, taken as already percent-encoded (as kcadm takes it),
    /// so `users?q=x` and `%20` work. A `.` or `..` segment, also percent-encoded or after a
    /// backslash, is refused: `clients/../../victim` must not leave the realm.
    public static func typed(_ text: String) throws(KcxError) -> Endpoint {
        let path = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        for raw in path.split(separator: "/", omittingEmptySubsequences: false) {
            // Servers decode %2E (and some %2F and backslash) before removing dot segments.
            let decoded = URLEncoding.decode(String(raw))
            for part in decoded.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" })
            where part == "." || part == ".." {
                throw KcxError.usage(
                    "ENDPOINT '\(text)' has a '\(raw)' segment: a path may not climb out of its realm",
                    hint: "name the object directly, e.g. 'realms/OTHER/clients' or -r OTHER")
            }
        }
        return Endpoint(typed: text)
    }
}

extension Endpoint {
    /// Refuses an absolute URL whose origin (scheme, host, port) is not `server`'s.
    public func requireServer(_ server: String) throws(KcxError) {
        guard encoded.hasPrefix("http://") || encoded.hasPrefix("https://") else { return }
        guard let target = Endpoint.origin(encoded), target == Endpoint.origin(server) else {
            throw KcxError.usage(
                "ENDPOINT '\(encoded)' is not on the session's server \(server): it would receive your bearer token",
                hint: "use a path relative to the realm (e.g. 'clients'), or add --allow-other-host if you mean to send it there")
        }
    }

    /// `scheme://host:port` in lower case with the default port made explicit, or nil when `url`
    /// has user info or no host (both refused rather than guessed at).
    public static func origin(_ url: String) -> String? {
        let parts = url.split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = parts[1]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = Substring(authority)
        var port = scheme == "https" ? "443" : "80"
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            port = String(authority[authority.index(after: colon)...])
        }
        return "\(scheme)://\(host.lowercased()):\(port)"
    }
}

extension URLEncoding {
    /// Values that no encoding makes a single segment: the empty string and the dot segments.
    public static func isUnusableSegment(_ value: String) -> Bool {
        value.isEmpty || value == "." || value == ".."
    }

    /// `value` as one path segment, or an error naming where it came from when it cannot be one.
    public static func segment(_ value: String, naming what: String) throws(KcxError) -> String {
        guard !isUnusableSegment(value) else { throw Endpoint.unusable(value, naming: what) }
        return encode(value)
    }
}

extension Endpoint {
    /// The error for a value that cannot be a path segment.
    static func unusable(_ value: String, naming what: String) -> KcxError {
        KcxError(
            .serverError,
            "\(what) '\(value)' cannot be used in a URL path (it would name another path), so nothing was sent",
            hint:
                "an id or name like this one comes from the server or the command line, not from Keycloak itself: check who created it"
        )
    }
}
