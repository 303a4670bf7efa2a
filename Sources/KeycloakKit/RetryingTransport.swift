// Sends a request again when its answer was lost and sending it twice is harmless: idempotent
// methods on 502/503/504 and broken connections, with exponential backoff and full jitter.
// What is retried, and what never is, is listed in docs/retries.md.
import Glibc

/// How many times, and how far apart, a request is retried.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts after the first; 0 disables retries (`--retries`, `KCX_RETRIES`).
    public var retries: Int
    /// The first backoff's upper bound, in seconds; it doubles per retry up to `maxDelay`.
    public var baseDelay: Double
    public var maxDelay: Double
    /// The longest `Retry-After` kcx waits for. A server asking for longer is not retried: waiting
    /// that long in a CI job helps nobody, and the error says what the server asked for.
    public var maxRetryAfter: Double

    public static let defaultRetries = 3

    public init(
        retries: Int = RetryPolicy.defaultRetries, baseDelay: Double = 0.1, maxDelay: Double = 5, maxRetryAfter: Double = 30
    ) {
        self.retries = retries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// "Full jitter": a uniform wait in [0, min(maxDelay, baseDelay·2^(retry−1))), so clients that
    /// failed together do not come back together. `random` is in [0, 1).
    public func backoff(beforeRetry retry: Int, random: Double) -> Double {
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(max(retry - 1, 0), 30)))
        return ceiling * min(max(random, 0), 1)
    }

    /// Statuses a proxy or a restarting server answers when the request never reached Keycloak or
    /// Keycloak could not finish it. 500 is not among them: it is Keycloak's own verdict and repeats.
    public static func retriesStatus(_ status: Int) -> Bool { status == 502 || status == 503 || status == 504 }

    /// Whether sending `request` twice is harmless: GET, HEAD, PUT, DELETE and OPTIONS by definition,
    /// and POSTs to a token endpoint, which create no configuration (a repeated login or exchange
    /// only issues another token; a repeated refresh the server already used is refused, and the
    /// token manager then logs in again). Every other POST creates something: never repeated here,
    /// see `AdminAPI.createOnce`.
    public static func mayRepeat(_ request: HTTPRequest) -> Bool {
        switch request.method.uppercased() {
        case "GET", "HEAD", "PUT", "DELETE", "OPTIONS": return true
        case "POST": return isTokenEndpoint(request.url)
        default: return false
        }
    }

    static func isTokenEndpoint(_ url: String) -> Bool {
        let path = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return path.hasSuffix("/protocol/openid-connect/token")
    }
}

/// Wraps a transport with `RetryPolicy`. Sleep, randomness and the wall clock are injected so tests
/// run without waiting. One instance per connection (not shared between threads).
public final class RetryingTransport: HTTPTransport {
    public let policy: RetryPolicy
    private let inner: HTTPTransport
    private let log: ((String) -> Void)?
    private let sleep: (Double) -> Void
    private let random: () -> Double
    private let now: () -> Double
    /// Set once any HTTP answer came back. A refused connection before that means a wrong URL or a
    /// server that is not running, reported at once; after it, a server restarting, worth retrying.
    private var hadAnswer = false

    /// `log` receives one line per retry (the `--verbose` trace); `now` is seconds since 1970, used
    /// for a `Retry-After` given as a date.
    public init(
        wrapping inner: HTTPTransport, policy: RetryPolicy, log: ((String) -> Void)? = nil,
        sleep: @escaping (Double) -> Void = RetryingTransport.sleep,
        random: @escaping () -> Double = { Double.random(in: 0..<1) },
        now: @escaping () -> Double = { Double(time(nil)) }
    ) {
        self.inner = inner
        self.policy = policy
        self.log = log
        self.sleep = sleep
        self.random = random
        self.now = now
    }

    public static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let repeatable = RetryPolicy.mayRepeat(request)
        var attempt = 1
        while true {
            let reason: String
            var requestedWait: Double?
            do {
                let response = try inner.send(request)
                hadAnswer = true
                guard repeatable, RetryPolicy.retriesStatus(response.status), policy.retries > 0 else { return response }
                if response.status == 503, let wait = retryAfter(response) {
                    if wait > policy.maxRetryAfter {
                        var answer = response
                        answer.retryNote =
                            "not retried: the server asked to wait \(Int(wait.rounded(.up))) s (Retry-After), longer than kcx waits (\(Int(policy.maxRetryAfter)) s)"
                        return answer
                    }
                    requestedWait = wait
                }
                if attempt > policy.retries {
                    var answer = response
                    answer.retryNote = "gave up after \(attempt) attempts"
                    return answer
                }
                reason = "\(response.status)"
            } catch {
                guard repeatable, policy.retries > 0, let described = retryableFailure(error.kind) else { throw error }
                if attempt > policy.retries {
                    var failure = error
                    failure.retryNote = "gave up after \(attempt) attempts"
                    throw failure
                }
                reason = described
            }
            let delay = requestedWait ?? policy.backoff(beforeRetry: attempt, random: random())
            log?(
                "retrying \(request.method) \(request.url) after \(reason) (attempt \(attempt + 1) of \(policy.retries + 1)) in \(Int((delay * 1000).rounded())) ms"
            )
            sleep(delay)
            attempt += 1
        }
    }

    /// Waits before sending again something retried above the transport (a create re-sent after
    /// checking that the object does not exist). Returns false, without waiting, when `retry`
    /// (1-based) is past the policy's retries.
    public func pauseBeforeResending(_ retry: Int, method: String, url: String, after reason: String) -> Bool {
        guard retry <= policy.retries else { return false }
        let delay = policy.backoff(beforeRetry: retry, random: random())
        log?(
            "retrying \(method) \(url) after \(reason) (attempt \(retry + 1) of \(policy.retries + 1)) in \(Int((delay * 1000).rounded())) ms"
        )
        sleep(delay)
        return true
    }

    /// Failures where nothing usable came back and trying again can help, described for the log.
    /// A timeout is not among them: the user chose how long to wait, and a retry would multiply it.
    private func retryableFailure(_ kind: TransportError.Kind) -> String? {
        switch kind {
        case .connectionLost: return "a lost connection"
        case .connectionRefused: return hadAnswer ? "a refused connection" : nil
        case .couldNotResolveHost, .timedOut, .tls, .responseTooLarge, .invalidRequest, .other: return nil
        }
    }

    /// `Retry-After` in seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    private func retryAfter(_ response: HTTPResponse) -> Double? {
        guard let value = response.header("Retry-After") else { return nil }
        return RetryAfter.seconds(value, now: now())
    }
}

/// Parses the `Retry-After` header.
public enum RetryAfter {
    /// Seconds to wait, never negative; nil when the value is neither form.
    public static func seconds(_ value: String, now: Double) -> Double? {
        let text = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return text.count > 9 ? 1e9 : Double(text)
        }
        guard let date = httpDate(text) else { return nil }
        return max(0, date - now)
    }

    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, as seconds since 1970 (the only form servers
    /// must send; the obsolete forms are not accepted).
    static func httpDate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int(parts[1]), let year = Int(parts[3]),
            let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(
                of: String(parts[2]))
        else { return nil }
        let clock = parts[4].split(separator: ":").compactMap { Int($0) }
        // The year is bounded so a hostile date cannot overflow the arithmetic below.
        guard clock.count == 3, (1...31).contains(day), (1970...9999).contains(year), (0...23).contains(clock[0]),
            (0...59).contains(clock[1]), (0...60).contains(clock[2])
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month + 1, day: day)
        return Double(days * 86_400 + clock[0] * 3_600 + clock[1] * 60 + clock[2])
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
