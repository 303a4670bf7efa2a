// A client secret given to the declarative file: never in plan text or JSON, apply's progress,
// -v traces or export, whatever its variable is called; never accepted written into the file.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct DeclarativeSecretAttackTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String) throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func file(_ realm: String) -> String {
        """
        realms:
          - realm: \(realm)
            clients:
              - clientId: billing
                enabled: true
                publicClient: false
                secret: ${BILLING_VALUE}
                serviceAccountsEnabled: true
        """
    }

    /// The variable's name says nothing of a secret (BILLING_VALUE): hidden all the same, because it
    /// is a client's secret; in every output of plan, apply (-v) and export, creating and rotating it.
    @Test func aClientSecretFromTheFileNeverAppears() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declsecret")
        let first = "first-" + UUID().uuidString
        let second = "second-" + UUID().uuidString
        let path = try write(fixture, file(fixture.realm), name: "secret.yaml")
        var outputs: [String] = []
        func run(_ arguments: [String], value: String) throws -> ProcessResult {
            var env = fixture.env
            env.extra["BILLING_VALUE"] = value
            let result = try env.kcx(arguments)
            outputs += [result.stdout, result.stderr]
            return result
        }
        let plan = try run(["plan", "-f", path], value: first)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("        secret: (none) -> <redacted>\n"), "\(plan.stdout)")
        #expect(try run(["plan", "-f", path, "--output", "json"], value: first).status == 0)
        let created = try run(["apply", "-f", path, "--auto-approve", "-v"], value: first)
        #expect(created.status == 0, "\(created)")
        #expect(try fixture.client("billing")["secret"]?.stringValue == first)
        #expect(try fixture.client("billing")["attributes"]?["kcx.managed"] == "true")

        let rotate = try run(["plan", "-f", path, "--output", "json"], value: second)
        let details = rotate.json?["realms"]?[0]?["changes"]?[0]?["details"]
        #expect(details == ["secret: <redacted> -> <redacted>"], "\(rotate.stdout)")
        let rotated = try run(["apply", "-f", path, "--auto-approve", "-v", "--output", "json"], value: second)
        #expect(rotated.status == 0, "\(rotated)")
        #expect(try fixture.client("billing")["secret"]?.stringValue == second)
        let exported = try run(["export", "-r", fixture.realm], value: second)
        #expect(exported.stdout.contains("    secret: \"${BILLING_SECRET:-}\"\n"), "\(exported.stdout)")
        for output in outputs {
            #expect(!output.contains(first) && !output.contains(second), "a client secret was printed: \(output)")
        }
    }

    /// A secret written into the file (it would end up in version control) is refused before any request.
    @Test func aSecretWrittenIntoTheFileIsRefused() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declsecret")
        let literal = "literal-" + UUID().uuidString
        let path = try write(fixture, file(fixture.realm).replacing("${BILLING_VALUE}", with: literal), name: "literal.yaml")
        let result = try fixture.kcx(["apply", "-f", path, "--auto-approve"])
        #expect(result.status == 2, "\(result)")
        #expect(
            result.stderr
                == "error: \(path):7:17: realms[0].clients[0].secret: give the secret as a variable (${VAR}) or with secretFile, never written into the file\n"
        )
        #expect(!result.stderr.contains(literal))
        #expect(try keycloak.adminGet("\(fixture.realm)/clients?clientId=billing").json == [])
    }
}
