// kcx plan / apply / export against the sandbox: convergence, drift, export round-trip, prune,
// a failure half-way, concurrent applies, and a 200-scope file.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct DeclarativeTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String = "realm.yaml") throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A file with one scope carrying an audience mapper, assigned to `app`, and an allow pair.
    func sampleFile(_ realm: String) -> String {
        """
        realms:
          - realm: \(realm)
            clientScopes:
              - name: api-access
                description: Audience for api
                realmDefault: optional
                audienceMappers:
                  - audience: api
            clients:
              - clientId: app
                defaultScopes: [api-access]
            allow:
              - from: gateway
                to: api
        """
    }

    func setUpClients(_ fixture: RealmFixture) throws {
        try fixture.confidentialClient("app")
        try fixture.confidentialClient("api")
        try fixture.confidentialClient("gateway")
    }

    @Test func planApplyPlanAgainConverges() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let file = try write(fixture, sampleFile(fixture.realm))
        let before = try fixture.snapshot()

        let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
        #expect(plan.status == 8, "\(plan)")
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client-scope api-access
                    + client-scope api-access
                        name: (none) -> "api-access"
                        description: (none) -> "Audience for api"
                        protocol: (none) -> "openid-connect"
                        attributes.include.in.token.scope: (none) -> "true"
                        attributes.display.on.consent.screen: (none) -> "false"
                    + realm-default-scope api-access
                        realm list: none -> optional
                    + audience-mapper api audience on scope api-access
                        config.included.client.audience: (none) -> "api"
                        config.id.token.claim: (none) -> "false"
                        config.access.token.claim: (none) -> "true"
                        config.introspection.token.claim: (none) -> "true"
                        config.lightweight.claim: (none) -> "false"
                  client-scope api-audience
                    + client-scope api-audience
                        name: (none) -> "api-audience"
                        description: (none) -> "Puts api into the aud claim (managed by kcx)"
                        protocol: (none) -> "openid-connect"
                        attributes.include.in.token.scope: (none) -> "false"
                        attributes.display.on.consent.screen: (none) -> "false"
                    + audience-mapper api audience on scope api-audience
                        config.included.client.audience: (none) -> "api"
                        config.id.token.claim: (none) -> "false"
                        config.access.token.claim: (none) -> "true"
                        config.introspection.token.claim: (none) -> "true"
                        config.lightweight.claim: (none) -> "false"
                  client app
                    + client-scope-assignment api-access -> app (default)
                  client gateway
                    + client-scope-assignment api-audience -> gateway (default)
                    ~ token-exchange gateway
                        attributes.standard.token.exchange.enabled: "false" -> "true"
                Plan: 7 to create, 1 to update, 0 to delete.

                """)
        #expect(try fixture.snapshot() == before, "plan changed the realm")

        let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stderr.contains("Apply complete: 7 created, 1 updated, 0 deleted;"), "\(applied)")
        #expect(try fixture.assignedScopes("app", "default").contains("api-access"))
        #expect(try fixture.assignedScopes("gateway", "default").contains("api-audience"))
        #expect(try fixture.client("gateway")["attributes"]?["standard.token.exchange.enabled"] == "true")
        let scope = try #require(try fixture.clientScope("api-access"))
        #expect(scope["attributes"]?["kcx.managed"] == "true")
        #expect(scope["protocolMappers"]?.arrayValue?.count == 1)

        let again = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout == "realm \(fixture.realm):\n  no changes\nNo changes.\n")
        #expect(again.stderr.hasSuffix("HTTP requests\n"))
    }

    @Test func planAsJSON() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let file = try write(fixture, sampleFile(fixture.realm))
        let plan = try fixture.kcx(["plan", "-f", file, "--output", "json"])
        #expect(plan.status == 0, "\(plan)")
        let json = try #require(plan.json)
        #expect(json["summary"] == ["create": 7, "update": 1, "delete": 0])
        let changes = json["realms"]?[0]?["changes"]?.arrayValue ?? []
        #expect(
            changes.map { $0["action"]?.stringValue ?? "" } == [
                "create", "create", "create", "create", "create", "create", "create", "update",
            ])
        #expect(changes.first?["kind"] == "client-scope" && changes.first?["name"] == "api-access")
        // A client the file names that is not in the realm is an error, before any write.
        let missing = try write(
            fixture, "realms:\n  - realm: \(fixture.realm)\n    clients:\n      - clientId: nobody\n", name: "missing.yaml")
        let failed = try fixture.kcx(["plan", "-f", missing])
        #expect(failed.status == 3)
        #expect(failed.stderr.contains("client 'nobody' is not a client of realm '\(fixture.realm)'"), "\(failed)")
    }

    @Test func driftIsDetectedAndRepaired() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let file = try write(fixture, sampleFile(fixture.realm))
        try fixture.ok(["apply", "-f", file, "--auto-approve"])
        let scope = try #require(try fixture.clientScope("api-access"))
        let scopeID = scope["id"]?.stringValue ?? ""
        var mapper = try #require(scope["protocolMappers"]?[0])
        mapper["config"]?["access.token.claim"] = "false"
        let edited = try keycloak.adminSend(
            "PUT", "\(fixture.realm)/client-scopes/\(scopeID)/protocol-mappers/models/\(mapper["id"]?.stringValue ?? "")",
            json: mapper)
        #expect(edited.status == 204)

        let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
        #expect(plan.status == 8)
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client-scope api-access
                    ~ audience-mapper api audience on scope api-access
                        config.access.token.claim: "false" -> "true"
                Plan: 0 to create, 1 to update, 0 to delete.

                """)
        try fixture.ok(["apply", "-f", file, "--auto-approve"])
        let repaired = try #require(try fixture.clientScope("api-access"))
        #expect(repaired["protocolMappers"]?[0]?["config"]?["access.token.claim"] == "true")
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func exportThenPlanShowsNoChanges() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        try fixture.ok(["apply", "-f", try write(fixture, sampleFile(fixture.realm)), "--auto-approve"])
        // A scope made by hand with a custom audience is exported too.
        try fixture.inRealm(["audience", "add", "--custom-audience", "urn:partner", "--scope", "partner", "--create-scope"])
        for format in ["yaml", "json"] {
            let exported = try fixture.inRealm(["export", "--format", format])
            let file = try write(fixture, exported.stdout, name: "export.\(format)")
            let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"])
            #expect(plan.status == 0, "\(format): \(plan)\n\(exported.stdout)")
            #expect(exported.stdout.contains("partner"))
            #expect(exported.stdout.contains("urn:partner"))
        }
        let json = try #require(try fixture.inRealm(["export", "--format", "json", "--client", "gateway"]).json)
        // Every client field, and a placeholder variable for the secret (never the secret).
        #expect(
            json["realms"]?[0]?["clients"] == [
                [
                    "clientId": "gateway", "enabled": true, "publicClient": false, "serviceAccountsEnabled": true,
                    "standardFlowEnabled": true,
                    "directAccessGrantsEnabled": true, "redirectUris": [], "webOrigins": [], "secret": "${GATEWAY_SECRET:-}",
                    "attributes": ["realm_client": "false"], "defaultScopes": ["api-audience"], "standardExchange": true,
                    "allowRefresh": false,
                ]
            ])
        // --realm, as the declarative design spells it, is the same as -r.
        let byName = try fixture.ok(["export", "--format", "json", "--client", "gateway", "--realm", fixture.realm])
        #expect(byName.json == json)
        let both = try fixture.kcx(["export", "--realm", "other", "-r", fixture.realm])
        #expect(both.status == 2)
        #expect(
            both.stderr == "error: --realm 'other' and -r/--target-realm '\(fixture.realm)' name different realms: give one\n")
    }

    @Test func pruneRemovesOnlyKcxCreatedObjects() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let twoScopes = """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: keep
                    audienceMappers: [{audience: api}, {customAudience: extra}]
                  - name: dropped
            """
        try fixture.ok(["apply", "-f", try write(fixture, twoScopes), "--auto-approve"])
        // Made by hand: must survive prune although the file does not mention it.
        try fixture.inRealm(["client-scope", "ensure", "hand-made"])
        let oneScope = """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: keep
                    audienceMappers: [{audience: api}]
            """
        let file = try write(fixture, oneScope)
        // Without --prune nothing is deleted.
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
        let plan = try fixture.kcx(["plan", "-f", file, "--prune"])
        #expect(
            plan.stdout == """
                realm \(fixture.realm):
                  client-scope keep
                    - audience-mapper extra audience on scope keep
                        on a kcx-created scope, no longer in the file
                  client-scope dropped
                    - client-scope dropped
                        created by kcx, no longer in the file
                Plan: 0 to create, 0 to update, 2 to delete.

                """)
        try fixture.ok(["apply", "-f", file, "--prune", "--auto-approve"])
        let names = try fixture.clientScopeNames()
        #expect(names.contains("keep") && names.contains("hand-made") && names.contains("profile"))
        #expect(!names.contains("dropped"))
        #expect(try fixture.clientScope("keep")?["protocolMappers"]?.arrayValue?.count == 1)
        #expect(try fixture.kcx(["plan", "-f", file, "--prune", "--detailed-exitcode"]).status == 0)
    }

    @Test(.enabled(if: onSandbox, "fault injection needs the sandbox control API"))
    func failureHalfWayThenRerunConverges() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let file = try write(fixture, sampleFile(fixture.realm))
        // The first assignment is refused (403, which is never retried): scopes with their mappers
        // and the realm list are written, the assignments and the exchange switch are not.
        let rule: JSON = [
            "method": "PUT", "path": .string("/admin/realms/\(fixture.realm)/clients/*/default-client-scopes/*"), "count": 1,
            "action": "status", "status": 403, "body": "{\"error\":\"unknown_error\"}", "contentType": "application/json",
        ]
        let added = try keycloak.request(
            "POST", "/_sandbox/faults", body: Data(rule.serialized().utf8), contentType: "application/json")
        #expect(added.status == 201)
        let failed = try fixture.kcx(["apply", "-f", file, "--auto-approve", "--parallel", "1"])
        // The failing request's own exit code: 4 for a 403, as for every other command.
        #expect(failed.status == 4, "\(failed)")
        #expect(failed.stderr.contains("applied 5 of 8 changes; not applied:\n"), "\(failed)")
        #expect(failed.stderr.contains("    + client-scope-assignment api-access -> app (default)\n"), "\(failed)")
        #expect(failed.stderr.contains("    + client-scope-assignment api-audience -> gateway (default)\n"), "\(failed)")
        #expect(failed.stderr.contains("    ~ token-exchange gateway\n"), "\(failed)")
        #expect(failed.stderr.contains("hint: fix the cause and run apply again"))
        #expect(try fixture.assignedScopes("app", "default").contains("api-access") == false)
        #expect(try fixture.clientScope("api-access")?["protocolMappers"]?.arrayValue?.count == 1)

        let rerun = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        #expect(rerun.stderr.contains("Apply complete: 2 created, 1 updated, 0 deleted;"), "\(rerun)")
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func twoConcurrentAppliesEndCorrectWithoutDuplicates() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try setUpClients(fixture)
        let file = try write(fixture, sampleFile(fixture.realm))
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var values: [ProcessResult?] = [nil, nil]
        }
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = try? fixture.kcx(["apply", "-f", file, "--auto-approve"])
            results.lock.withLock { results.values[index] = result }
        }
        for result in results.values { #expect(result?.status == 0, "\(String(describing: result))") }
        let names = try fixture.clientScopeNames()
        #expect(names.filter { $0 == "api-access" }.count == 1)
        #expect(names.filter { $0 == "api-audience" }.count == 1)
        #expect(try fixture.clientScope("api-access")?["protocolMappers"]?.arrayValue?.count == 1)
        #expect(try fixture.clientScope("api-audience")?["protocolMappers"]?.arrayValue?.count == 1)
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func applyWithoutTerminalOrApprovalIsRefusedBeforeAnyRequest() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        let file = try write(fixture, "realms:\n  - realm: \(fixture.realm)\n    clientScopes: [{name: x}]\n")
        let before = try fixture.snapshot()
        let refused = try fixture.kcx(["apply", "-f", file])
        #expect(refused.status == 2)
        #expect(
            refused.stderr
                == "error: apply needs confirmation and standard input is not a terminal\nhint: review 'kcx plan -f FILE', then run apply with --auto-approve\n"
        )
        #expect(try fixture.snapshot() == before)
    }

    @Test func validationErrorComesBeforeAnyRequest() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        let file = try write(
            fixture, "realms:\n  - realm: \(fixture.realm)\n    clientScopes:\n      - name: ok\n        colour: blue\n")
        let failed = try fixture.kcx(["plan", "-f", file, "-v"])
        #expect(failed.status == 2)
        #expect(
            failed.stderr.hasPrefix(
                "error: \(file):5:9: realms[0].clientScopes[0].colour: unknown key (expected one of: name, description, protocol, includeInTokenScope, realmDefault, audienceMappers, protocolMappers)\n"
            ),
            "\(failed)")
        #expect(!failed.stderr.contains("GET "), "a request was sent: \(failed)")
    }

    @Test func twoHundredScopes() throws {
        let fixture = try RealmFixture(keycloak, prefix: "decl")
        try fixture.confidentialClient("app")
        var text = "realms:\n  - realm: \(fixture.realm)\n    clientScopes:\n"
        for index in 0..<200 {
            text += "      - name: api-\(index)\n        audienceMappers: [{customAudience: urn:api-\(index)}]\n"
        }
        text += "    clients:\n      - clientId: app\n        defaultScopes:\n"
        for index in 0..<200 { text += "          - api-\(index)\n" }
        let file = try write(fixture, text)
        let start = Date()
        let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve", "--parallel", "8"])
        let seconds = Date().timeIntervalSince(start)
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stderr.contains("Apply complete: 600 created, 0 updated, 0 deleted;"), "\(applied)")
        #expect(try fixture.assignedScopes("app", "default").filter { $0.hasPrefix("api-") }.count == 200)
        let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode", "--output", "json"])
        #expect(plan.status == 0, "\(plan)")
        let requests = plan.json?["requests"]?.intValue ?? -1
        // Four list requests plus the session's token request(s): a handful, not one per scope.
        #expect(requests > 0 && requests < 10, "\(requests) requests")
        let applyRequests = applied.stderr.split(separator: "\n").last ?? ""
        // One look-up and three lists, then one POST per scope (its mapper inline) and one PUT per
        // assignment: 404. A slow, loaded run may add a token refresh or a retried request or two.
        let applyCount = Int(applyRequests.split(separator: ";").last?.split(separator: " ").first ?? "") ?? -1
        #expect((404...408).contains(applyCount), "\(applyRequests)")
        print("200-scope apply: \(String(format: "%.2f", seconds)) s, \(applyRequests); no-change plan: \(requests) requests")
    }
}
