// HTTPTransport over libcurl: one easy handle per run, so every request reuses the connection.
import CCurl

/// Sends requests with libcurl, synchronously, on the calling thread (main thread or a thread the
/// caller owns; never Swift's cooperative pool, which a blocking perform would starve).
///
/// Proxies: libcurl itself reads `http_proxy`, `https_proxy`, `no_proxy` and `ALL_PROXY` from the
/// environment, so kcx honours them without code of its own. Redirects are never followed, so the
/// `Authorization` header can never be sent on to another host.
public final class CurlTransport: HTTPTransport {
    public let options: TransportOptions
    private let handle: UnsafeMutableRawPointer?
    /// Why libcurl could not be loaded (the first transport made loads it: never `--version`/`--help`).
    private let loadFailure: String?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init(options: TransportOptions = TransportOptions()) {
        self.options = options
        loadFailure = ccurl_load().map { String(cString: $0) }
        if loadFailure == nil {
            guard let handle = ccurl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
            self.handle = handle
        } else {
            handle = nil
        }
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if let handle { ccurl_easy_cleanup(handle) }
        errorBuffer.deallocate()
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        guard let handle else {
            throw TransportError(
                kind: .other,
                message: "libcurl could not be loaded (\(loadFailure ?? "unknown reason")): install the libcurl4 package",
                url: request.url)
        }
        // The one place requests become header lines: a CR, LF or NUL in a value would let it add
        // headers of its own (or cut the request short), so such a request is never sent.
        if let problem = request.headerProblem {
            throw TransportError(kind: .invalidRequest, message: "kcx refused to send the request: \(problem)", url: request.url)
        }
        // Reset clears options but keeps the connection cache: keep-alive across requests.
        ccurl_easy_reset(handle)
        errorBuffer[0] = 0
        let sink = ResponseSink(limit: options.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { ccurl_slist_free_all(headerList) }

        var setupFailure: CURLcode = CURLE_OK
        func check(_ code: CURLcode) { if code != CURLE_OK && setupFailure == CURLE_OK { setupFailure = code } }

        check(ccurl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        check(ccurl_setopt_str(handle, CURLOPT_URL, request.url))
        check(ccurl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        check(ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        let totalMilliseconds = max(1, Int(options.timeoutSeconds * 1000))
        check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, totalMilliseconds))
        check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(totalMilliseconds, 10_000)))
        check(ccurl_setopt_str(handle, CURLOPT_USERAGENT, options.userAgent))
        // Empty string: accept every encoding this libcurl can decode (gzip, deflate, br, zstd).
        check(ccurl_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, ""))
        if options.insecure {
            check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0))
            check(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0))
        }
        if let pem = options.caCertificatePEM {
            pem.withUnsafeBytes { check(ccurl_setopt_blob_copy(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count)) }
        } else if let caFile = options.caCertificateFile {
            check(ccurl_setopt_str(handle, CURLOPT_CAINFO, caFile))
        }

        let method = request.method.uppercased()
        let body = request.body ?? []
        let sendsBody = request.body != nil || method == "POST" || method == "PUT" || method == "PATCH"
        switch method {
        case "GET": check(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1))
        case "HEAD": check(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
        case "POST": check(ccurl_setopt_long(handle, CURLOPT_POST, 1))
        default: check(ccurl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method))
        }
        if sendsBody {
            // Size first, then COPYPOSTFIELDS: libcurl keeps its own copy. An empty body still
            // gets `Content-Length: 0`, which some proxies require on PUT/POST.
            check(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            body.withUnsafeBytes { raw in
                if let base = raw.baseAddress, !raw.isEmpty {
                    check(ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
                } else {
                    check(ccurl_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, ""))
                }
            }
        }

        var headerLines = request.headers.map { "\($0.name): \($0.value)" }
        // Never wait for `100 Continue` on large bodies.
        headerLines.append("Expect:")
        // libcurl would label a body form-encoded unless told otherwise; an empty header removes it.
        if sendsBody && request.header("Content-Type") == nil { headerLines.append("Content-Type:") }
        for line in headerLines { headerList = ccurl_slist_append(headerList, line) }
        check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))

        let context = Unmanaged.passUnretained(sink).toOpaque()
        check(ccurl_setopt_write_cb(handle, CURLOPT_WRITEFUNCTION, curlBodyCallback))
        check(ccurl_setopt_ptr(handle, CURLOPT_WRITEDATA, context))
        check(ccurl_setopt_write_cb(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(ccurl_setopt_ptr(handle, CURLOPT_HEADERDATA, context))

        if setupFailure != CURLE_OK { throw error(for: setupFailure, url: request.url) }
        let result = ccurl_easy_perform(handle)
        withExtendedLifetime(sink) {}
        if sink.exceededLimit {
            throw TransportError(
                kind: .responseTooLarge,
                message: "the answer is larger than \(CurlTransport.sizeText(options.maxResponseBytes)); kcx stopped reading it",
                url: request.url)
        }
        if result != CURLE_OK { throw error(for: result, url: request.url) }

        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Connections this handle opened for its last request (0 when one was reused).
    public var connectionsOpenedByLastRequest: Int {
        var count = 0
        guard let handle else { return 0 }
        _ = ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &count)
        return count
    }

    private func error(for code: CURLcode, url: String) -> TransportError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: ccurl_easy_strerror(code))
        return TransportError(kind: CurlTransport.kind(ofCurlCode: Int(code.rawValue)), message: detail, url: url)
    }

    /// Which failure a libcurl error code is, as far as a user can act on it.
    public static func kind(ofCurlCode code: Int) -> TransportError.Kind {
        switch code {
        case 7: return .connectionRefused
        case 6: return .couldNotResolveHost
        case 28: return .timedOut
        // Body shorter than announced, empty reply, send or receive failure (reset): the
        // connection broke before a whole answer came.
        case 18, 52, 55, 56: return .connectionLost
        // SSL connect, peer/verification failures, CA file problems, pinned key, cert status.
        case 35, 51, 58, 60, 77, 83, 90, 91: return .tls
        default: return .other
        }
    }

    static func sizeText(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }
}

/// Collects one response; the callbacks reach it through the opaque user-data pointer.
private final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    let limit: Int
    /// Set when the body outgrew `limit`; the callback then stops the transfer.
    var exceededLimit = false

    init(limit: Int) { self.limit = limit }

    func addHeaderLine(_ line: String) {
        // A new status line starts a new block (redirects, 100 Continue): keep only the last.
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = String(line[..<colon])
        var value = Substring(line[line.index(after: colon)...])
        while let first = value.first, first == " " || first == "\t" { value.removeFirst() }
        headers.append((name, String(value)))
    }
}

private let curlBodyCallback: curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let pointer, let userData else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userData).takeUnretainedValue()
    // Returning less than `length` makes libcurl abort the transfer (CURLE_WRITE_ERROR).
    guard sink.body.count + length <= sink.limit else {
        sink.exceededLimit = true
        return 0
    }
    pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
    }
    return length
}

private let curlHeaderCallback: curl_write_callback = { pointer, size, count, userData in
    let length = size * count
    guard let pointer, let userData else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(userData).takeUnretainedValue()
    let bytes = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
        Array(UnsafeBufferPointer(start: $0, count: length))
    }
    var line = String(decoding: bytes, as: UTF8.self)
    while let last = line.last, last == "\r" || last == "\n" || last == "\r\n" { line.removeLast() }
    if !line.isEmpty { sink.addHeaderLine(line) }
    return length
}
