// Prompts on the controlling terminal: a line read with or without echo, and a SIGINT guard that
// puts the terminal's echo back when Ctrl-C interrupts a no-echo prompt.
import Glibc

public enum TerminalPrompt {
    /// The terminal settings to restore if SIGINT arrives while a prompt has echo off. Written only
    /// while the handler is not installed, read only by the handler.
    nonisolated(unsafe) static var savedSettings = termios()
    nonisolated(unsafe) static var savedDescriptor: Int32 = -1
    nonisolated(unsafe) static var previousAction = sigaction()

    /// Writes `prompt` to `fd` and reads one line from it; with `echo: false` the terminal (if `fd`
    /// is one) does not show what is typed, and is restored afterwards, also on Ctrl-C.
    /// nil at end of input.
    public static func readLine(fd: Int32, prompt: String, echo: Bool) -> String? {
        _ = prompt.withCString { Glibc.write(fd, $0, strlen($0)) }
        var saved = termios()
        let hideEcho = !echo && tcgetattr(fd, &saved) == 0
        if hideEcho {
            installInterruptGuard(fd: fd, settings: saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if hideEcho {
                tcsetattr(fd, TCSAFLUSH, &saved)
                removeInterruptGuard()
            }
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return nil }
            if byte == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    /// Installs the SIGINT handler that restores `settings` on `fd` and then dies of SIGINT as usual.
    public static func installInterruptGuard(fd: Int32, settings: termios) {
        savedSettings = settings
        savedDescriptor = fd
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            // Only async-signal-safe calls here: tcsetattr, sigaction, raise.
            _ = tcsetattr(TerminalPrompt.savedDescriptor, TCSANOW, &TerminalPrompt.savedSettings)
            _ = sigaction(signal, &TerminalPrompt.previousAction, nil)
            _ = raise(signal)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, &previousAction)
    }

    /// Puts back whatever SIGINT handling there was before the prompt.
    public static func removeInterruptGuard() {
        sigaction(SIGINT, &previousAction, nil)
        savedDescriptor = -1
    }
}
