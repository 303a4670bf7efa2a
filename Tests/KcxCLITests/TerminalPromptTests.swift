// TerminalPrompt without a real terminal: lines over a socket pair, and the SIGINT guard on a
// pseudo-terminal (echo restored, then the earlier SIGINT handling runs).
import Glibc
@testable import KcxCLI
import Testing

nonisolated(unsafe) var interruptsSeen: Int32 = 0

@Suite(.serialized) struct TerminalPromptTests {
    func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    func receive(_ fd: Int32, count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = Glibc.read(fd, &bytes, count)
        return String(decoding: bytes.prefix(max(read, 0)), as: UTF8.self)
    }

    @Test func readsOneLineAfterWritingThePrompt() {
        let (prompted, other) = socketPair()
        defer { close(prompted); close(other) }
        send(other, "yes\r\nsecond\n")
        #expect(TerminalPrompt.readLine(fd: prompted, prompt: "Apply? ", echo: true) == "yes")
        #expect(receive(other, count: 7) == "Apply? ")
        // Not a terminal: echo cannot be switched off, the line is still read.
        #expect(TerminalPrompt.readLine(fd: prompted, prompt: "", echo: false) == "second")
        shutdown(other, Int32(SHUT_WR))
        #expect(TerminalPrompt.readLine(fd: prompted, prompt: "", echo: true) == nil)
    }

    @Test func interruptDuringANoEchoPromptRestoresEchoThenRunsTheEarlierHandler() throws {
        // A pseudo-terminal by hand (posix_openpt is not visible from Swift): unlock, then open its pts.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        #expect(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0)
        #expect(ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
        let terminal = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        try #require(terminal >= 0)
        defer { close(terminal) }

        // The test's own SIGINT handler stands for "what was there before the prompt".
        var original = sigaction()
        var counting = sigaction()
        counting.__sigaction_handler.sa_handler = { _ in interruptsSeen += 1 }
        sigemptyset(&counting.sa_mask)
        sigaction(SIGINT, &counting, &original)
        var unblock = sigset_t()
        var oldMask = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &unblock, &oldMask)
        defer {
            sigaction(SIGINT, &original, nil)
            pthread_sigmask(SIG_SETMASK, &oldMask, nil)
        }

        var saved = termios()
        try #require(tcgetattr(terminal, &saved) == 0)
        #expect(saved.c_lflag & tcflag_t(ECHO) != 0)
        TerminalPrompt.installInterruptGuard(fd: terminal, settings: saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(terminal, TCSANOW, &silent)

        interruptsSeen = 0
        raise(SIGINT)
        var now = termios()
        tcgetattr(terminal, &now)
        #expect(now.c_lflag & tcflag_t(ECHO) != 0, "echo was not restored")
        #expect(interruptsSeen == 1, "the earlier handler did not run")
        // The guard is gone: the earlier handler is in place again.
        var current = sigaction()
        sigaction(SIGINT, nil, &current)
        #expect(
            unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
                == unsafeBitCast(counting.__sigaction_handler.sa_handler, to: Int.self))
    }

    @Test func removingTheGuardPutsBackTheEarlierHandling() {
        var before = sigaction()
        sigaction(SIGINT, nil, &before)
        TerminalPrompt.installInterruptGuard(fd: -1, settings: termios())
        var during = sigaction()
        sigaction(SIGINT, nil, &during)
        #expect(
            unsafeBitCast(during.__sigaction_handler.sa_handler, to: Int.self)
                != unsafeBitCast(before.__sigaction_handler.sa_handler, to: Int.self))
        TerminalPrompt.removeInterruptGuard()
        var after = sigaction()
        sigaction(SIGINT, nil, &after)
        #expect(
            unsafeBitCast(after.__sigaction_handler.sa_handler, to: Int.self)
                == unsafeBitCast(before.__sigaction_handler.sa_handler, to: Int.self))
    }
}
