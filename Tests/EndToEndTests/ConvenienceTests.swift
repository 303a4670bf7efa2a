// Issue 17 item 5 with the real binary: client id / secret / ensure, realm ensure, config
// profiles and version, each checked against the server's state read back independently.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct ConvenienceTests {
    @Test func clientIdPrintsTheUUIDAndSuggestsOnATypo() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-id")
        try fixture.publicClient("webapp")
        let id = try #require(try fixture.client("webapp")["id"]?.stringValue)
        #expect(try fixture.inRealm(["client", "id", "webapp"]).stdout == id + "\n")
        #expect(try fixture.inRealm(["client", "id", "webapp", "-o", "json"]).json == ["clientId": "webapp", "id": .string(id)])
        let typo = try fixture.kcx(["client", "id", "webap", "-r", fixture.realm])
        #expect(typo.status == 3)
        #expect(typo.stderr.contains("hint: did you mean 'webapp'?"), "\(typo)")
    }

    @Test func clientSecretToStdoutOrToA0600FileAndRegenerated() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-secret")
        let secretFile = try fixture.confidentialClient("service-a")
        let original = try String(contentsOfFile: secretFile, encoding: .utf8)
        let printed = try fixture.inRealm(["client", "secret", "service-a"])
        #expect(printed.stdout == original)
        // -v shows the request but never the secret.
        let verbose = try fixture.inRealm(["client", "secret", "service-a", "-v"])
        #expect(!verbose.stderr.contains(original.trimmingCharacters(in: .newlines)), "\(verbose.stderr)")
        let out = fixture.env.home.appendingPathComponent("sa.secret").path
        let rotated = try fixture.inRealm(["client", "secret", "service-a", "--regenerate", "--out", out])
        #expect(rotated.stdout == "")
        #expect(rotated.stderr == "regenerated; secret of 'service-a' written to \(out) (mode 0600)\n")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        let newSecret = try String(contentsOfFile: out, encoding: .utf8)
        #expect(newSecret != original)
        let id = try #require(try fixture.client("service-a")["id"]?.stringValue)
        #expect(
            try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(id)/client-secret").json?["value"]?.stringValue
                == newSecret.trimmingCharacters(in: .newlines))
        // The new secret works, the old one does not.
        #expect(
            try fixture.kcx(["token", "get", "--client", "service-a", "--secret-file", out, "-r", fixture.realm]).status == 0)
        #expect(
            try fixture.kcx(["token", "get", "--client", "service-a", "--secret-file", secretFile, "-r", fixture.realm]).status
                == 4)
        // A public client has none; an --out in a missing directory is refused before any change.
        try fixture.publicClient("webapp")
        let publicResult = try fixture.kcx(["client", "secret", "webapp", "-r", fixture.realm])
        #expect(publicResult.status == 2)
        #expect(publicResult.stderr == "error: client 'webapp' is public: it has no secret\n")
        let bad = try fixture.kcx([
            "client", "secret", "service-a", "--regenerate", "--out", "/nonexistent-dir/x", "-r", fixture.realm,
        ])
        #expect(bad.status == 2)
        #expect(
            try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(id)/client-secret").json?["value"]?.stringValue
                == newSecret.trimmingCharacters(in: .newlines))
    }

    @Test func clientEnsureIsIdempotentWithOutcomes() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-client")
        let dry = try fixture.inRealm(["client", "ensure", "service-a", "--confidential", "--service-account", "--dry-run"])
        #expect(outcomes(dry) == ["would be created: client service-a"], "\(dry)")
        #expect((try? fixture.client("service-a")) == nil)
        let created = try fixture.inRealm(["client", "ensure", "service-a", "--confidential", "--service-account"])
        #expect(outcomes(created) == ["created: client service-a"])
        let client = try fixture.client("service-a")
        #expect(client["publicClient"]?.boolValue == false)
        #expect(client["serviceAccountsEnabled"]?.boolValue == true)
        #expect(
            outcomes(try fixture.inRealm(["client", "ensure", "service-a", "--confidential", "--service-account"])) == [
                "unchanged: client service-a"
            ])
        let updated = try fixture.inRealm([
            "client", "ensure", "service-a", "--confidential", "--redirect-uri", "https://a.example.com/*",
        ])
        #expect(outcomes(updated) == ["updated: client service-a"])
        #expect(try fixture.client("service-a")["redirectUris"] == ["https://a.example.com/*"])
        let refused = try fixture.kcx(["client", "ensure", "web", "--public", "--service-account", "-r", fixture.realm])
        #expect(refused.status == 2)
        #expect(
            refused.stderr == "error: a public client cannot have a service account: use --confidential with --service-account\n")
        let neither = try fixture.kcx(["client", "ensure", "web", "-r", fixture.realm])
        #expect(neither.stderr == "error: say which kind of client: --public or --confidential\n")
    }

    @Test func realmEnsureCreatesOnceAndDryRunChangesNothing() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-realm")
        let name = "conv-new-" + UUID().uuidString.prefix(8).lowercased()
        let dry = try fixture.ok(["realm", "ensure", name, "--dry-run"])
        #expect(outcomes(dry) == ["would be created: realm \(name)"], "\(dry)")
        #expect(try fixture.keycloak.adminGet(name).status == 404)
        #expect(outcomes(try fixture.ok(["realm", "ensure", name])) == ["created: realm \(name)"])
        #expect(try fixture.keycloak.adminGet(name).json?["enabled"]?.boolValue == true)
        #expect(outcomes(try fixture.ok(["realm", "ensure", name])) == ["unchanged: realm \(name)"])
        _ = try fixture.keycloak.adminSend("DELETE", name)
    }

    @Test func profilesAndVersion() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-prof")
        let text = try fixture.ok(["config", "profiles"])
        #expect(text.stdout.contains("* default"), "\(text)")
        #expect(text.stdout.contains(fixture.keycloak.baseURL))
        let json = try fixture.ok(["config", "profiles", "-o", "json"]).json
        #expect(json?["profiles"]?[0]?["name"] == "default")
        #expect(json?["profiles"]?[0]?["current"] == true)
        let version = try fixture.ok(["version"]).stdout
        #expect(version == (try fixture.ok(["--version"])).stdout)
        #expect(version.hasPrefix("kcx "))
    }

    @Test func completionNamesComeFromTheLoggedInServerAndNothingOffline() throws {
        let fixture = try RealmFixture(.shared, prefix: "conv-complete")
        try fixture.publicClient("webapp")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let clients = try fixture.ok([
            "__complete", "clients", "--", "audience", "check", "-r", fixture.realm, "--timeout", "30", "--client",
        ])
        #expect(clients.stdout.split(separator: "\n").contains("webapp"), "\(clients)")
        #expect(clients.stderr == "")
        let scopes = try fixture.ok(["__complete", "scopes", "--", "-r", fixture.realm, "--timeout", "30"])
        #expect(scopes.stdout.split(separator: "\n").contains("api-access"))
        // A loaded shared sandbox lists its many realms slowly: the line's own --timeout applies.
        let realms = try fixture.ok(["__complete", "realms", "--", "--timeout", "30"])
        #expect(realms.stdout.split(separator: "\n").contains(Substring(fixture.realm)))
        // A profile with no session (a refused connection is covered in process): nothing printed, exit 0.
        let started = Date()
        let offline = try fixture.kcx(
            ["__complete", "clients", "--", "-r", fixture.realm, "--profile", "nowhere"],
            stdin: nil)
        #expect(offline.status == 0 && offline.stdout == "" && offline.stderr == "", "\(offline)")
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
