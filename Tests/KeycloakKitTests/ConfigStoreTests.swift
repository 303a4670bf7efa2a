// The session file: 0600 whatever was there, atomic replacement, concurrent writers kept apart,
// private directory, clear errors for a broken file.
import Foundation
import KcxJSON
import KeycloakKit
import Testing

@Suite("ConfigStore")
final class ConfigStoreTests {
    let directory: String

    init() throws { directory = try makeTemporaryDirectory() }
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func session(_ user: String) -> StoredSession {
        StoredSession(
            server: "https://kc.example.com", realm: "master", clientId: "admin-cli", grant: .password, username: user,
            passwordSource: .environment("KCX_PASSWORD"), accessToken: "access-\(user)",
            accessTokenExpiresAt: Date(timeIntervalSince1970: 1_777_636_860), refreshToken: "refresh-\(user)",
            refreshTokenExpiresAt: Date(timeIntervalSince1970: 1_777_638_600))
    }

    @Test("default path follows XDG_CONFIG_HOME, else HOME/.config")
    func defaultPath() {
        #expect(
            ConfigStore.defaultPath(environment: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/u"]) == "/x/cfg/kcx/config.json")
        #expect(ConfigStore.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.config/kcx/config.json")
        // A relative XDG_CONFIG_HOME is invalid per the spec and ignored.
        #expect(
            ConfigStore.defaultPath(environment: ["XDG_CONFIG_HOME": "rel", "HOME": "/home/u"])
                == "/home/u/.config/kcx/config.json")
    }

    @Test("a session round-trips, and the file holds exactly the documented members")
    func roundTrip() throws {
        let store = ConfigStore(path: directory + "/kcx/config.json")
        try store.save(session("admin"), as: "default")
        #expect(try store.session(named: "default") == session("admin"))
        #expect(try store.session(named: "other") == nil)
        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(
            text == """
                {
                  "profiles": {
                    "default": {
                      "server": "https://kc.example.com",
                      "realm": "master",
                      "client": "admin-cli",
                      "grant": "password",
                      "username": "admin",
                      "passwordSource": {
                        "env": "KCX_PASSWORD"
                      },
                      "accessToken": "access-admin",
                      "accessTokenExpiresAt": 1777636860,
                      "refreshToken": "refresh-admin",
                      "refreshTokenExpiresAt": 1777638600
                    }
                  }
                }

                """)
    }

    @Test("new directories are 0700 and the file 0600")
    func modesOfNewFiles() throws {
        let store = ConfigStore(path: directory + "/a/b/config.json")
        try store.save(session("admin"), as: "default")
        #expect(FileSystem.mode(of: directory + "/a") == 0o700)
        #expect(FileSystem.mode(of: directory + "/a/b") == 0o700)
        #expect(FileSystem.mode(of: store.path) == 0o600)
        #expect(FileSystem.mode(of: store.lockPath) == 0o600)
    }

    @Test("writing over a 0644 file leaves it 0600 and keeps other members")
    func tightensWideMode() throws {
        let path = directory + "/config.json"
        try #"{"profiles":{"old":{"server":"http://a","realm":"r","client":"c","grant":"client_credentials"}},"future":1}"#
            .write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        #expect(FileSystem.mode(of: path) == 0o644)
        let store = ConfigStore(path: path)
        try store.save(session("admin"), as: "default")
        #expect(FileSystem.mode(of: path) == 0o600)
        #expect(try store.profileNames() == ["old", "default"])
        #expect(try store.load()["future"] == 1)
    }

    @Test("no temporary files are left, and removing a profile keeps the others")
    func noTemporaryFilesLeft() throws {
        let store = ConfigStore(path: directory + "/config.json")
        for index in 0..<5 { try store.save(session("u\(index)"), as: "p\(index)") }
        try store.save(nil, as: "p2")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["config.json", "config.json.lock"])
        #expect(try store.profileNames() == ["p0", "p1", "p3", "p4"])
    }

    @Test("concurrent writers on different profiles all survive, and readers always see valid JSON")
    func concurrentWriters() async throws {
        let path = directory + "/config.json"
        let writers = 8
        let rounds = 10
        let invalidReads = try await onDedicatedThread { () -> Int in
            let group = DispatchGroup()
            let stop = ManagedFlag()
            let invalid = ManagedCounter()
            // A reader racing the writers: every read parses (rename is atomic).
            Thread {
                while !stop.value {
                    if let bytes = FileManager.default.contents(atPath: path), (try? JSON.parse(Array(bytes))) == nil {
                        invalid.increment()
                    }
                }
            }.start()
            for writer in 0..<writers {
                group.enter()
                Thread {
                    // Each thread opens its own store, as separate kcx processes would.
                    let store = ConfigStore(path: path)
                    for round in 0..<rounds {
                        try! store.save(
                            StoredSession(
                                server: "http://s\(writer)", realm: "r\(round)", clientId: "c", grant: .clientCredentials),
                            as: "writer\(writer)")
                    }
                    group.leave()
                }.start()
            }
            group.wait()
            stop.value = true
            return invalid.value
        }
        #expect(invalidReads == 0)
        let store = ConfigStore(path: path)
        #expect(Set(try store.profileNames()) == Set((0..<writers).map { "writer\($0)" }))
        for writer in 0..<writers {
            #expect(try store.session(named: "writer\(writer)")?.realm == "r\(rounds - 1)")
        }
    }

    @Test("a broken file is a usage error naming the file and the position")
    func brokenFile() throws {
        let path = directory + "/config.json"
        try "{\n  \"profiles\": {,}\n}".write(toFile: path, atomically: false, encoding: .utf8)
        let store = ConfigStore(path: path)
        let error = try #require(throws: KcxError.self) { try store.session(named: "default") }
        #expect(error.code == .usage)
        #expect(error.message.hasPrefix("config file \(path) is not valid JSON: "))
        #expect(error.message.contains("line 2"))
        // Nothing is written over a file kcx cannot read.
        #expect(throws: KcxError.self) { try store.save(session("x"), as: "default") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\n  \"profiles\": {,}\n}")
    }

    @Test("a hand-edited expiry out of range reads as expired or as the year 3000, and saves again without trapping")
    func expiryOutOfRange() throws {
        var json = session("x").json
        json["accessTokenExpiresAt"] = .double(1e300)
        json["refreshTokenExpiresAt"] = .double(-1e300)
        let read = try #require(StoredSession(json: json))
        #expect(read.accessTokenExpiresAt == Date(timeIntervalSince1970: 32_503_680_000))
        #expect(read.refreshTokenExpiresAt == Date(timeIntervalSince1970: 0))
        #expect(read.json["accessTokenExpiresAt"] == .int(32_503_680_000))
        #expect(read.json["refreshTokenExpiresAt"] == .int(0))
    }

    @Test("a secret source reads env and file values, first line only, and names what is missing")
    func secretSources() throws {
        let file = directory + "/secret"
        try "s3cret\r\nsecond line\n".write(toFile: file, atomically: false, encoding: .utf8)
        #expect(try SecretSource.file(file).read(environment: [:]) == "s3cret")
        #expect(try SecretSource.environment("KCX_PASSWORD").read(environment: ["KCX_PASSWORD": "pw"]) == "pw")
        let missing = try #require(throws: KcxError.self) { try SecretSource.environment("KCX_PASSWORD").read(environment: [:]) }
        #expect(missing.message == "environment variable KCX_PASSWORD is not set")
        let gone = try #require(throws: KcxError.self) { try SecretSource.file(directory + "/nope").read(environment: [:]) }
        #expect(gone.message == "cannot read \(directory)/nope: No such file or directory")
    }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    func increment() { lock.withLock { stored += 1 } }
    var value: Int { lock.withLock { stored } }
}
