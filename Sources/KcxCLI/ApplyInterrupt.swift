// Ctrl-C while apply writes: the first SIGINT only asks the executor to start no further write
// (those in flight finish, so apply can say exactly what was applied); a second one ends kcx at once.
import Glibc
import Synchronization

enum ApplyInterrupt {
    /// Set by the SIGINT handler (an atomic store is async-signal-safe).
    static let requested = Atomic<Bool>(false)
    nonisolated(unsafe) static var previous = sigaction()
    nonisolated(unsafe) static var installed = false

    /// Whether Ctrl-C has been pressed since `install`.
    static var wasRequested: Bool { requested.load(ordering: .relaxed) }

    /// Catches SIGINT until `remove`, unless it is ignored (`nohup`, a background job of a
    /// non-interactive shell): then it stays ignored.
    static func install() {
        requested.store(false, ordering: .relaxed)
        var current = sigaction()
        sigaction(SIGINT, nil, &current)
        if unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { return }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            ApplyInterrupt.requested.store(true, ordering: .relaxed)
            // The next Ctrl-C gets the earlier handling (normally: kcx ends at once).
            _ = sigaction(signal, &ApplyInterrupt.previous, nil)
        }
        sigemptyset(&action.sa_mask)
        // SA_RESTART: a read or poll in flight (libcurl) carries on rather than failing with EINTR.
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, &previous)
        installed = true
    }

    static func remove() {
        guard installed else { return }
        sigaction(SIGINT, &previous, nil)
        installed = false
    }
}
