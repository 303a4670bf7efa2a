// Client profiles/policies endpoints and their enforcement on token exchange
// (client-policies-events.md §1.2–§1.7, token-exchange.md §0.2 and §1.6).
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

private let downscopeProfiles =
    #"{"profiles":[{"name":"te-downscope","description":"downscope token exchange","executors":[{"executor":"downscope-assertion-grant-enforcer","configuration":{}}]}]}"#
private let downscopePolicies =
    #"{"policies":[{"name":"te-downscope-all","description":"all token exchanges","enabled":true,"conditions":[{"condition":"grant-type","configuration":{"is-negative-logic":false,"grant_types":["urn:ietf:params:oauth:grant-type:token-exchange"]}}],"profiles":["te-downscope"]}]}"#

@Suite struct ClientPolicyEndpointTests {
    let harness: AdminHarness = {
        let harness = AdminHarness()
        harness.createRealm("demo")
        return harness
    }()

    private func expectBody(
        _ response: ServerResponse, _ status: Int, _ body: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.bodyText == body, sourceLocation: sourceLocation)
    }

    // §1.2, §1.3: empty lists, global lists only when asked.
    @Test func emptyRealmReadsAndGlobalLists() {
        expectBody(harness.send("GET", "/admin/realms/demo/client-policies/profiles"), 200, #"{"profiles":[]}"#)
        expectBody(harness.send("GET", "/admin/realms/demo/client-policies/policies"), 200, #"{"policies":[]}"#)
        expectBody(
            harness.send("GET", "/admin/realms/demo/client-policies/policies?include-global-policies=true"), 200,
            #"{"policies":[],"globalPolicies":[]}"#)
        let global = harness.send("GET", "/admin/realms/demo/client-policies/profiles?include-global-profiles=true")
        #expect(global.status == 200)
        #expect(global.firstHeader("Content-Type") == "application/json;charset=UTF-8")
        #expect(global.bodyJSON["profiles"] == .array([]))
        #expect(
            global.bodyJSON["globalProfiles"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                "fapi-1-baseline", "fapi-1-advanced", "fapi-ciba", "fapi-2-security-profile", "fapi-2-message-signing",
                "oauth-2-1-for-confidential-client", "oauth-2-1-for-public-client", "fapi-2-dpop-security-profile",
                "fapi-2-dpop-message-signing", "saml-security-profile",
            ])
    }

    // §1.4: PUT replaces the lists; profiles first, then policies; `enabled` absent is stored false.
    @Test func putReplacesAndReadsBack() {
        expectBody(harness.send("PUT", "/admin/realms/demo/client-policies/profiles", json: downscopeProfiles), 204, "")
        expectBody(harness.send("GET", "/admin/realms/demo/client-policies/profiles"), 200, downscopeProfiles)
        expectBody(harness.send("PUT", "/admin/realms/demo/client-policies/policies", json: downscopePolicies), 204, "")
        expectBody(harness.send("GET", "/admin/realms/demo/client-policies/policies"), 200, downscopePolicies)
        // Echoing a GET with the global list back is accepted.
        let withGlobal = harness.send("GET", "/admin/realms/demo/client-policies/profiles?include-global-profiles=true")
        expectBody(harness.send("PUT", "/admin/realms/demo/client-policies/profiles", json: withGlobal.bodyText), 204, "")
        expectBody(
            harness.send(
                "PUT", "/admin/realms/demo/client-policies/policies",
                json: #"{"policies":[{"name":"p","conditions":[],"profiles":[]}]}"#),
            204, "")
        expectBody(
            harness.send("GET", "/admin/realms/demo/client-policies/policies"), 200,
            #"{"policies":[{"name":"p","enabled":false,"conditions":[],"profiles":[]}]}"#)
        expectBody(harness.send("PUT", "/admin/realms/demo/client-policies/policies", json: #"{"policies":[]}"#), 204, "")
        expectBody(harness.send("GET", "/admin/realms/demo/client-policies/policies"), 200, #"{"policies":[]}"#)
        // Persistence: the lists travel in the store snapshot.
        let restored = SandboxStore()
        try? restored.restore(harness.context.store.snapshot())
        #expect(restored.read { ClientPolicyStore.profiles($0.realm(named: "demo")!).count } == 1)
    }

    // §1.4 validation table, exact bodies; nothing is stored on a rejection.
    @Test func profileValidationErrors() {
        let path = "/admin/realms/demo/client-policies/profiles"
        expectBody(harness.send("PUT", path, json: ""), 400, #"{"errorMessage":"Passing null clientProfiles not allowed"}"#)
        expectBody(
            harness.send("PUT", path, json: "{"), 400, #"{"error":"invalid_request","error_description":"Cannot parse the JSON"}"#
        )
        expectBody(
            harness.send("PUT", path, json: #"{"nosuchfield":1}"#), 400,
            #"{"error":"Invalid json representation for ClientProfilesRepresentation. Unrecognized field \"nosuchfield\" at line 1 column 16."}"#
        )
        expectBody(
            harness.send("PUT", path, json: #"{"profiles":[{"executors":[]}]}"#), 400,
            #"{"errorMessage":"client profile without its name not allowed."}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"profiles":[{"name":"a","executors":[]},{"name":"a","executors":[]}]}"#), 400,
            #"{"errorMessage":"proposed client profile name duplicated."}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"profiles":[],"globalProfiles":[{"name":"x"}]}"#), 400,
            #"{"errorMessage":"Global profiles cannot be updated"}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"profiles":[{"name":"fapi-ciba","executors":[]}]}"#), 400,
            #"{"errorMessage":"Proposed profile name 'fapi-ciba' is duplicated as a global profile"}"#)
        expectBody(
            harness.send(
                "PUT", path, json: #"{"profiles":[{"name":"a","executors":[{"executor":"no-such","configuration":{}}]}]}"#), 400,
            #"{"errorMessage":"proposed client profile contains the executor, which does not have valid provider, or has invalid configuration."}"#
        )
        expectBody(harness.send("GET", path), 200, #"{"profiles":[]}"#)
    }

    @Test func policyValidationErrors() {
        let path = "/admin/realms/demo/client-policies/policies"
        #expect(harness.send("PUT", "/admin/realms/demo/client-policies/profiles", json: downscopeProfiles).status == 204)
        expectBody(harness.send("PUT", path, json: ""), 400, #"{"errorMessage":"Passing null clientPolicies not allowed"}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"policies":[],"globalPolicies":[{"name":"g"}]}"#), 400,
            #"{"errorMessage":"Global policies cannot be updated"}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"policies":[{"name":"a"},{"name":"a"}]}"#), 400,
            #"{"errorMessage":"proposed client policy name duplicated"}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"policies":[{"enabled":true}]}"#), 400,
            #"{"errorMessage":"client policy without name not allowed"}"#)
        expectBody(
            harness.send(
                "PUT", path, json: #"{"policies":[{"name":"a","conditions":[{"condition":"client-ids","configuration":{}}]}]}"#),
            400, #"{"errorMessage":"Policy a contains invalid condition client-ids"}"#)
        expectBody(
            harness.send(
                "PUT", path,
                json:
                    #"{"policies":[{"name":"a","conditions":[{"condition":"client-scopes","configuration":{"type":"Default","scopes":["x"]}}]}]}"#
            ),
            400, #"{"errorMessage":"Invalid client-scopes configuration - Client scopes not allowed: [x]"}"#)
        expectBody(
            harness.send("PUT", path, json: #"{"policies":[{"name":"a","profiles":["te-downscope","te-downscope"]}]}"#), 400,
            #"{"errorMessage":"Policy a contains duplicated profiles"}"#)
        expectBody(
            harness.send(
                "PUT", path, json: #"{"policies":[{"name":"gloak-probe-bad-policy","profiles":["gloak-probe-no-such-profile"]}]}"#
            ),
            400, #"{"errorMessage":"Policy gloak-probe-bad-policy contains invalid profile gloak-probe-no-such-profile"}"#)
        expectBody(harness.send("GET", path), 200, #"{"policies":[]}"#)
    }

    // §0: view-realm reads, manage-realm writes.
    @Test func rolesGuardTheRoutes() {
        let viewer = harness.context.store.withLock { state -> AdminCaller in
            let index = state.realmIndex(named: "master")!
            let user = User(id: SandboxStore.newId(), username: "nobody", createdTimestamp: 0)
            state.realms[index].users.append(user)
            return AdminCaller(realmName: "master", userId: user.id)
        }
        #expect(harness.send("GET", "/admin/realms/demo/client-policies/policies", as: viewer).status == 403)
        #expect(
            harness.send("PUT", "/admin/realms/demo/client-policies/profiles", json: downscopeProfiles, as: viewer).status == 403)
        #expect(harness.send("DELETE", "/admin/realms/demo/client-policies/profiles").status == 405)
    }
}

@Suite struct ClientPolicyEnforcementTests {
    let fixture = makeExchangeRealm()

    private func admin(_ method: String, _ path: String, _ json: String) -> ServerResponse {
        let request = ServerRequest(
            method: method, target: path, path: path, query: [], headers: [("Content-Type", "application/json")],
            body: Array(json.utf8))
        let adminId = fixture.context.store.read { $0.master!.user(username: "admin")!.id }
        return AdminRoutes.handle(request, fixture.context, caller: AdminCaller(realmName: "master", userId: adminId))
    }

    private func enableDownscope(policies: String = downscopePolicies) {
        #expect(admin("PUT", "/admin/realms/demo/client-policies/profiles", downscopeProfiles).status == 204)
        #expect(admin("PUT", "/admin/realms/demo/client-policies/policies", policies).status == 204)
    }

    // §1.6 step 3: enabled → the escalation is refused with Keycloak's error; disabled → allowed.
    @Test func escalationRefusedWhileEnabledAllowedWhenDisabled() {
        let token = fixture.subjectToken()
        #expect(jwtClaims(token)["scope"] == "email profile")
        enableDownscope()
        let refused = fixture.exchange(token, [("scope", "optional-scope2")])
        #expect(refused.status == 400)
        #expect(
            refused.text
                == #"{"error":"invalid_scope","error_description":"Scopes [optional-scope2] not present in the initial access token [profile, email]"}"#
        )
        #expect(admin("PUT", "/admin/realms/demo/client-policies/policies", #"{"policies":[]}"#).status == 204)
        let allowed = fixture.exchange(token, [("scope", "optional-scope2")])
        #expect(allowed.status == 200)
        #expect(allowed.jsonObject["scope"] == "default-scope1 email optional-scope2 profile")
    }

    // §1.6 step 4: the token keeps only the subject token's scopes (+ hidden defaults); default-scope1 and
    // the requester's own mappers are dropped.
    @Test func passingExchangeIsRestrictedToTheSubjectScopes() {
        let token = fixture.subjectToken()
        enableDownscope()
        let body = fixture.exchange(token, [("scope", "email")]).jsonObject
        #expect(body["scope"] == "email profile")
        let claims = jwtClaims(body["access_token"]?.stringValue)
        #expect(claims["scope"] == "email profile")
        #expect(claims["aud"] == nil)
        #expect(claims["resource_access"] == nil)
    }

    // §1.5: disabled policies, conditions voting NO and abstaining-only policies do not apply.
    @Test func onlyMatchingEnabledPoliciesApply() {
        let token = fixture.subjectToken()
        let variants = [
            downscopePolicies.replacingOccurrences(of: #""enabled":true"#, with: #""enabled":false"#),
            downscopePolicies.replacingOccurrences(of: #""is-negative-logic":false"#, with: #""is-negative-logic":true"#),
            #"{"policies":[{"name":"roles","enabled":true,"conditions":[{"condition":"client-roles","configuration":{"roles":["x"]}}],"profiles":["te-downscope"]}]}"#,
            #"{"policies":[{"name":"none","enabled":true,"conditions":[],"profiles":["te-downscope"]}]}"#,
            #"{"policies":[{"name":"strict","enabled":true,"mode":"STRICT","conditions":[{"condition":"any-client","configuration":{}},{"condition":"client-roles","configuration":{"roles":["x"]}}],"profiles":["te-downscope"]}]}"#,
        ]
        for policies in variants {
            enableDownscope(policies: policies)
            #expect(fixture.exchange(token, [("scope", "optional-scope2")]).status == 200, "\(policies)")
        }
        // DEFAULT mode: an abstaining client-roles beside a YES still applies (§1.7 consequence).
        enableDownscope(
            policies:
                #"{"policies":[{"name":"d","enabled":true,"conditions":[{"condition":"any-client","configuration":{}},{"condition":"client-roles","configuration":{"roles":["x"]}}],"profiles":["te-downscope"]}]}"#
        )
        #expect(fixture.exchange(token, [("scope", "optional-scope2")]).status == 400)
    }

    // §1.7: client-scopes Default selects requesters holding the marker scope as a default scope.
    @Test func clientScopesConditionSelectsRequesters() {
        let token = fixture.subjectToken()
        enableDownscope(
            policies:
                #"{"policies":[{"name":"ab","enabled":true,"conditions":[{"condition":"grant-type","configuration":{"grant_types":["urn:ietf:params:oauth:grant-type:token-exchange"]}},{"condition":"client-scopes","configuration":{"type":"Default","scopes":["default-scope1"]}}],"profiles":["te-downscope"]}]}"#
        )
        #expect(fixture.exchange(token, [("scope", "optional-scope2")]).status == 400)
        enableDownscope(
            policies:
                #"{"policies":[{"name":"ab","enabled":true,"conditions":[{"condition":"client-scopes","configuration":{"type":"Default","scopes":["optional-scope2"]}}],"profiles":["te-downscope"]}]}"#
        )
        #expect(fixture.exchange(token, [("scope", "optional-scope2")]).status == 200)
    }

    // §1.6 step 2: policies run before the provider verifies the subject token.
    @Test func garbageSubjectTokenGetsTheExecutorError() {
        enableDownscope()
        let response = fixture.exchange("garbage")
        #expect(response.status == 400)
        #expect(response.text == #"{"error":"invalid_request","error_description":"Assertion contains an invalid access token"}"#)
    }

    // Set.toString order as Keycloak's test shows it (§1.6).
    @Test func javaHashSetOrder() {
        #expect(JavaHashSet.ordered(["email", "profile", "optional-scope2"]) == ["optional-scope2", "profile", "email"])
    }
}
