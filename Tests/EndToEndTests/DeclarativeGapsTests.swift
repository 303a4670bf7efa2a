// kcx plan / apply / export for legacy V1 permissions per target, raw protocol mappers, allow modes,
// apply's exit codes, allow pairs that agree with `kcx token-exchange allow`, and request counts.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct DeclarativeGapsTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String = "realm.yaml") throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The clientIds the kcx exchange policy of `target` names, read through the admin API (nil: no policy).
    func legacyRequesters(_ fixture: RealmFixture, target: String) throws -> [String]? {
        let management = try fixture.client("realm-management")["id"]?.stringValue ?? ""
        let base = "\(fixture.realm)/clients/\(management)/authz/resource-server"
        let (_, found) = try fixture.keycloak.adminGet("\(base)/policy/search?name=kcx-token-exchange-\(target)")
        guard let id = found?["id"]?.stringValue else { return nil }
        let policy = try #require(try fixture.keycloak.adminGet("\(base)/policy/client/\(id)").json)
        var names: [String] = []
        for uuid in policy["clients"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            names.append(try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(uuid)").json?["clientId"]?.stringValue ?? uuid)
        }
        // The policy must also be attached to the target's token-exchange permission.
        let targetID = try fixture.client(target)["id"]?.stringValue ?? ""
        let permissions = try #require(
            try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(targetID)/management/permissions").json)
        #expect(permissions["enabled"] == true)
        let permission = permissions["scopePermissions"]?["token-exchange"]?.stringValue ?? ""
        let attached =
            try fixture.keycloak.adminGet("\(base)/permission/scope/\(permission)/associatedPolicies").json?.arrayValue ?? []
        #expect(attached.compactMap { $0["name"]?.stringValue } == ["kcx-token-exchange-\(target)"])
        return names.sorted()
    }

    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func legacyPermissionsPerTargetPlanApplyExportPrune() throws {
        let fixture = try RealmFixture(try #require(TestKeycloak.legacy), prefix: "declv1")
        for client in ["api", "gateway", "batch"] { try fixture.confidentialClient(client) }
        // gateway by legacyExchange on the target, batch by an allow pair with mode legacy (this server
        // also has standard exchange, so mode auto would pick standard, as the command does).
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clients:
                  - clientId: api
                    legacyExchange:
                      allowedRequesters: [gateway]
                allow:
                  - {from: batch, to: api, mode: legacy}
            """)
        let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
        #expect(plan.status == 8, "\(plan)")
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client api
                    + legacy-exchange api
                        management permissions: off -> on
                        requesters: + gateway
                        requesters: + batch
                        policy kcx-token-exchange-api attached to the token-exchange permission
                Plan: 1 to create, 0 to update, 0 to delete.

                """)
        #expect(try legacyRequesters(fixture, target: "api") == nil, "plan wrote")

        let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(try legacyRequesters(fixture, target: "api") == ["batch", "gateway"])
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)

        // export writes it back, and its plan shows no changes.
        let exported = try fixture.inRealm(["export", "--client", "api", "--format", "json"])
        #expect(
            exported.json?["realms"]?[0]?["clients"] == [
                [
                    "clientId": "api", "enabled": true, "publicClient": false, "serviceAccountsEnabled": true,
                    "standardFlowEnabled": true,
                    "directAccessGrantsEnabled": true, "redirectUris": [], "webOrigins": [], "secret": "${API_SECRET:-}",
                    "attributes": ["realm_client": "false"], "standardExchange": false, "allowRefresh": false,
                    "legacyExchange": ["allowedRequesters": ["gateway", "batch"]],
                ]
            ])
        let exportFile = try write(fixture, exported.stdout, name: "export.json")
        #expect(try fixture.kcx(["plan", "-f", exportFile, "--detailed-exitcode"]).status == 0)

        // Dropping requesters: kept without --prune, removed from kcx's policy with it.
        let fewer = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clients:
                  - clientId: api
                    legacyExchange: {allowedRequesters: [gateway]}
            """, name: "fewer.yaml")
        #expect(try fixture.kcx(["plan", "-f", fewer, "--detailed-exitcode"]).status == 0)
        let prunePlan = try fixture.kcx(["plan", "-f", fewer, "--prune"])
        #expect(
            prunePlan.stdout == """
                realm \(fixture.realm):
                  client api
                    ~ legacy-exchange api
                        requesters: - batch (no longer in the file)
                Plan: 0 to create, 1 to update, 0 to delete.

                """)
        try fixture.ok(["apply", "-f", fewer, "--prune", "--auto-approve"])
        #expect(try legacyRequesters(fixture, target: "api") == ["gateway"])
        #expect(try fixture.kcx(["plan", "-f", fewer, "--prune", "--detailed-exitcode"]).status == 0)
    }

    @Test func legacyOnAServerWithoutV1IsRefusedBeforeAnyWrite() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declv1")
        try fixture.confidentialClient("api")
        try fixture.confidentialClient("gateway")
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: first
                clients:
                  - clientId: api
                    legacyExchange:
                      allowedRequesters: [gateway]
            """)
        let before = try fixture.snapshot()
        for command in [["plan", "-f", file], ["apply", "-f", file, "--auto-approve"]] {
            let refused = try fixture.kcx(command)
            #expect(refused.status == 2, "\(refused)")
            #expect(
                refused.stderr == """
                    error: \(file):8:11: realms[0].clients[0].legacyExchange: legacy token exchange needs the server features token-exchange (V1) and admin-fine-grained-authz:v1, which this server does not have
                    hint: use standard token exchange (mode: standard, Keycloak 26.2+), or start Keycloak with --features=token-exchange,admin-fine-grained-authz:v1

                    """)
        }
        #expect(try fixture.snapshot() == before)
    }

    @Test func rawProtocolMappersDriftRepairAndExport() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declpm")
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: tenant
                    protocolMappers:
                      - name: tenant claim
                        protocolMapper: oidc-hardcoded-claim-mapper
                        config:
                          claim.name: tenant
                          claim.value: acme
                          jsonType.label: String
                          access.token.claim: true
            """)
        let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stderr.contains("Apply complete: 2 created, 0 updated, 0 deleted;"), "\(applied)")
        let scope = try #require(try fixture.clientScope("tenant"))
        let mapper = try #require(scope["protocolMappers"]?[0])
        #expect(scope["protocolMappers"]?.arrayValue?.count == 1)
        #expect(mapper["name"] == "tenant claim" && mapper["protocolMapper"] == "oidc-hardcoded-claim-mapper")
        #expect(mapper["config"]?["claim.value"] == "acme" && mapper["config"]?["access.token.claim"] == "true")
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)

        // Edited by hand: detected, and repaired with a PUT.
        var edited = mapper
        edited["config"]?["claim.value"] = "evil"
        let scopeID = scope["id"]?.stringValue ?? ""
        let put = try keycloak.adminSend(
            "PUT", "\(fixture.realm)/client-scopes/\(scopeID)/protocol-mappers/models/\(mapper["id"]?.stringValue ?? "")",
            json: edited)
        #expect(put.status == 204)
        let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
        #expect(plan.status == 8)
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client-scope tenant
                    ~ protocol-mapper tenant claim on scope tenant
                        config.claim.value: "evil" -> "acme"
                Plan: 0 to create, 1 to update, 0 to delete.

                """)
        try fixture.ok(["apply", "-f", file, "--auto-approve"])
        #expect(try fixture.clientScope("tenant")?["protocolMappers"]?[0]?["config"]?["claim.value"] == "acme")
        #expect(try fixture.clientScope("tenant")?["protocolMappers"]?[0]?["id"] == mapper["id"])

        // export writes the mapper (it is not an audience mapper), and its plan shows no changes.
        let exported = try fixture.inRealm(["export"])
        #expect(exported.stdout.contains("protocolMapper: oidc-hardcoded-claim-mapper"), "\(exported.stdout)")
        let exportFile = try write(fixture, exported.stdout, name: "export.yaml")
        #expect(try fixture.kcx(["plan", "-f", exportFile, "--detailed-exitcode"]).status == 0)
    }

    @Test func allowSkipsTheAudienceScopeAsTheCommandDoes() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declallow")
        try fixture.confidentialClient("api")
        try fixture.confidentialClient("gateway")
        // api is already in gateway's access tokens through gateway's own mapper.
        try fixture.inRealm(["audience", "add", "--audience", "api", "--client", "gateway"])
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                allow:
                  - {from: gateway, to: api, mode: standard}
            """)
        let plan = try fixture.kcx(["plan", "-f", file])
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client gateway
                    ~ token-exchange gateway
                        attributes.standard.token.exchange.enabled: "false" -> "true"
                Plan: 0 to create, 1 to update, 0 to delete.

                """)
        try fixture.ok(["apply", "-f", file, "--auto-approve"])
        #expect(!(try fixture.clientScopeNames()).contains("api-audience"))
        // The command agrees: nothing more to do.
        let command = try fixture.inRealm(["token-exchange", "allow", "--from", "gateway", "--to", "api"])
        #expect(outcomes(command).allSatisfy { $0.hasPrefix("unchanged:") }, "\(command)")
        #expect(try fixture.kcx(["plan", "-f", file, "--prune", "--detailed-exitcode"]).status == 0)
    }

    @Test func planNamingFewClientsLooksThemUpInsteadOfListing() throws {
        let fixture = try RealmFixture(keycloak, prefix: "declscale")
        for index in 0..<12 { try fixture.confidentialClient("filler-\(index)") }
        try fixture.confidentialClient("app")
        let file = try write(
            fixture,
            """
            realms:
              - realm: \(fixture.realm)
                clients:
                  - {clientId: app, standardExchange: false}
            """)
        let plan = try fixture.kcx(["plan", "-f", file, "--output", "json", "-v"])
        #expect(plan.status == 0, "\(plan)")
        #expect(
            plan.stderr.contains("GET \(keycloak.baseURL)/admin/realms/\(fixture.realm)/clients?clientId=app&search=false"),
            "\(plan.stderr)")
        #expect(!plan.stderr.contains("/admin/realms/\(fixture.realm)/clients "), "listed every client: \(plan.stderr)")
        // One look-up, the scope list and the realm's two default lists (the token is stored).
        #expect(plan.json?["requests"] == 4, "\(plan.stdout)")
    }
}
