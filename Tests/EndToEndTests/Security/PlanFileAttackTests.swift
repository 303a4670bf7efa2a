// A saved plan is reviewed, kept as a CI artifact or committed: it must never hold a secret value.
// A secret from a variable is stored as ${NAME} and read again at apply; one written in the file is
// refused; a name meant to become markup in the review comment stays text.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct PlanFileAttackTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String) throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func mapperFile(_ realm: String, claimValue: String, key: String = "claim.value") -> String {
        """
        realms:
          - realm: \(realm)
            clientScopes:
              - name: partner
                protocolMappers:
                  - name: partner-key
                    protocolMapper: oidc-hardcoded-claim-mapper
                    config:
                      claim.name: partner
                      \(key): "\(claimValue)"
                      access.token.claim: "true"
        """
    }

    @Test func aSavedPlanStoresASecretVariableByNameAndApplyReadsItAgain() throws {
        let fixture = try RealmFixture(keycloak, prefix: "plansecret")
        let secret = "pk-" + UUID().uuidString
        let file = try write(fixture, mapperFile(fixture.realm, claimValue: "${PARTNER_API_TOKEN}"), name: "realm.yaml")
        let planPath = fixture.env.home.appendingPathComponent("realm.plan").path
        var env = fixture.env
        env.extra["PARTNER_API_TOKEN"] = secret
        let planned = try env.kcx(["plan", "-f", file, "--out", planPath, "-o", "json", "-v"])
        #expect(planned.status == 0, "\(planned)")
        #expect(!planned.stdout.contains(secret) && !planned.stderr.contains(secret))
        let stored = try String(contentsOfFile: planPath, encoding: .utf8)
        #expect(!stored.contains(secret), "the plan file holds the secret")
        #expect(stored.contains(#""claim.value": {"#) && stored.contains(#""kcx:secret": "${PARTNER_API_TOKEN}""#), "\(stored)")

        // Without the variable: refused before any request, nothing changed.
        let before = try fixture.snapshot()
        let unset = try fixture.kcx(["apply", planPath, "--auto-approve"])
        #expect(unset.status == 2, "\(unset)")
        #expect(
            unset.stderr == """
                error: the saved plan needs the environment variable PARTNER_API_TOKEN (a secret it refers to), which is not set
                hint: set PARTNER_API_TOKEN as it was when the plan was made, then run apply again; nothing was sent

                """)
        #expect(try fixture.snapshot() == before)

        // With it: the server gets the value; no output shows it, -v included.
        let applied = try env.kcx(["apply", planPath, "--auto-approve", "-v"])
        #expect(applied.status == 0, "\(applied)")
        #expect(!applied.stdout.contains(secret) && !applied.stderr.contains(secret))
        let mapper = try fixture.clientScope("partner")?["protocolMappers"]?[0]
        #expect(mapper?["config"]?["claim.value"]?.stringValue == secret)
    }

    @Test func aSecretWrittenInTheFileIsNotSavedInAPlan() throws {
        let fixture = try RealmFixture(keycloak, prefix: "planliteral")
        let file = try write(
            fixture, mapperFile(fixture.realm, claimValue: "literal-s3cret", key: "client.secret"), name: "realm.yaml")
        let planPath = fixture.env.home.appendingPathComponent("realm.plan").path
        let refused = try fixture.kcx(["plan", "-f", file, "--out", planPath])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stdout == "")
        #expect(
            refused.stderr.hasPrefix(
                "error: cannot save the plan: client-scope 'partner' holds a secret written in the file (or a ${NAME:-default} default), which a plan file must not store\n"
            ),
            "\(refused)")
        #expect(!refused.stderr.contains("literal-s3cret"))
        #expect(!FileManager.default.fileExists(atPath: planPath))
    }

    @Test func aNameMeantToBecomeMarkupInTheReviewCommentStaysText() throws {
        let fixture = try RealmFixture(keycloak, prefix: "planmd")
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: "x](https://evil.example)<img>|"
                    description: "![t](https://evil.example/t.png)"
            """, name: "realm.yaml")
        let result = try fixture.kcx(["plan", "-f", file, "-o", "markdown"])
        #expect(result.status == 0, "\(result)")
        #expect(
            result.stdout.contains(
                "| + create | client-scope | x\\](https://evil.example)&lt;img&gt;\\| | name: (none) -&gt; \"x\\](https://evil.example)&lt;img&gt;\\|\"<br>description: (none) -&gt; \"!\\[t\\](https://evil.example/t.png)\"<br>"
            ),
            "\(result.stdout)")
    }
}
