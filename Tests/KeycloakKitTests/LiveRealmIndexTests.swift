// LiveRealm finds scopes by name and clients by clientId through an index (a plan looks each up once
// per object of the file): the first of duplicates wins, as the scan did, and the index follows edits.
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite struct LiveRealmIndexTests {
    @Test func lookupsFindTheFirstMatchAndFollowEdits() {
        var live = LiveRealm(
            clientScopes: [["id": "1", "name": "a"], ["id": "2", "name": "b"], ["id": "3", "name": "a"], ["id": "4"]],
            clients: [["id": "c1", "clientId": "app"], ["id": "c2", "clientId": "app"]],
            realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        #expect(live.scope(named: "a")?["id"] == "1")
        #expect(live.scope(named: "b")?["id"] == "2")
        #expect(live.scope(named: "c") == nil)
        #expect(live.client("app")?["id"] == "c1")
        live.clientScopes.removeFirst()
        live.clients.append(["id": "c3", "clientId": "new"])
        #expect(live.scope(named: "a")?["id"] == "3")
        #expect(live.scope(named: "b")?["id"] == "2")
        #expect(live.client("new")?["id"] == "c3")
    }

    /// 16,000 live scopes all declared by the file: no changes, each found by its own name.
    @Test func sixteenThousandLiveScopesMatchTheirDeclarations() {
        let count = 16_000
        let live = LiveRealm(
            clientScopes: (0..<count).map { ["id": .string("id-\($0)"), "name": .string("s-\($0)"), "protocol": "openid-connect",
                                             "description": .string("d-\($0)"), "attributes": ["include.in.token.scope": "true"]] },
            clients: [], realmDefaultScopeIDs: (0..<count).map { "id-\($0)" }, realmOptionalScopeIDs: [])
        let desired = DesiredRealm(realm: "r", clientScopes: (0..<count).map {
            DesiredClientScope(name: "s-\($0)", description: "d-\($0)", protocol_: "openid-connect", includeInTokenScope: true,
                               realmDefault: .default, audienceMappers: [])
        })
        #expect(Planner.diff(desired, live, prune: true).changes == [])
        var changed = desired
        changed.clientScopes[count - 1].description = "new"
        #expect(Planner.diff(changed, live, prune: false).changes.map(\.details) == [[#"description: "d-15999" -> "new""#]])
    }
}
