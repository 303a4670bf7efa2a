// Resolve once: how many requests the imperative commands send, counted by a sandbox of this
// suite's own (its /_sandbox/stats counts every request it serves, so no other test may share it),
// running the real kcx binary. And the rule both engines share for a scope of another protocol.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized, .enabled(if: onSandbox, "counting requests needs the sandbox's /_sandbox/stats"))
struct RequestCountTests {
    /// Only these tests send requests to it.
    static let counted: TestKeycloak = {
        do { return try TestKeycloak.start() } catch { fatalError("cannot start kcx-sandbox: \(error)") }
    }()
    let keycloak = RequestCountTests.counted

    func served() throws -> Int {
        let stats = try keycloak.request("GET", "/_sandbox/stats")
        guard let count = stats.json?["requests"]?.intValue else { throw HarnessError("no request count in \(stats.text)") }
        return Int(count)
    }

    /// The requests one kcx run sends: the served count around it, less what reading the count adds.
    func requests(_ fixture: RealmFixture, _ arguments: [String]) throws -> (count: Int, result: ProcessResult) {
        let first = try served()
        let second = try served()
        let perReading = second - first
        let result = try fixture.kcx(arguments + ["-r", fixture.realm])
        let after = try served()
        return (after - second - perReading, result)
    }

    let audienceAdd = [
        "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
        "--default",
    ]

    @Test func audienceAddReadsEachObjectOnce() throws {
        let fixture = try RealmFixture(keycloak, prefix: "count")
        try fixture.confidentialClient("myapp")
        try fixture.confidentialClient("api-service")

        // GET api-service, GET myapp (its scope names inline), GET client-scopes (mappers inline),
        // POST the scope with its mapper inside (as apply sends it), PUT the assignment.
        let first = try requests(fixture, audienceAdd)
        #expect(first.result.status == 0, "\(first.result)")
        #expect(first.count == 5, "\(first.result)")
        #expect(
            outcomes(first.result) == [
                "created: client-scope api-access", "created: audience-mapper api-service audience on scope api-access",
                "created: client-scope-assignment api-access -> myapp (default)",
            ])

        // Nothing to change: the two clients and the scope list, nothing else (9 before resolve-once).
        let again = try requests(fixture, audienceAdd)
        #expect(again.result.status == 0, "\(again.result)")
        #expect(again.count == 3, "\(again.result)")
        #expect(
            again.result.stderr == """
                unchanged: client-scope api-access
                unchanged: audience-mapper api-service audience on scope api-access
                unchanged: client-scope-assignment api-access -> myapp (default)

                """)

        let scope = try #require(try fixture.clientScope("api-access"))
        let mappers = scope["protocolMappers"]?.arrayValue ?? []
        #expect(mappers.count == 1)
        #expect(mappers.first?["config"]?["included.client.audience"]?.stringValue == "api-service")
        #expect(try fixture.assignedScopes("myapp", "default").contains("api-access"))
    }

    @Test func audienceRemoveReadsTheContainerOnce() throws {
        let fixture = try RealmFixture(keycloak, prefix: "count")
        try fixture.confidentialClient("myapp")
        try fixture.confidentialClient("api-service")
        try fixture.inRealm(audienceAdd)
        let remove = ["audience", "remove", "--audience", "api-service", "--scope", "api-access"]

        // The scope list (mappers inline), then the DELETE: no separate read of the mappers.
        let first = try requests(fixture, remove)
        #expect(first.result.status == 0, "\(first.result)")
        #expect(first.count == 2, "\(first.result)")
        #expect(first.result.stderr == "deleted: audience-mapper api-service audience on scope api-access\n")
        let again = try requests(fixture, remove)
        #expect(again.count == 1, "\(again.result)")
        #expect(again.result.stderr == "unchanged: audience-mapper api-service on scope api-access\n    not present\n")
        #expect(try fixture.clientScope("api-access")?["protocolMappers"]?.arrayValue?.isEmpty ?? true)
    }

    @Test func tokenExchangeAllowReadsEachObjectOnce() throws {
        let fixture = try RealmFixture(keycloak, prefix: "count")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        let allow = ["token-exchange", "allow", "--from", "service-a", "--to", "service-b"]

        // GET both clients and serverinfo, PUT the switch, GET client-scopes, POST the scope, POST its
        // mapper, PUT the assignment; then, as the switch changed, one read of the realm for the
        // other targets the switch opens (realm, serverinfo, clients with their scope names,
        // client-scopes, the realm's default scopes, events, client profiles and policies).
        let first = try requests(fixture, allow)
        #expect(first.result.status == 0, "\(first.result)")
        #expect(first.count == 8 + 8, "\(first.result)")
        #expect(
            outcomes(first.result) == [
                "updated: standard-token-exchange service-a", "created: client-scope service-b-audience",
                "created: audience-mapper service-b audience on scope service-b-audience",
                "created: client-scope-assignment service-b-audience -> service-a (default)",
            ])

        // Nothing to change: the two clients, serverinfo (for auto) and the scope list (6 before).
        let again = try requests(fixture, allow)
        #expect(again.result.status == 0, "\(again.result)")
        #expect(again.count == 4, "\(again.result)")
        #expect(
            again.result.stderr == """
                unchanged: standard-token-exchange service-a
                unchanged: audience service-b in tokens of service-a
                    via default scope service-b-audience

                """)
        #expect(try fixture.assignedScopes("service-a", "default").contains("service-b-audience"))
        #expect(try fixture.client("service-a")["attributes"]?["standard.token.exchange.enabled"]?.stringValue == "true")
    }

    @Test func clientScopeAssignAndUnassignReadEachObjectOnce() throws {
        let fixture = try RealmFixture(keycloak, prefix: "count")
        try fixture.confidentialClient("myapp")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let assign = ["client-scope", "assign", "api-access", "--client", "myapp", "--optional"]
        // GET myapp (its lists by name), GET client-scopes, PUT.
        let first = try requests(fixture, assign)
        #expect(first.count == 3, "\(first.result)")
        #expect(first.result.stderr == "created: client-scope-assignment api-access -> myapp (optional)\n")
        let again = try requests(fixture, assign)
        #expect(again.count == 2, "\(again.result)")
        #expect(again.result.stderr == "unchanged: client-scope-assignment api-access -> myapp (optional)\n")
        let unassign = ["client-scope", "unassign", "api-access", "--client", "myapp"]
        let removed = try requests(fixture, unassign)
        #expect(removed.count == 3, "\(removed.result)")
        #expect(removed.result.stderr == "deleted: client-scope-assignment api-access -> myapp (optional)\n")
        #expect(try fixture.assignedScopes("myapp", "optional").contains("api-access") == false)

        // Delete without --yes: the scope list and the client list (does a client hold it?), then
        // the DELETE; the delete itself does not list the scopes again.
        let delete = try requests(fixture, ["client-scope", "delete", "api-access"])
        #expect(delete.result.status == 0, "\(delete.result)")
        #expect(delete.count == 3, "\(delete.result)")
        #expect(delete.result.stderr == "deleted: client-scope api-access\n")
        #expect(try fixture.clientScope("api-access") == nil)
    }

    @Test func enableReadsTheClientAndTheExecutorRereadsItBeforeThePut() throws {
        let fixture = try RealmFixture(keycloak, prefix: "count")
        try fixture.confidentialClient("service-a")
        let enable = ["token-exchange", "enable", "--client", "service-a"]
        // GET the client, then the executor's GET of the client as it is now and the PUT.
        let first = try requests(fixture, enable)
        #expect(first.count == 3, "\(first.result)")
        let again = try requests(fixture, enable)
        #expect(again.count == 1, "\(again.result)")
        #expect(again.result.stderr == "unchanged: standard-token-exchange service-a\n")
    }
}
