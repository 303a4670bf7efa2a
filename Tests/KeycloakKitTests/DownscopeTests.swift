// Downscope enable/disable/status against a scripted admin API: exact reads and merged writes,
// other profiles and policies kept, profiles written before policies, idempotence and dry runs.
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct DownscopeTests {
    let otherProfile: JSON = [
        "name": "fapi", "executors": [["executor": "pkce-enforcer", "configuration": ["auto-configure": true]]],
    ]
    let otherPolicy: JSON = [
        "name": "strict", "enabled": true, "conditions": [["condition": "any-client", "configuration": [:]]],
        "profiles": ["fapi"],
    ]

    @Test func enableForEveryClientMergesIntoExistingLists() throws {
        let api = ScriptedAdminAPI()
        // Each list read once; the executor lays kcx's entry over what was read, profile first.
        api.expect("GET", "client-policies/policies", json: ["policies": [otherPolicy]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [otherProfile]])
        api.expect("PUT", "client-policies/profiles", body: ["profiles": [otherProfile, downscopeProfile()]], status: 204)
        api.expect(
            "PUT", "client-policies/policies", body: ["policies": [otherPolicy, downscopePolicy(targeted: false)]], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.enableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(
            writer.changes.map { "\($0.kind) \($0.name) \($0.outcome)" } == [
                "client-profile kcx-downscope created", "client-policy kcx-downscope created",
            ])
        // The policy Keycloak's own test uses: a grant-type condition on the token-exchange URN.
        #expect(
            downscopePolicy(targeted: false)["conditions"] == [
                [
                    "condition": "grant-type",
                    "configuration": [
                        "is-negative-logic": false, "grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"],
                    ],
                ]
            ])
    }

    @Test func enablingTwiceChangesNothing() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: false), otherPolicy]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile(), otherProfile]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.enableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(writer.changes.map(\.outcome) == [.unchanged, .unchanged])
        #expect(writer.requests.isEmpty)
    }

    @Test func aDriftedProfileIsRepairedInPlace() throws {
        let api = ScriptedAdminAPI()
        var drifted = downscopeProfile()
        drifted["executors"] = [["executor": "pkce-enforcer", "configuration": [:]]]
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: false)]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [otherProfile, drifted]])
        api.expect("PUT", "client-policies/profiles", body: ["profiles": [otherProfile, downscopeProfile()]], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.enableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(writer.changes.map(\.outcome) == [.updated, .unchanged])
        #expect(writer.changes.first?.details.first?.hasPrefix("executors") == true)
    }

    @Test func enableForOneClientUsesTheMarkerScopeAndADryRunSendsNothing() throws {
        let api = ScriptedAdminAPI()
        let serviceA: JSON = [["id": "c-a", "clientId": "service-a", "protocol": "openid-connect"]]
        // The client and the scope list once each: the assignment step uses what the run has read.
        api.expect("GET", "clients", query: [("clientId", "service-a")], json: serviceA)
        api.expect("GET", "client-policies/policies", json: ["policies": []])
        api.expect("GET", "client-policies/profiles", json: ["profiles": []])
        api.expect("GET", "client-scopes", json: [])
        let writer = Writer(api: api, realm: "demo", dryRun: true)
        try writer.enableDownscope(clients: ["service-a", "service-a"])
        #expect(api.allConsumed)
        #expect(
            writer.requests.map { "\($0.method) \($0.endpoint)" } == [
                "POST client-scopes", "PUT clients/c-a/default-client-scopes/<new client-scope kcx-downscope-marker>",
                "PUT client-policies/profiles", "PUT client-policies/policies",
            ])
        #expect(writer.requests[0].body?["attributes"]?["include.in.token.scope"] == "false")
        // Both conditions vote on a token-exchange request, so only the marked requesters are downscoped.
        #expect(writer.requests[3].body == ["policies": [downscopePolicy(targeted: true)]])
        #expect(
            downscopePolicy(targeted: true)["conditions"]?[1] == [
                "condition": "client-scopes",
                "configuration": ["is-negative-logic": false, "type": "Default", "scopes": ["kcx-downscope-marker"]],
            ])
        #expect(
            writer.changes.map { "\($0.kind) \($0.name) \($0.outcome)" } == [
                "client-scope kcx-downscope-marker created",
                "client-scope-assignment kcx-downscope-marker -> service-a (default) created",
                "client-profile kcx-downscope created", "client-policy kcx-downscope created",
            ])
    }

    @Test func enablingForOneClientNeverNarrowsAPolicyForEveryone() throws {
        let api = ScriptedAdminAPI()
        // No scope list: a policy for everyone needs no marker scope.
        api.expect("GET", "clients", query: [("clientId", "service-a")], json: [["id": "c-a", "clientId": "service-a"]])
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: false)]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile()]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.enableDownscope(clients: ["service-a"])
        #expect(api.allConsumed)
        #expect(writer.requests.isEmpty)
        #expect(
            writer.changes == [
                Change(kind: "client-profile", name: "kcx-downscope", outcome: .unchanged),
                Change(
                    kind: "client-policy", name: "kcx-downscope", outcome: .unchanged,
                    details: ["already enforced for every client"]),
            ])
    }

    @Test func updatingAPolicyForEveryoneToTargetedReportsTheDifference() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: true)]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile()]])
        api.expect("PUT", "client-policies/policies", body: ["policies": [downscopePolicy(targeted: false)]], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.enableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(writer.changes.last?.outcome == .updated)
        #expect(writer.changes.last?.details.first?.hasPrefix("description: ") == true)
    }

    @Test func disableRemovesPolicyThenProfileThenMarker() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: [["id": "s-m", "name": "kcx-downscope-marker"]])
        api.expect("GET", "client-policies/policies", json: ["policies": [otherPolicy, downscopePolicy(targeted: false)]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile(), otherProfile]])
        api.expect("PUT", "client-policies/policies", body: ["policies": [otherPolicy]], status: 204)
        api.expect("PUT", "client-policies/profiles", body: ["profiles": [otherProfile]], status: 204)
        api.expect("DELETE", "client-scopes/s-m", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.disableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(
            writer.changes.map { "\($0.kind) \($0.name) \($0.outcome)" } == [
                "client-policy kcx-downscope deleted", "client-profile kcx-downscope deleted",
                "client-scope kcx-downscope-marker deleted",
            ])
    }

    @Test func disableKeepsAProfileAnotherPolicyNames() throws {
        let api = ScriptedAdminAPI()
        let borrower: JSON = ["name": "theirs", "enabled": true, "profiles": ["kcx-downscope"]]
        api.expect("GET", "client-scopes", json: [])
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: true), borrower]])
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile()]])
        api.expect("PUT", "client-policies/policies", body: ["policies": [borrower]], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.disableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(
            writer.changes.map { "\($0.kind) \($0.name) \($0.outcome) \($0.details)" } == [
                "client-policy kcx-downscope deleted []",
                "client-profile kcx-downscope unchanged [\"kept: another policy names it\"]",
                "client-scope kcx-downscope-marker unchanged [\"does not exist\"]",
            ])
    }

    @Test func disableWhenOffIsUnchanged() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: [])
        api.expect("GET", "client-policies/policies", json: ["policies": []])
        api.expect("GET", "client-policies/profiles", json: ["profiles": []])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.disableDownscope(clients: [])
        #expect(api.allConsumed)
        #expect(writer.changes.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
        #expect(writer.requests.isEmpty)
    }

    /// The file's `downscope` is the same rule: false takes out a policy limited to some clients too.
    @Test func theFilesFalseRemovesATargetedPolicyAndTheMarker() {
        var live = LiveRealm(
            clientScopes: [["id": "s-m", "name": "kcx-downscope-marker"]], clients: [], realmDefaultScopeIDs: [],
            realmOptionalScopeIDs: [])
        live.clientPolicies = ["policies": [downscopePolicy(targeted: true)]]
        live.clientProfiles = ["profiles": [downscopeProfile()]]
        var desired = DesiredRealm(realm: "demo")
        desired.downscope = false
        let changes = Planner.diff(desired, live, prune: false).changes
        #expect(
            changes.map { "\($0.operation.rawValue) \($0.kind) \($0.name)" } == [
                "- client-policy kcx-downscope", "- client-profile kcx-downscope", "- client-scope kcx-downscope-marker",
            ])
        #expect(changes.map(\.action.phase) == [6, 7, 9])
        #expect(live.downscopeOn == false)
    }

    @Test func disableForOneClientOfAPolicyForEveryoneIsAUsageError() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: false)]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        let error = try #require(throws: KcxError.self) { try writer.disableDownscope(clients: ["service-a"]) }
        #expect(error.code == .usage)
        #expect(error.message == "downscope is enforced for every client in realm 'demo'; it cannot be lifted for single clients")
        #expect(writer.requests.isEmpty)
    }

    @Test func statusNamesTheCoveredClients() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-policies/profiles", json: ["profiles": [downscopeProfile()]])
        api.expect("GET", "client-policies/policies", json: ["policies": [downscopePolicy(targeted: true)]])
        api.expect("GET", "clients", query: [("clientId", "a")], json: [["id": "c-a", "clientId": "a"]])
        api.expect("GET", "clients/c-a/default-client-scopes", json: [["id": "s-m", "name": "kcx-downscope-marker"]])
        api.expect("GET", "clients", query: [("clientId", "b")], json: [["id": "c-b", "clientId": "b"]])
        api.expect("GET", "clients/c-b/default-client-scopes", json: [])
        let status = try Lookup(api: api, realm: "demo").downscopeStatus(clients: ["a", "b"])
        #expect(api.allConsumed)
        #expect(status == DownscopeStatus(coverage: .clients(["a"]), otherPolicies: [], profileMissing: false))
    }

    @Test func statusSeesAMissingProfileAndOtherPolicies() throws {
        let api = ScriptedAdminAPI()
        let foreign: JSON = ["name": "theirs", "enabled": true, "profiles": ["their-downscope"]]
        api.expect(
            "GET", "client-policies/profiles",
            json: [
                "profiles": [
                    [
                        "name": "their-downscope",
                        "executors": [["executor": "downscope-assertion-grant-enforcer", "configuration": [:]]],
                    ]
                ]
            ])
        api.expect("GET", "client-policies/policies", json: ["policies": [foreign, downscopePolicy(targeted: false)]])
        let status = try Lookup(api: api, realm: "demo").downscopeStatus(clients: [])
        #expect(status == DownscopeStatus(coverage: .everyClient, otherPolicies: ["theirs"], profileMissing: true))
        #expect(status.json == ["enforced": "every-client", "otherPolicies": ["theirs"], "profileMissing": true])
    }
}
