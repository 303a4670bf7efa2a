// Claim computation from client scopes and mappers (token-exchange.md §1.6, §1.7, §4.2; admin-api.md §5.5, §7).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct OIDCTokenClaimsTests {
    let fixture = OIDCFixture()

    init() {
        fixture.addClient(["clientId": "api", "secret": "api-secret"])
        fixture.addClientRole("api", "reader")
    }

    private func accessClaims(_ client: String, scope: String? = nil, user: String = "alice") -> JSONObject {
        jwtClaims(
            fixture.passwordLogin(user, clientId: client, secret: client + "-secret", scope: scope)["access_token"]?.stringValue)
    }

    private func mapper(_ name: String, _ type: String, _ config: JSON) -> JSON {
        ["name": .string(name), "protocol": "openid-connect", "protocolMapper": .string(type), "config": config]
    }

    // admin-api.md §5.5: client audience first, custom audience as fallback, the switches honoured.
    @Test func audienceMapperSwitches() {
        fixture.addClient([
            "clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true,
            "protocolMappers": [
                mapper(
                    "both", "oidc-audience-mapper", ["included.client.audience": "api", "included.custom.audience": "ignored"]),
                mapper(
                    "custom", "oidc-audience-mapper",
                    ["included.custom.audience": "https://billing.example", "access.token.claim": "true"]),
                mapper(
                    "id-only", "oidc-audience-mapper",
                    ["included.custom.audience": "id-only", "access.token.claim": "false", "id.token.claim": "true"]),
                mapper("none", "oidc-audience-mapper", ["access.token.claim": "true"]),
            ],
        ])
        fixture.addUser("alice")
        let claims = accessClaims("app")
        #expect(claims["aud"] == ["account", "api", "https://billing.example"])
        let body = fixture.passwordLogin("alice", clientId: "app", secret: "app-secret", scope: "openid")
        // The ID token's audience is the client; the mapper with id.token.claim adds its own.
        #expect(jwtClaims(body["id_token"]?.stringValue)["aud"] == "app")
    }

    // §7: audience resolve needs a role of the client held by the user and in the client's scope.
    @Test func audienceResolveFollowsTheRoleScope() {
        fixture.addClient(["clientId": "full", "secret": "full-secret", "directAccessGrantsEnabled": true])
        fixture.addClient([
            "clientId": "narrow", "secret": "narrow-secret", "directAccessGrantsEnabled": true, "fullScopeAllowed": false,
        ])
        fixture.addUser("alice", roles: ["api/reader"])
        #expect(accessClaims("full")["aud"] == ["account", "api"])
        // No scope mappings: only the client's own roles are in scope, so no resource_access, no aud.
        let narrow = accessClaims("narrow")
        #expect(narrow["aud"] == nil)
        #expect(narrow["resource_access"] == nil)
        #expect(narrow["realm_access"] == nil)
        let reader = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "api")!.role(name: "reader")!.id }
        fixture.updateClient("narrow") { $0.scopeMappingRoleIds = [reader] }
        #expect(accessClaims("narrow")["aud"] == "api")
        #expect(accessClaims("narrow")["resource_access"] == ["api": ["roles": ["reader"]]])
    }

    // §4.2: removing the roles scope removes audience resolve (no `account`).
    @Test func withoutRolesScopeThereIsNoAudience() {
        fixture.addClient([
            "clientId": "bare", "secret": "bare-secret", "directAccessGrantsEnabled": true,
            "defaultClientScopes": ["basic", "profile"],
        ])
        fixture.addUser("alice")
        let claims = accessClaims("bare")
        #expect(claims["aud"] == nil)
        #expect(claims["realm_access"] == nil)
        #expect(claims["scope"] == "profile")
        #expect(claims["preferred_username"] == "alice")
    }

    // admin-api.md §5.6: hardcoded claims and user attributes, typed and nested.
    @Test func hardcodedClaimAndUserAttribute() {
        fixture.addClient([
            "clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true,
            "protocolMappers": [
                mapper(
                    "tenant", "oidc-hardcoded-claim-mapper",
                    ["claim.name": "org.tenant", "claim.value": "acme", "jsonType.label": "String"]),
                mapper(
                    "level", "oidc-hardcoded-claim-mapper", ["claim.name": "level", "claim.value": "3", "jsonType.label": "long"]),
                mapper(
                    "dotted", "oidc-hardcoded-claim-mapper",
                    ["claim.name": #"a\.b"#, "claim.value": "true", "jsonType.label": "boolean"]),
                mapper(
                    "dept", "oidc-usermodel-attribute-mapper",
                    ["user.attribute": "department", "claim.name": "department", "jsonType.label": "String"]),
                mapper(
                    "teams", "oidc-usermodel-attribute-mapper",
                    ["user.attribute": "team", "claim.name": "teams", "multivalued": "true"]),
                mapper(
                    "hidden", "oidc-hardcoded-claim-mapper",
                    ["claim.name": "hidden", "claim.value": "x", "access.token.claim": "false"]),
            ],
        ])
        fixture.addUser("alice") { user in
            user.attributes["department"] = ["sales"]
            user.attributes["team"] = ["red", "blue"]
        }
        let claims = accessClaims("app")
        #expect(claims["org"] == ["tenant": "acme"])
        #expect(claims["level"] == 3)
        #expect(claims["a.b"] == true)
        #expect(claims["department"] == "sales")
        #expect(claims["teams"] == ["red", "blue"])
        #expect(claims["hidden"] == nil)
        // Unknown claims follow Keycloak's known ones.
        #expect(Array(claims.keys.suffix(6)) == ["preferred_username", "org", "level", "a.b", "department", "teams"])
    }

    // §1.6: a client scope with role scope-mappings applies only to users holding one of the roles.
    @Test func roleGatedClientScope() {
        fixture.addClient(["clientId": "app", "secret": "app-secret", "directAccessGrantsEnabled": true])
        let reader = fixture.context.store.read { $0.realm(named: "demo")!.client(clientId: "api")!.role(name: "reader")!.id }
        fixture.updateRealm { realm in
            var scope = ClientScope(
                id: SandboxStore.newId(), name: "api-read", description: nil, loginProtocol: "openid-connect",
                attributes: JSONObject([("include.in.token.scope", "true")]))
            scope.scopeMappingRoleIds = [reader]
            realm.clientScopes.append(scope)
            let app = realm.clients.firstIndex { $0.clientId == "app" }!
            realm.clients[app].defaultScopeIds.append(scope.id)
        }
        fixture.addUser("alice", roles: ["api/reader"])
        fixture.addUser("bob")
        #expect(accessClaims("app", user: "alice")["scope"] == "api-read email profile")
        #expect(accessClaims("app", user: "bob")["scope"] == "email profile")
    }
}
