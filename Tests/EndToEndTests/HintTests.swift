// Issue 17, items 1 and 2 with the real binary: hints that point at the real cause (the
// requesting client's credentials, a disabled realm, a sub-path rather than an object, the old
// /auth context path, the client that obtained the subject token, a public requester) and
// "did you mean" from names instead of fixes that would create a typo.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct TokenEndpointHintTests {
    static func setUp(_ prefix: String) throws -> (RealmFixture, a: String) {
        let fixture = try RealmFixture(.shared, prefix: prefix)
        let a = try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        try fixture.publicClient("webapp")
        return (fixture, a)
    }

    @Test func wrongClientSecretBlamesTheRequestingClientNotTheSession() throws {
        let (fixture, _) = try Self.setUp("hint-secret")
        let wrong = try fixture.secretFile("wrong.secret", "not-the-secret")
        let result = try fixture.kcx(["token", "get", "--client", "service-a", "--secret-file", wrong, "-r", fixture.realm])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("401 Invalid client or Invalid client credentials (unauthorized_client)"), "\(result)")
        #expect(
            result.stderr.contains(
                "hint: client 'service-a' could not authenticate to realm '\(fixture.realm)' (the requesting client's own credentials, not your kcx session): check that clientId 'service-a' exists and is enabled in realm '\(fixture.realm)', and that the secret sent is its current one (a regenerated secret replaces the old)\n"
            ),
            "\(result)")
        #expect(!result.stderr.contains("config credentials"))
        #expect(!result.stderr.contains("not-the-secret"))
    }

    @Test func confidentialClientWithoutSecretIsToldToSendOne() throws {
        let (fixture, a) = try Self.setUp("hint-nosecret")
        let token = try fixture.inRealm(["token", "get", "--client", "service-a", "--secret-file", a]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        // service-b is confidential, but no secret is given (and no terminal to prompt on).
        let result = try fixture.kcx(
            [
                "token", "exchange", "--client", "service-b", "--subject-token", "-", "--audience", "service-a", "-r",
                fixture.realm,
            ], stdin: token)
        #expect(result.status == 4, "\(result)")
        #expect(
            result.stderr.contains(
                "; no secret was sent: a confidential client needs one (--secret-file FILE, --secret-stdin or $KCX_CLIENT_SECRET)\n"
            ), "\(result)")
    }

    @Test func disabledRealmIsNotAMissingRole() throws {
        let (fixture, a) = try Self.setUp("hint-disabled")
        #expect(try fixture.keycloak.adminSend("PUT", fixture.realm, json: ["enabled": false]).status == 204)
        let result = try fixture.kcx(["token", "get", "--client", "service-a", "--secret-file", a, "-r", fixture.realm])
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("403 Realm not enabled (access_denied)"), "\(result)")
        let fix = "kcx update realms/\(fixture.realm) -s enabled:=true"
        #expect(
            result.stderr.contains(
                "hint: realm '\(fixture.realm)' is disabled (its enabled switch is off; no role is missing): turn it on with \(fix)\n"
            ), "\(result)")
        #expect(!result.stderr.contains("manage-realm"))
        // The fix as printed works.
        try fixture.ok(["update", "realms/\(fixture.realm)", "-s", "enabled:=true"])
        #expect(try fixture.keycloak.adminGet(fixture.realm).json?["enabled"]?.boolValue == true)
        #expect(try fixture.kcx(["token", "get", "--client", "service-a", "--secret-file", a, "-r", fixture.realm]).status == 0)
    }

    @Test func oldAuthContextPathIsNamed() throws {
        let (fixture, a) = try Self.setUp("hint-auth")
        let base = fixture.keycloak.baseURL
        let result = try fixture.kcx([
            "token", "get", "--server", base + "/auth", "--client", "service-a", "--secret-file", a, "-r", fixture.realm,
        ])
        #expect(result.status == 3, "\(result)")
        #expect(
            result.stderr.contains(
                "hint: the server URL ends in /auth, the context path Keycloak dropped in version 17: use --server \(base) (only Keycloak 16 and older, or a server started with --http-relative-path=/auth, serve under /auth)\n"
            ),
            "\(result)")
        // Logging in there says the same (in another profile, so the test's session stays).
        let login = try fixture.kcx(
            [
                "config", "credentials", "--server", base + "/auth", "--realm", "master", "--user", fixture.keycloak.adminUser,
                "--password-stdin", "--profile", "old-path",
            ],
            stdin: fixture.keycloak.adminPassword + "\n")
        #expect(login.status == 3, "\(login)")
        #expect(
            login.stderr.contains(
                "hint: the server URL ends in /auth, the context path Keycloak dropped in version 17: use --server \(base) "),
            "\(login)")
    }

    @Test func subjectClientIsReadFromTheTokenKcxHolds() throws {
        let (fixture, a) = try Self.setUp("hint-azp")
        let alice = try fixture.user("alice")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        let token = try fixture.inRealm(["token", "get", "--client", "webapp", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let exchange = [
            "token", "exchange", "--client", "service-a", "--secret-file", a, "--subject-token", "-", "--audience", "service-b",
            "-r", fixture.realm,
        ]
        let refused = try fixture.kcx(exchange, stdin: token)
        #expect(refused.status == 4, "\(refused)")
        let fix = "kcx token-exchange allow --from service-a --to service-b --subject-client webapp -r \(fixture.realm)"
        #expect(
            refused.stderr.contains(
                "hint: the subject token (from 'webapp') must carry 'service-a' in aud: \(fix); then get a new subject token\n"),
            "\(refused)")
        #expect(!refused.stderr.contains("<client that obtained"))
        // Following the hint makes the exchange work.
        try fixture.ok([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--subject-client", "webapp", "-r",
            fixture.realm,
        ])
        let fresh = try fixture.inRealm(["token", "get", "--client", "webapp", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try fixture.kcx(exchange, stdin: fresh).status == 0)
    }

    @Test func publicRequesterGetsOneHintThatWorks() throws {
        let (fixture, _) = try Self.setUp("hint-public")
        let alice = try fixture.user("alice")
        let token = try fixture.inRealm(["token", "get", "--client", "webapp", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try fixture.kcx(
            [
                "token", "exchange", "--client", "webapp", "--subject-token", "-", "--audience", "service-b", "-r", fixture.realm,
            ], stdin: token)
        #expect(result.status == 4, "\(result)")
        let r = fixture.realm
        #expect(
            result.stderr.contains(
                "hint: 'webapp' is a public client, and Keycloak lets only confidential clients exchange tokens: let a confidential client (a backend holding a secret) exchange 'webapp' tokens instead, e.g. kcx token-exchange allow --from BACKEND --to service-b --subject-client webapp -r \(r); or, if 'webapp' only needs to call 'service-b', no exchange is needed: kcx audience add --audience service-b --scope service-b-audience --create-scope --assign webapp --default -r \(r)\n"
            ),
            "\(result)")
        // Not the "allow it" that 'token-exchange allow --from webapp' would then refuse.
        #expect(!result.stderr.contains("allow it:"))
        #expect(result.stderr.components(separatedBy: "hint:").count == 2)
    }
}

@Suite(.serialized) struct NotFoundHintTests {
    @Test func subPathThatDoesNotExistIsNotAMissingClient() throws {
        let fixture = try RealmFixture(.shared, prefix: "hint-404")
        try fixture.publicClient("webapp")
        let id = try #require(try fixture.client("webapp")["id"]?.stringValue)
        let wrongPath = try fixture.kcx(["get", "clients/\(id)/client-scopes", "-r", fixture.realm])
        #expect(wrongPath.status == 3, "\(wrongPath)")
        #expect(
            wrongPath.stderr.contains(
                "hint: client '\(id)' exists, but it has no sub-resource 'client-scopes': did you mean 'clients/\(id)/default-client-scopes' or 'clients/\(id)/optional-client-scopes'?\n"
            ),
            "\(wrongPath)")
        let missing = "0b0e7a52-6f4e-4c55-9d55-000000000000"
        let noClient = try fixture.kcx(["get", "clients/\(missing)/default-client-scopes", "-r", fixture.realm])
        #expect(noClient.status == 3, "\(noClient)")
        #expect(noClient.stderr.contains("404 Could not find client"), "\(noClient)")
        #expect(noClient.stderr.contains("hint: no client with id '\(missing)' in realm '\(fixture.realm)'"), "\(noClient)")
    }

    @Test func unknownRealmSuggestsTheCloseOne() throws {
        let fixture = try RealmFixture(.shared, prefix: "hint-realm")
        let typo = String(fixture.realm.dropLast())
        let result = try fixture.kcx(["get", "clients", "-r", typo])
        #expect(result.status == 3, "\(result)")
        #expect(result.stderr.contains("hint: realm '\(typo)' does not exist: did you mean "), "\(result)")
        #expect(result.stderr.contains("'\(fixture.realm)'"), "\(result)")
    }
}

@Suite(.serialized) struct DidYouMeanTests {
    static func setUp(_ prefix: String) throws -> RealmFixture {
        let fixture = try RealmFixture(.shared, prefix: prefix)
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api-service")
        try fixture.user("alice")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        return fixture
    }

    @Test func unknownNamesGetTheCloseOnes() throws {
        let fixture = try Self.setUp("dym-names")
        let before = try fixture.snapshot()
        let client = try fixture.kcx([
            "client-scope", "assign", "api-access", "--client", "webap", "--default", "-r", fixture.realm,
        ])
        #expect(client.status == 3, "\(client)")
        #expect(
            client.stderr.contains(
                "error: client 'webap' not found in realm '\(fixture.realm)'\nhint: did you mean 'webapp'? (or list clients with: kcx get clients -r \(fixture.realm) --fields clientId)\n"
            ), "\(client)")
        let scope = try fixture.kcx([
            "client-scope", "assign", "api-acess", "--client", "webapp", "--default", "-r", fixture.realm,
        ])
        #expect(scope.status == 3, "\(scope)")
        #expect(
            scope.stderr.contains(
                "error: client scope 'api-acess' not found in realm '\(fixture.realm)'\nhint: did you mean 'api-access'? (if not, create it with: kcx client-scope ensure api-acess -r \(fixture.realm))\n"
            ), "\(scope)")
        let user = try fixture.kcx([
            "audience", "check", "--client", "webapp", "--audience", "api-service", "--user", "alcie", "-r", fixture.realm,
        ])
        #expect(user.status == 3, "\(user)")
        #expect(
            user.stderr.contains("error: user 'alcie' not found in realm '\(fixture.realm)'\nhint: did you mean 'alice'?\n"),
            "\(user)")
        #expect(try fixture.snapshot() == before)
    }

    @Test func typoedAudienceIsNotTurnedIntoACustomAudience() throws {
        let fixture = try Self.setUp("dym-aud")
        let result = try fixture.kcx([
            "audience", "check", "--client", "webapp", "--audience", "api-servce", "--user", "alice", "-r", fixture.realm,
        ])
        #expect(result.status == 7, "\(result)")
        #expect(
            result.stderr.contains(
                "cause: no client 'api-servce' in realm '\(fixture.realm)' and no mapper produces it: did you mean 'api-service'?\n  fix: kcx audience check --client webapp --audience api-service --user alice -r \(fixture.realm)\n"
            ),
            "\(result)")
        #expect(!result.stderr.contains("--custom-audience"))
        #expect(!result.stderr.contains("audience add"))
    }

    @Test func audienceNamingNothingOffersCustomOnlyAsAnExplainedAlternative() throws {
        let fixture = try Self.setUp("dym-custom")
        let json = try fixture.kcx([
            "audience", "check", "--client", "webapp", "--audience", "https://orders.example.com", "--user", "alice", "-r",
            fixture.realm, "--output", "json",
        ])
        #expect(json.status == 7, "\(json)")
        let diagnoses = json.json?["diagnoses"]?.arrayValue ?? []
        #expect(diagnoses.count == 1)
        #expect(diagnoses.first?["cause"]?.stringValue == "audience-not-a-client")
        #expect(diagnoses.first?["fix"]?.stringValue == "kcx get clients --fields clientId -r \(fixture.realm)")
        #expect(
            diagnoses.first?["alternatives"]?[0]?["note"]?.stringValue
                == "only if 'https://orders.example.com' is meant as a custom audience (a value that is not a client)")
    }
}
