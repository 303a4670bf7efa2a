// Records one JSON line per fault case for docs/reliability.md's table (scripts/reliability-report),
// into the file named by KCX_RELIABILITY_REPORT; does nothing when it is unset. Tests still `#expect`.
import Foundation
import Glibc
import KcxJSON

enum ReliabilityReport {
    private static let lock = NSLock()

    /// Appends `{"area", "fault", "expected", "observed", "suite"}` as one line. The suite is the
    /// calling file's name without ".swift", so the table can say which tests produced a row.
    static func record(area: String, fault: String, expected: String, observed: String, file: String = #fileID) {
        guard let path = ProcessInfo.processInfo.environment["KCX_RELIABILITY_REPORT"], !path.isEmpty else { return }
        let suite = file.split(separator: "/").last.map { String($0.dropLast(".swift".count)) } ?? file
        let line: JSON = [
            "area": .string(area), "fault": .string(fault), "expected": .string(expected), "observed": .string(observed),
            "suite": .string(suite),
        ]
        let bytes = Array((line.serialized() + "\n").utf8)
        // One write(2) per line on an O_APPEND descriptor: lines from parallel tests (and from other
        // test processes writing the same file) never interleave; the lock keeps this process's
        // writes whole even if the kernel would split one.
        lock.lock()
        defer { lock.unlock() }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            written += n
        }
    }
}
