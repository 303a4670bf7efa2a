// `kcx token-exchange check` predicts what Keycloak does, and --live asks Keycloak to prove it.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct ExchangeCheckTests {
    @Test func anAllowedPairIsPredictedAndProvedLive() throws {
        let (fixture, secrets) = try MicroservicesPatternTests.setUp(.shared, prefix: "check1")
        let allow = try fixture.inRealm([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard",
        ])
        // The shared scope already carries service-c: turning the switch on opens that pair too, and allow says so.
        #expect(
            allow.stderr.hasSuffix(
                "note: service-a may now also exchange tokens for service-c (via default scope service-access)\n"), "\(allow)")
        let again = try fixture.inRealm([
            "token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard",
        ])
        #expect(!again.stderr.contains("note:"), "nothing new is opened by a run that changes nothing")
        let check = try fixture.kcx(["token-exchange", "check", "--from", "service-a", "--to", "service-b", "-r", fixture.realm])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout == "service-a may exchange tokens for service-b:\n  standard, via default scope service-access\n")

        let live = try fixture.kcx([
            "token-exchange", "check", "--from", "service-a", "--to", "service-b", "--live", "--secret-file",
            secrets["service-a"]!, "-r", fixture.realm,
        ])
        #expect(live.status == 0, "\(live)")
        #expect(live.stdout.hasSuffix("live: Keycloak issued a token (aud: service-b, azp: service-a)\n"), "\(live)")
        let secret = try String(contentsOfFile: secrets["service-a"]!, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(!(live.stdout + live.stderr).contains(secret))
    }

    @Test func aRefusedPairNamesWhyAndTheFixAndKeycloakAgrees() throws {
        let fixture = try RealmFixture(.shared, prefix: "check2")
        let secretA = try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("service-b")
        let check = try fixture.kcx(["token-exchange", "check", "--from", "service-a", "--to", "service-b", "-r", fixture.realm])
        #expect(check.status == 7, "\(check)")
        #expect(
            check.stdout == "service-a cannot exchange tokens for service-b:\n  - standard token exchange is off for service-a\n"
                + "    fix: kcx token-exchange allow --from service-a --to service-b -r \(fixture.realm)\n")
        let live = try fixture.kcx([
            "token-exchange", "check", "--from", "service-a", "--to", "service-b", "--live", "--secret-file", secretA, "-r",
            fixture.realm,
        ])
        #expect(live.status == 7)
        #expect(live.stdout.contains("live: Keycloak refused: "), "\(live)")

        // Following the fix makes both the prediction and Keycloak say yes.
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b"])
        let after = try fixture.kcx([
            "token-exchange", "check", "--from", "service-a", "--to", "service-b", "--live", "--secret-file", secretA, "--output",
            "json", "-r", fixture.realm,
        ])
        #expect(after.status == 0, "\(after)")
        #expect(after.json?["possible"] == true)
        #expect(
            after.json?["paths"] == [
                [
                    "mechanism": "standard", "via": "default scope service-b-audience",
                    "remove": .string("kcx client-scope unassign service-b-audience --client service-a -r \(fixture.realm)"),
                    "kcx": true,
                ]
            ])
        #expect(after.json?["live"]?["issued"] == true)
    }

    @Test func aSubjectTokenWithoutTheRequesterInAudIsPredictedRefused() throws {
        let fixture = try RealmFixture(.shared, prefix: "check3")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api")
        try fixture.confidentialClient("backend")
        try fixture.user("alice")
        try fixture.inRealm(["token-exchange", "allow", "--from", "api", "--to", "backend"])
        let check = try fixture.kcx([
            "token-exchange", "check", "--from", "api", "--to", "backend", "--subject-client", "webapp", "--user", "alice", "-r",
            fixture.realm,
        ])
        #expect(check.status == 7, "\(check)")
        #expect(
            check.stdout.contains(
                "  - webapp's tokens for alice do not carry api in aud, so Keycloak refuses the exchange (\"Client is not within the token audience\")\n    fix: kcx token-exchange allow --from api --to backend --subject-client webapp -r \(fixture.realm)\n"
            ), "\(check)")
        try fixture.inRealm(["token-exchange", "allow", "--from", "api", "--to", "backend", "--subject-client", "webapp"])
        let after = try fixture.kcx([
            "token-exchange", "check", "--from", "api", "--to", "backend", "--subject-client", "webapp", "--user", "alice", "-r",
            fixture.realm,
        ])
        #expect(after.status == 0, "\(after)")
    }

    @Test func usageErrors() throws {
        let fixture = try RealmFixture(.shared, prefix: "check4")
        let noTo = try fixture.kcx(["token-exchange", "check", "--from", "a", "-r", fixture.realm])
        #expect(noTo.status == 2)
        #expect(noTo.stderr == "error: --to is required: the client the new token is for\n")
        let user = try fixture.kcx(["token-exchange", "check", "--from", "a", "--to", "b", "--user", "u", "-r", fixture.realm])
        #expect(user.stderr == "error: --user goes with --subject-client: the client whose user's token is exchanged\n")
        let secret = try fixture.kcx([
            "token-exchange", "check", "--from", "a", "--to", "b", "--secret-file", "/x", "-r", fixture.realm,
        ])
        #expect(secret.stderr == "error: --secret-file goes with --live\n")
        let unknown = try fixture.kcx(["token-exchange", "check", "--from", "nope", "--to", "b", "-r", fixture.realm])
        #expect(unknown.status == 3)
    }
}
