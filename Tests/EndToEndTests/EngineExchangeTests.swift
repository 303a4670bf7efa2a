// `kcx token-exchange allow` runs through the engine apply uses: its allow pair is expanded by the
// planner's rule, a dry run lists the executor's requests (a scope created in the same plan named
// by a placeholder), and the realm read back afterwards is what the lines say.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct EngineExchangeTests {
    let keycloak = TestKeycloak.shared

    @Test func allowDryRunListsTheExecutorsRequestsAndTheRealRunMakesThem() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engx")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        try fixture.publicClient("webapp")
        let clientID = try fixture.client("service-a")["id"]?.stringValue ?? ""
        let webappID = try fixture.client("webapp")["id"]?.stringValue ?? ""
        let allow = [
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--subject-client", "webapp", "--mode",
            "standard",
        ]

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(allow + ["--dry-run", "-o", "json"])
        let requests = (dry.json?["requests"]?.arrayValue ?? []).map {
            "\($0["method"]?.stringValue ?? "") \($0["endpoint"]?.stringValue ?? "")"
        }
        #expect(
            requests == [
                "POST client-scopes", "POST client-scopes",
                "PUT clients/\(clientID)/default-client-scopes/<new client-scope service-b-audience>",
                "PUT clients/\(webappID)/default-client-scopes/<new client-scope service-a-audience>",
                "PUT clients/\(clientID)",
            ], "in the executor's order: scopes, then assignments, then switches")
        #expect(
            (dry.json?["changes"]?.arrayValue ?? []).map {
                "\($0["outcome"]?.stringValue ?? "") \($0["kind"]?.stringValue ?? "") \($0["name"]?.stringValue ?? "")"
            } == [
                "updated standard-token-exchange service-a", "created client-scope service-b-audience",
                "created audience-mapper service-b audience on scope service-b-audience",
                "created client-scope-assignment service-b-audience -> service-a (default)",
                "created client-scope service-a-audience",
                "created audience-mapper service-a audience on scope service-a-audience",
                "created client-scope-assignment service-a-audience -> webapp (default)",
            ], "\(dry)")
        #expect(try fixture.snapshot() == before)

        let made = try fixture.inRealm(allow)
        #expect(
            outcomes(made) == [
                "updated: standard-token-exchange service-a", "created: client-scope service-b-audience",
                "created: audience-mapper service-b audience on scope service-b-audience",
                "created: client-scope-assignment service-b-audience -> service-a (default)",
                "created: client-scope service-a-audience",
                "created: audience-mapper service-a audience on scope service-a-audience",
                "created: client-scope-assignment service-a-audience -> webapp (default)",
            ], "\(made)")
        let scope = try #require(try fixture.clientScope("service-b-audience"))
        #expect(scope["attributes"]?["include.in.token.scope"]?.stringValue == "false")
        // A command's scope is not marked as a file's: a later `apply --prune` leaves it alone.
        #expect(scope["attributes"]?["kcx.managed"] == nil, "\(scope)")
        #expect(
            scope["protocolMappers"]?.arrayValue?.map { $0["config"]?["included.client.audience"]?.stringValue } == ["service-b"])
        #expect(try fixture.assignedScopes("service-a", "default").contains("service-b-audience"))
        #expect(try fixture.assignedScopes("webapp", "default").contains("service-a-audience"))

        let again = try fixture.inRealm(allow)
        #expect(
            again.stderr == """
                unchanged: standard-token-exchange service-a
                unchanged: audience service-b in tokens of service-a
                    via default scope service-b-audience
                unchanged: audience service-a in tokens of webapp
                    via default scope service-a-audience

                """)
    }

    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func legacyAllowDryRunSendsNothingAndSaysEachObject() throws {
        let fixture = try RealmFixture(try #require(TestKeycloak.legacy), prefix: "engxv1")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        let targetID = try fixture.client("service-b")["id"]?.stringValue ?? ""
        let allow = ["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "legacy"]

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(allow + ["--dry-run"])
        #expect(
            outcomes(dry) == [
                "would be updated: management-permissions service-b",
                "would be created: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)",
                "would be updated: exchange-permission token-exchange.permission.client.\(targetID)",
            ], "\(dry)")
        #expect(dry.stderr.contains("PUT clients/\(targetID)/management/permissions {\"enabled\":true}"), "\(dry)")
        #expect(try fixture.snapshot() == before)

        let made = try fixture.inRealm(allow)
        #expect(
            outcomes(made) == [
                "updated: management-permissions service-b",
                "created: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)",
                "updated: exchange-permission token-exchange.permission.client.\(targetID)",
            ], "\(made)")
        let again = try fixture.inRealm(allow)
        #expect(
            outcomes(again) == [
                "unchanged: management-permissions service-b",
                "unchanged: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)",
                "unchanged: exchange-permission token-exchange.permission.client.\(targetID)",
            ], "\(again)")
    }

    /// deny's fragment is two absent facts, one per mechanism: the requester without TARGET's
    /// audience scope (standard) and outside TARGET's kcx policy (legacy).
    @Test(.enabled(if: onSandbox, "needs a server with both mechanisms (token-exchange,admin-fine-grained-authz:v1)"))
    func denyRemovesBothGrantsAndADryRunSendsNothing() throws {
        let fixture = try RealmFixture(try #require(TestKeycloak.legacy), prefix: "engxdeny")
        for service in ["service-a", "service-b", "service-c"] { try fixture.confidentialClient(service) }
        for mode in ["standard", "legacy"] {
            try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", mode])
        }
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-c", "--to", "service-b", "--mode", "legacy"])
        let deny = ["token-exchange", "deny", "--from", "service-a", "--to", "service-b"]

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(deny + ["--dry-run"])
        #expect(
            outcomes(dry) == [
                "would be deleted: client-scope-assignment service-b-audience -> service-a (default)",
                "would be updated: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)",
            ], "\(dry)")
        #expect(try fixture.snapshot() == before)

        let denied = try fixture.inRealm(deny)
        #expect(
            denied.stderr == """
                deleted: client-scope-assignment service-b-audience -> service-a (default)
                updated: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)
                    clients: - service-a

                """)
        #expect(try !fixture.assignedScopes("service-a", "default").contains("service-b-audience"))
        let management = try fixture.client("realm-management")["id"]?.stringValue ?? ""
        let serviceC = try fixture.client("service-c")["id"]?.stringValue ?? ""
        let base = "\(fixture.realm)/clients/\(management)/authz/resource-server"
        let policies = try #require(
            fixture.keycloak.adminGet("\(base)/policy?name=kcx-token-exchange-service-b").json?.arrayValue)
        let policyID = try #require(policies.first?["id"]?.stringValue)
        let policy = try #require(fixture.keycloak.adminGet("\(base)/policy/client/\(policyID)").json)
        #expect(policy["clients"] == [.string(serviceC)], "service-c keeps its grant: \(policy)")

        let again = try fixture.inRealm(deny)
        #expect(
            again.stderr == """
                unchanged: client-scope-assignment service-b-audience -> service-a
                    not assigned
                unchanged: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)
                    service-a was not allowed

                """)
    }
}
