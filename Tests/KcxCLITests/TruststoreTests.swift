// kcadm's `config truststore` and `--truststore` with PKCS#12 files made by the openssl command
// line: the certificates are read with the password from --trustpass, `--trustpass -` (prompt or
// standard input), $KC_CLI_TRUSTSTORE_PASSWORD or none; a wrong password changes nothing.
import Foundation
import KeycloakKit
import Testing

@testable import KcxCLI

/// A self-signed certificate (PEM) and PKCS#12 files of it, made with /usr/bin/openssl.
struct PKCS12Files {
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") }

    let certificatePEM: String
    let directory: String

    init(in directory: String) throws {
        self.directory = directory
        try Self.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            "-days", "2", "-subj", "/CN=127.0.0.1",
        ])
        certificatePEM = try String(contentsOfFile: directory + "/cert.pem", encoding: .utf8)
    }

    /// A PKCS#12 file holding only the certificate, under `password` ("" for none); `legacy` uses
    /// the RC2/3DES encryption and SHA-1 MAC of older tools.
    func p12(_ name: String, password: String, legacy: Bool = false, withKey: Bool = false) throws -> String {
        let path = directory + "/" + name
        var arguments = ["pkcs12", "-export", "-in", directory + "/cert.pem", "-out", path, "-passout", "pass:" + password]
        arguments += withKey ? ["-inkey", directory + "/key.pem"] : ["-nokeys"]
        if legacy { arguments.append("-legacy") }
        try Self.openssl(arguments)
        return path
    }

    static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
    }
}

@Suite(.enabled(if: PKCS12Files.isAvailable, "needs /usr/bin/openssl"))
struct TruststoreTests {
    func bundle(_ world: SessionWorld) throws -> String {
        try String(contentsOfFile: world.directory + "/kcx/truststore-default.pem", encoding: .utf8)
    }

    @Test("a PKCS#12 file's certificates become the session's CA bundle; the password is not stored")
    func pkcs12WithTrustpass() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "tp-Secret-1")
        try world.storeSession()
        #expect(world.run(["config", "truststore", p12, "--trustpass", "tp-Secret-1"]) == 0)
        #expect(
            world.stderr.text
                == "warning: --trustpass on the command line is visible to other users and kept in shell history; "
                + "use --trustpass - (a prompt) or KC_CLI_TRUSTSTORE_PASSWORD\n")
        #expect(try world.store.session(named: "default")?.caCertificateFile == world.directory + "/kcx/truststore-default.pem")
        #expect(try bundle(world) == files.certificatePEM)
        let config = try String(contentsOfFile: world.configPath, encoding: .utf8)
        #expect(!config.contains("tp-Secret-1"))
        let mode =
            try FileManager.default.attributesOfItem(atPath: world.directory + "/kcx/truststore-default.pem")[.posixPermissions]
            as? Int
        #expect(mode == 0o600)

        // The truststore belongs to the profile, as kcadm's to its config: logging out keeps it,
        // and the next login uses it.
        var withoutRefresh = try #require(try world.store.session(named: "default"))
        withoutRefresh.refreshToken = nil
        try world.store.save(withoutRefresh, as: "default")
        #expect(world.run(["config", "logout"]) == 0)
        #expect(try bundle(world) == files.certificatePEM)
        world.input = SessionInput(piped: "admin-pw\n")
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=admin-pw",
            json: sessionTokenJSON("A2", "R2"))
        #expect(world.run(["config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin"]) == 0)
        #expect(world.transportOptions.last?.caCertificateFile == world.directory + "/kcx/truststore-default.pem")
        #expect(try world.store.session(named: "default")?.caCertificateFile == world.directory + "/kcx/truststore-default.pem")

        // --delete forgets it and removes the bundle.
        #expect(world.run(["config", "truststore", "--delete"]) == 0)
        #expect(try world.store.session(named: "default")?.caCertificateFile == nil)
        #expect(!FileManager.default.fileExists(atPath: world.directory + "/kcx/truststore-default.pem"))
    }

    @Test("a wrong password is a usage error naming the file; the session keeps its truststore")
    func wrongPasswordChangesNothing() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "right")
        try world.storeSession()
        #expect(world.run(["config", "truststore", p12, "--trustpass", "right"]) == 0)
        let before = try String(contentsOfFile: world.configPath, encoding: .utf8)
        let other = try files.p12("other.p12", password: "other")
        world.input = SessionInput(piped: "Bad-Pw-77\n")
        #expect(world.run(["config", "truststore", other, "--trustpass", "-"]) == 2)
        #expect(
            world.stderr.text.hasSuffix(
                "error: truststore '\(other)': wrong truststore password (the PKCS#12 integrity check failed)\n"
                    + "hint: give the password with --trustpass - (prompted for) or KC_CLI_TRUSTSTORE_PASSWORD\n"))
        #expect(!world.stderr.text.contains("Bad-Pw-77"))
        #expect(try String(contentsOfFile: world.configPath, encoding: .utf8) == before)
        #expect(try bundle(world) == files.certificatePEM)
        // Under kcadm.sh the exit code is kcadm's 1.
        #expect(
            Kcx.run(["config", "truststore", other, "--trustpass", "nope"], programName: "kcadm.sh", context: world.context) == 1)
        #expect(try String(contentsOfFile: world.configPath, encoding: .utf8) == before)
    }

    @Test("the password from standard input, a prompt, the environment, or none")
    func passwordSources() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "pw-42")
        try world.storeSession()

        // Not given, the file needs one, standard input is not a terminal: its first line.
        world.input = SessionInput(piped: "pw-42\n")
        #expect(world.run(["config", "truststore", p12]) == 0)
        #expect(world.stderr.text == "")
        #expect(try bundle(world) == files.certificatePEM)

        // --trustpass - on a terminal: kcadm's prompt, without echo.
        let prompted = SessionInput(terminalTyping: "pw-42")
        world.input = prompted
        #expect(world.run(["config", "truststore", p12, "--trustpass", "-"]) == 0)
        #expect(prompted.prompts == ["Enter truststore password: "])

        // $KC_CLI_TRUSTSTORE_PASSWORD, as kcadm reads it.
        world.input = SessionInput(piped: "")
        world.environment["KC_CLI_TRUSTSTORE_PASSWORD"] = "pw-42"
        #expect(world.run(["config", "truststore", p12]) == 0)
        world.environment["KC_CLI_TRUSTSTORE_PASSWORD"] = nil

        // Nothing to read it from.
        #expect(world.run(["config", "truststore", p12]) == 2)
        #expect(
            world.stderr.text.hasSuffix(
                "error: truststore '\(p12)' needs its password\n"
                    + "hint: give it with --trustpass - (prompted for), KC_CLI_TRUSTSTORE_PASSWORD, or --trustpass PASSWORD\n"))

        // A file without a password opens without asking; one with a key and a legacy one too.
        let open = try files.p12("open.p12", password: "")
        let asked = SessionInput(terminalTyping: nil)
        world.input = asked
        #expect(world.run(["config", "truststore", open]) == 0)
        #expect(asked.prompts == [])
        #expect(try bundle(world) == files.certificatePEM)
        let keyed = try files.p12("keyed.p12", password: "k", withKey: true)
        #expect(world.run(["config", "truststore", keyed, "--trustpass", "k"]) == 0)
        #expect(try bundle(world) == files.certificatePEM)
        let legacy = try files.p12("legacy.p12", password: "old", legacy: true)
        #expect(world.run(["config", "truststore", legacy, "--trustpass", "old"]) == 0)
        #expect(try bundle(world) == files.certificatePEM)
    }

    @Test("--truststore FILE.p12 on a request command trusts its certificates for that command, in memory")
    func requestCommandUsesPEMInMemory() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "pw")
        try world.storeSession()
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]")
        world.environment["KC_CLI_TRUSTSTORE_PASSWORD"] = "pw"
        #expect(world.run(["get", "clients", "--truststore", p12]) == 0)
        #expect(world.transportOptions.last?.caCertificatePEM == Array(files.certificatePEM.utf8))
        #expect(world.transportOptions.last?.caCertificateFile == nil)
        #expect(!FileManager.default.fileExists(atPath: world.directory + "/kcx/truststore-default.pem"))

        // A wrong one: refused before anything is sent.
        let sent = world.transport.received.count
        world.environment["KC_CLI_TRUSTSTORE_PASSWORD"] = "nope"
        #expect(world.run(["get", "clients", "--truststore", p12]) == 2)
        #expect(world.transport.received.count == sent)
        #expect(
            world.stderr.text.hasSuffix(
                "error: --truststore '\(p12)': wrong truststore password (the PKCS#12 integrity check failed)\n"
                    + "hint: give the password with --trustpass - (prompted for) or KC_CLI_TRUSTSTORE_PASSWORD\n"))
    }
    @Test("config credentials --truststore FILE.p12 logs in trusting it and keeps its certificates for the session")
    func credentialsWithPKCS12() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "pw-7")
        world.environment["KC_CLI_TRUSTSTORE_PASSWORD"] = "pw-7"
        world.input = SessionInput(piped: "admin-pw\n")
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=admin-pw",
            json: sessionTokenJSON("A1", "R1"))
        #expect(
            world.run([
                "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin", "--truststore", p12,
            ]) == 0)
        #expect(world.transportOptions.last?.caCertificatePEM == Array(files.certificatePEM.utf8))
        // config credentials' own PKCS#12 goes with the session, apart from config truststore's.
        let login = world.directory + "/kcx/login-truststore-default.pem"
        #expect(try world.store.session(named: "default")?.caCertificateFile == login)
        #expect(try String(contentsOfFile: login, encoding: .utf8) == files.certificatePEM)
        #expect(try world.store.truststore(for: "default") == nil)
    }

    @Test("config truststore before the first login, as kcadm's documentation orders them; config credentials uses it")
    func truststoreBeforeLogin() throws {
        let world = try SessionWorld()
        let files = try PKCS12Files(in: world.directory)
        let p12 = try files.p12("trust.p12", password: "pw-8")
        world.input = SessionInput(piped: "pw-8\n")
        #expect(world.run(["config", "truststore", p12]) == 0)
        #expect(try world.store.session(named: "default") == nil)
        #expect(try world.store.truststore(for: "default") == world.directory + "/kcx/truststore-default.pem")
        world.input = SessionInput(piped: "admin-pw\n")
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=admin-pw",
            json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(["config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin"]) == 0)
        #expect(world.transportOptions.last?.caCertificateFile == world.directory + "/kcx/truststore-default.pem")
        #expect(try world.store.session(named: "default")?.caCertificateFile == world.directory + "/kcx/truststore-default.pem")
        #expect(try bundle(world) == files.certificatePEM)
    }
}
