// Files kcx reads: ssh's owner and mode rule for the config file and its directory, the lock file
// never followed through a symbolic link, every read bounded, and the TLS choices a session keeps.
import Foundation
import KcxJSON
import KeycloakKit
import Testing

@Suite("file safety")
final class FileSafetyTests {
    let directory: String

    init() throws { directory = try makeTemporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    static let me: UInt32 = 1000

    @Test(
        "ssh's rule: owned by the user or root, writable by neither group nor others (sticky directories aside)",
        arguments: [
            (FileStatus(owner: me, mode: 0o600, isDirectory: false), nil),
            (FileStatus(owner: me, mode: 0o640, isDirectory: false), nil),
            (FileStatus(owner: me, mode: 0o644, isDirectory: false), nil),
            (FileStatus(owner: 0, mode: 0o644, isDirectory: false), nil),
            (FileStatus(owner: me, mode: 0o620, isDirectory: false), TrustProblem.writable(mode: 0o620)),
            (FileStatus(owner: me, mode: 0o602, isDirectory: false), .writable(mode: 0o602)),
            (FileStatus(owner: 0, mode: 0o666, isDirectory: false), .writable(mode: 0o666)),
            (FileStatus(owner: me, mode: 0o1666, isDirectory: false), .writable(mode: 0o1666)),
            (FileStatus(owner: 1001, mode: 0o600, isDirectory: false), .owner(1001)),
            (FileStatus(owner: 1001, mode: 0o666, isDirectory: false), .owner(1001)),
            (FileStatus(owner: me, mode: 0o700, isDirectory: true), nil),
            (FileStatus(owner: me, mode: 0o755, isDirectory: true), nil),
            (FileStatus(owner: me, mode: 0o775, isDirectory: true), .writable(mode: 0o775)),
            (FileStatus(owner: me, mode: 0o777, isDirectory: true), .writable(mode: 0o777)),
            (FileStatus(owner: 0, mode: 0o1777, isDirectory: true), nil),
            (FileStatus(owner: 1001, mode: 0o1777, isDirectory: true), .owner(1001)),
        ])
    func trustRule(status: FileStatus, problem: TrustProblem?) {
        #expect(FileSystem.trustProblem(status, user: Self.me) == problem)
    }

    func writeConfig(_ path: String, mode: mode_t = 0o600) throws {
        try
            #"{"profiles":{"default":{"server":"http://kc","realm":"master","client":"admin-cli","grant":"password","username":"admin","passwordSource":{"file":"/home/u/pw"}}}}"#
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, mode) == 0)
    }

    @Test("a config directory group or others can write is refused on read and on write, naming the fix; nothing is written")
    func writableDirectory() throws {
        let folder = directory + "/kcx"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try writeConfig(folder + "/config.json")
        let store = ConfigStore(path: folder + "/config.json")
        for mode: mode_t in [0o770, 0o702] {
            #expect(chmod(folder, mode) == 0)
            let expected = KcxError(
                .usage,
                "config directory \(folder) is writable by group or others (mode 0\(String(mode, radix: 8))): another user could make it send your credentials to their server",
                hint: "if its content is yours, run: chmod go-w \(folder)")
            #expect(throws: expected) { try store.session(named: "default") }
            #expect(throws: expected) { try store.save(nil, as: "default") }
            #expect(throws: expected) { try store.checkWritable() }
        }
        #expect(!FileManager.default.fileExists(atPath: store.lockPath))
        #expect(chmod(folder, 0o700) == 0)
        #expect(try store.profileNames() == ["default"])
    }

    @Test("a config file group or others can write is refused; a merely group-readable one is read and narrowed to 0600")
    func writableFile() throws {
        let path = directory + "/config.json"
        try writeConfig(path, mode: 0o660)
        let store = ConfigStore(path: path)
        let error = #expect(throws: KcxError.self) { try store.session(named: "default") }
        #expect(
            error
                == KcxError(
                    .usage,
                    "config file \(path) is writable by group or others (mode 0660): another user could make it send your credentials to their server",
                    hint: "if its content is yours, run: chmod go-w \(path)"))
        #expect(throws: KcxError.self) { try store.save(nil, as: "default") }
        #expect(FileSystem.mode(of: path) == 0o660)

        #expect(chmod(path, 0o640) == 0)
        #expect(try store.session(named: "default")?.passwordSource == .file("/home/u/pw"))
        try store.save(nil, as: "other")
        #expect(FileSystem.mode(of: path) == 0o600)
    }

    @Test("a config file another user owns is refused (root's is trusted)")
    func otherOwner() throws {
        let path = directory + "/config.json"
        try writeConfig(path)
        // As root (CI) the file is handed to uid 4242; as anyone else, the store plays another user.
        let isRoot = geteuid() == 0
        if isRoot { #expect(chown(path, 4242, 4242) == 0) }
        let owner: UInt32 = isRoot ? 4242 : geteuid()
        let user: UInt32 = isRoot ? 0 : geteuid() + 1
        let store = ConfigStore(path: path, user: user)
        #expect(
            throws: KcxError(
                .usage,
                "config file \(path) is owned by uid \(owner), not by you (uid \(user)) or root: it could send your credentials to another user's server",
                hint: "if it is yours, run: chown \(user) \(path); otherwise remove it")
        ) { try store.session(named: "default") }
        if isRoot {
            #expect(chown(path, 0, 0) == 0)
            #expect(try ConfigStore(path: path, user: 1000).profileNames() == ["default"])
        }
    }

    @Test("a symbolic link in place of the lock file is refused, never followed: no file appears at its target")
    func lockFileSymlink() throws {
        let path = directory + "/config.json"
        try writeConfig(path)
        let store = ConfigStore(path: path)
        let victim = directory + "/victim"
        try FileManager.default.createSymbolicLink(atPath: store.lockPath, withDestinationPath: victim)
        let expected = KcxError(
            .usage, "cannot open lock file \(store.lockPath): it is a symbolic link, which kcx never follows",
            hint: "remove it (kcx creates a new one): rm \(store.lockPath)")
        #expect(throws: expected) { try store.save(nil, as: "default") }
        #expect(throws: expected) { try store.checkWritable() }
        #expect(!FileManager.default.fileExists(atPath: victim))
        #expect(try store.profileNames() == ["default"])

        try "victim\n".write(toFile: victim, atomically: false, encoding: .utf8)
        #expect(chmod(victim, 0o644) == 0)
        #expect(throws: expected) { try store.save(nil, as: "default") }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim\n")
        #expect(FileSystem.mode(of: victim) == 0o644)
    }

    @Test("a config file over 1 MiB is a usage error naming the file and the limit")
    func oversizedConfig() throws {
        let path = directory + "/config.json"
        try (#"{"profiles":{}}"# + String(repeating: " ", count: (1 << 20) - 15)).write(
            toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, 0o600) == 0)
        #expect(try ConfigStore(path: path).profileNames() == [])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(" ".utf8))
        handle.closeFile()
        #expect(
            throws: KcxError(
                .usage, "cannot read \(path): larger than 1 MiB, kcx's limit for a config file",
                hint: "fix or remove it, then log in again")
        ) {
            try ConfigStore(path: path).profileNames()
        }
    }

    @Test("reads stop at their limit: exactly the limit passes, one byte more fails; /dev/zero and a huge sparse file fail")
    func boundedReads() throws {
        let small = ReadLimit(bytes: 10, what: "a test input")
        let path = directory + "/data"
        try "0123456789".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try FileSystem.readFile(path, limit: small) == Array("0123456789".utf8))
        try "0123456789A".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: FileSystemError.tooLarge(path, small)) { try FileSystem.readFile(path, limit: small) }
        #expect(
            FileSystemError.tooLarge(path, small).description
                == "cannot read \(path): larger than 10 bytes, kcx's limit for a test input")

        let zero = #expect(throws: FileSystemError.self) { try FileSystem.readFile("/dev/zero", limit: .secret) }
        #expect(zero?.description == "cannot read /dev/zero: larger than 64 KiB, kcx's limit for a password, secret or token")

        let sparse = directory + "/sparse"
        #expect(FileManager.default.createFile(atPath: sparse, contents: nil))
        #expect(truncate(sparse, 1 << 32) == 0)
        let started = Date()
        #expect(throws: FileSystemError.tooLarge(sparse, .data)) { try FileSystem.readFile(sparse, limit: .data) }
        #expect(Date().timeIntervalSince(started) < 1, "a regular file's size is checked before reading")

        // Chunks from a stream: the limit counts across them.
        var chunks = [[UInt8](repeating: 1, count: 6), [UInt8](repeating: 2, count: 5)]
        #expect(throws: FileSystemError.tooLarge("standard input", small)) {
            try FileSystem.readAll(name: "standard input", limit: small) { buffer in
                guard !chunks.isEmpty else { return 0 }
                let chunk = chunks.removeFirst()
                buffer.copyBytes(from: chunk)
                return chunk.count
            }
        }
    }

    @Test("the limits are the documented ones")
    func limits() {
        #expect(ReadLimit.config.bytes == 1 << 20 && ReadLimit.config.readable == "1 MiB")
        #expect(ReadLimit.data.bytes == 64 << 20 && ReadLimit.data.readable == "64 MiB")
        #expect(ReadLimit.secret.bytes == 64 << 10 && ReadLimit.secret.readable == "64 KiB")
    }

    @Test("a password file that never ends is a usage error naming it and the limit")
    func endlessSecretFile() {
        #expect(
            throws: KcxError(.usage, "cannot read /dev/zero: larger than 64 KiB, kcx's limit for a password, secret or token")
        ) {
            try SecretSource.file("/dev/zero").read(environment: [:])
        }
    }

    @Test("--insecure and --cacert round-trip with the session; a file without them reads as verified with the system CAs")
    func storedTLS() throws {
        let store = ConfigStore(path: directory + "/config.json")
        let session = StoredSession(
            server: "https://kc", realm: "master", clientId: "admin-cli", grant: .password, username: "admin",
            insecure: true, caCertificateFile: "/etc/kc/ca.pem")
        try store.save(session, as: "default")
        #expect(try store.session(named: "default") == session)
        let entry = try #require(try store.load()["profiles"]?["default"])
        #expect(entry["insecure"] == .bool(true))
        #expect(entry["caCertificateFile"] == .string("/etc/kc/ca.pem"))

        let old = try #require(
            StoredSession(json: ["server": "https://kc", "realm": "master", "client": "admin-cli", "grant": "password"]))
        #expect(old.insecure == false && old.caCertificateFile == nil)
        #expect(old.json.objectValue?.keys == ["server", "realm", "client", "grant"])
    }
}
