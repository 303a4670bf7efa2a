// Every failure kcx reports, with the exit code it maps to. Codes live here and nowhere else.

public enum ExitCode: Int32, Sendable, CaseIterable {
    case ok = 0
    /// The server answered with an error kcx has no better code for (4xx/5xx).
    case serverError = 1
    /// Bad command line or bad input file; nothing was sent.
    case usage = 2
    /// The realm, client, scope, user or id named does not exist.
    case notFound = 3
    /// Not logged in, bad credentials, token rejected (401) or missing role (403).
    case authentication = 4
    /// The object already exists or was changed concurrently (409).
    case conflict = 5
    /// Could not reach the server: refused, DNS, timeout, TLS.
    case network = 6
    /// A check ran and found what it looks for missing (e.g. `audience check`: the audience is not in the token).
    case checkFailed = 7
    /// `plan --detailed-exitcode` / `apply --detailed-exitcode`: the realm differs from the file.
    case changesPresent = 8
    /// `apply PLAN`: the realm changed since the saved plan was made; nothing was changed.
    case stalePlan = 9
    /// A confirmation was answered with something other than 'yes'; nothing was changed.
    case cancelled = 10
    /// Interrupted (Ctrl-C, SIGINT) while applying: some changes were made, running apply again converges.
    case interrupted = 130

    public var meaning: String {
        switch self {
        case .ok: return "success"
        case .serverError: return "the server answered with an error"
        case .usage: return "usage error: bad arguments or input, nothing was sent"
        case .notFound: return "not found: the realm, client, scope, user or id does not exist"
        case .authentication: return "authentication or authorization failed (401/403)"
        case .conflict: return "conflict: the object already exists (409)"
        case .network: return "network or TLS failure: the server could not be reached"
        case .checkFailed: return "a check found a problem (audience check, token decode --verify, doctor --fail-on)"
        case .changesPresent: return "plan --detailed-exitcode: the realm differs from the file"
        case .stalePlan: return "apply PLAN: the realm changed since the saved plan was made; nothing was changed"
        case .cancelled:
            return "cancelled: a question (apply, client-scope delete) answered with anything but 'yes'; nothing was changed"
        case .interrupted:
            return "interrupted (Ctrl-C) during apply: the changes listed as applied were made; running apply again converges"
        }
    }
}

public struct KcxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ExitCode
    /// Shown after `error: `.
    public var message: String
    /// Shown after `hint: ` when present.
    public var hint: String?
    /// The status or transport failure behind an error from a request, so callers can tell a lost
    /// answer from a refusal without reading the message. Not part of equality.
    public var cause: RequestFailure?

    public init(_ code: ExitCode, _ message: String, hint: String? = nil, cause: RequestFailure? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.cause = cause
    }

    public static func == (lhs: KcxError, rhs: KcxError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.hint == rhs.hint
    }

    public static func usage(_ message: String, hint: String? = nil) -> KcxError {
        KcxError(.usage, message, hint: hint)
    }

    public var description: String { message }
}
