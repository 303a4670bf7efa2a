// A small HTTP/1.1 server on POSIX sockets: one listening thread, one thread per connection.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum LoopbackHTTPError: Error, CustomStringConvertible, Equatable {
    case invalidHost(String)
    case nonLoopbackHost(String)
    case socketFailed(operation: String, errno: Int32)
    case threadStartFailed(errno: Int32)
    case alreadyStarted

    public var description: String {
        switch self {
        case .invalidHost(let host): return "cannot bind to '\(host)': not an IP address or resolvable host name"
        case .nonLoopbackHost(let host):
            return "refusing to bind to non-loopback address '\(host)' (pass allowNonLoopback to permit it)"
        case .socketFailed(let operation, let code):
            return "\(operation) failed: \(String(cString: strerror(code)))"
        case .threadStartFailed(let code): return "cannot start a server thread: \(String(cString: strerror(code)))"
        case .alreadyStarted: return "the server is already started"
        }
    }
}

/// Limits and timeouts; the defaults suit a local test server.
public struct LoopbackHTTPLimits: Sendable {
    /// Largest accepted request body (after de-chunking); larger ones get 413.
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    /// Largest accepted request head (request line and header fields); larger ones get 431.
    public var maxHeadBytes: Int = 32 * 1024
    /// Time a client has to send a whole request once its first byte arrived (slow clients are dropped).
    public var requestTimeout: Double = 10
    /// Time an idle keep-alive connection is kept open waiting for the next request.
    public var idleTimeout: Double = 60
    /// Time a blocked write may take before the connection is dropped.
    public var writeTimeout: Double = 10
    /// Concurrent connections; beyond this a connection gets 503 and is closed.
    public var maxConnections: Int = 512

    public init() {}
}

public final class LoopbackHTTPServer: @unchecked Sendable {
    public let host: String
    public let limits: LoopbackHTTPLimits
    private let requestedPort: UInt16
    private let allowNonLoopback: Bool
    private let handler: @Sendable (ServerRequest) -> ServerAction

    private let lock = PThreadMutex()
    private var listenSocket: Int32 = -1
    private var boundPort: UInt16 = 0
    private var acceptThread: pthread_t?
    private var stopping = false
    private var openConnections: Set<Int32> = []
    private var accepted = 0
    private var served = 0

    public init(
        host: String = "127.0.0.1", port: UInt16 = 0, allowNonLoopback: Bool = false,
        limits: LoopbackHTTPLimits = LoopbackHTTPLimits(),
        handler: @escaping @Sendable (ServerRequest) -> ServerAction
    ) {
        self.host = host
        self.requestedPort = port
        self.allowNonLoopback = allowNonLoopback
        self.limits = limits
        self.handler = handler
    }

    deinit { stop() }

    /// The bound port (the chosen one when created with port 0); 0 before `start()`.
    public var port: UInt16 { lock.withLock { boundPort } }

    /// `http://HOST:PORT`, with an IPv6 host in brackets.
    public var baseURL: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    public var acceptedConnectionCount: Int { lock.withLock { accepted } }

    /// Connections open now (each has a thread); back to 0 once every client has gone or been dropped.
    public var openConnectionCount: Int { lock.withLock { openConnections.count } }

    /// Requests answered (including error answers such as 400 and 413).
    public var servedRequestCount: Int { lock.withLock { served } }

    public func start() throws {
        // A peer closing early must never kill the process; sends also pass MSG_NOSIGNAL.
        signal(SIGPIPE, SIG_IGN)
        try lock.withLock {
            guard listenSocket < 0, !stopping else { throw LoopbackHTTPError.alreadyStarted }
        }
        let address = try SocketAddress.resolve(host: host, port: requestedPort)
        if !address.isLoopback && !allowNonLoopback { throw LoopbackHTTPError.nonLoopbackHost(host) }

        let fd = socket(Int32(address.family), Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackHTTPError.socketFailed(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setCloseOnExec(fd)
        let bindResult = address.withSockaddr { bind(fd, $0, $1) }
        guard bindResult == 0 else {
            let code = errno
            close(fd)
            throw LoopbackHTTPError.socketFailed(operation: "bind to \(host):\(requestedPort)", errno: code)
        }
        guard listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw LoopbackHTTPError.socketFailed(operation: "listen", errno: code)
        }
        let port = SocketAddress.localPort(of: fd)
        lock.withLock {
            listenSocket = fd
            boundPort = port
        }
        do {
            let thread = try startThread(joinable: true) { [self] in acceptLoop(fd) }
            lock.withLock { acceptThread = thread }
        } catch {
            lock.withLock { listenSocket = -1 }
            close(fd)
            throw error
        }
    }

    /// Stops accepting, closes every open connection and waits (briefly) for their threads.
    public func stop() {
        let (fd, thread, connections): (Int32, pthread_t?, Set<Int32>) = lock.withLock {
            guard !stopping else { return (-1, nil, []) }
            stopping = true
            // Shutting sockets down (not closing) under the lock: the connection thread owns the close,
            // so a descriptor number is never reused while we still act on it.
            if listenSocket >= 0 { shutdown(listenSocket, Int32(SHUT_RDWR)) }
            for connection in openConnections { shutdown(connection, Int32(SHUT_RDWR)) }
            return (listenSocket, acceptThread, openConnections)
        }
        if let thread { pthread_join(thread, nil) }
        if fd >= 0 { close(fd) }
        if !connections.isEmpty || lock.withLock({ !openConnections.isEmpty }) {
            let deadline = monotonicSeconds() + 2
            while lock.withLock({ !openConnections.isEmpty }) && monotonicSeconds() < deadline { usleep(1000) }
        }
    }

    var isStopping: Bool { lock.withLock { stopping } }

    private func acceptLoop(_ listenFD: Int32) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &length) }
            }
            if fd < 0 {
                let code = errno
                if isStopping { return }
                if code == EINTR || code == ECONNABORTED || code == EPROTO { continue }
                // Out of descriptors or memory: back off instead of spinning.
                usleep(10_000)
                continue
            }
            setCloseOnExec(fd)
            let remote = SocketAddress.describe(storage)
            let admitted: Bool = lock.withLock {
                if stopping { return false }
                accepted += 1
                guard openConnections.count < limits.maxConnections else { return false }
                openConnections.insert(fd)
                return true
            }
            guard admitted else {
                if !isStopping { refuseBusy(fd) }
                close(fd)
                if isStopping { return }
                continue
            }
            do {
                _ = try startThread(joinable: false) { [self] in
                    let connection = Connection(fd: fd, remoteAddress: remote, server: self)
                    connection.run()
                    connectionFinished(fd)
                }
            } catch {
                connectionFinished(fd)
            }
        }
    }

    private func refuseBusy(_ fd: Int32) {
        let bytes = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func connectionFinished(_ fd: Int32) {
        lock.withLock {
            openConnections.remove(fd)
            close(fd)
        }
    }

    func handle(_ request: ServerRequest) -> ServerAction { handler(request) }

    func countServed() { lock.withLock { served += 1 } }
}

private func setCloseOnExec(_ fd: Int32) {
    let flags = fcntl(fd, F_GETFD)
    if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
}
