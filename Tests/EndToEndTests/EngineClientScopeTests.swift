// `kcx client-scope ensure` runs through the engine apply uses: settings not given are left as they
// are, the realm-list placement is a planned move, and a dry run lists the executor's requests.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct EngineClientScopeTests {
    let keycloak = TestKeycloak.shared

    func realmList(_ fixture: RealmFixture, _ list: String) throws -> [String] {
        let members = try fixture.keycloak.adminGet("\(fixture.realm)/default-\(list)-client-scopes").json?.arrayValue ?? []
        return members.compactMap { $0["name"]?.stringValue }
    }

    @Test func ensurePlacesInTheRealmListsAndLeavesWhatIsNotGiven() throws {
        let fixture = try RealmFixture(keycloak, prefix: "engcs")
        let ensure = [
            "client-scope", "ensure", "partner", "--description", "Partner APIs", "--consent-text", "Partner data",
            "--realm-default", "optional",
        ]

        let before = try fixture.snapshot()
        let dry = try fixture.inRealm(ensure + ["--dry-run", "-o", "json"])
        #expect(
            (dry.json?["requests"]?.arrayValue ?? []).map {
                "\($0["method"]?.stringValue ?? "") \($0["endpoint"]?.stringValue ?? "")"
            } == [
                "POST client-scopes", "PUT default-optional-client-scopes/<new client-scope partner>",
            ], "\(dry)")
        #expect(try fixture.snapshot() == before)

        let made = try fixture.inRealm(ensure)
        #expect(
            outcomes(made) == ["created: client-scope partner", "created: realm-default-scope partner (realm optional)"],
            "\(made)")
        let scope = try #require(try fixture.clientScope("partner"))
        #expect(scope["description"] == "Partner APIs")
        #expect(scope["attributes"]?["consent.screen.text"] == "Partner data")
        #expect(scope["attributes"]?["display.on.consent.screen"] == "true")
        #expect(scope["attributes"]?["kcx.managed"] == nil, "\(scope)")
        #expect(try realmList(fixture, "optional").contains("partner"))

        // Only --realm-default given: the description and consent text stay; the scope moves lists.
        let moved = try fixture.inRealm(["client-scope", "ensure", "partner", "--realm-default", "default"])
        #expect(
            moved.stderr == """
                unchanged: client-scope partner
                updated: realm-default-scope partner (realm default)
                    realm list: optional -> default

                """)
        #expect(try realmList(fixture, "default").contains("partner"))
        #expect(try !realmList(fixture, "optional").contains("partner"))
        #expect(try fixture.clientScope("partner")?["description"] == "Partner APIs")

        let again = try fixture.inRealm([
            "client-scope", "ensure", "partner", "--description", "Partner APIs", "--realm-default", "default",
        ])
        #expect(again.stderr == "unchanged: client-scope partner\nunchanged: realm-default-scope partner (realm default)\n")
    }
}
