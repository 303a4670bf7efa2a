// `token_type_hint=requesting_party_token` (TokenIntrospectionEndpoint → RPTIntrospectionProvider):
// accepted like the access-token hint, a token that does not verify is `{"active":false}`; unknown
// hints stay 400. Found by python-keycloak's test_introspect (its `rpt="some"` call).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct IntrospectionHintTests {
    let fixture = makeExchangeRealm()

    private func introspect(_ token: String, hint: String) -> ServerResponse {
        fixture.request(
            "POST", "/realms/demo/protocol/openid-connect/token/introspect",
            // requester-client is in the subject token's aud: a token is active only for a client it names.
            form: [
                ("client_id", "requester-client"), ("client_secret", "requester-secret"), ("token", token),
                ("token_type_hint", hint),
            ])
    }

    @Test func requestingPartyTokenHint() {
        let token = fixture.subjectToken()
        let active = introspect(token, hint: "requesting_party_token")
        #expect(active.status == 200)
        #expect(active.jsonObject["active"]?.boolValue == true)
        #expect(active.jsonObject["username"]?.stringValue == "john")
        #expect(introspect("some", hint: "requesting_party_token").text == #"{"active":false}"#)
        let unknown = introspect(token, hint: "id_token")
        #expect(unknown.status == 400)
        #expect(unknown.text == #"{"error":"invalid_request","error_description":"Unsupported token type [id_token]."}"#)
    }
}
