// The three patterns of docs/guides/, run with the real kcx against a Keycloak (kcx-sandbox or a
// real one), each ending with a real token whose aud, azp and scope are checked. The guides show
// exactly these commands.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct FrontendToBackendPatternTests {
    /// Pattern 1: the SPA's own token carries the API's audience through an optional scope.
    @Test func spaTokenCarriesTheApiAudienceWhenItAsksForTheScope() throws {
        let fixture = try RealmFixture(.shared, prefix: "p1")
        try fixture.publicClient("myapp")
        try fixture.confidentialClient("api-service")
        let alice = try fixture.user("alice")

        let first = try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
            "--optional",
        ])
        #expect(
            outcomes(first) == [
                "created: client-scope api-access",
                "created: audience-mapper api-service audience on scope api-access",
                "created: client-scope-assignment api-access -> myapp (optional)",
            ])
        // State on the server: the scope, its mapper, the optional assignment.
        let scope = try #require(try fixture.clientScope("api-access"))
        let mapper = try #require(scope["protocolMappers"]?[0])
        #expect(mapper["protocolMapper"] == "oidc-audience-mapper")
        #expect(mapper["config"]?["included.client.audience"] == "api-service")
        #expect(mapper["config"]?["access.token.claim"] == "true")
        #expect(try fixture.assignedScopes("myapp", "optional").contains("api-access"))

        let second = try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
            "--optional",
        ])
        #expect(
            outcomes(second) == [
                "unchanged: client-scope api-access",
                "unchanged: audience-mapper api-service audience on scope api-access",
                "unchanged: client-scope-assignment api-access -> myapp (optional)",
            ])

        let without = try fixture.inRealm([
            "token", "get", "--client", "myapp", "--user", "alice", "--password-file", alice, "--output", "claims",
        ])
        #expect(!audiences(without.json).contains("api-service"))
        let with = try fixture.inRealm([
            "token", "get", "--client", "myapp", "--user", "alice", "--password-file", alice, "--scope", "api-access", "--output",
            "claims",
        ])
        let claims = try #require(with.json)
        #expect(audiences(claims).contains("api-service"))
        #expect(claims["azp"] == "myapp")
        #expect(claims["scope"]?.stringValue?.split(separator: " ").contains("api-access") == true)
    }

    /// Keycloak refuses token exchange by public clients; kcx says so before changing anything.
    @Test func publicSpaIsRefusedAsAnExchangeRequesterWithNoChange() throws {
        let fixture = try RealmFixture(.shared, prefix: "p1pub")
        try fixture.publicClient("myapp")
        try fixture.confidentialClient("api-service")
        let before = try fixture.snapshot()
        let result = try fixture.kcx([
            "token-exchange", "allow", "--from", "myapp", "--to", "api-service", "--mode", "standard", "-r", fixture.realm,
        ])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("error: client 'myapp' is public"))
        #expect(result.stderr.contains("hint: exchange from a confidential backend client"))
        #expect(try fixture.snapshot() == before)
    }
}

@Suite(.serialized) struct MicroservicesPatternTests {
    /// Pattern 2: one scope carries all three service audiences; A exchanges its token for B.
    static func setUp(_ keycloak: TestKeycloak, prefix: String) throws -> (RealmFixture, [String: String]) {
        let fixture = try RealmFixture(keycloak, prefix: prefix)
        var secrets: [String: String] = [:]
        for service in ["service-a", "service-b", "service-c"] { secrets[service] = try fixture.confidentialClient(service) }
        try fixture.inRealm(["client-scope", "ensure", "service-access", "--description", "Audiences of the service mesh"])
        for service in ["service-a", "service-b", "service-c"] {
            try fixture.inRealm(["audience", "add", "--audience", service, "--scope", "service-access"])
        }
        for service in ["service-a", "service-b", "service-c"] {
            try fixture.inRealm(["client-scope", "assign", "service-access", "--client", service, "--default"])
        }
        return (fixture, secrets)
    }

    @Test func serviceAExchangesForServiceBInStandardMode() throws {
        let (fixture, secrets) = try Self.setUp(.shared, prefix: "p2")
        let allow = try fixture.inRealm([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard",
        ])
        #expect(
            outcomes(allow) == [
                "updated: standard-token-exchange service-a",
                "unchanged: audience service-b in tokens of service-a",
            ], "service-access already carries service-b, so no second scope is added")
        #expect(try fixture.client("service-a")["attributes"]?["standard.token.exchange.enabled"] == "true")

        let own = try fixture.inRealm(["token", "get", "--client", "service-a", "--secret-file", secrets["service-a"]!])
        let subject = own.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Set(audiences(try decode(subject, fixture))).isSuperset(of: ["service-b", "service-c"]))

        let exchanged = try fixture.inRealm([
            "token", "exchange", "--client", "service-a", "--secret-file", secrets["service-a"]!, "--subject-token", subject,
            "--audience", "service-b", "--output", "claims",
        ])
        let claims = try #require(exchanged.json)
        #expect(audiences(claims) == ["service-b"], "the audience parameter narrows aud to the requested client")
        #expect(claims["azp"] == "service-a")
        #expect(scopeWords(claims).contains("service-access"), "scope comes from the requester's default scopes")
        #expect(claims["typ"] == "Bearer")
    }

    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func serviceAExchangesForServiceBInLegacyMode() throws {
        let (fixture, secrets) = try Self.setUp(try #require(TestKeycloak.legacy), prefix: "p2v1")
        let allow = try fixture.inRealm([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "legacy",
        ])
        #expect(
            outcomes(allow) == [
                "updated: management-permissions service-b",
                "created: exchange-policy kcx-token-exchange-service-b (service-a -> service-b)",
                "updated: exchange-permission token-exchange.permission.client.\(try fixture.client("service-b")["id"]!.stringValue!)",
            ])
        let again = try fixture.inRealm([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "legacy",
        ])
        #expect(outcomes(again).allSatisfy { $0.hasPrefix("unchanged:") }, "\(again)")

        let subject = try fixture.inRealm(["token", "get", "--client", "service-a", "--secret-file", secrets["service-a"]!])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let exchanged = try fixture.inRealm([
            "token", "exchange", "--client", "service-a", "--secret-file", secrets["service-a"]!, "--subject-token", subject,
            "--audience", "service-b", "--requested-token-type", "access_token", "--output", "claims",
        ])
        let claims = try #require(exchanged.json)
        #expect(audiences(claims).contains("service-b"))
        #expect(claims["azp"] == "service-a")
        #expect(scopeWords(claims).contains("service-access"), "legacy builds the token from the target's scopes")

        // service-c has no permission: Keycloak's V1 refusal, with the kcx fix in the hint.
        let refused = try fixture.kcx([
            "token", "exchange", "--client", "service-c", "--secret-file", secrets["service-c"]!, "--subject-token", subject,
            "--audience", "service-b", "-r", fixture.realm,
        ])
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("Client not allowed to exchange"))
        #expect(
            refused.stderr.contains(
                "hint: legacy exchange needs a permission on the target: kcx token-exchange allow --from service-c"))
    }
}

@Suite(.serialized) struct DelegatedAccessPatternTests {
    static func setUp(_ keycloak: TestKeycloak, prefix: String) throws -> (RealmFixture, primarySecret: String, alice: String) {
        let fixture = try RealmFixture(keycloak, prefix: prefix)
        try fixture.publicClient("portal")
        let primary = try fixture.confidentialClient("primary-service")
        try fixture.confidentialClient("delegated-service")
        let alice = try fixture.user("alice")
        return (fixture, primary, alice)
    }

    /// Pattern 3: primary-service acts for alice towards delegated-service.
    @Test func primaryServiceExchangesAlicesTokenInStandardMode() throws {
        let (fixture, primarySecret, alice) = try Self.setUp(.shared, prefix: "p3")
        let allow = try fixture.inRealm([
            "token-exchange", "allow", "--from", "primary-service", "--to", "delegated-service", "--subject-client", "portal",
            "--mode", "standard",
        ])
        #expect(
            outcomes(allow) == [
                "updated: standard-token-exchange primary-service",
                "created: client-scope delegated-service-audience",
                "created: audience-mapper delegated-service audience on scope delegated-service-audience",
                "created: client-scope-assignment delegated-service-audience -> primary-service (default)",
                "created: client-scope primary-service-audience",
                "created: audience-mapper primary-service audience on scope primary-service-audience",
                "created: client-scope-assignment primary-service-audience -> portal (default)",
            ])
        #expect(try fixture.assignedScopes("portal", "default").contains("primary-service-audience"))

        let subject = try fixture.inRealm(["token", "get", "--client", "portal", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let subjectClaims = try decode(subject, fixture)
        #expect(audiences(subjectClaims).contains("primary-service"))

        let exchanged = try fixture.inRealm([
            "token", "exchange", "--client", "primary-service", "--secret-file", primarySecret, "--subject-token", subject,
            "--audience", "delegated-service", "--output", "claims",
        ])
        let claims = try #require(exchanged.json)
        #expect(audiences(claims) == ["delegated-service"])
        #expect(claims["azp"] == "primary-service")
        #expect(scopeWords(claims).isSuperset(of: ["profile", "email"]))
        #expect(!scopeWords(claims).contains("delegated-service-audience"), "kcx's audience scopes stay out of the scope claim")
        #expect(claims["sub"] == subjectClaims["sub"], "the exchanged token still speaks for alice")
        #expect(claims["sid"] == subjectClaims["sid"], "standard exchange keeps the user session")
    }

    @Test func withoutTheSubjectClientStepKeycloakRefusesAndKcxNamesTheFix() throws {
        let (fixture, primarySecret, alice) = try Self.setUp(.shared, prefix: "p3aud")
        try fixture.inRealm([
            "token-exchange", "allow", "--from", "primary-service", "--to", "delegated-service", "--mode", "standard",
        ])
        let subject = try fixture.inRealm(["token", "get", "--client", "portal", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let refused = try fixture.kcx([
            "token", "exchange", "--client", "primary-service", "--secret-file", primarySecret, "--subject-token", subject,
            "--audience", "delegated-service", "-r", fixture.realm,
        ])
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("Client is not within the token audience"))
        #expect(refused.stderr.contains("--subject-client"))
    }

    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func primaryServiceExchangesAlicesTokenInLegacyMode() throws {
        let (fixture, primarySecret, alice) = try Self.setUp(try #require(TestKeycloak.legacy), prefix: "p3v1")
        try fixture.inRealm([
            "token-exchange", "allow", "--from", "primary-service", "--to", "delegated-service", "--subject-client", "portal",
            "--mode", "legacy",
        ])
        let subject = try fixture.inRealm(["token", "get", "--client", "portal", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let exchanged = try fixture.inRealm([
            "token", "exchange", "--client", "primary-service", "--secret-file", primarySecret, "--subject-token", subject,
            "--audience", "delegated-service", "--requested-token-type", "access_token", "--output", "claims",
        ])
        let claims = try #require(exchanged.json)
        #expect(audiences(claims).contains("delegated-service"))
        #expect(claims["azp"] == "primary-service")
        #expect(scopeWords(claims).isSuperset(of: ["profile", "email"]))
    }
}

/// Decodes a token with kcx itself (verifying it against the fixture realm's keys on the way: the
/// session is in master, so -r names the realm whose issuer to trust).
func decode(_ token: String, _ fixture: RealmFixture) throws -> JSON {
    let result = try fixture.ok(["token", "decode", "--verify", "-r", fixture.realm, token])
    return try #require(result.json?["claims"])
}

/// The words of the scope claim.
func scopeWords(_ claims: JSON?) -> Set<String> {
    Set((claims?["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
}
