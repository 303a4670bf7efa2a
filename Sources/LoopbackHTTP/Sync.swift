// Small synchronisation and threading helpers on pthreads: the server runs its own threads so a
// slow or hanging connection never blocks Swift's cooperative pool.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A pthread mutex; `withLock` is the only way in.
final class PThreadMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Carries a closure into a new pthread.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Starts a pthread running `body`; `joinable` threads must be joined with `pthread_join`.
func startThread(joinable: Bool, _ body: @escaping () -> Void) throws -> pthread_t {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, joinable ? Int32(PTHREAD_CREATE_JOINABLE) : Int32(PTHREAD_CREATE_DETACHED))
    // Connection threads need little stack; 512 KiB keeps hundreds of them cheap.
    pthread_attr_setstacksize(&attributes, 512 * 1024)
    let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    #if canImport(Glibc)
        var thread = pthread_t()
    #else
        var thread: pthread_t?
    #endif
    let result = pthread_create(
        &thread, &attributes,
        { raw in
            #if canImport(Glibc)
                let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            #else
                let body = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
            #endif
            body.run()
            return nil
        }, context)
    guard result == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(context).release()
        throw LoopbackHTTPError.threadStartFailed(errno: result)
    }
    #if canImport(Glibc)
        return thread
    #else
        return thread!
    #endif
}

/// Seconds on the monotonic clock, for deadlines.
func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
}
