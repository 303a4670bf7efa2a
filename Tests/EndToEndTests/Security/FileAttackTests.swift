// Attacks on the files kcx reads, with the real binary: a config planted where others can write (it
// would send the user's password file to the attacker's server), a symbolic link in place of the lock
// file, and endless or huge inputs on every path that reads a file or standard input.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

/// The attacker's server: records every request and refuses every login, as a token endpoint would.
func attackerTokenServer() throws -> RecordingServer {
    try RecordingServer(status: 401, json: #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#)
}

/// Runs kcx with standard input read from `stdinPath` (e.g. /dev/zero) instead of a pipe.
func runKcx(_ env: KcxEnvironment, _ arguments: [String], stdinPath: String) throws -> ProcessResult {
    try runProcess(Binaries.kcx, arguments, environment: env.variables, stdinFile: stdinPath)
}

@Suite struct FileAttackTests {
    static let secretLimit = "larger than 64 KiB, kcx's limit for a password, secret or token"
    static let dataLimit = "larger than 64 MiB, kcx's limit for a data file"

    /// A config naming the attacker's server and the user's password file, with no tokens: any
    /// command logs in again, reading the password file and posting it to `server`.
    static func plantedConfig(server: String, passwordFile: String) -> String {
        let profile: JSON = [
            "server": .string(server), "realm": "master", "client": "admin-cli", "grant": "password", "username": "admin",
            "passwordSource": ["file": .string(passwordFile)],
        ]
        let document: JSON = ["profiles": ["default": profile]]
        return document.serialized(.pretty)
    }

    /// The environment with the victim's password file and the planted config at its default path,
    /// the config directory (created here) and the file with the given modes.
    static func victim(server: RecordingServer, directoryMode: mode_t, fileMode: mode_t) throws -> (
        KcxEnvironment, password: String
    ) {
        let env = try KcxEnvironment()
        let password = "victim-pw-" + UUID().uuidString.prefix(8)
        let passwordFile = env.home.appendingPathComponent("password").path
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
        let folder = env.configFile.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(plantedConfig(server: server.baseURL, passwordFile: passwordFile).utf8).write(to: env.configFile)
        #expect(chmod(folder, directoryMode) == 0)
        #expect(chmod(env.configFile.path, fileMode) == 0)
        return (env, password)
    }

    @Test func plantedConfigInWritableDirectoryIsRefused() throws {
        let server = try attackerTokenServer()
        let (env, password) = try Self.victim(server: server, directoryMode: 0o777, fileMode: 0o600)
        let folder = env.configFile.deletingLastPathComponent().path
        for arguments in [
            ["get", "realms"], ["config", "status"],
            ["token", "get", "--client", "admin-cli", "--user", "admin", "--password-stdin"],
        ] {
            let result = try env.kcx(arguments, stdin: "typed-pw\n")
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stdout == "")
            #expect(
                result.stderr == """
                    error: config directory \(folder) is writable by group or others (mode 0777): another user could make it send your credentials to their server
                    hint: if its content is yours, run: chmod go-w \(folder)

                    """, "\(arguments)")
        }
        #expect(server.requests.isEmpty)

        // The attack is real: with the directory fixed, the same config posts the password file's content.
        #expect(chmod(folder, 0o700) == 0)
        let sent = try env.kcx(["get", "realms"])
        #expect(sent.status == 4, "\(sent)")
        #expect(server.requests.count == 1)
        #expect(server.requests.first.map { String(decoding: $0.body, as: UTF8.self) }?.contains("password=\(password)") == true)
    }

    @Test func writableConfigFileIsRefused() throws {
        let server = try attackerTokenServer()
        let (env, _) = try Self.victim(server: server, directoryMode: 0o700, fileMode: 0o666)
        let path = env.configFile.path
        let refusal = """
            error: config file \(path) is writable by group or others (mode 0666): another user could make it send your credentials to their server
            hint: if its content is yours, run: chmod go-w \(path)

            """
        let result = try env.kcx(["get", "realms"])
        #expect(result.status == 2)
        #expect(result.stderr == refusal)

        // The same through --config FILE, from a directory kcx did not create.
        let elsewhere = env.home.appendingPathComponent("planted.json").path
        try FileManager.default.copyItem(atPath: path, toPath: elsewhere)
        #expect(chmod(elsewhere, 0o620) == 0)
        let given = try env.kcx(["get", "realms", "--config", elsewhere])
        #expect(given.status == 2)
        #expect(
            given.stderr == """
                error: config file \(elsewhere) is writable by group or others (mode 0620): another user could make it send your credentials to their server
                hint: if its content is yours, run: chmod go-w \(elsewhere)

                """)
        #expect(server.requests.isEmpty)
        #expect(FileSystemMode.of(path) == 0o666, "a refused file is left as it is")
    }

    @Test(.enabled(if: geteuid() == 0, "handing a file to another user needs root (as on CI)"))
    func configOwnedByAnotherUserIsRefused() throws {
        let server = try attackerTokenServer()
        let (env, _) = try Self.victim(server: server, directoryMode: 0o700, fileMode: 0o600)
        let path = env.configFile.path
        #expect(chown(path, 4242, 4242) == 0)
        let result = try env.kcx(["get", "realms"])
        #expect(result.status == 2)
        #expect(
            result.stderr == """
                error: config file \(path) is owned by uid 4242, not by you (uid 0) or root: it could send your credentials to another user's server
                hint: if it is yours, run: chown 0 \(path); otherwise remove it

                """)
        #expect(server.requests.isEmpty)
    }

    @Test func lockFileSymlinkIsRefused() throws {
        let keycloak = TestKeycloak.shared
        let env = try KcxEnvironment()
        try env.login(keycloak)
        let lock = env.configFile.path + ".lock"
        let missing = env.home.appendingPathComponent("created-through-the-link").path
        let victim = env.home.appendingPathComponent("victim").path
        try Data("victim\n".utf8).write(to: URL(fileURLWithPath: victim))
        #expect(chmod(victim, 0o644) == 0)
        let refusal = """
            error: cannot open lock file \(lock): it is a symbolic link, which kcx never follows
            hint: remove it (kcx creates a new one): rm \(lock)

            """
        // The access token reads as expired, so the next admin command refreshes it under the lock.
        var document = try #require(try JSON.parse(Array(Data(contentsOf: env.configFile))).objectValue)
        var profiles = try #require(document["profiles"]?.objectValue)
        var profile = try #require(profiles["default"]?.objectValue)
        profile["accessTokenExpiresAt"] = .int(0)
        profiles["default"] = .object(profile)
        document["profiles"] = .object(profiles)
        try Data(JSON.object(document).serialized(.pretty).utf8).write(to: env.configFile)
        let before = try String(contentsOf: env.configFile, encoding: .utf8)
        for target in [missing, victim] {
            try FileManager.default.removeItem(atPath: lock)
            try FileManager.default.createSymbolicLink(atPath: lock, withDestinationPath: target)
            // A new login and a logout are refused before anything is sent; a token refresh (which takes
            // the lock to store its result) opens the lock file without following it.
            let relogin = try env.kcx(
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
                    "--password-stdin",
                ],
                stdin: keycloak.adminPassword + "\n")
            #expect(relogin.status == 2)
            #expect(relogin.stderr == refusal)
            let logout = try env.kcx(["config", "logout"])
            #expect(logout.status == 2)
            #expect(logout.stderr == refusal)
            let refresh = try env.kcx(["get", "realms"])
            #expect(refresh.status == 2)
            #expect(refresh.stderr == refusal)
            #expect(refresh.stdout == "")
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim\n")
        #expect(FileSystemMode.of(victim) == 0o644)
        #expect(try String(contentsOf: env.configFile, encoding: .utf8) == before)
    }

    @Test(
        arguments: [
            (["apply", "-f", "/dev/zero"], nil, "error: cannot read --file '/dev/zero': \(dataLimit)\n"),
            (["plan", "-f", "-"], "/dev/zero", "error: cannot read standard input (--file -): \(dataLimit)\n"),
            (["create", "clients", "-f", "/dev/zero"], nil, "error: cannot read -f '/dev/zero': \(dataLimit)\n"),
            (["update", "clients/x", "-f", "-"], "/dev/zero", "error: cannot read standard input (-f -): \(dataLimit)\n"),
            (
                ["config", "credentials", "--server", "SERVER", "--realm", "master", "--user", "admin", "--password-stdin"],
                "/dev/zero",
                "error: --password-stdin: cannot read standard input: \(secretLimit)\n"
            ),
            (
                [
                    "config", "credentials", "--server", "SERVER", "--realm", "master", "--user", "admin", "--password-file",
                    "/dev/zero",
                ], nil,
                "error: --password-file: cannot read /dev/zero: \(secretLimit)\n"
            ),
            (
                ["token", "get", "--client", "ci", "--secret-stdin"], "/dev/zero",
                "error: --secret-stdin: cannot read standard input: \(secretLimit)\n"
            ),
            (
                ["token", "exchange", "--client", "ci", "--subject-token", "-", "--secret-file", "SECRET"], "/dev/zero",
                "error: cannot read standard input: \(secretLimit)\n"
            ),
            (["token", "decode", "-"], "/dev/zero", "error: cannot read standard input: \(secretLimit)\n"),
            (["apply", "-f", "HUGE"], nil, "error: cannot read --file 'HUGE': \(dataLimit)\n"),
            (["apply", "-f", "FIFO"], nil, "error: cannot read --file 'FIFO': \(dataLimit)\n"),
        ] as [([String], String?, String)])
    func endlessInputsAreBounded(arguments: [String], stdinPath: String?, stderr: String) throws {
        let server = try attackerTokenServer()
        var env = try KcxEnvironment()
        env.extra["KCX_SERVER"] = server.baseURL
        env.extra["KCX_REALM"] = "master"
        let huge = env.home.appendingPathComponent("huge.yaml").path
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 1 << 32) == 0)
        let secret = env.home.appendingPathComponent("secret").path
        try Data("s3cret\n".utf8).write(to: URL(fileURLWithPath: secret))
        let fifo = env.home.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // A writer that never stops; it ends when kcx closes the FIFO (SIGPIPE).
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/bin/sh")
        writer.arguments = ["-c", "exec cat /dev/zero > \"$0\"", fifo]
        if arguments.contains("FIFO") { try writer.run() }
        defer { if writer.isRunning { writer.terminate() } }

        let substitutions = ["SERVER": server.baseURL, "SECRET": secret, "HUGE": huge, "FIFO": fifo]
        let resolved = arguments.map { substitutions[$0] ?? $0 }
        let started = Date()
        let result = try stdinPath.map { try runKcx(env, resolved, stdinPath: $0) } ?? env.kcx(resolved)
        let expected = substitutions.reduce(stderr) { text, pair in
            text.replacingOccurrences(of: "'\(pair.key)'", with: "'\(pair.value)'")
        }
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout == "")
        #expect(result.stderr == expected)
        for crash in ["Fatal error", "Illegal instruction", "Trace/breakpoint", "rip:", "Stack dump"] {
            #expect(!result.stderr.contains(crash))
        }
        #expect(server.requests.isEmpty)
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func oversizedConfigIsRefused() throws {
        let env = try KcxEnvironment()
        let folder = env.configFile.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(chmod(folder, 0o700) == 0)
        #expect(
            FileManager.default.createFile(atPath: env.configFile.path, contents: nil, attributes: [.posixPermissions: 0o600]))
        #expect(truncate(env.configFile.path, (1 << 20) + 1) == 0)
        let result = try env.kcx(["config", "status"])
        #expect(result.status == 2)
        #expect(
            result.stderr == """
                error: cannot read \(env.configFile.path): larger than 1 MiB, kcx's limit for a config file
                hint: fix or remove it, then log in again

                """)
    }
}

enum FileSystemMode {
    static func of(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
    }
}
