// The few file operations kcx needs, over libc: bounded reads, atomic private writes, private
// directories, advisory locks, and ssh's rule for files whose content decides where secrets go.
import Glibc

/// The most kcx reads from one input, so `/dev/zero`, an endless FIFO or a huge file ends in a
/// clear error instead of filling memory. Far above any real input of its kind.
public struct ReadLimit: Sendable, Equatable {
    public let bytes: Int
    /// What the limit is for, as the error names it: "kcx's limit for <what>".
    public let what: String

    public init(bytes: Int, what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// The session file (a few KiB per profile).
    public static let config = ReadLimit(bytes: 1 << 20, what: "a config file")
    /// Declarative files, request bodies, CA bundles: the same bound as a response body.
    public static let data = ReadLimit(bytes: 64 << 20, what: "a data file")
    /// A password, client secret or token, from a file or standard input.
    public static let secret = ReadLimit(bytes: 64 << 10, what: "a password, secret or token")

    /// `64 KiB`, `1 MiB`, `64 MiB`.
    public var readable: String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0
            ? "\(bytes >> 20) MiB" : bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }
}

/// Why a file or directory cannot be trusted to decide where secrets go (ssh's rule).
public enum TrustProblem: Sendable, Equatable {
    /// Owned by this uid, which is neither the user's nor root's.
    case owner(UInt32)
    /// Group or others may write it; the permission bits.
    case writable(mode: UInt32)
}

public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let errorNumber: Int32
    public let operation: String
    /// Why, without the path: the system's text for `errorNumber`, or what kcx refused.
    public let reason: String
    /// Set when kcx refused the file for who owns or may write it.
    public let trustProblem: TrustProblem?

    public init(path: String, errorNumber: Int32, operation: String) {
        self.init(path: path, errorNumber: errorNumber, operation: operation, reason: String(cString: strerror(errorNumber)))
    }

    public init(path: String, errorNumber: Int32, operation: String, reason: String, trustProblem: TrustProblem? = nil) {
        self.path = path
        self.errorNumber = errorNumber
        self.operation = operation
        self.reason = reason
        self.trustProblem = trustProblem
    }

    /// More than `limit` bytes came from `path` (a file, or "standard input").
    public static func tooLarge(_ path: String, _ limit: ReadLimit) -> FileSystemError {
        FileSystemError(
            path: path, errorNumber: EFBIG, operation: "read",
            reason: "larger than \(limit.readable), kcx's limit for \(limit.what)")
    }

    /// `path` is a symbolic link where kcx opens only real files.
    public static func symbolicLink(_ path: String, operation: String) -> FileSystemError {
        FileSystemError(
            path: path, errorNumber: ELOOP, operation: operation, reason: "it is a symbolic link, which kcx never follows")
    }

    /// `path` fails `FileSystem.trustProblem`.
    public static func untrusted(_ path: String, _ problem: TrustProblem) -> FileSystemError {
        FileSystemError(path: path, errorNumber: EPERM, operation: "use", reason: "not trusted", trustProblem: problem)
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }

    public var isMissingFile: Bool { errorNumber == ENOENT }
    public var isTooLarge: Bool { errorNumber == EFBIG }
    /// The lock file (or another file kcx opens without following links) is a symbolic link.
    public var isSymbolicLink: Bool { errorNumber == ELOOP }
}

/// Who owns a file and its permission bits (as `stat` tells them, links followed).
public struct FileStatus: Sendable, Equatable {
    public var owner: UInt32
    /// Permission bits with set-id and sticky bits (`st_mode & 07777`).
    public var mode: UInt32
    public var isDirectory: Bool

    public init(owner: UInt32, mode: UInt32, isDirectory: Bool) {
        self.owner = owner
        self.mode = mode
        self.isDirectory = isDirectory
    }

    init(_ info: stat) {
        self.init(owner: info.st_uid, mode: UInt32(info.st_mode) & 0o7777, isDirectory: (info.st_mode & S_IFMT) == S_IFDIR)
    }
}

public enum FileSystem {
    /// The effective uid, the one whose files kcx trusts (with root's).
    public static var currentUser: UInt32 { geteuid() }

    /// ssh's rule for a file (or directory) whose content decides where secrets go: it must belong
    /// to `user` or root, and neither group nor others may write it — anyone who can write it could
    /// point kcx at their server and at the user's password files. A sticky directory (`/tmp`) is
    /// the exception: there others cannot replace or remove the user's files, and a file they plant
    /// fails the owner rule itself. A file that is merely readable by others passes: kcx narrows its
    /// own file to 0600 when it writes it.
    public static func trustProblem(_ status: FileStatus, user: UInt32) -> TrustProblem? {
        if status.owner != user && status.owner != 0 { return .owner(status.owner) }
        let sticky = status.isDirectory && status.mode & 0o1000 != 0
        if status.mode & 0o022 != 0 && !sticky { return .writable(mode: status.mode) }
        return nil
    }

    /// Owner and mode of `path` (links followed), nil when it does not exist or cannot be examined.
    public static func status(of path: String) -> FileStatus? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStatus(info)
    }

    /// The whole file, at most `limit` bytes. With `trustedBy`, the file kcx actually opened must
    /// pass `trustProblem` for that user first (checked on the open descriptor, so it cannot be
    /// swapped between the check and the read).
    public static func readFile(_ path: String, limit: ReadLimit, trustedBy user: UInt32? = nil) throws(FileSystemError)
        -> [UInt8]
    {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError(path: path, errorNumber: errno, operation: "read") }
        defer { close(fd) }
        if let user {
            var info = stat()
            if fstat(fd, &info) != 0 { throw FileSystemError(path: path, errorNumber: errno, operation: "read") }
            if let problem = trustProblem(FileStatus(info), user: user) { throw FileSystemError.untrusted(path, problem) }
        }
        return try readAll(descriptor: fd, name: path, limit: limit)
    }

    /// Everything left on `descriptor` (standard input, an open file), at most `limit` bytes; a
    /// regular file that is already too large fails before anything is read.
    public static func readAll(descriptor: Int32, name: String, limit: ReadLimit) throws(FileSystemError) -> [UInt8] {
        var info = stat()
        if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) > limit.bytes {
            throw FileSystemError.tooLarge(name, limit)
        }
        return try readAll(name: name, limit: limit) { Glibc.read(descriptor, $0.baseAddress, $0.count) }
    }

    /// The one bounded read loop every input goes through: calls `read` (read(2)'s contract: a
    /// count, 0 at the end, -1 with errno) until the end, and fails as soon as more than `limit`
    /// bytes came, so memory never holds more than the limit and a chunk.
    public static func readAll(
        name: String, limit: ReadLimit, read: (UnsafeMutableRawBufferPointer) -> Int
    ) throws(FileSystemError) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read($0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: name, errorNumber: errno, operation: "read")
            }
            if count == 0 { return result }
            if result.count + count > limit.bytes { throw FileSystemError.tooLarge(name, limit) }
            result.append(contentsOf: buffer[0..<count])
        }
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
        // O_EXCL with a random name never opens a file or link someone planted; O_NOFOLLOW says so twice.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
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
    /// it would let two writers lock two different files. A symbolic link there is refused, never
    /// followed (it could make kcx create or open another file), and so is anything but a regular file.
    public static func withExclusiveLock<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        // O_NONBLOCK: opening a FIFO or device planted there must not wait (flock itself still waits).
        let fd = open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        if fd < 0 {
            let number = errno
            if number == ELOOP { throw FileSystemError.symbolicLink(lockPath, operation: "open lock file") }
            throw FileSystemError(path: lockPath, errorNumber: number, operation: "open lock file")
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw FileSystemError(path: lockPath, errorNumber: errno, operation: "open lock file") }
        if (info.st_mode & S_IFMT) != S_IFREG {
            throw FileSystemError(
                path: lockPath, errorNumber: EINVAL, operation: "open lock file", reason: "it is not a regular file")
        }
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

    /// True when `path` itself is a symbolic link (not followed).
    public static func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
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
