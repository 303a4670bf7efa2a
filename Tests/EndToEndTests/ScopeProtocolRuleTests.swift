// One rule, both engines: Keycloak answers 204 to assigning a scope of another protocol to a client
// and stores nothing. `client-scope assign` refused it while `apply` reported "created" and every
// later plan showed the change again; now both refuse it, before any write, with the same message.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct ScopeProtocolRuleTests {
    let keycloak = TestKeycloak.shared
    let refusal =
        "error: client scope 'saml-scope' is saml but client 'myapp' is openid-connect; Keycloak would ignore the assignment\n"

    func fixtureWithSAMLScope() throws -> RealmFixture {
        let fixture = try RealmFixture(keycloak, prefix: "proto")
        try fixture.confidentialClient("myapp")
        try fixture.inRealm(["client-scope", "ensure", "saml-scope", "--protocol", "saml"])
        return fixture
    }

    func write(_ fixture: RealmFixture, _ text: String) throws -> String {
        let path = fixture.env.home.appendingPathComponent("realm.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func assignRefusesASAMLScopeOnAnOIDCClient() throws {
        let fixture = try fixtureWithSAMLScope()
        let before = try fixture.snapshot()
        let result = try fixture.kcx([
            "client-scope", "assign", "saml-scope", "--client", "myapp", "--default", "-r", fixture.realm,
        ])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr == refusal)
        #expect(try fixture.snapshot() == before)
    }

    @Test func planAndApplyRefuseTheSameAssignment() throws {
        let fixture = try fixtureWithSAMLScope()
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clients:
                  - clientId: myapp
                    defaultScopes: [saml-scope]
            """)
        let before = try fixture.snapshot()
        for command in [["plan", "-f", file], ["apply", "-f", file, "--auto-approve"]] {
            let result = try fixture.kcx(command)
            #expect(result.status == 2, "\(command): \(result)")
            #expect(result.stderr.hasSuffix(refusal), "\(command): \(result)")
            #expect(!result.stderr.contains("created"), "\(command): \(result)")
        }
        #expect(try fixture.snapshot() == before)
        #expect(try fixture.assignedScopes("myapp", "default").contains("saml-scope") == false)
    }

    @Test func applyRefusesASAMLScopeTheFileDeclares() throws {
        let fixture = try RealmFixture(keycloak, prefix: "proto")
        try fixture.confidentialClient("myapp")
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: saml-scope
                    protocol: saml
                clients:
                  - clientId: myapp
                    optionalScopes: [saml-scope]
            """)
        let before = try fixture.snapshot()
        let result = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.hasSuffix(refusal), "\(result)")
        // Refused before the first write: not even the scope was created.
        #expect(try fixture.snapshot() == before)
    }
}
