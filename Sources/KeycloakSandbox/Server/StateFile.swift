// The `--state` file and its journal. The file is written atomically (temp file, fsync, rename, fsync of the directory) so a crash
// leaves either the old or the new state, never half of one.
import Foundation
import KcxJSON

public struct StateFileError: Error, Equatable, CustomStringConvertible {
    public var description: String
}

public struct StateFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The stored JSON, or nil when the file does not exist yet.
    public func load() throws(StateFileError) -> JSON? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if access(path, F_OK) != 0 { return nil }
            throw StateFileError(description: "cannot read state file '\(path)': permission denied")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw StateFileError(description: "cannot read state file '\(path)': \(error.localizedDescription)")
        }
        do {
            return try JSON.parse([UInt8](data))
        } catch {
            throw StateFileError(description: "state file '\(path)' is not valid JSON: \(error.description)")
        }
    }

    /// Replaces the file's content with `json`.
    public func save(_ json: JSON) throws(StateFileError) {
        let bytes = json.serializedBytes(.pretty) + [UInt8(ascii: "\n")]
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StateFileError(description: "cannot write state file '\(temporary)': \(String(cString: strerror(errno)))")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw StateFileError(description: "cannot write state file '\(temporary)': \(message)")
            }
            offset += written
        }
        guard fsync(fd) == 0, close(fd) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw StateFileError(description: "cannot flush state file '\(temporary)': \(message)")
        }
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw StateFileError(description: "cannot replace state file '\(path)': \(message)")
        }
        // The rename itself is durable only once the directory is synced.
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// `FILE.journal`, beside the `--state` file: one line per acknowledged write batch, `{"records":[…]}`
/// (`StoreJournal` records), appended and `fdatasync`ed before the answer leaves. Start-up replays it
/// over the state file; start-up and shutdown fold it into the state file and delete it.
public final class StateJournalFile: @unchecked Sendable {
    public let path: String
    private var fd: Int32 = -1

    public init(statePath: String) { path = statePath + ".journal" }

    deinit { if fd >= 0 { close(fd) } }

    /// The batches written so far, in order. A last line without its newline is a write the process
    /// died in the middle of: it was never acknowledged, so it is left out.
    public func batches() throws(StateFileError) -> [[JSON]] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if access(path, F_OK) != 0 { return [] }
            throw StateFileError(description: "cannot read state journal '\(path)': permission denied")
        }
        var out: [[JSON]] = []
        let bytes = [UInt8](data)
        var start = 0
        var lineNumber = 0
        while let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            lineNumber += 1
            let line = bytes[start..<end]
            start = end + 1
            if line.isEmpty { continue }
            guard let batch = try? JSON.parse(Array(line)), let records = batch["records"]?.arrayValue else {
                throw StateFileError(description: "state journal '\(path)' line \(lineNumber) is not a journal record")
            }
            out.append(records)
        }
        return out
    }

    /// Appends one batch and waits until it is on disk.
    public func append(_ records: [JSON]) throws(StateFileError) {
        let bytes = JSON.object(JSONObject([("records", .array(records))])).serializedBytes() + [UInt8(ascii: "\n")]
        if fd < 0 {
            let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard opened >= 0 else {
                throw StateFileError(description: "cannot open state journal '\(path)': \(String(cString: strerror(errno)))")
            }
            fd = opened
            StateJournalFile.syncDirectory(of: path)
        }
        // A failed append is cut off again, so the next one does not follow half a line.
        let end = lseek(fd, 0, SEEK_END)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                if end >= 0 { _ = ftruncate(fd, end) }
                throw StateFileError(description: "cannot write state journal '\(path)': \(message)")
            }
            offset += written
        }
        guard fdatasync(fd) == 0 else {
            let message = String(cString: strerror(errno))
            if end >= 0 { _ = ftruncate(fd, end) }
            throw StateFileError(description: "cannot flush state journal '\(path)': \(message)")
        }
    }

    /// Deletes the journal once the state file holds everything in it.
    public func remove() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        if unlink(path) == 0 { StateJournalFile.syncDirectory(of: path) }
    }

    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
