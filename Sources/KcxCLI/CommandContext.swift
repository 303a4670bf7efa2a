// The world a command runs in, injected so commands run in tests without a process, a terminal
// or a network. Only main.swift builds the live one.
import KeycloakKit
import FoundationEssentials

public protocol TextSink: AnyObject {
    func write(_ text: String)
    /// True when connected to a terminal (colours, progress lines, prompts).
    var isTerminal: Bool { get }
    /// Delivers what is buffered (stdout is, until exit): before progress that must follow it.
    func flush()
}

extension TextSink {
    public func flush() {}
}

public protocol InputSource: AnyObject {
    /// All of standard input (for `-f -`, `--password-stdin`, `-`), at most `limit` bytes: more is
    /// an error (`FileSystemError.tooLarge`), never memory filled by `< /dev/zero`. Implementations
    /// read through `FileSystem.readAll`, the one bounded reader.
    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8]
    var isTerminal: Bool { get }
    /// Reads one line from the terminal without echo; nil when there is no terminal.
    func readSecret(prompt: String) -> String?
    /// Reads one line from the terminal with echo (answers to questions); nil when there is no terminal.
    func readLine(prompt: String) -> String?
}

/// What commands write to. Server data reaches these streams inside messages, hints, tables,
/// plans and traces, so control characters are made visible here, once for all of them
/// (TerminalText, with JSON's escapes, so JSON output stays valid and equal). `writeFormatted` is
/// for kcx's own colours and progress lines around text already escaped, and for a response body
/// piped on unchanged (`kcx get` of a non-JSON endpoint into a file).
public final class SafeSink: TextSink, @unchecked Sendable {
    public let base: TextSink

    init(_ base: TextSink) { self.base = base }

    public var isTerminal: Bool { base.isTerminal }

    public func write(_ text: String) { base.write(TerminalText.escape(text)) }

    public func writeFormatted(_ text: String) { base.write(text) }

    public func flush() { base.flush() }
}

public final class CommandContext: @unchecked Sendable {
    public let stdout: SafeSink
    public let stderr: SafeSink
    public let stdin: InputSource
    public let environment: [String: String]
    public let makeTransport: (TransportOptions) -> HTTPTransport
    public let now: () -> Date
    /// Invoked as `kcadm.sh` or `kcadm`: behave as kcadm does where a script can tell (exit code 1
    /// for every error, no warning lines). Set by `Kcx.run(_:programName:context:)`.
    public var kcadmMode = false
    /// PKCS#12 truststores read in this run, by the path given, so a password is asked for once.
    var truststores: [String: Truststore.Trusted] = [:]

    public init(
        stdout: TextSink, stderr: TextSink, stdin: InputSource, environment: [String: String],
        makeTransport: @escaping (TransportOptions) -> HTTPTransport, now: @escaping () -> Date = { Date() }
    ) {
        self.stdout = SafeSink(stdout)
        self.stderr = SafeSink(stderr)
        self.stdin = stdin
        self.environment = environment
        self.makeTransport = makeTransport
        self.now = now
    }
}
