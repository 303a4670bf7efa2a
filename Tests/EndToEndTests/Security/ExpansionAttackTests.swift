// The 'expansion' boundary: ${VAR} in declarative files is the operator's text only. A delegated
// realm admin who leaves `${KCX_PASSWORD}` in a scope must not get the operator's password through
// `kcx export` then `kcx plan`/`apply`, and an operator's secret variable never shows in a plan.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct ExpansionAttackTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String) throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A user of the fixture's realm holding only realm-management's manage-clients, logged in with kcx.
    func delegatedAdmin(_ fixture: RealmFixture) throws -> KcxEnvironment {
        let password = "delegate-" + UUID().uuidString.prefix(8)
        let user: JSON = [
            "username": "delegate", "enabled": true, "email": "delegate@example.com", "firstName": "Del", "lastName": "Egate",
            "emailVerified": true,
            "credentials": [["type": "password", "value": .string(password), "temporary": false]],
        ]
        let created = try keycloak.adminSend("POST", "\(fixture.realm)/users", json: user)
        let userID = try #require(
            created.headers["location"]?.split(separator: "/").last.map(String.init), "\(created.status) \(created.text)")
        let management = try #require(
            try keycloak.adminGet("\(fixture.realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue)
        let role = try #require(try keycloak.adminGet("\(fixture.realm)/clients/\(management)/roles/manage-clients").json)
        #expect(
            try keycloak.adminSend("POST", "\(fixture.realm)/users/\(userID)/role-mappings/clients/\(management)", json: [role])
                .status == 204)
        let env = try KcxEnvironment()
        let login = try env.kcx(
            [
                "config", "credentials", "--server", keycloak.baseURL, "--realm", fixture.realm, "--user", "delegate",
                "--password-stdin",
            ],
            stdin: password + "\n")
        #expect(login.status == 0, "\(login)")
        return env
    }

    /// The operator as the issue describes them: no config file, the admin password in KCX_PASSWORD.
    func operatorEnvironment() throws -> KcxEnvironment {
        var env = try KcxEnvironment()
        env.extra = [
            "KCX_SERVER": keycloak.baseURL, "KCX_REALM": "master", "KCX_USER": keycloak.adminUser,
            "KCX_PASSWORD": keycloak.adminPassword,
        ]
        return env
    }

    func scope(_ fixture: RealmFixture, _ name: String) throws -> JSON {
        let (_, list) = try keycloak.adminGet("\(fixture.realm)/client-scopes")
        return try #require(list?.arrayValue?.first { $0["name"]?.stringValue == name })
    }

    @Test func serverStringsWithVariablesRoundTripThroughExportPlanAndApplyLiterally() throws {
        let fixture = try RealmFixture(keycloak, prefix: "exp")
        // The delegated admin leaves ${KCX_PASSWORD} (and other dollar forms) in a scope, its description,
        // its audience mapper and a hard-coded claim.
        let delegate = try delegatedAdmin(fixture)
        let hostile: JSON = [
            "name": "hostile", "protocol": "openid-connect", "description": "${KCX_PASSWORD}",
            "attributes": ["include.in.token.scope": "true", "display.on.consent.screen": "false"],
            "protocolMappers": [
                [
                    "name": "aud ${KCX_PASSWORD}", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                    "config": [
                        "included.custom.audience": "urn:${KCX_PASSWORD}", "access.token.claim": "true",
                        "id.token.claim": "false",
                        "introspection.token.claim": "true", "lightweight.claim": "false",
                    ],
                ],
                [
                    "name": "claim", "protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "config": [
                        "claim.name": "c", "claim.value": "$${x} $ $$ ${KCX_PASSWORD:-d} ${KCX_PASSWORD",
                        "access.token.claim": "true",
                    ],
                ],
            ],
        ]
        let created = try delegate.kcx(["create", "client-scopes", "-r", fixture.realm, "-b", hostile.serialized()])
        #expect(created.status == 0, "\(created)")
        let before = try scope(fixture, "hostile")
        #expect(before["description"] == "${KCX_PASSWORD}")

        let operatorEnv = try operatorEnvironment()
        let password = keycloak.adminPassword
        for format in ["yaml", "json"] {
            let exported = try operatorEnv.kcx(["--no-config", "export", "-r", fixture.realm, "--format", format])
            #expect(exported.status == 0, "\(exported)")
            // Written escaped: `$${` reads back as `${`.
            #expect(exported.stdout.contains(#""$${KCX_PASSWORD}""#), "\(exported.stdout)")
            let file = try write(fixture, exported.stdout, name: "export.\(format)")
            let plan = try operatorEnv.kcx(["--no-config", "plan", "-f", file, "--detailed-exitcode"])
            #expect(plan.status == 0, "\(format): \(plan)\n\(exported.stdout)")
            #expect(plan.stdout == "realm \(fixture.realm):\n  no changes\nNo changes.\n")
            let apply = try operatorEnv.kcx(["--no-config", "apply", "-f", file, "--auto-approve", "-v"])
            #expect(apply.status == 0, "\(apply)")
            #expect(apply.stdout == "realm \(fixture.realm):\n  no changes\nNo changes.\n")
            for output in [exported.stdout, exported.stderr, plan.stdout, plan.stderr, apply.stdout, apply.stderr] {
                #expect(!output.contains(password), "the operator's password was printed")
            }
        }
        // The realm still holds the literal strings, exactly as the delegated admin left them.
        #expect(try scope(fixture, "hostile") == before)
        let mappers = try #require(try scope(fixture, "hostile")["protocolMappers"]?.arrayValue)
        #expect(
            mappers.first { $0["name"] == "aud ${KCX_PASSWORD}" }?["config"]?["included.custom.audience"] == "urn:${KCX_PASSWORD}"
        )
        #expect(
            mappers.first { $0["name"] == "claim" }?["config"]?["claim.value"] == "$${x} $ $$ ${KCX_PASSWORD:-d} ${KCX_PASSWORD")
    }

    @Test func anOperatorsSecretVariableIsRedactedInPlanAndApplyOutput() throws {
        let fixture = try RealmFixture(keycloak, prefix: "exp")
        let token = "tok-" + UUID().uuidString
        var env = fixture.env
        env.extra["MY_TOKEN"] = token
        env.extra["DB_URL"] = "jdbc:visible"
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: tokened
                    description: ${MY_TOKEN}
                    audienceMappers:
                      - customAudience: urn:partner
                    protocolMappers:
                      - name: claim
                        protocolMapper: oidc-hardcoded-claim-mapper
                        config: {claim.name: db, claim.value: "${DB_URL}", secret: "${DB_URL}"}
            """, name: "secret.yaml")
        let plan = try env.kcx(["plan", "-f", file])
        #expect(plan.status == 0, "\(plan)")
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client-scope tokened
                    + client-scope tokened
                        name: (none) -> "tokened"
                        description: (none) -> <redacted>
                        protocol: (none) -> "openid-connect"
                        attributes.include.in.token.scope: (none) -> "true"
                        attributes.display.on.consent.screen: (none) -> "false"
                    + audience-mapper urn:partner audience on scope tokened
                        config.included.custom.audience: (none) -> "urn:partner"
                        config.id.token.claim: (none) -> "false"
                        config.access.token.claim: (none) -> "true"
                        config.introspection.token.claim: (none) -> "true"
                        config.lightweight.claim: (none) -> "false"
                    + protocol-mapper claim on scope tokened
                        config.claim.name: (none) -> "db"
                        config.claim.value: (none) -> <redacted>
                        config.secret: (none) -> <redacted>
                Plan: 3 to create, 0 to update, 0 to delete.

                """)
        let json = try env.kcx(["plan", "-f", file, "--output", "json"])
        #expect(json.status == 0, "\(json)")
        let details = json.json?["realms"]?[0]?["changes"]?[0]?["details"]
        #expect(details?[1] == "description: (none) -> <redacted>")
        let apply = try env.kcx(["apply", "-f", file, "--auto-approve", "-v"])
        #expect(apply.status == 0, "\(apply)")
        for output in [plan.stdout, plan.stderr, json.stdout, json.stderr, apply.stdout, apply.stderr] {
            #expect(!output.contains(token), "MY_TOKEN's value was printed")
            // DB_URL is no secret by name, but its value went into a `secret` field, so it is hidden everywhere.
            #expect(!output.contains("jdbc:visible"), "a secret field's value was printed")
        }
        // The server got the real values.
        let created = try scope(fixture, "tokened")
        #expect(created["description"] == .string(token))
        #expect(created["protocolMappers"]?.arrayValue?.first { $0["name"] == "claim" }?["config"]?["secret"] == "jdbc:visible")

        // A new token replacing the old one shows neither.
        env.extra["MY_TOKEN"] = token + "-2"
        let rotated = try env.kcx(["plan", "-f", file])
        #expect(
            rotated.stdout == """
                realm \(fixture.realm):
                  client-scope tokened
                    ~ client-scope tokened
                        description: <redacted> -> <redacted>
                Plan: 0 to create, 1 to update, 0 to delete.

                """, "\(rotated)")
    }
}
