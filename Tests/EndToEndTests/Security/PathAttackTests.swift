// Paths: ids and names from the server, and ENDPOINTs from the user, never leave the realm they
// name. Each attack is set up by a delegated admin of one realm aiming at another realm.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct PathAttackTests {
    /// A realm the attacker aims at, and its state before the attack.
    struct Victim {
        let name: String
        let before: JSON
        init(_ keycloak: TestKeycloak) throws {
            name = try keycloak.createRealm("victim")
            before = try realmState(keycloak, name)
        }
        func unchanged(_ keycloak: TestKeycloak, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try realmState(keycloak, name) == before, "realm \(name) changed", sourceLocation: sourceLocation)
        }
    }

    @Test func aScopeIdThatClimbsOutOfTheRealmDeletesOnlyThatScope() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let victim = try Victim(.shared)
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        try attacker.clientScope(id: "../../\(victim.name)", name: "evil")

        let result = try fixture.kcx(["client-scope", "delete", "evil", "-r", fixture.realm, "-v"])
        #expect(result.status == 0, "\(result)")
        #expect(
            result.stderr.contains(
                "> DELETE \(fixture.keycloak.baseURL)/admin/realms/\(fixture.realm)/client-scopes/..%2F..%2F\(victim.name)\n"))
        #expect(outcomes(result) == ["deleted: client-scope evil"])
        #expect(try fixture.clientScope("evil") == nil)
        try victim.unchanged(.shared)
    }

    @Test func aMapperIdThatClimbsOutOfTheRealmRemovesOnlyThatMapper() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let victim = try Victim(.shared)
        try fixture.confidentialClient("api")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        let scopeID = try #require(try fixture.clientScope("api-access")?["id"]?.stringValue)
        let created = try attacker.send(
            "POST", "client-scopes/\(scopeID)/protocol-mappers/models",
            json: [
                "id": .string("../../../../../\(victim.name)"), "name": "api audience", "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": ["included.client.audience": "api", "access.token.claim": "true"],
            ])
        #expect(created.status == 201, "\(created.text)")

        let result = try fixture.kcx(["audience", "remove", "--audience", "api", "--scope", "api-access", "-r", fixture.realm])
        #expect(result.status == 0, "\(result)")
        #expect(outcomes(result) == ["deleted: audience-mapper api audience on scope api-access"])
        #expect(try fixture.clientScope("api-access")?["protocolMappers"]?.arrayValue?.isEmpty ?? true)
        try victim.unchanged(.shared)
    }

    @Test func applyUpdatesAScopeWhoseIdClimbsWithoutLeavingTheRealm() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let victim = try Victim(.shared)
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        try attacker.clientScope(id: "../../\(victim.name)", name: "shared", extra: [("description", "old")])
        let file = fixture.env.home.appendingPathComponent("realm.yaml")
        try Data("realms:\n  - realm: \(fixture.realm)\n    clientScopes:\n      - name: shared\n        description: new\n".utf8)
            .write(to: file)

        let result = try fixture.kcx(["apply", "-f", file.path, "--auto-approve"])
        #expect(result.status == 0, "\(result)")
        #expect(try fixture.clientScope("shared")?["description"]?.stringValue == "new")
        try victim.unchanged(.shared)
    }

    @Test func anIdThatIsADotSegmentIsRefusedAndNothingIsSent() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        try attacker.clientScope(id: "..", name: "dots")
        let before = try fixture.snapshot()

        let result = try fixture.kcx(["client-scope", "delete", "dots", "-r", fixture.realm])
        #expect(result.status == 1, "\(result)")
        #expect(
            result.stderr
                == "error: the id or name '..' cannot be used in a URL path (it would name another path), so nothing was sent\n"
                + "hint: an id or name like this one comes from the server or the command line, not from Keycloak itself: check who created it\n"
        )
        #expect(try fixture.snapshot() == before)
    }

    @Test(arguments: [
        "clients/../../VICTIM", "clients/%2e%2E/%2E%2e/VICTIM", "./clients", "clients/..", "clients/..%2F..%2FVICTIM",
        "clients/..\\..\\VICTIM", "realms/x/../VICTIM",
    ])
    func anEndpointWithDotSegmentsIsAUsageError(endpoint: String) throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let victim = try Victim(.shared)
        let typed = endpoint.replacingOccurrences(of: "VICTIM", with: victim.name)
        for verb in ["get", "delete", "update", "create"] {
            var arguments = [verb, typed, "-r", fixture.realm]
            if verb == "update" || verb == "create" { arguments += ["-s", "enabled=false"] }
            let result = try fixture.kcx(arguments)
            #expect(result.status == 2, "\(verb) \(typed): \(result)")
            #expect(result.stderr.hasPrefix("error: ENDPOINT '\(typed)' has a '"), "\(result)")
            #expect(result.stderr.contains("segment: a path may not climb out of its realm\n"))
        }
        try victim.unchanged(.shared)
    }

    @Test func anAbsoluteURLOnAnotherServerNeedsAllowOtherHost() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let other = try RecordingServer(json: "[]")
        defer { other.stop() }
        let url = "\(other.baseURL)/admin/realms/\(fixture.realm)/clients"

        let refused = try fixture.kcx(["get", url])
        #expect(refused.status == 2)
        #expect(
            refused.stderr
                == "error: ENDPOINT '\(url)' is not on the session's server \(fixture.keycloak.baseURL): it would receive your bearer token\n"
                + "hint: use a path relative to the realm (e.g. 'clients'), or add --allow-other-host if you mean to send it there\n"
        )
        #expect(other.requests.isEmpty)

        let sameServer = try fixture.kcx([
            "get", "\(fixture.keycloak.baseURL)/admin/realms/\(fixture.realm)/clients", "--fields", "clientId",
        ])
        #expect(sameServer.status == 0, "\(sameServer)")

        let allowed = try fixture.kcx(["get", url, "--allow-other-host"])
        #expect(allowed.status == 0, "\(allowed)")
        #expect(other.requests.map { "\($0.method) \($0.target)" } == ["GET /admin/realms/\(fixture.realm)/clients"])
    }

    @Test func aTargetRealmThatIsADotSegmentIsAUsageError() throws {
        let fixture = try RealmFixture(.shared, prefix: "path")
        let result = try fixture.kcx(["get", "clients", "-r", ".."])
        #expect(result.status == 2)
        #expect(result.stderr == "error: invalid --target-realm '..': not a realm name\n")
    }
}
