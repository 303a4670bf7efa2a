// kcadm's credentials options and drop-in mode, in process: what is sent, stored and printed,
// under the name kcx and under the name kcadm.sh (derived from kcadm's BaseAuthOptionsCmd and
// BaseConfigCredentialsCmd).
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("kcadm compatibility")
struct KcadmCompatibilityTests {
    let passwordForm = "grant_type=password&client_id=admin-cli&username=admin&password="
    let plainHTTPWarning = "warning: sending the password over plain http:// to kc, where the network can read it; use https://\n"

    func runAsKcadm(_ world: SessionWorld, _ arguments: [String]) -> Int32 {
        Kcx.run(arguments, programName: "/usr/local/bin/kcadm.sh", context: world.context)
    }

    @Test("config credentials --server --realm alone stores them and sends nothing")
    func serverAndRealmOnly() throws {
        let world = try SessionWorld()
        #expect(world.run(["config", "credentials", "--server", "http://kc", "--realm", "demo"]) == 0)
        #expect(world.stderr.text == "")
        #expect(world.transport.received.isEmpty)
        #expect(
            try world.store.session(named: "default")
                == StoredSession(server: "http://kc", realm: "demo", clientId: "admin-cli", grant: .password))
    }

    @Test("config credentials reads the password from redirected standard input, as kcadm does")
    func passwordFromRedirectedStdin() throws {
        let world = try SessionWorld()
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect(
            "POST", sessionTokenURL, body: passwordForm + "pw", json: sessionTokenJSON("A1", "R1"))
        #expect(
            runAsKcadm(world, ["config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin"]) == 0)
        #expect(world.stderr.text == "Logging into http://kc as user admin of realm master\n")
        #expect(try world.store.session(named: "default")?.accessToken == "A1")
    }

    @Test("one-shot login on a request command: Logging into..., the token is used, nothing is stored")
    func oneShotLogin() throws {
        let world = try SessionWorld()
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "pw", json: sessionTokenJSON("A9", "R9"))
        world.transport.expect("GET", "http://kc/admin/realms/demo/clients", json: #"[{"id":"1"}]"#) { request in
            #expect(request.headers.first { $0.name == "Authorization" }?.value == "Bearer A9")
        }
        let arguments = [
            "get", "clients", "-r", "demo", "--no-config", "--server", "http://kc", "--realm", "master", "--user", "admin",
            "--password", "pw", "-F", "id", "--format", "csv",
        ]
        #expect(world.run(arguments) == 0)
        #expect(world.stdout.text == "\"1\"\n")
        #expect(
            world.stderr.text
                == "warning: --password on the command line is visible to other users and kept in shell history; use KCX_PASSWORD or standard input\n"
                + "Logging into http://kc as user admin of realm master\n"
                + plainHTTPWarning)
        #expect(!FileManager.default.fileExists(atPath: world.configPath))
    }

    @Test("under the name kcadm.sh: the same login prints only kcadm's line")
    func oneShotLoginAsKcadm() throws {
        let world = try SessionWorld()
        world.transport.expect("POST", sessionTokenURL, body: passwordForm + "pw", json: sessionTokenJSON("A9", "R9"))
        world.transport.expect("GET", "http://kc/admin/realms/master/clients", json: "[]")
        let arguments = [
            "get", "clients", "--no-config", "--server", "http://kc", "--realm", "master", "--user", "admin", "--password", "pw",
        ]
        #expect(runAsKcadm(world, arguments) == 0)
        // kcadm's JSON ends without a newline on stdout; the newline follows on stderr.
        #expect(world.stdout.text == "[ ]")
        #expect(world.stderr.text == "Logging into http://kc as user admin of realm master\n\n")
    }

    @Test("a client secret alone logs in as the service account")
    func oneShotServiceAccount() throws {
        let world = try SessionWorld()
        world.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=client_credentials&client_id=ci&client_secret=s3",
            json: sessionTokenJSON("A2", nil))
        world.transport.expect("DELETE", "http://kc/admin/realms/master/clients/1", status: 204)
        #expect(
            runAsKcadm(
                world, ["delete", "clients/1", "--server", "http://kc", "--realm", "master", "--client", "ci", "--secret", "s3"])
                == 0)
        #expect(world.stderr.text == "Logging into http://kc as service-account-ci of realm master\n")
    }

    @Test("under the name kcadm.sh every error exits 1; under kcx the documented code")
    func exitCodes() throws {
        let world = try SessionWorld()
        #expect(runAsKcadm(world, ["get", "clients", "-q", "bad"]) == 1)
        #expect(world.stderr.text == "error: invalid -q 'bad': expected NAME=VALUE\n")
        let again = try SessionWorld()
        #expect(again.run(["get", "clients", "-q", "bad"]) == 2)
        let missing = try SessionWorld()
        #expect(runAsKcadm(missing, ["get", "clients"]) == 1)
    }

    @Test("one-shot login without a server is a usage error naming --server")
    func oneShotNeedsServer() throws {
        let world = try SessionWorld()
        #expect(world.run(["get", "clients", "--no-config", "--user", "admin", "--password", "pw"]) == 2)
        #expect(world.stderr.text.hasPrefix("error: logging in needs --server URL\n"))
        #expect(world.transport.received.isEmpty)
    }

    @Test(
        "config truststore keeps a PEM file for the profile and its session; JKS is named with its conversion; a broken DER file changes nothing"
    )
    func truststore() throws {
        let world = try SessionWorld()
        let pem = world.directory + "/ca.pem"
        let jks = world.directory + "/ca.jks"
        let p12 = world.directory + "/ca.p12"
        try Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: pem))
        try Data([0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).write(to: URL(fileURLWithPath: jks))
        try Data([0x30, 0x82, 0x01, 0x00]).write(to: URL(fileURLWithPath: p12))

        // As kcadm: before any login too (its documented order is truststore, then credentials).
        #expect(world.run(["config", "truststore", pem]) == 0)
        #expect(world.stderr.text == "")
        #expect(try world.store.truststore(for: "default") == pem)
        #expect(try world.store.session(named: "default") == nil)

        try world.storeSession()
        #expect(world.run(["config", "truststore", pem]) == 0)
        #expect(try world.store.session(named: "default")?.caCertificateFile == pem)
        #expect(world.run(["config", "truststore", "--delete"]) == 0)
        #expect(try world.store.session(named: "default")?.caCertificateFile == nil)
        #expect(try world.store.truststore(for: "default") == nil)

        let jksWorld = try SessionWorld()
        try jksWorld.storeSession()
        #expect(jksWorld.run(["config", "truststore", jks]) == 2)
        let converted = world.directory + "/ca.p12"
        #expect(
            jksWorld.stderr.text
                == "error: truststore '\(jks)' is a Java keystore (JKS), which kcx cannot read; it reads PEM and PKCS#12 truststores\n"
                + "hint: convert it to PKCS#12 (keytool asks for both passwords): keytool -importkeystore -srckeystore \(jks) "
                + "-destkeystore \(converted) -deststoretype PKCS12, then give \(converted)\n")
        #expect(try jksWorld.store.session(named: "default")?.caCertificateFile == nil)
        let p12World = try SessionWorld()
        try p12World.storeSession()
        #expect(p12World.run(["config", "truststore", p12]) == 2)
        #expect(
            p12World.stderr.text == "error: truststore '\(p12)' is neither PEM (-----BEGIN CERTIFICATE-----) nor PKCS#12\n"
                + "hint: give a PEM or PKCS#12 file of CA certificates\n")
        #expect(try p12World.store.session(named: "default")?.caCertificateFile == nil)

        // kcadm's exclusions: --delete with a file, --delete with --trustpass, neither.
        #expect(world.run(["config", "truststore", pem, "--delete"]) == 2)
        #expect(world.stderr.text.hasSuffix("error: --delete and a TRUSTSTORE file cannot be given together\n"))
        #expect(world.run(["config", "truststore", "--delete", "--trustpass", "-"]) == 2)
        #expect(world.stderr.text.hasSuffix("error: --trustpass and --delete cannot be given together\n"))

        // --truststore on a request command is checked the same way before anything is sent.
        let requestWorld = try SessionWorld()
        try requestWorld.storeSession()
        #expect(requestWorld.run(["get", "clients", "--truststore", jks, "--trustpass", "x"]) == 2)
        #expect(requestWorld.transport.received.isEmpty)
    }

    @Test("under kcadm.sh a command given nothing to do prints its help on stdout and exits 1, as kcadm")
    func helpWhenNothingToDo() throws {
        for path in [["get"], ["add-roles"], ["config", "credentials"]] {
            let world = try SessionWorld()
            #expect(runAsKcadm(world, path) == 1)
            #expect(world.stdout.text == HelpRenderer.text(for: path, in: CommandTable.all))
            #expect(world.stderr.text == "")
        }
        let world = try SessionWorld()
        #expect(world.run(["get"]) == 2, "under kcx: a usage error")
    }
}
