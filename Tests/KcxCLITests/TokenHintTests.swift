// Issue 17 item 1, in process: the token-endpoint hints use what kcx knows instead of placeholders.
import KeycloakKit
import Testing

@Suite struct TokenHintTests {
    func hint(_ description: String, audiences: [String] = [], sentSecret: Bool = true, subjectClient: String? = nil) -> String? {
        TokenRequests.hint(
            error: "", description: description,
            TokenRequests.HintContext(
                client: "service-a", audiences: audiences, realm: "demo", sentSecret: sentSecret, subjectClient: subjectClient))
    }

    @Test func theTargetComesFromKeycloaksMessageWhenNoAudienceWasGiven() {
        #expect(
            hint("Requested audience not available: service-c")
                == "'service-a' tokens cannot carry 'service-c' yet: kcx token-exchange allow --from service-a --to service-c -r demo; see why with kcx audience check --client service-a --audience service-c -r demo"
        )
    }

    @Test func withoutATargetOnlyCommandsThatNeedNoneAreOffered() {
        #expect(
            hint("Standard token exchange is not enabled for the requested client")
                == "turn it on: kcx token-exchange enable --client service-a -r demo")
        #expect(
            hint("Client is not within the token audience", subjectClient: "webapp")
                == "the subject token (from 'webapp') must carry 'service-a' in aud: kcx audience add --audience service-a --scope service-a-audience --create-scope --assign webapp --default -r demo; then get a new subject token"
        )
        #expect(hint("Standard token exchange is not enabled for the requested client").map { !$0.contains("TARGET") } == true)
    }

    @Test func aRequesterThatSentNoSecretIsPublic() {
        let text = hint("Standard token exchange is not enabled for the requested client", audiences: ["api"], sentSecret: false)
        #expect(
            text?.hasPrefix("'service-a' is a public client, and Keycloak lets only confidential clients exchange tokens")
                == true, "\(text ?? "")")
        #expect(hint("Public client is not allowed to exchange token", audiences: ["api"], sentSecret: false) == text)
    }

    @Test func theSubjectClientIsTheRequesterItself() {
        // A token the requester obtained itself needs no --subject-client.
        #expect(
            hint("Client is not within the token audience", audiences: ["b"], subjectClient: "service-a")?.contains(
                "<client that obtained the subject token>") == true)
    }

    @Test func azpIsReadFromTheTokenWithoutVerifying() {
        // {"alg":"none"}.{"azp":"webapp"}.
        #expect(TokenRequests.authorizedParty(of: "eyJhbGciOiJub25lIn0.eyJhenAiOiJ3ZWJhcHAifQ.") == "webapp")
        #expect(TokenRequests.authorizedParty(of: "not-a-token") == nil)
    }
}
