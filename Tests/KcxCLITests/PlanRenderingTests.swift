// The text plan at scale: 16,000 scopes whose changes are not adjacent render grouped, in order of
// first appearance, each change once (the rendering is one pass; it used to scan per group).
@testable import KcxCLI
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite struct PlanRenderingTests {
    func change(_ operation: PlanChange.Operation, _ kind: String, _ scope: String, details: [String] = []) -> PlanChange {
        PlanChange(
            operation: operation, kind: kind, name: scope, group: "client-scope \(scope)", details: details,
            action: .deleteScope(name: scope, id: scope))
    }

    @Test func sixteenThousandScopesRenderGroupedInOrder() {
        let count = 16_000
        let names = (0..<count).map { "scope-\($0)" }
        // Every scope's second change comes after all first changes: no group's changes are adjacent.
        let changes =
            names.map { change(.create, "client-scope", $0, details: ["name: (none) -> \"\($0)\""]) }
            + names.map { change(.update, "realm-default-scope", $0) }
        var expected = "realm big:\n"
        for name in names {
            expected +=
                "  client-scope \(name)\n    + client-scope \(name)\n        name: (none) -> \"\(name)\"\n    ~ realm-default-scope \(name)\n"
        }
        expected += "Plan: \(count) to create, \(count) to update, 0 to delete.\n"
        #expect(DeclarativeCommands.renderText([RealmPlan(realm: "big", changes: changes)], colour: false) == expected)
    }

    @Test func emptyAndSeveralRealms() {
        let plans = [RealmPlan(realm: "a", changes: []), RealmPlan(realm: "b", changes: [change(.delete, "client-scope", "x")])]
        #expect(
            DeclarativeCommands.renderText(plans, colour: false) == """
                realm a:
                  no changes
                realm b:
                  client-scope x
                    - client-scope x
                Plan: 0 to create, 0 to update, 1 to delete.

                """)
    }
}
