// Redaction: a dry run (which ends up in CI logs) hides exactly what -v hides, and a secret given
// with -s warns like --password does.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct RedactionAttackTests {
    @Test func aDryRunNeverShowsTheClientSecret() throws {
        let fixture = try RealmFixture(.shared, prefix: "redact")
        let secretFile = try fixture.confidentialClient("svc")
        let secret = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let before = try fixture.snapshot()

        let text = try fixture.inRealm(["token-exchange", "enable", "--client", "svc", "--dry-run"])
        #expect(!(text.stdout + text.stderr).contains(secret), "\(text)")
        #expect(text.stderr.contains("\"secret\":\"<redacted>\""), "the request list shows where the secret is: \(text)")
        let json = try fixture.inRealm(["token-exchange", "enable", "--client", "svc", "--dry-run", "--output", "json"])
        #expect(!(json.stdout + json.stderr).contains(secret), "\(json)")
        let body = json.json?["requests"]?[0]?["body"]
        #expect(body?["secret"] == "<redacted>", "\(json)")
        #expect(try fixture.snapshot() == before, "a dry run changed the realm")

        // The real run sends the secret unchanged (the client keeps it) and -v hides it the same way.
        let verbose = try fixture.inRealm(["token-exchange", "enable", "--client", "svc", "-v"])
        #expect(!(verbose.stdout + verbose.stderr).contains(secret))
        #expect(try fixture.client("svc")["secret"]?.stringValue == secret)
        #expect(try fixture.client("svc")["attributes"]?["standard.token.exchange.enabled"]?.stringValue == "true")
    }

    @Test func aSecretGivenWithSetWarns() throws {
        let fixture = try RealmFixture(.shared, prefix: "redact")
        let warning =
            "warning: -s secret=… on the command line is visible to other users and kept in shell history; use -f FILE or -f - (standard input) for the body\n"
        let created = try fixture.inRealm(["create", "clients", "-s", "clientId=withsecret", "-s", "secret=argv-secret"])
        #expect(created.stderr.hasPrefix(warning), "\(created)")
        #expect(try fixture.client("withsecret")["secret"]?.stringValue == "argv-secret")

        let credentials = try fixture.inRealm([
            "create", "users", "-s", "username=u1", "-s", #"credentials:=[{"type":"password","value":"pw-argv"}]"#,
        ])
        #expect(credentials.stderr.hasPrefix("warning: -s credentials=… on the command line is visible"), "\(credentials)")

        let plain = try fixture.inRealm(["create", "clients", "-s", "clientId=nosecret", "-s", "description=x"])
        #expect(!plain.stderr.contains("warning:"), "\(plain)")
    }
}
