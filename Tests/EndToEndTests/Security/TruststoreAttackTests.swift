// kcadm's PKCS#12 truststores with the real binary, under the names kcx and kcadm.sh, against a real
// TLS server (`openssl s_server`, see TLSChoiceTests): `config truststore FILE.p12 --trustpass P`
// makes later commands trust the server; a wrong password changes nothing; `--delete` goes back to
// the system's CAs; the password never shows in output or in the -v trace.
import Foundation
import KcxJSON
import Testing

@Suite(.enabled(if: SelfSignedServer.isAvailable, "needs /usr/bin/openssl for a TLS server"))
struct TruststoreAttackTests {
    static let password = "Trust-Pass-9f3"

    /// The canned realm list as printed under `name`: kcadm.sh ends the JSON without the newline (it goes to stderr).
    static func realms(_ name: String) -> String {
        name == "kcx" ? TLSChoiceTests.realms : String(TLSChoiceTests.realms.dropLast())
    }

    /// The server's certificate as a PKCS#12 truststore under `password`.
    static func p12(_ server: SelfSignedServer, _ env: KcxEnvironment, password: String, name: String = "truststore.p12") throws
        -> String
    {
        let path = env.home.appendingPathComponent(name).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SelfSignedServer.openssl)
        process.arguments = [
            "pkcs12", "-export", "-nokeys", "-in", server.certificate, "-out", path, "-passout", "pass:" + password,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError("openssl pkcs12 -export failed") }
        return path
    }

    @Test(arguments: ["kcx", "kcadm.sh"])
    func pkcs12TruststoreIsTrustedAndDeleted(name: String) throws {
        let shell = try KcadmShell()
        let env = shell.env
        let server = try SelfSignedServer(in: env.home)
        try TLSChoiceTests.session(server, env, tls: [:])
        let p12 = try Self.p12(server, env, password: Self.password)

        // Before: verification fails.
        let before = try shell.run(name, ["get", "realms"])
        #expect(before.status == (name == "kcx" ? 6 : 1), "\(before)")

        // The password from standard input (no terminal), as kcadm's prompt would read it.
        let configured = try shell.run(name, ["config", "truststore", p12], stdin: Self.password + "\n")
        #expect(configured.status == 0, "\(configured)")
        #expect(configured.stdout == "" && configured.stderr == "")
        let after = try shell.run(name, ["get", "realms", "-v"])
        #expect(after.status == 0, "\(after)")
        #expect(after.stdout == Self.realms(name))
        let config = try String(contentsOf: env.configFile, encoding: .utf8)
        for text in [configured.stderr, after.stderr, config] { #expect(!text.contains(Self.password)) }

        // --delete: back to the system's CAs, so the self-signed server is refused again.
        let deleted = try shell.run(name, ["config", "truststore", "--delete"])
        #expect(deleted.status == 0 && deleted.stderr == "", "\(deleted)")
        let refused = try shell.run(name, ["get", "realms"])
        #expect(refused.status == (name == "kcx" ? 6 : 1), "\(refused)")
        #expect(refused.stderr.hasPrefix("error: GET /admin/realms: SSL certificate problem: "), "\(refused)")
    }

    @Test(arguments: ["kcx", "kcadm.sh"])
    func wrongPasswordChangesNothing(name: String) throws {
        let shell = try KcadmShell()
        let env = shell.env
        let server = try SelfSignedServer(in: env.home)
        try TLSChoiceTests.session(server, env, tls: ["caCertificateFile": .string(server.certificate)])
        let p12 = try Self.p12(server, env, password: Self.password)
        let before = try Data(contentsOf: env.configFile)

        let result = try shell.run(name, ["config", "truststore", p12, "--trustpass", "Wrong-Pass-1"])
        #expect(result.status == (name == "kcx" ? 2 : 1))
        #expect(result.stdout == "")
        let warning =
            "warning: --trustpass on the command line is visible to other users and kept in shell history; "
            + "use --trustpass - (a prompt) or KC_CLI_TRUSTSTORE_PASSWORD\n"
        #expect(
            result.stderr
                == (name == "kcx" ? warning : "")
                + "error: truststore '\(p12)': wrong truststore password (the PKCS#12 integrity check failed)\n"
                + "hint: give the password with --trustpass - (prompted for) or KC_CLI_TRUSTSTORE_PASSWORD\n")
        #expect(!result.stderr.contains("Wrong-Pass-1"))
        #expect(try Data(contentsOf: env.configFile) == before)
        #expect(
            !FileManager.default.fileExists(
                atPath: env.configFile.deletingLastPathComponent().appendingPathComponent("truststore-default.pem").path))
        // The session still trusts its stored CA.
        let still = try shell.run(name, ["get", "realms"])
        #expect(still.status == 0 && still.stdout == Self.realms(name), "\(still)")
    }

    @Test func oneCommandTruststoreWithVerboseTraceHidesPassword() throws {
        let env = try KcxEnvironment()
        let server = try SelfSignedServer(in: env.home)
        try TLSChoiceTests.session(server, env, tls: [:])
        let p12 = try Self.p12(server, env, password: Self.password)
        let result = try env.kcx(["get", "realms", "-v", "--truststore", p12, "--trustpass", Self.password])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == TLSChoiceTests.realms)
        #expect(result.stderr.hasPrefix("warning: --trustpass on the command line is visible to other users"))
        #expect(!result.stderr.contains(Self.password) && !result.stdout.contains(Self.password))
        // Nothing is written for a one-command truststore.
        let config = try String(contentsOf: env.configFile, encoding: .utf8)
        #expect(!config.contains("caCertificateFile"))

        // A JKS keystore is named with the keytool conversion, nothing sent.
        let jks = env.home.appendingPathComponent("truststore.jks").path
        try Data([0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).write(to: URL(fileURLWithPath: jks))
        let refused = try env.kcx(["get", "realms", "--truststore", jks])
        #expect(refused.status == 2)
        let converted = env.home.appendingPathComponent("truststore.p12").path
        #expect(
            refused.stderr
                == "error: --truststore '\(jks)' is a Java keystore (JKS), which kcx cannot read; it reads PEM and PKCS#12 truststores\n"
                + "hint: convert it to PKCS#12 (keytool asks for both passwords): keytool -importkeystore -srckeystore \(jks) "
                + "-destkeystore \(converted) -deststoretype PKCS12, then give \(converted)\n")
    }
}
