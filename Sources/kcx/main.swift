// kcx's entry point: builds the live context from the real process and exits with the code.
// Nothing here runs before it is needed: no libcurl init and no config read for --version/--help.
import Glibc
import KcxCLI
import KeycloakKit
import Synchronization

/// Output to a file descriptor. stdout is buffered (data can be large) and flushed at exit;
/// stderr is written at once so warnings and prompts appear before slow work starts. Locked: an
/// apply's workers write progress and `-v` traces from several threads at once.
final class FileDescriptorSink: TextSink, @unchecked Sendable {
    private let fd: Int32
    private let buffered: Bool
    private let buffer = Mutex<[UInt8]>([])
    let isTerminal: Bool

    init(fd: Int32, buffered: Bool) {
        self.fd = fd
        self.buffered = buffered
        isTerminal = isatty(fd) == 1
    }

    func write(_ text: String) {
        buffer.withLock { buffer in
            buffer.append(contentsOf: text.utf8)
            if !buffered || buffer.count >= 64 * 1024 { drain(&buffer) }
        }
    }

    func flush() { buffer.withLock { drain(&$0) } }

    private func drain(_ buffer: inout [UInt8]) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                break  // a closed pipe (`kcx get ... | head`): nothing more can be delivered
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

final class StandardInput: InputSource {
    let isTerminal = isatty(0) == 1
    /// Standard output is buffered, the question goes to the terminal at once: what was written to
    /// stdout before a question (apply's plan) must reach the screen first, so it is flushed here.
    let pendingOutput: FileDescriptorSink

    init(pendingOutput: FileDescriptorSink) { self.pendingOutput = pendingOutput }

    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8] {
        try FileSystem.readAll(descriptor: 0, name: "standard input", limit: limit)
    }

    /// Prompts on the controlling terminal with echo off; Ctrl-C there restores the echo.
    func readSecret(prompt: String) -> String? { onTerminal(prompt: prompt, echo: false) }

    func readLine(prompt: String) -> String? { onTerminal(prompt: prompt, echo: true) }

    private func onTerminal(prompt: String, echo: Bool) -> String? {
        pendingOutput.flush()
        let tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        if tty < 0 { return nil }
        defer { close(tty) }
        return TerminalPrompt.readLine(fd: tty, prompt: prompt, echo: echo)
    }
}

func processEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var entry = environ
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        entry += 1
    }
    return result
}

let standardOutput = FileDescriptorSink(fd: 1, buffered: true)
let standardError = FileDescriptorSink(fd: 2, buffered: false)
let context = CommandContext(
    stdout: standardOutput, stderr: standardError, stdin: StandardInput(pendingOutput: standardOutput),
    environment: processEnvironment(),
    makeTransport: { CurlTransport(options: $0) })
let status = Kcx.run(
    Array(CommandLine.arguments.dropFirst()), programName: CommandLine.arguments.first ?? "kcx", context: context)
standardOutput.flush()
exit(status)
