// `--insecure` and `--cacert` given at login stay with the session: stored, shown by `config status`,
// and put into the transport options of every later command of the profile (the warning each time).
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("stored TLS choices")
struct StoredTLSTests {
    let login = ["config", "credentials", "--server", "https://kc", "--realm", "master", "--user", "admin", "--password-stdin"]
    let tokenURL = "https://kc/realms/master/protocol/openid-connect/token"
    let insecureWarning = "warning: TLS certificate verification is disabled (--insecure)\n"
    let storedWarning = "warning: TLS certificate verification is disabled (--insecure, stored with the session)\n"

    /// Logged in to https://kc with `extra` options; `CA` stands for the world's ca.pem.
    func loggedIn(_ extra: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> SessionWorld {
        let world = try SessionWorld()
        try "pem".write(toFile: world.directory + "/ca.pem", atomically: false, encoding: .utf8)
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect("POST", tokenURL, json: sessionTokenJSON("A1", "R1"))
        let status = world.run(login + extra.map { $0 == "CA" ? world.directory + "/ca.pem" : $0 })
        #expect(status == 0, "\(world.stderr.text)", sourceLocation: sourceLocation)
        return world
    }

    func options(insecure: Bool, cacert: String?) -> TransportOptions {
        var options = TransportOptions()
        options.insecure = insecure
        options.caCertificateFile = cacert
        return options
    }

    @Test("credentials stores --insecure and --cacert with the session; status shows them")
    func storedAndShown() throws {
        let world = try SessionWorld()
        let ca = world.directory + "/ca.pem"
        try "pem".write(toFile: ca, atomically: false, encoding: .utf8)
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect("POST", tokenURL, json: sessionTokenJSON("A1", "R1"))
        #expect(world.run(login + ["--insecure", "--cacert", ca]) == 0)
        #expect(world.stderr.text == insecureWarning + "Logged in to https://kc realm master as admin (profile default)\n")
        #expect(world.transportOptions == [options(insecure: true, cacert: ca)])
        let session = try #require(try world.store.session(named: "default"))
        #expect(session.insecure == true)
        #expect(session.caCertificateFile == ca)

        #expect(world.run(["config", "status"]) == 0)
        #expect(
            world.stdout.text == """
                profile:       default (\(world.configPath))
                server:        https://kc
                realm:         master
                client:        admin-cli (password grant)
                user:          admin
                tls:           certificate verification disabled (--insecure)
                tls:           CA certificates from \(ca) (--cacert)
                access token:  valid until 2026-05-01 12:01:00 UTC (1m 00s left)
                refresh token: valid until 2026-05-01 12:30:00 UTC (30m 00s left)
                re-login:      by hand (kcx config credentials)

                """)
    }

    @Test("a login without them stores neither, and replaces a session that had them")
    func notStoredUnlessGiven() throws {
        let world = try loggedIn(["--insecure"])
        #expect(try world.store.session(named: "default")?.insecure == true)
        world.input = SessionInput(piped: "pw\n")
        world.transport.expect("POST", tokenURL, json: sessionTokenJSON("A2", "R2"))
        #expect(world.run(login) == 0)
        let entry = try #require(try world.store.load()["profiles"]?["default"]?.objectValue)
        #expect(entry["insecure"] == nil && entry["caCertificateFile"] == nil)
    }

    @Test("later commands of the profile use them and warn each time; an explicit --cacert wins")
    func laterCommandsUseThem() throws {
        let world = try loggedIn(["--insecure", "--cacert", "CA"])
        let ca = world.directory + "/ca.pem"
        let other = world.directory + "/other.pem"
        try "pem".write(toFile: other, atomically: false, encoding: .utf8)
        let afterLogin = world.stderr.text
        _ = try openAdminClient(world.invocation(), world.context)
        _ = try openAdminClient(world.invocation(["cacert": [other]]), world.context)
        _ = try openAdminClient(world.invocation(["insecure": ["true"]]), world.context)
        #expect(
            Array(world.transportOptions.suffix(3)) == [
                options(insecure: true, cacert: ca), options(insecure: true, cacert: other), options(insecure: true, cacert: ca),
            ])
        #expect(world.stderr.text == afterLogin + storedWarning + storedWarning + insecureWarning)
    }

    @Test("token requests, logout and apply's workers of the profile use them too")
    func everyTransportOfTheSession() throws {
        let world = try loggedIn(["--insecure", "--cacert", "CA"])
        let stored = options(insecure: true, cacert: world.directory + "/ca.pem")
        _ = try TokenCommands.endpoint(world.invocation(), world.context)
        #expect(world.transportOptions.last == stored)

        let session = try DeclarativeCommands.CountedSession(world.invocation(), world.context)
        _ = session.makeWorkerClient()
        #expect(Array(world.transportOptions.suffix(2)) == [stored, stored])

        world.transport.expect("POST", "https://kc/realms/master/protocol/openid-connect/logout", status: 204)
        #expect(world.run(["config", "logout"]) == 0)
        #expect(world.transportOptions.last == stored)
        #expect(world.transport.remaining == 0)
    }

    @Test("--token uses them only for the stored session's own server")
    func tokenOnlyForTheSameServer() throws {
        let world = try loggedIn(["--insecure", "--cacert", "CA"])
        world.environment["KCX_TOKEN"] = "T"
        world.environment["KCX_SERVER"] = "https://kc/"
        _ = try openAdminClient(world.invocation(), world.context)
        #expect(world.transportOptions.last == options(insecure: true, cacert: world.directory + "/ca.pem"))
        world.environment["KCX_SERVER"] = "https://elsewhere"
        _ = try openAdminClient(world.invocation(), world.context)
        #expect(world.transportOptions.last == options(insecure: false, cacert: nil))
    }

    @Test("a stored --cacert that is gone is a usage error naming it, before anything is sent; an explicit one still works")
    func storedCAGone() throws {
        let world = try loggedIn(["--cacert", "CA"])
        let ca = world.directory + "/ca.pem"
        try FileManager.default.removeItem(atPath: ca)
        let before = world.stderr.text
        let sent = world.transport.received.count
        #expect(world.run(["get", "realms"]) == 2)
        #expect(
            world.stderr.text == before + """
                error: the session's --cacert: cannot read \(ca): No such file or directory
                hint: give --cacert FILE, or log in again with kcx config credentials ... --cacert FILE

                """)
        #expect(world.transport.received.count == sent)
        let other = world.directory + "/other.pem"
        try "pem".write(toFile: other, atomically: false, encoding: .utf8)
        _ = try openAdminClient(world.invocation(["cacert": [other]]), world.context)
        #expect(world.transportOptions.last == options(insecure: false, cacert: other))
    }
}
