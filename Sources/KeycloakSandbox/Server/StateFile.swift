// The `--state` file: written atomically (temp file, fsync, rename, fsync of the directory) so a crash
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
        guard fd >= 0 else { throw StateFileError(description: "cannot write state file '\(temporary)': \(String(cString: strerror(errno)))") }
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
