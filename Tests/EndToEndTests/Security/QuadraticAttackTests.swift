// The 'quadratic' boundary: input sizes that made kcx quadratic (or overflow its stack) in paths an
// attacker can reach with a large file or a long argument. No timing here: the tests check the full,
// exact result at the size that used to take minutes or crash; the before/after times are in the
// commit messages.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct QuadraticAttackTests {
    let keycloak = TestKeycloak.shared

    /// 16,000 scopes in one file: the text plan (grouped by object) is rendered in one pass and in full.
    @Test func aSixteenThousandScopePlanRendersInFull() throws {
        let fixture = try RealmFixture(keycloak, prefix: "quad")
        let count = 16_000
        let names = (0..<count).map { "bulk-\($0)" }
        let file: JSON = [
            "realms": [["realm": .string(fixture.realm), "clientScopes": .array(names.map { ["name": .string($0)] })]]
        ]
        let path = fixture.env.home.appendingPathComponent("bulk.json").path
        try Data(file.serialized().utf8).write(to: URL(fileURLWithPath: path))
        let plan = try fixture.kcx(["plan", "-f", path, "--detailed-exitcode"])
        #expect(plan.status == 8, "\(plan.stderr)")
        var expected = "realm \(fixture.realm):\n"
        for name in names {
            expected += """
                  client-scope \(name)
                    + client-scope \(name)
                        name: (none) -> "\(name)"
                        protocol: (none) -> "openid-connect"
                        attributes.include.in.token.scope: (none) -> "true"
                        attributes.display.on.consent.screen: (none) -> "false"

                """
        }
        expected += "Plan: \(count) to create, 0 to update, 0 to delete.\n"
        #expect(plan.stdout == expected)
        #expect(plan.stderr == "3 HTTP requests\n")
    }

    /// A realm already holding 4,000 scopes (imported in one request), all declared by the file: each
    /// live scope is found by name through an index, not a scan per declared scope.
    @Test func aPlanAgainstThousandsOfLiveScopesFindsEachByName() throws {
        let count = 4_000
        let realm = "quad-live-\(UUID().uuidString.prefix(8).lowercased())"
        let scopes: [JSON] = (0..<count).map {
            [
                "name": .string("live-\($0)"), "protocol": "openid-connect",
                "attributes": ["include.in.token.scope": "true", "display.on.consent.screen": "false"],
            ]
        }
        let imported = try keycloak.adminSend(
            "POST", "", json: ["realm": .string(realm), "enabled": true, "clientScopes": .array(scopes)])
        #expect(imported.status == 201, "\(imported.status) \(imported.text)")
        let env = try KcxEnvironment()
        try env.login(keycloak)
        func file(lastDescription: String?) -> JSON {
            let declared: [JSON] = (0..<count).map { index in
                var scope: JSON = ["name": .string("live-\(index)")]
                if index == count - 1, let lastDescription { scope["description"] = .string(lastDescription) }
                return scope
            }
            return ["realms": [["realm": .string(realm), "clientScopes": .array(declared)]]]
        }
        let path = env.home.appendingPathComponent("live.json").path
        try Data(file(lastDescription: nil).serialized().utf8).write(to: URL(fileURLWithPath: path))
        let plan = try env.kcx(["plan", "-f", path, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout == "realm \(realm):\n  no changes\nNo changes.\n")
        // The last one changed is found among them all.
        try Data(file(lastDescription: "new").serialized().utf8).write(to: URL(fileURLWithPath: path))
        let drift = try env.kcx(["plan", "-f", path, "--detailed-exitcode"])
        #expect(drift.status == 8, "\(drift.stderr)")
        #expect(
            drift.stdout == """
                realm \(realm):
                  client-scope live-\(count - 1)
                    ~ client-scope live-\(count - 1)
                        description: (none) -> "new"
                Plan: 0 to create, 1 to update, 0 to delete.

                """)
    }

    /// One scope with 4,000 audience mappers: created in one request, then planned against the realm
    /// holding them (each live mapper matched through an index), and pruned by exactly the one dropped.
    @Test func aScopeWithThousandsOfMappersPlansAndPrunesExactly() throws {
        let fixture = try RealmFixture(keycloak, prefix: "quad")
        let count = 4_000
        func file(_ indices: [Int]) -> JSON {
            [
                "realms": [
                    [
                        "realm": .string(fixture.realm),
                        "clientScopes": [
                            [
                                "name": "wide",
                                "audienceMappers": .array(indices.map { ["customAudience": .string("urn:wide-\($0)")] }),
                            ]
                        ],
                    ]
                ]
            ]
        }
        let path = fixture.env.home.appendingPathComponent("wide.json").path
        try Data(file(Array(0..<count)).serialized().utf8).write(to: URL(fileURLWithPath: path))
        let apply = try fixture.kcx(["apply", "-f", path, "--auto-approve"])
        #expect(apply.status == 0, "\(apply.stderr.suffix(500))")
        #expect(
            apply.stderr.hasSuffix("Apply complete: \(count + 1) created, 0 updated, 0 deleted; 4 HTTP requests\n"),
            "\(apply.stderr.suffix(300))")
        let again = try fixture.kcx(["plan", "-f", path, "--detailed-exitcode", "--prune"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "realm \(fixture.realm):\n  no changes\nNo changes.\n")
        // Declared in reverse, without the first: only that one goes.
        try Data(file(Array((1..<count).reversed())).serialized().utf8).write(to: URL(fileURLWithPath: path))
        let prune = try fixture.kcx(["plan", "-f", path, "--detailed-exitcode", "--prune"])
        #expect(prune.status == 8, "\(prune.stderr)")
        #expect(
            prune.stdout == """
                realm \(fixture.realm):
                  client-scope wide
                    - audience-mapper urn:wide-0 audience on scope wide
                        on a kcx-created scope, no longer in the file
                Plan: 0 to create, 0 to update, 1 to delete.

                """)
    }

    /// A key path 8,000 levels deep used to take seconds and then overflow kcx's stack; it is refused
    /// before any request, quoting only its start.
    @Test func aKeyPathDeeperThanKcxReadsIsAUsageErrorBeforeAnyRequest() throws {
        let fixture = try RealmFixture(keycloak, prefix: "quad")
        let before = try fixture.clientScopeNames()
        let deep = Array(repeating: "a", count: 8_000).joined(separator: ".")
        let start = String(deep.prefix(40)) + "..."
        let set = try fixture.kcx(["create", "client-scopes", "-r", fixture.realm, "-s", "name=deep", "-s", deep + "=1"])
        #expect(set.status == 2)
        #expect(set.stdout == "")
        #expect(
            set.stderr == """
                error: invalid -s '\(start)': the key path is deeper than 512 levels, the most kcx reads or writes
                hint: use NAME=VALUE (or NAME:=JSON to insist on JSON)

                """)
        let delete = try fixture.kcx(["create", "client-scopes", "-r", fixture.realm, "-b", #"{"name":"deep"}"#, "-d", deep])
        #expect(delete.status == 2)
        #expect(
            delete.stderr
                == "error: invalid -d '\(start)': the key path is deeper than 512 levels, the most kcx reads or writes\n")
        #expect(try fixture.clientScopeNames() == before)
    }
}
