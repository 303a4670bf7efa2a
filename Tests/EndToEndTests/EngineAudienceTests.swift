// `kcx audience add` runs through the engine apply uses: a scope it creates goes out with its
// mapper inside (one POST), a dry run lists the executor's requests with the new scope named by a
// placeholder, and mappers on a client itself are created and updated by the executor.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct EngineAudienceTests {
    let keycloak = TestKeycloak.shared

    @Test func addWithCreateScopeDryRunsThenMakesTheScopeWithItsMapperInside() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engaud")
        try fixture.confidentialClient("myapp")
        try fixture.confidentialClient("api-service")
        let clientID = try fixture.client("myapp")["id"]?.stringValue ?? ""
        let add = [
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
            "--default",
        ]

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(add + ["--dry-run", "-o", "json"])
        let requests = dry.json?["requests"]?.arrayValue ?? []
        #expect(
            requests.map { "\($0["method"]?.stringValue ?? "") \($0["endpoint"]?.stringValue ?? "")" } == [
                "POST client-scopes", "PUT clients/\(clientID)/default-client-scopes/<new client-scope api-access>",
            ], "\(dry)")
        #expect(
            requests.first?["body"]?["protocolMappers"]?.arrayValue?.first?["config"]?["included.client.audience"]
                == "api-service", "\(dry)")
        #expect(try fixture.snapshot() == before)

        let made = try fixture.inRealm(add)
        #expect(
            outcomes(made) == [
                "created: client-scope api-access", "created: audience-mapper api-service audience on scope api-access",
                "created: client-scope-assignment api-access -> myapp (default)",
            ], "\(made)")
        let scope = try #require(try fixture.clientScope("api-access"))
        #expect(scope["protocol"] == "openid-connect")
        #expect(scope["attributes"]?["include.in.token.scope"] == "true")
        // A command's scope is not marked as a file's: a later `apply --prune` leaves it alone.
        #expect(scope["attributes"]?["kcx.managed"] == nil, "\(scope)")
        #expect(scope["protocolMappers"]?.arrayValue?.map { $0["name"]?.stringValue } == ["api-service audience"])
        #expect(try fixture.assignedScopes("myapp", "default").contains("api-access"))
    }

    @Test func aMapperOnAClientIsCreatedThenUpdatedByTheExecutor() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engaud")
        try fixture.confidentialClient("myapp")
        try fixture.confidentialClient("api-service")
        let clientID = try fixture.client("myapp")["id"]?.stringValue ?? ""

        let made = try fixture.inRealm(["audience", "add", "--audience", "api-service", "--client", "myapp"])
        #expect(outcomes(made) == ["created: audience-mapper api-service audience on client myapp"], "\(made)")
        let mappers = try fixture.client("myapp")["protocolMappers"]?.arrayValue ?? []
        #expect(mappers.count == 1)
        let mapper = try #require(mappers.first)
        #expect(mapper["config"]?["included.client.audience"] == "api-service")
        #expect(mapper["config"]?["id.token.claim"] == "false")
        let mapperID = mapper["id"]?.stringValue ?? ""

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--client", "myapp", "--id-token", "--dry-run", "-o", "json",
        ])
        #expect(
            (dry.json?["requests"]?.arrayValue ?? []).map {
                "\($0["method"]?.stringValue ?? "") \($0["endpoint"]?.stringValue ?? "")"
            } == [
                "PUT clients/\(clientID)/protocol-mappers/models/\(mapperID)"
            ], "\(dry)")
        #expect(try fixture.snapshot() == before)

        let updated = try fixture.inRealm(["audience", "add", "--audience", "api-service", "--client", "myapp", "--id-token"])
        #expect(
            updated.stderr == """
                updated: audience-mapper api-service audience on client myapp
                    config.id.token.claim: "false" -> "true"

                """)
        let after = try fixture.client("myapp")["protocolMappers"]?.arrayValue ?? []
        #expect(after.map { $0["id"]?.stringValue } == [mapperID])
        #expect(after.first?["config"]?["id.token.claim"] == "true")
        let again = try fixture.inRealm(["audience", "add", "--audience", "api-service", "--client", "myapp", "--id-token"])
        #expect(again.stderr == "unchanged: audience-mapper api-service audience on client myapp\n")
    }
}
