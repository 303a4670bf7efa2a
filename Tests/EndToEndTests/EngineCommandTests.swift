// `kcx client-scope assign` and `unassign` run through the engine apply uses: their outcomes,
// dry runs and the realm read back afterwards, against the sandbox (or a real Keycloak).
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct EngineCommandTests {
    let keycloak = TestKeycloak.shared

    @Test func assignMovesUnassignRemovesAndDryRunsShowTheExecutorsRequests() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engine")
        try fixture.confidentialClient("myapp")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let clientID = try fixture.client("myapp")["id"]?.stringValue ?? ""
        let scopeID = try fixture.clientScope("api-access")?["id"]?.stringValue ?? ""

        let created = try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "myapp", "--default"])
        #expect(created.stderr == "created: client-scope-assignment api-access -> myapp (default)\n")
        #expect(try fixture.assignedScopes("myapp", "default").contains("api-access"))

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "myapp", "--optional", "--dry-run"])
        #expect(
            dry.stderr == """
                would be updated: client-scope-assignment api-access -> myapp (optional)
                    moved from default to optional
                dry run: nothing was changed; a real run would send:
                    DELETE clients/\(clientID)/default-client-scopes/\(scopeID)
                    PUT clients/\(clientID)/optional-client-scopes/\(scopeID)

                """)
        #expect(try fixture.snapshot() == before)

        let moved = try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "myapp", "--optional"])
        #expect(
            moved.stderr
                == "updated: client-scope-assignment api-access -> myapp (optional)\n    moved from default to optional\n")
        #expect(try fixture.assignedScopes("myapp", "optional").contains("api-access"))
        #expect(try !fixture.assignedScopes("myapp", "default").contains("api-access"))

        let json = try fixture.inRealm(["client-scope", "unassign", "api-access", "--client", "myapp", "--dry-run", "-o", "json"])
        #expect(
            json.json?["changes"] == [
                ["kind": "client-scope-assignment", "name": "api-access -> myapp (optional)", "outcome": "deleted"]
            ])
        #expect(
            json.json?["requests"] == [
                ["method": "DELETE", "endpoint": .string("clients/\(clientID)/optional-client-scopes/\(scopeID)")]
            ])

        let removed = try fixture.inRealm(["client-scope", "unassign", "api-access", "--client", "myapp"])
        #expect(removed.stderr == "deleted: client-scope-assignment api-access -> myapp (optional)\n")
        #expect(try !fixture.assignedScopes("myapp", "optional").contains("api-access"))
        let again = try fixture.inRealm(["client-scope", "unassign", "api-access", "--client", "myapp"])
        #expect(again.stderr == "unchanged: client-scope-assignment api-access -> myapp\n    not assigned\n")
    }

    @Test func aNameThatIsNoClientOrScopeIsRefusedAsBefore() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engine")
        try fixture.confidentialClient("myapp")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let before = try fixture.snapshot()
        let noClient = try fixture.kcx([
            "client-scope", "assign", "api-access", "--client", "nosuch", "--default", "-r", fixture.realm,
        ])
        #expect(noClient.status == 3, "\(noClient)")
        #expect(noClient.stderr.hasPrefix("error: client 'nosuch' not found in realm '\(fixture.realm)'\n"), "\(noClient)")
        let noScope = try fixture.kcx(["client-scope", "unassign", "nosuch", "--client", "myapp", "-r", fixture.realm])
        #expect(noScope.status == 3, "\(noScope)")
        #expect(noScope.stderr.hasPrefix("error: client scope 'nosuch' not found in realm '\(fixture.realm)'\n"), "\(noScope)")
        #expect(try fixture.snapshot() == before)
    }

    @Test func audienceRemoveOnAClientAndScopeDeleteAreFragmentsWithAbsentFacts() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engine")
        try fixture.confidentialClient("myapp")
        try fixture.inRealm(["audience", "add", "--custom-audience", "https://api.example.com", "--client", "myapp"])
        let client = try fixture.client("myapp")
        let clientID = client["id"]?.stringValue ?? ""
        let mapper = try #require(
            client["protocolMappers"]?.arrayValue?.first { $0["name"]?.stringValue == "https://api.example.com audience" })
        let mapperID = mapper["id"]?.stringValue ?? ""

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm([
            "audience", "remove", "--custom-audience", "https://api.example.com", "--client", "myapp", "--dry-run",
        ])
        #expect(
            dry.stderr == """
                would be deleted: audience-mapper https://api.example.com audience on client myapp
                dry run: nothing was changed; a real run would send:
                    DELETE clients/\(clientID)/protocol-mappers/models/\(mapperID)

                """)
        #expect(try fixture.snapshot() == before)
        let removed = try fixture.inRealm([
            "audience", "remove", "--custom-audience", "https://api.example.com", "--client", "myapp",
        ])
        #expect(removed.stderr == "deleted: audience-mapper https://api.example.com audience on client myapp\n")
        #expect(
            try fixture.client("myapp")["protocolMappers"]?.arrayValue?.contains { $0["id"]?.stringValue == mapperID } != true)

        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let scopeID = try fixture.clientScope("api-access")?["id"]?.stringValue ?? ""
        let dryDelete = try fixture.inRealm(["client-scope", "delete", "api-access", "--dry-run"])
        #expect(
            dryDelete.stderr == """
                would be deleted: client-scope api-access
                dry run: nothing was changed; a real run would send:
                    DELETE client-scopes/\(scopeID)

                """)
        let deleted = try fixture.inRealm(["client-scope", "delete", "api-access", "--yes"])
        #expect(deleted.stderr == "deleted: client-scope api-access\n")
        #expect(try fixture.clientScope("api-access") == nil)
        let gone = try fixture.inRealm(["client-scope", "delete", "api-access", "--if-exists"])
        #expect(gone.stderr == "unchanged: client-scope api-access\n    does not exist\n")
    }

    @Test func enableAndDisableAreAFilesClientSwitch() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engine")
        try fixture.confidentialClient("service-a")
        try fixture.publicClient("webapp")
        let before = try fixture.snapshot()
        let refused = try fixture.kcx(["token-exchange", "enable", "--client", "webapp", "-r", fixture.realm])
        #expect(refused.status == 2, "\(refused)")
        #expect(
            refused.stderr.hasPrefix(
                "error: client 'webapp' is public, and Keycloak refuses token exchange by public clients (\"Public client is not allowed to exchange token\")\n"
            ),
            "\(refused)")
        #expect(try fixture.snapshot() == before)

        let dry = try fixture.inRealm([
            "token-exchange", "enable", "--client", "service-a", "--allow-refresh", "--dry-run", "-o", "json",
        ])
        let requests = dry.json?["requests"]?.arrayValue ?? []
        #expect(requests.map { $0["method"]?.stringValue } == ["PUT"], "\(dry)")
        // The body is the client as the executor re-read it: its secret never reaches the output.
        #expect(requests.first?["body"]?["secret"]?.stringValue == "<redacted>", "\(dry)")
        #expect(!dry.stdout.contains("s3cret-"), "\(dry)")
        #expect(try fixture.snapshot() == before)

        let enabled = try fixture.inRealm(["token-exchange", "enable", "--client", "service-a", "--allow-refresh"])
        #expect(
            enabled.stderr == """
                updated: standard-token-exchange service-a
                    attributes.standard.token.exchange.enabled: "false" -> "true"
                    attributes.standard.token.exchange.enableRefreshRequestedTokenType: "NO" -> "SAME_SESSION"

                """)
        let attributes = try fixture.client("service-a")["attributes"]
        #expect(attributes?["standard.token.exchange.enabled"]?.stringValue == "true")
        #expect(attributes?["standard.token.exchange.enableRefreshRequestedTokenType"]?.stringValue == "SAME_SESSION")

        let disabled = try fixture.inRealm(["token-exchange", "disable", "--client", "service-a"])
        #expect(
            disabled.stderr == """
                updated: standard-token-exchange service-a
                    attributes.standard.token.exchange.enabled: "true" -> "false"
                    attributes.standard.token.exchange.enableRefreshRequestedTokenType: "SAME_SESSION" -> "NO"

                """)
        let again = try fixture.inRealm(["token-exchange", "disable", "--client", "service-a"])
        #expect(again.stderr == "unchanged: standard-token-exchange service-a\n")
        #expect(try fixture.client("service-a")["attributes"]?["standard.token.exchange.enabled"]?.stringValue == "false")
    }
}
