// The few file operations kcx needs, over libc: whole-file reads, atomic private writes,
// private directories and advisory locks.
import Glibc

public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let errorNumber: Int32
    public let operation: String

    public var description: String {
        "cannot \(operation) \(path): \(String(cString: strerror(errorNumber)))"
    }

    public var isMissingFile: Bool { errorNumber == ENOENT }
}

public enum FileSystem {
    public static func readFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError(path: path, errorNumber: errno, operation: "read") }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, errorNumber: errno, operation: "read")
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }

    /// Creates the directory and missing parents, each with mode 0700 (only new ones).
    public static func makePrivateDirectory(_ path: String) throws(FileSystemError) {
        if path.isEmpty || path == "/" || path == "." { return }
        var info = stat()
        if stat(path, &info) == 0 { return }
        try makePrivateDirectory(parent(of: path))
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw FileSystemError(path: path, errorNumber: errno, operation: "create directory")
        }
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Replaces `path` with `bytes` so that readers see either the old or the new content, never
    /// a mix: a 0600 temporary file in the same directory, fsync, rename, fsync of the directory.
    /// The result is 0600 whatever mode an earlier file had.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileSystemError) {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw FileSystemError(path: temporary, errorNumber: errno, operation: "create") }
        var failure: FileSystemError? = nil
        // The umask cannot widen 0600, but be explicit in case the file system ignores create modes.
        if fchmod(fd, 0o600) != 0 { failure = FileSystemError(path: temporary, errorNumber: errno, operation: "chmod") }
        var offset = 0
        while failure == nil && offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = FileSystemError(path: temporary, errorNumber: errno, operation: "write")
            } else {
                offset += written
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = FileSystemError(path: temporary, errorNumber: errno, operation: "sync") }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 {
            failure = FileSystemError(path: path, errorNumber: errno, operation: "replace")
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        // Make the rename itself durable; a failure here leaves a correct file, so it is ignored.
        let directory = open(parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Runs `body` holding an exclusive `flock` on `lockPath` (created 0600 if missing), so that
    /// concurrent kcx processes and threads take turns. The lock file is never deleted: deleting
    /// it would let two writers lock two different files.
    public static func withExclusiveLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw FileSystemError(path: lockPath, errorNumber: errno, operation: "open lock file") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw FileSystemError(path: lockPath, errorNumber: errno, operation: "lock") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    public static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Permission bits of a file (for tests and checks), nil when it does not exist.
    public static func mode(of path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// An absolute version of `path` (relative to the working directory), not resolving links.
    public static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return cwd == "/" ? "/" + relative : cwd + "/" + relative
    }
}
