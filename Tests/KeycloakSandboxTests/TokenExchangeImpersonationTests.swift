// Legacy (V1) token exchange with `requested_subject` (impersonation): Keycloak's
// DefaultTokenExchangeProvider looks the user up by username or id and lets the exchange through only
// when the subject token's user may impersonate (UserPermissions.canImpersonate: realm-management's
// `impersonation` role); every refusal is the same 403 so usernames cannot be probed. Found by
// python-keycloak's test_exchange_token.
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct TokenExchangeImpersonationTests {
    let fixture = makeExchangeRealm(
        features: try! FeatureSet(enabling: ["token-exchange", "admin-fine-grained-authz:v1"], disabling: []))

    private func expectDenied(_ response: ServerResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 403, sourceLocation: sourceLocation)
        #expect(
            response.text == #"{"error":"access_denied","error_description":"Client not allowed to exchange"}"#,
            sourceLocation: sourceLocation)
    }

    @Test func impersonationNeedsTheImpersonationRole() {
        fixture.addUser("mary")
        let token = fixture.subjectToken("john", clientId: "subject-client", secret: "subject-secret")
        let sessionsBefore = fixture.context.store.read { $0.realm(named: "demo")!.sessions.count }
        // john holds no impersonation role: refused, whether mary exists or not.
        expectDenied(
            fixture.exchange(token, clientId: "subject-client", secret: "subject-secret", [("requested_subject", "mary")]))
        expectDenied(
            fixture.exchange(token, clientId: "subject-client", secret: "subject-secret", [("requested_subject", "nobody")]))
        #expect(fixture.context.store.read { $0.realm(named: "demo")!.sessions.count } == sessionsBefore)

        // With realm-management's impersonation role, john gets a token for mary in a new session of hers.
        fixture.updateRealm { realm in
            let role = realm.client(clientId: "realm-management")!.role(name: "impersonation")!
            let index = realm.users.firstIndex { $0.username == "john" }!
            realm.users[index].roleIds.append(role.id)
        }
        let allowed = fixture.exchange(
            token, clientId: "subject-client", secret: "subject-secret", [("requested_subject", "mary")])
        #expect(allowed.status == 200, "\(allowed.text)")
        let claims = jwtClaims(allowed.jsonObject["access_token"]?.stringValue)
        let mary = fixture.context.store.read { $0.realm(named: "demo")!.user(username: "mary")! }
        #expect(claims["sub"]?.stringValue == mary.id)
        #expect(claims["preferred_username"]?.stringValue == "mary")
        let session = fixture.context.store.read {
            $0.realm(named: "demo")!.sessions.first { $0.id == claims["sid"]?.stringValue }
        }
        #expect(session?.userId == mary.id)
        // An unknown user is still the same 403 for an allowed impersonator.
        expectDenied(
            fixture.exchange(token, clientId: "subject-client", secret: "subject-secret", [("requested_subject", "nobody")]))
    }
}
