// The troubleshooting guides' cases with the real binary: every `audience check` diagnosis, and
// the token-exchange refusals users meet, each with the hint that names the fix.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct AudienceCheckTests {
    /// webapp (public) with user alice; api-service exists; the scope under test is api-access.
    static func setUp(_ prefix: String) throws -> RealmFixture {
        let fixture = try RealmFixture(.shared, prefix: prefix)
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api-service")
        try fixture.user("alice")
        return fixture
    }

    func check(_ fixture: RealmFixture, scope: String? = nil) throws -> ProcessResult {
        var arguments = [
            "audience", "check", "--client", "webapp", "--audience", "api-service", "--user", "alice", "-r", fixture.realm,
        ]
        if let scope { arguments += ["--scope", scope] }
        return try fixture.kcx(arguments)
    }

    func causes(_ fixture: RealmFixture, scope: String? = nil) throws -> [String] {
        var arguments = [
            "audience", "check", "--client", "webapp", "--audience", "api-service", "--user", "alice", "-r", fixture.realm,
            "--output", "json",
        ]
        if let scope { arguments += ["--scope", scope] }
        let result = try fixture.kcx(arguments)
        #expect(result.status == 7, "\(result)")
        return result.json?["diagnoses"]?.arrayValue?.compactMap { $0["cause"]?.stringValue } ?? []
    }

    @Test func presentAudienceExitsZeroAndPrintsAud() throws {
        let fixture = try Self.setUp("chk-ok")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "webapp",
            "--default",
        ])
        let result = try check(fixture)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("aud: "))
        #expect(result.stdout.split(separator: "\n")[0].split(separator: " ").contains("api-service"))
    }

    @Test func noMapperProducesIt() throws {
        let fixture = try Self.setUp("chk-none")
        #expect(try causes(fixture) == ["no-mapper"])
        let text = try check(fixture)
        #expect(text.stderr.contains("cause: no audience mapper in realm '\(fixture.realm)' produces 'api-service'"))
        #expect(
            text.stderr.contains(
                "fix: kcx audience add --audience api-service --scope api-service-audience --create-scope --assign webapp --default"
            ))
    }

    @Test func accessTokenSwitchIsOff() throws {
        let fixture = try Self.setUp("chk-off")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "webapp",
            "--default", "--no-access-token",
        ])
        #expect(try causes(fixture) == ["access-token-off"])
    }

    @Test func mapperNamesAnotherClient() throws {
        let fixture = try Self.setUp("chk-typo")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "webapp", "--default"])
        // A typo Keycloak accepts silently (kcx's own audience add would refuse it).
        let scopeID = try #require(try fixture.clientScope("api-access")?["id"]?.stringValue)
        try fixture.inRealm([
            "create", "client-scopes/\(scopeID)/protocol-mappers/models", "-b",
            #"{"name":"typo","protocol":"openid-connect","protocolMapper":"oidc-audience-mapper","config":{"included.client.audience":"api-servce","access.token.claim":"true"}}"#,
        ])
        // The precise cause first; a new mapper is an alternative to fixing this one, not a second cause.
        #expect(try causes(fixture) == ["mapper-names-other-client"])
        let r = fixture.realm
        let text = try check(fixture).stderr
        #expect(
            text.hasSuffix(
                """
                cause: mapper 'typo' on scope api-access names client 'api-servce', which does not exist (Keycloak still puts 'api-servce' into aud as written), not 'api-service'
                  fix: kcx audience add --audience api-service --scope api-access --mapper-name typo -r \(r)
                  or:  kcx audience add --audience api-service --scope api-service-audience --create-scope --assign webapp --default -r \(r)
                       (instead, a new mapper in a dedicated scope (no audience mapper in realm '\(r)' produces 'api-service'))

                """), "\(text)")
    }

    @Test func scopeIsNotAssigned() throws {
        let fixture = try Self.setUp("chk-unassigned")
        try fixture.inRealm(["audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope"])
        #expect(try causes(fixture) == ["scope-not-assigned"])
    }

    @Test func optionalScopeWasNotRequested() throws {
        let fixture = try Self.setUp("chk-optional")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "webapp",
            "--optional",
        ])
        #expect(try causes(fixture) == ["optional-scope-not-requested"])
        // The fix keeps --user (pasting it must work) and the default-scope way is an alternative.
        let r = fixture.realm
        let optionalText = try check(fixture).stderr
        #expect(
            optionalText.hasSuffix(
                """
                  fix: kcx audience check --client webapp --audience api-service --user alice --scope api-access -r \(r)
                  or:  kcx client-scope assign api-access --client webapp --default -r \(r)
                       (make it a default scope, so every token of 'webapp' carries it without asking)

                """), "\(optionalText)")
        #expect(try check(fixture, scope: "api-access").status == 0, "requesting the optional scope brings the audience")
    }

    @Test func roleBehindAudienceResolveIsNotInScope() throws {
        let fixture = try Self.setUp("chk-role")
        let api = try fixture.client("api-service")["id"]!.stringValue!
        let webapp = try fixture.client("webapp")["id"]!.stringValue!
        try fixture.inRealm(["create", "clients/\(api)/roles", "-s", "name=reader"])
        let alice = try #require(
            try fixture.keycloak.adminGet("\(fixture.realm)/users?username=alice&exact=true").json?[0]?["id"]?.stringValue)
        let role = try #require(try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(api)/roles/reader").json)
        try fixture.inRealm(["create", "users/\(alice)/role-mappings/clients/\(api)", "-b", JSON.array([role]).serialized()])
        // With full scope, audience resolve puts api-service in aud; without it, it cannot.
        #expect(try check(fixture).status == 0)
        try fixture.inRealm(["update", "clients/\(webapp)", "-m", "-s", "fullScopeAllowed:=false"])
        #expect(try causes(fixture) == ["role-not-in-scope"])
        let text = try check(fixture).stderr
        #expect(
            text.contains(
                "  fix: kcx create clients/\(webapp)/scope-mappings/clients/\(api) -b '[{\"id\":\"\(role["id"]!.stringValue!)\",\"name\":\"reader\"}]' -r \(fixture.realm)\n"
            ), "\(text)")
        #expect(
            text.contains(
                "  or:  kcx audience add --audience api-service --scope api-service-audience --create-scope --assign webapp --default -r \(fixture.realm)\n"
            ), "\(text)")
    }
}

@Suite(.serialized) struct ExchangeRefusalTests {
    static func setUp(_ prefix: String) throws -> (RealmFixture, a: String, b: String) {
        let fixture = try RealmFixture(.shared, prefix: prefix)
        let a = try fixture.confidentialClient("service-a")
        let b = try fixture.confidentialClient("service-b")
        try fixture.confidentialClient("service-c")
        return (fixture, a, b)
    }

    func ownToken(_ fixture: RealmFixture, _ client: String, _ secret: String) throws -> String {
        try fixture.inRealm(["token", "get", "--client", client, "--secret-file", secret]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    @Test func standardExchangeNotEnabled() throws {
        let (fixture, a, _) = try Self.setUp("ref-off")
        let token = try ownToken(fixture, "service-a", a)
        let result = try fixture.kcx([
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", token, "--audience", "service-b",
            "-r", fixture.realm,
        ])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("400 Standard token exchange is not enabled for the requested client (invalid_request)"))
        #expect(result.stderr.contains("hint: allow it: kcx token-exchange allow --from service-a --to service-b"))
    }

    @Test func requestedAudienceNotAvailable() throws {
        let (fixture, a, _) = try Self.setUp("ref-aud")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        let token = try ownToken(fixture, "service-a", a)
        let result = try fixture.kcx([
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", token, "--audience", "service-c",
            "-r", fixture.realm,
        ])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("Requested audience not available: service-c"))
        #expect(result.stderr.contains("kcx token-exchange allow --from service-a --to service-c"))
    }

    @Test func escalationToAScopeTheRequesterLacksIsRefused() throws {
        let (fixture, a, _) = try Self.setUp("ref-scope")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        try fixture.inRealm(["client-scope", "ensure", "admin-everything"])
        let token = try ownToken(fixture, "service-a", a)
        let result = try fixture.kcx([
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", token, "--audience", "service-b",
            "--scope", "admin-everything", "-r", fixture.realm,
        ])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("invalid_scope"))
        #expect(result.stderr.contains("kcx client-scope assign SCOPE --client service-a --optional"))
    }

    @Test func downscopingNarrowsAudAndScope() throws {
        let (fixture, a, _) = try Self.setUp("ref-down")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-c"])
        let token = try ownToken(fixture, "service-a", a)
        #expect(Set(audiences(try decode(token, fixture))).isSuperset(of: ["service-b", "service-c"]))
        let narrowed = try fixture.inRealm([
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", token, "--audience", "service-c",
            "--output", "claims",
        ])
        #expect(audiences(narrowed.json) == ["service-c"])
    }

    @Test func tokenExchangeDenyUndoesAllow() throws {
        let (fixture, a, _) = try Self.setUp("ref-deny")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        let deny = try fixture.inRealm(["token-exchange", "deny", "--from", "service-a", "--to", "service-b"])
        #expect(outcomes(deny) == ["deleted: client-scope-assignment service-b-audience -> service-a (default)"])
        #expect(!(try fixture.assignedScopes("service-a", "default")).contains("service-b-audience"))
        let token = try ownToken(fixture, "service-a", a)
        let refused = try fixture.kcx([
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", token, "--audience", "service-b",
            "-r", fixture.realm,
        ])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("Requested audience not available"))
    }
}

@Suite(.serialized) struct IdempotenceTests {
    /// Every mutating command, run twice: the second run reports only `unchanged`.
    @Test func secondRunOfEveryCommandChangesNothing() throws {
        let fixture = try RealmFixture(.shared, prefix: "idem")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        let commands: [[String]] = [
            [
                "client-scope", "ensure", "api-access", "--description", "API", "--include-in-token-scope", "false",
                "--realm-default", "optional",
            ],
            ["client-scope", "assign", "api-access", "--client", "webapp", "--default"],
            ["client-scope", "assign", "api-access", "--client", "webapp", "--optional"],
            ["audience", "add", "--audience", "service-a", "--scope", "api-access"],
            ["audience", "add", "--custom-audience", "https://api.example.com", "--client", "webapp"],
            ["token-exchange", "enable", "--client", "service-a", "--allow-refresh"],
            ["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--subject-client", "webapp"],
            ["token-exchange", "deny", "--from", "service-a", "--to", "service-b"],
            ["token-exchange", "disable", "--client", "service-a"],
            ["audience", "remove", "--custom-audience", "https://api.example.com", "--client", "webapp"],
            ["client-scope", "unassign", "api-access", "--client", "webapp"],
            ["client-scope", "delete", "api-access", "--if-exists"],
        ]
        for command in commands {
            let first = try fixture.inRealm(command)
            #expect(!outcomes(first).isEmpty, "\(command): \(first)")
            let before = try fixture.snapshot()
            let second = try fixture.inRealm(command)
            let lines = outcomes(second)
            #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("unchanged:") }, "\(command) second run: \(second)")
            #expect(try fixture.snapshot() == before, "\(command) second run changed the realm")
        }
        // The two assignments above moved the scope between lists rather than duplicating it.
    }

    /// Every mutating command with --dry-run reports what it would do and leaves the realm as it was.
    @Test func dryRunChangesNothing() throws {
        let fixture = try RealmFixture(.shared, prefix: "dry")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        try fixture.inRealm(["client-scope", "ensure", "existing"])
        let before = try fixture.snapshot()
        let commands: [[String]] = [
            ["client-scope", "ensure", "api-access", "--realm-default", "default"],
            ["client-scope", "ensure", "existing", "--description", "changed"],
            ["client-scope", "assign", "existing", "--client", "webapp", "--default"],
            [
                "audience", "add", "--audience", "service-a", "--scope", "api-access", "--create-scope", "--assign", "webapp",
                "--default",
            ],
            ["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--subject-client", "webapp"],
            ["token-exchange", "enable", "--client", "service-a"],
            ["client-scope", "delete", "existing"],
        ]
        for command in commands {
            let result = try fixture.inRealm(command + ["--dry-run"])
            #expect(result.stderr.contains("dry run: nothing was changed; a real run would send:"), "\(command): \(result)")
            #expect(outcomes(result).contains { $0.hasPrefix("would be") }, "\(command): \(result)")
        }
        #expect(try fixture.snapshot() == before)
    }
}
