// The world a command runs in, injected so commands run in tests without a process, a terminal
// or a network. Only main.swift builds the live one.
import KeycloakKit
import FoundationEssentials

public protocol TextSink: AnyObject {
    func write(_ text: String)
    /// True when connected to a terminal (colours, progress lines, prompts).
    var isTerminal: Bool { get }
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

public final class CommandContext: @unchecked Sendable {
    public let stdout: TextSink
    public let stderr: TextSink
    public let stdin: InputSource
    public let environment: [String: String]
    public let makeTransport: (TransportOptions) -> HTTPTransport
    public let now: () -> Date

    public init(
        stdout: TextSink, stderr: TextSink, stdin: InputSource, environment: [String: String],
        makeTransport: @escaping (TransportOptions) -> HTTPTransport, now: @escaping () -> Date = { Date() }
    ) {
        self.stdout = stdout
        self.stderr = stderr
        self.stdin = stdin
        self.environment = environment
        self.makeTransport = makeTransport
        self.now = now
    }
}
