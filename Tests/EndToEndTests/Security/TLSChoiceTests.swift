// The TLS choices a session keeps, with the real binary against a real TLS server (`openssl s_server`
// serving a canned admin answer over a self-signed certificate): a stored --cacert or --insecure is
// used by later commands, verification stays on otherwise, and a certificate the stored CA did not
// sign is refused before the bearer token is sent.
import Foundation
import KcxJSON
import Testing

/// `openssl s_server -HTTP` on a free loopback port with a fresh self-signed certificate for
/// 127.0.0.1; it answers `GET /admin/realms` with a fixed JSON list and nothing else.
final class SelfSignedServer: @unchecked Sendable {
    static let openssl = "/usr/bin/openssl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: openssl) }

    let directory: URL
    let certificate: String
    let port: Int
    private let process: Process

    init(in directory: URL) throws {
        self.directory = directory
        certificate = directory.appendingPathComponent("server-cert.pem").path
        try Self.makeCertificate(certificate, key: directory.appendingPathComponent("server-key.pem").path)
        let root = directory.appendingPathComponent("www/admin")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Data("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"realm\":\"tls-demo\"}]".utf8)
            .write(to: root.appendingPathComponent("realms"))
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.openssl)
        process.arguments = [
            "s_server", "-accept", "127.0.0.1:0", "-cert", certificate, "-key",
            directory.appendingPathComponent("server-key.pem").path,
            "-HTTP",
        ]
        process.currentDirectoryURL = directory.appendingPathComponent("www")
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = Pipe()
        try process.run()
        // The first line that starts with ACCEPT names the port ("ACCEPT 127.0.0.1:PORT").
        let reader = out.fileHandleForReading
        var line = ""
        var accept: String?
        while accept == nil {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty { throw HarnessError("openssl s_server stopped before accepting") }
            if byte.first == UInt8(ascii: "\n") {
                if line.hasPrefix("ACCEPT") { accept = line }
                line = ""
            } else {
                line += String(decoding: byte, as: UTF8.self)
            }
        }
        // Whatever it logs later is drained, so it never blocks on a full pipe.
        Thread { _ = reader.readDataToEndOfFile() }.start()
        guard let port = accept?.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw HarnessError("openssl s_server printed '\(accept ?? "")'")
        }
        self.port = port
    }

    /// A self-signed certificate for IP 127.0.0.1 (its own CA).
    static func makeCertificate(_ certificate: String, key: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("openssl req failed") }
    }

    var baseURL: String { "https://127.0.0.1:\(port)" }

    deinit {
        // SIGKILL: openssl s_server ignores SIGTERM (Process.terminate), and every run left four behind.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

@Suite(.enabled(if: SelfSignedServer.isAvailable, "needs /usr/bin/openssl for a TLS server"))
struct TLSChoiceTests {
    static let realms = "[ {\n  \"realm\" : \"tls-demo\"\n} ]\n"
    static let certificateHint =
        "hint: trust the server's CA with --cacert FILE (PEM), or, not recommended, skip verification with --insecure\n"

    /// A kcx environment whose default profile holds a fresh access token for `server`, with the
    /// TLS members given (as `config credentials --insecure/--cacert` stores them).
    static func session(_ server: SelfSignedServer, _ env: KcxEnvironment, tls: JSON) throws {
        let base: JSON = [
            "server": .string(server.baseURL), "realm": "master", "client": "admin-cli", "grant": "password", "username": "admin",
            "accessToken": "stored-access-token", "accessTokenExpiresAt": .int(Int64(Date().timeIntervalSince1970) + 3600),
        ]
        var profile = try #require(base.objectValue)
        let chosen = try #require(tls.objectValue)
        for key in chosen.keys { profile[key] = chosen[key] }
        let folder = env.configFile.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let document: JSON = ["profiles": ["default": .object(profile)]]
        try Data(document.serialized(.pretty).utf8).write(to: env.configFile)
        #expect(chmod(env.configFile.path, 0o600) == 0)
    }

    @Test func storedCACertificateIsUsed() throws {
        let env = try KcxEnvironment()
        let server = try SelfSignedServer(in: env.home)
        try Self.session(server, env, tls: ["caCertificateFile": .string(server.certificate)])
        let result = try env.kcx(["get", "realms"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == Self.realms)
        #expect(result.stderr == "")
        let status = try env.kcx(["config", "status"])
        #expect(status.stdout.contains("\ntls:           CA certificates from \(server.certificate) (--cacert)\n"), "\(status)")
    }

    @Test func storedInsecureIsUsedAndWarnsEachTime() throws {
        let env = try KcxEnvironment()
        let server = try SelfSignedServer(in: env.home)
        try Self.session(server, env, tls: ["insecure": true])
        for _ in 0..<2 {
            let result = try env.kcx(["get", "realms"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == Self.realms)
            #expect(result.stderr == "warning: TLS certificate verification is disabled (--insecure, stored with the session)\n")
        }
    }

    @Test func withoutStoredChoicesVerificationStaysOn() throws {
        let env = try KcxEnvironment()
        let server = try SelfSignedServer(in: env.home)
        try Self.session(server, env, tls: [:])
        let result = try env.kcx(["get", "realms"])
        #expect(result.status == 6)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("error: GET /admin/realms: SSL certificate problem: "), "\(result)")
        #expect(result.stderr.hasSuffix(Self.certificateHint))
        // An explicit --cacert works for one command, as before.
        let given = try env.kcx(["get", "realms", "--cacert", server.certificate])
        #expect(given.status == 0 && given.stdout == Self.realms, "\(given)")
    }

    @Test func certificateTheStoredCADidNotSignIsRefused() throws {
        let env = try KcxEnvironment()
        let server = try SelfSignedServer(in: env.home)
        // The session trusts a CA of its own; the server (an interceptor) presents a certificate it did not sign.
        let pinned = env.home.appendingPathComponent("pinned-ca.pem").path
        try SelfSignedServer.makeCertificate(pinned, key: env.home.appendingPathComponent("pinned-key.pem").path)
        try Self.session(server, env, tls: ["caCertificateFile": .string(pinned)])
        let result = try env.kcx(["get", "realms"])
        #expect(result.status == 6)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("error: GET /admin/realms: SSL certificate problem: "), "\(result)")
        #expect(!result.stderr.contains("stored-access-token"))
        // A --cacert given on the command line wins over the stored one.
        let given = try env.kcx(["get", "realms", "--cacert", server.certificate])
        #expect(given.status == 0 && given.stdout == Self.realms, "\(given)")
    }
}
