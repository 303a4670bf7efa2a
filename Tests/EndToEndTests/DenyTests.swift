// `kcx token-exchange deny` means its outcome: after it, the exchange is refused by Keycloak, or kcx
// names each remaining path with the command that removes it and exits 7.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct DenyTests {
    /// service-a's exchange for service-b with a fresh service-a token; the exit status and output.
    static func exchange(_ fixture: RealmFixture, _ secrets: [String: String]) throws -> ProcessResult {
        let subject = try fixture.inRealm(["token", "get", "--client", "service-a", "--secret-file", secrets["service-a"]!])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return try fixture.kcx([
            "token", "exchange", "--client", "service-a", "--secret-file", secrets["service-a"]!, "--subject-token", subject,
            "--audience", "service-b", "--requested-token-type", "access_token", "-r", fixture.realm,
        ])
    }

    /// Two confidential services, b's audience nowhere yet.
    static func services(_ keycloak: TestKeycloak, prefix: String) throws -> (RealmFixture, [String: String]) {
        let fixture = try RealmFixture(keycloak, prefix: prefix)
        var secrets: [String: String] = [:]
        for service in ["service-a", "service-b"] { secrets[service] = try fixture.confidentialClient(service) }
        return (fixture, secrets)
    }

    @Test(.enabled(if: onSandbox, "needs a server with both mechanisms (token-exchange,admin-fine-grained-authz:v1)"))
    func denyInAutoModeRemovesALegacyGrantOnAServerWithBothMechanisms() throws {
        let (fixture, secrets) = try Self.services(try #require(TestKeycloak.legacy), prefix: "deny1")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "legacy"])
        #expect(try Self.exchange(fixture, secrets).status == 0, "the legacy grant works")

        let deny = try fixture.kcx(["token-exchange", "deny", "--from", "service-a", "--to", "service-b", "-r", fixture.realm])
        #expect(deny.status == 0, "\(deny)")
        #expect(
            outcomes(deny).contains("deleted: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)"), "\(deny)")
        let refused = try Self.exchange(fixture, secrets)
        #expect(refused.status != 0, "the exchange still succeeded after deny: \(refused)")

        let again = try fixture.kcx(["token-exchange", "deny", "--from", "service-a", "--to", "service-b", "-r", fixture.realm])
        #expect(again.status == 0)
        #expect(outcomes(again).allSatisfy { $0.hasPrefix("unchanged:") }, "\(again)")
    }

    @Test func denyNamesASharedScopeThatStillGivesTheAudienceAndExits7() throws {
        let (fixture, secrets) = try Self.services(.shared, prefix: "deny2")
        try fixture.inRealm(["client-scope", "ensure", "shared"])
        try fixture.inRealm(["audience", "add", "--audience", "service-b", "--scope", "shared"])
        try fixture.inRealm(["client-scope", "assign", "shared", "--client", "service-a", "--default"])
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard"])
        #expect(try Self.exchange(fixture, secrets).status == 0)

        let unassign = "kcx client-scope unassign shared --client service-a -r \(fixture.realm)"
        let dry = try fixture.kcx([
            "token-exchange", "deny", "--from", "service-a", "--to", "service-b", "--mode", "standard", "--dry-run", "-r",
            fixture.realm,
        ])
        #expect(dry.status == 7, "\(dry)")
        #expect(
            dry.stderr.contains(
                "error: service-a can still exchange tokens for service-b after this change:\n  standard, via default scope shared: remove with \(unassign)\n"
            ), "\(dry)")

        let deny = try fixture.kcx([
            "token-exchange", "deny", "--from", "service-a", "--to", "service-b", "--mode", "standard", "-r", fixture.realm,
        ])
        #expect(deny.status == 7, "\(deny)")
        #expect(
            deny.stderr.contains(
                "error: service-a can still exchange tokens for service-b:\n  standard, via default scope shared: remove with \(unassign)\n"
            ), "\(deny)")
        #expect(
            deny.stderr.contains(
                "hint: run the commands above (or turn standard exchange off for service-a: kcx token-exchange disable --client service-a -r \(fixture.realm)), then deny again\n"
            ))
        #expect(
            try fixture.assignedScopes("service-a", "default").contains("service-b-audience") == false, "kcx's own grant is gone")
        #expect(try Self.exchange(fixture, secrets).status == 0, "as deny said, the shared scope still allows it")

        let json = try fixture.kcx([
            "token-exchange", "deny", "--from", "service-a", "--to", "service-b", "--output", "json", "-r", fixture.realm,
        ])
        #expect(json.status == 7)
        #expect(
            json.json?["remainingPaths"] == [
                ["mechanism": "standard", "via": "default scope shared", "remove": .string(unassign), "kcx": false]
            ])

        // Following the named command, deny succeeds and Keycloak refuses the exchange.
        let parts = unassign.split(separator: " ").dropFirst().map(String.init)
        try fixture.ok(parts)
        let last = try fixture.kcx(["token-exchange", "deny", "--from", "service-a", "--to", "service-b", "-r", fixture.realm])
        #expect(last.status == 0, "\(last)")
        let refused = try Self.exchange(fixture, secrets)
        #expect(refused.status != 0, "\(refused)")
    }

    @Test(.enabled(if: onSandbox, "needs a server with both mechanisms (token-exchange,admin-fine-grained-authz:v1)"))
    func denyNamesAPolicyKcxDoesNotOwn() throws {
        let (fixture, secrets) = try Self.services(try #require(TestKeycloak.legacy), prefix: "deny3")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "legacy"])
        // Another admin's policy on the same permission, listing service-a too.
        let management = try fixture.client("realm-management")["id"]!.stringValue!
        let serviceA = try fixture.client("service-a")["id"]!.stringValue!
        let serviceB = try fixture.client("service-b")["id"]!.stringValue!
        let base = "\(fixture.realm)/clients/\(management)/authz/resource-server"
        let created = try fixture.keycloak.adminSend(
            "POST", "\(base)/policy/client", json: ["name": "hand-made", "clients": [.string(serviceA)], "logic": "POSITIVE"])
        #expect(created.status == 201, "\(created.text)")
        let policyID = try #require(created.json?["id"]?.stringValue)
        let permissions = try #require(
            fixture.keycloak.adminGet("\(fixture.realm)/clients/\(serviceB)/management/permissions").json)
        let permissionID = try #require(permissions["scopePermissions"]?["token-exchange"]?.stringValue)
        var permission = try #require(fixture.keycloak.adminGet("\(base)/permission/scope/\(permissionID)").json)
        permission["policies"] = [.string(policyID), "kcx-token-exchange-service-b"]
        permission["decisionStrategy"] = "AFFIRMATIVE"
        let updated = try fixture.keycloak.adminSend("PUT", "\(base)/permission/scope/\(permissionID)", json: permission)
        #expect(updated.status == 201 || updated.status == 204, "\(updated.text)")

        let deny = try fixture.kcx([
            "token-exchange", "deny", "--from", "service-a", "--to", "service-b", "--mode", "legacy", "-r", fixture.realm,
        ])
        #expect(deny.status == 7, "\(deny)")
        #expect(
            deny.stderr.contains(
                "  legacy, via client policy hand-made: remove with kcx delete clients/\(management)/authz/resource-server/policy/\(policyID) -r \(fixture.realm)\n"
            ), "\(deny)")
        #expect(try Self.exchange(fixture, secrets).status == 0, "as deny said, the other policy still permits it")
    }
}
