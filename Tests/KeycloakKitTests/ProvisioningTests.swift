// The provisioning operations against a scripted admin API that fails on any request it was not
// told to expect, so each test states exactly which reads and writes an operation makes.
import KcxJSON
import Testing

@testable import KeycloakKit

/// Answers scripted requests in order; anything else is a test failure.
final class ScriptedAdminAPI: AdminAPI {
    struct Step {
        let method: String
        let endpoint: String
        let query: [(String, String)]
        let body: JSON?
        let response: HTTPResponse?
        let error: KcxError?
    }

    private var steps: [Step] = []
    private(set) var sent: [String] = []

    func expect(
        _ method: String, _ endpoint: String, query: [(String, String)] = [], body: JSON? = nil, status: Int = 200,
        json: JSON? = nil, location: String? = nil
    ) {
        var headers: [(name: String, value: String)] = []
        if let location { headers.append(("Location", location)) }
        let response = HTTPResponse(status: status, headers: headers, body: json?.serializedBytes() ?? [])
        steps.append(Step(method: method, endpoint: endpoint, query: query, body: body, response: response, error: nil))
    }

    func expectError(_ method: String, _ endpoint: String, _ error: KcxError) {
        steps.append(Step(method: method, endpoint: endpoint, query: [], body: nil, response: nil, error: error))
    }

    func send(method: String, endpoint path: Endpoint, realm: String?, query: [(String, String)], body: JSON?) throws
        -> HTTPResponse
    {
        let endpoint = path.encoded
        sent.append("\(method) \(endpoint)")
        guard !steps.isEmpty else {
            Issue.record("unexpected request \(method) \(endpoint) \(body?.serialized() ?? "")")
            throw KcxError(.serverError, "unexpected request")
        }
        let step = steps.removeFirst()
        #expect(realm == "demo")
        #expect("\(method) \(endpoint)" == "\(step.method) \(step.endpoint)")
        #expect(query.map { "\($0.0)=\($0.1)" } == step.query.map { "\($0.0)=\($0.1)" }, "query of \(method) \(endpoint)")
        if let expected = step.body { #expect(body == expected, "body of \(method) \(endpoint): \(body?.serialized() ?? "nil")") }
        if let error = step.error { throw error }
        return step.response!
    }

    var allConsumed: Bool { steps.isEmpty }
}

let scopeList: JSON = [
    ["id": "s-1", "name": "profile", "protocol": "openid-connect", "attributes": ["include.in.token.scope": "true"]],
    [
        "id": "s-2", "name": "api-access", "protocol": "openid-connect", "description": "old",
        "attributes": ["include.in.token.scope": "true", "display.on.consent.screen": "false"],
        "protocolMappers": [
            [
                "id": "m-1", "name": "api-service audience", "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": [
                    "included.client.audience": "api-service", "access.token.claim": "true", "id.token.claim": "false",
                    "introspection.token.claim": "true", "lightweight.claim": "false",
                ],
            ]
        ],
    ],
]

@Suite struct ClientScopeOperationTests {
    @Test func createsAMissingScopeWithAProtocol() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        api.expect(
            "POST", "client-scopes",
            body: [
                "name": "new-scope", "description": "d", "protocol": "openid-connect",
                "attributes": ["include.in.token.scope": "true", "display.on.consent.screen": "false"],
            ],
            status: 201, location: "http://kc/admin/realms/demo/client-scopes/s-9")
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeClientScope("new-scope", ClientScopeSettings(description: "d"))
        #expect(writer.changes.map(\.outcome) == [.created])
        #expect(api.allConsumed)
    }

    @Test func reportsUnchangedWithoutWriting() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeClientScope("api-access", ClientScopeSettings(description: "old", includeInTokenScope: true))
        #expect(writer.changes == [Change(kind: "client-scope", name: "api-access", outcome: .unchanged)])
        #expect(writer.requests.isEmpty)
    }

    @Test func updatesOnlyWhatDiffersKeepingTheRest() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        var expected = scopeList[1]!
        expected["description"] = "new"
        // The scope's settings only: its mappers are not the PUT's business (Keycloak ignores them there).
        expected["protocolMappers"] = nil
        api.expect("PUT", "client-scopes/s-2", body: expected, status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeClientScope("api-access", ClientScopeSettings(description: "new"))
        #expect(
            writer.changes == [
                Change(kind: "client-scope", name: "api-access", outcome: .updated, details: [#"description: "old" -> "new""#])
            ])
        #expect(api.allConsumed)
    }

    @Test func dryRunReadsButNeverWrites() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        let writer = Writer(api: api, realm: "demo", dryRun: true)
        try writer.convergeClientScope("api-access", ClientScopeSettings(description: "new"))
        #expect(writer.changes.map(\.outcome) == [.updated])
        #expect(writer.requests.map(\.method) == ["PUT"])
        #expect(api.sent == ["GET client-scopes"])
    }

    @Test(arguments: ["has space", "quo\"te", "back\\slash", "ünï", ""])
    func refusesNamesKeycloakRejects(name: String) {
        let api = ScriptedAdminAPI()
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        #expect(throws: KcxError.self) { try writer.convergeClientScope(name, ClientScopeSettings()) }
        #expect(api.sent.isEmpty)
    }

    @Test func movesARealmDefaultScopeToOptionalByDeletingFirst() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        api.expect("GET", "default-default-client-scopes", json: [["id": "s-2", "name": "api-access"]])
        api.expect("GET", "default-optional-client-scopes", json: [])
        api.expect("DELETE", "default-default-client-scopes/s-2", status: 204)
        api.expect("PUT", "default-optional-client-scopes/s-2", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeClientScope("api-access", ClientScopeSettings(realmDefault: .optional))
        #expect(writer.changes.map(\.outcome) == [.unchanged, .updated])
        #expect(api.allConsumed)
    }
}

@Suite struct AudienceOperationTests {
    @Test func refusesAnAudienceThatNamesNoClientBeforeAnyWrite() {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "nope")], json: [])
        // The failure lists clients once, for "did you mean".
        api.expect("GET", "clients", query: [("first", "0"), ("max", "1000")], json: [["id": "c-1", "clientId": "nop"]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        #expect {
            try writer.addAudience(
                .client("nope"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: false, assignTo: [],
                as: nil)
        } throws: { ($0 as? KcxError)?.code == .notFound }
        #expect(writer.requests.isEmpty)
    }

    @Test func leavesAMatchingMapperAlone() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        // The scope list carries the mappers: no read of the mappers endpoint.
        api.expect("GET", "client-scopes", json: scopeList)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.addAudience(
            .client("api-service"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: false, assignTo: [],
            as: nil)
        #expect(writer.changes.map(\.outcome) == [.unchanged])
        #expect(api.allConsumed)
    }

    @Test func turnsTheAccessTokenSwitchBackOn() throws {
        let api = ScriptedAdminAPI()
        var mapper = scopeList[1]!["protocolMappers"]![0]!
        mapper["config"]!["access.token.claim"] = "false"
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        var scope = scopeList[1]!
        scope["protocolMappers"] = [mapper]
        api.expect("GET", "client-scopes", json: [scopeList[0]!, scope])
        var fixed = mapper
        fixed["config"]!["access.token.claim"] = "true"
        api.expect("PUT", "client-scopes/s-2/protocol-mappers/models/m-1", body: fixed, status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.addAudience(
            .client("api-service"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: false, assignTo: [],
            as: nil)
        #expect(writer.changes.first?.details == [#"config.access.token.claim: "false" -> "true""#])
        #expect(api.allConsumed)
    }
}

@Suite struct ResolveOnceTests {
    let myapp: JSON = [
        "id": "c-1", "clientId": "myapp", "protocol": "openid-connect", "defaultClientScopes": ["profile"],
        "optionalClientScopes": [],
    ]

    /// `kcx audience add --audience api-service --scope api-access --create-scope --assign myapp --default`
    /// on a realm where all of it is in place: each client and the scope list once (it was 9 GETs).
    @Test func theAudienceRecipeReadsEachObjectOnceWhenNothingChanges() throws {
        let api = ScriptedAdminAPI()
        var client = myapp
        client["defaultClientScopes"] = ["profile", "api-access"]
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [client])
        api.expect("GET", "client-scopes", json: scopeList)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.addAudience(
            .client("api-service"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: true,
            assignTo: ["myapp"], as: .default)
        #expect(writer.changes.map(\.outcome) == [.unchanged, .unchanged, .unchanged])
        #expect(api.allConsumed)
    }

    /// The first run: what it creates is remembered, so nothing is read twice.
    @Test func theAudienceRecipeRemembersWhatItCreates() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [myapp])
        api.expect("GET", "client-scopes", json: [scopeList[0]!])
        // The mapper goes inside the scope's POST, as apply sends it: one request fewer.
        api.expect("POST", "client-scopes", status: 201, location: "http://kc/admin/realms/demo/client-scopes/s-9")
        api.expect("PUT", "clients/c-1/default-client-scopes/s-9", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.addAudience(
            .client("api-service"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: true,
            assignTo: ["myapp"], as: .default)
        #expect(writer.changes.map(\.outcome) == [.created, .created, .created])
        #expect(api.allConsumed)
        #expect(
            writer.requests.first?.body?["protocolMappers"]?.arrayValue?.first?["config"]?["included.client.audience"]
                == "api-service")
    }

    @Test func theClientsListsSayWhereAScopeIsAssigned() throws {
        let api = ScriptedAdminAPI()
        var client = myapp
        client["optionalClientScopes"] = ["api-access"]
        api.expect("GET", "client-scopes", json: scopeList)
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [client])
        api.expect("DELETE", "clients/c-1/optional-client-scopes/s-2", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeUnassignment("api-access", client: "myapp")
        #expect(
            writer.changes == [Change(kind: "client-scope-assignment", name: "api-access -> myapp (optional)", outcome: .deleted)]
        )
        #expect(api.allConsumed)
    }

    @Test func aMapperOfAnotherTypeUnderTheNameIsAConflictInBothEngines() throws {
        var scope = scopeList[1]!
        scope["protocolMappers"] = [
            [
                "id": "m-7", "name": "api-service audience", "protocol": "openid-connect",
                "protocolMapper": "oidc-hardcoded-claim-mapper", "config": [:],
            ]
        ]
        let list: JSON = [scopeList[0]!, scope]
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        api.expect("GET", "client-scopes", json: list)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        let expected = "scope api-access already has a mapper named 'api-service audience' of type oidc-hardcoded-claim-mapper"
        #expect {
            try writer.addAudience(
                .client("api-service"), on: .clientScope("api-access"), AudienceMapperSettings(), createScope: false,
                assignTo: [], as: nil)
        } throws: {
            ($0 as? KcxError)?.message == expected && ($0 as? KcxError)?.code == .conflict
        }
        let desired = DesiredRealm(
            realm: "demo",
            clientScopes: [
                DesiredClientScope(
                    name: "api-access", description: nil, protocol_: "openid-connect", includeInTokenScope: true,
                    realmDefault: nil,
                    audienceMappers: [
                        DesiredAudienceMapper(
                            name: "api-service audience", audience: .client("api-service"), settings: AudienceMapperSettings())
                    ])
            ])
        let live = LiveRealm(
            clientScopes: list.arrayValue!, clients: [["id": "c-2", "clientId": "api-service"]], realmDefaultScopeIDs: [],
            realmOptionalScopeIDs: [])
        #expect { try Planner.check(desired, against: live) } throws: { ($0 as? KcxError)?.message == expected }
    }

    @Test func aScopeOfAnotherProtocolIsRefusedByBothEngines() throws {
        let saml: JSON = ["id": "s-5", "name": "saml-scope", "protocol": "saml"]
        let expected =
            "client scope 'saml-scope' is saml but client 'myapp' is openid-connect; Keycloak would ignore the assignment"
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [myapp])
        api.expect("GET", "client-scopes", json: [saml])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        #expect { try writer.convergeAssignment("saml-scope", client: "myapp", as: .default) } throws: {
            ($0 as? KcxError)?.message == expected && ($0 as? KcxError)?.code == .usage
        }
        #expect(writer.requests.isEmpty)
        let desired = DesiredRealm(
            realm: "demo", clients: [DesiredClient(clientId: "myapp", defaultScopes: [], optionalScopes: ["saml-scope"])])
        let live = LiveRealm(clientScopes: [saml], clients: [myapp], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        #expect { try Planner.check(desired, against: live) } throws: {
            ($0 as? KcxError)?.message == expected && ($0 as? KcxError)?.code == .usage
        }
    }

    @Test func aPublicRequesterIsRefusedWithTheSameWordsByBothEngines() throws {
        let app: JSON = ["id": "c-1", "clientId": "myapp", "publicClient": true]
        let desired = DesiredRealm(
            realm: "demo",
            clients: [DesiredClient(clientId: "myapp", defaultScopes: [], optionalScopes: [], standardExchange: true)])
        let live = LiveRealm(clientScopes: [], clients: [app], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        #expect { try Planner.check(desired, against: live) } throws: { error in
            guard let error = error as? KcxError else { return false }
            return error.message == requesterRefusal("myapp", app)?.message
                && error.message.contains("Public client is not allowed to exchange token")
        }
    }
}

@Suite struct TokenExchangeOperationTests {
    @Test func refusesAPublicRequesterWithTheAlternatives() {
        let api = ScriptedAdminAPI()
        api.expect(
            "GET", "clients", query: [("clientId", "myapp")], json: [["id": "c-1", "clientId": "myapp", "publicClient": true]])
        api.expect("GET", "clients", query: [("clientId", "api-service")], json: [["id": "c-2", "clientId": "api-service"]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        #expect {
            try writer.allowExchange(from: "myapp", to: "api-service", subjectClient: nil, mode: .standard)
        } throws: { error in
            guard let error = error as? KcxError else { return false }
            return error.code == .usage && error.message.contains("is public") && (error.hint ?? "").contains("kcx audience add")
        }
        #expect(writer.requests.isEmpty)
    }

    @Test func readsFeaturesFromServerInfo() {
        let info: JSON = [
            "features": [
                ["name": "TOKEN_EXCHANGE_STANDARD_V2", "enabled": true], ["name": "TOKEN_EXCHANGE", "enabled": false],
                ["name": "ADMIN_FINE_GRAINED_AUTHZ", "enabled": false],
            ]
        ]
        #expect(
            ServerFeatures.from(serverInfo: info)
                == ServerFeatures(standardExchange: true, legacyExchange: false, fineGrainedV1: false))
    }

    @Test func legacyAllowCreatesOnePolicyAndAttachesIt() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "a")], json: [["id": "c-a", "clientId": "a"]])
        api.expect("GET", "clients", query: [("clientId", "b")], json: [["id": "c-b", "clientId": "b"]])
        api.expect(
            "GET", "clients", query: [("clientId", "realm-management")], json: [["id": "rm", "clientId": "realm-management"]])
        // The planner reads the wiring (nothing yet), then the executor makes the legacy writes.
        api.expect("GET", "clients/c-b/management/permissions", json: ["enabled": false])
        api.expect(
            "GET", "clients/rm/authz/resource-server/policy/search", query: [("name", "kcx-token-exchange-b")], status: 200)
        api.expect("GET", "clients/c-b/management/permissions", json: ["enabled": false])
        api.expect(
            "PUT", "clients/c-b/management/permissions", body: ["enabled": true],
            json: ["enabled": true, "resource": "r-1", "scopePermissions": ["token-exchange": "p-1"]])
        api.expect(
            "GET", "clients/rm/authz/resource-server/policy/search", query: [("name", "kcx-token-exchange-b")], status: 200)
        api.expect(
            "POST", "clients/rm/authz/resource-server/policy/client",
            body: [
                "name": "kcx-token-exchange-b", "description": "Clients allowed to exchange tokens for b (managed by kcx)",
                "clients": ["c-a"], "logic": "POSITIVE", "decisionStrategy": "UNANIMOUS",
            ], status: 201, json: ["id": "pol-1"])
        api.expect("GET", "clients/rm/authz/resource-server/permission/scope/p-1/associatedPolicies", json: [])
        api.expect(
            "PUT", "clients/rm/authz/resource-server/permission/scope/p-1",
            body: [
                "id": "p-1", "name": "token-exchange.permission.client.c-b", "type": "scope", "logic": "POSITIVE",
                "decisionStrategy": "UNANIMOUS", "resources": ["r-1"], "scopes": ["token-exchange"],
                "policies": ["kcx-token-exchange-b"],
            ],
            status: 201)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.allowExchange(from: "a", to: "b", subjectClient: nil, mode: .legacy)
        #expect(writer.changes.map(\.outcome) == [.updated, .created, .updated])
        #expect(api.allConsumed)
    }
}

/// `client-scope assign` and `unassign` run through the engine: a fragment, the planner, and the
/// executor `apply` uses (in a dry run against a recorder that sends no write).
@Suite struct EngineTests {
    let myapp: JSON = [
        "id": "c-1", "clientId": "myapp", "protocol": "openid-connect", "defaultClientScopes": ["api-access"],
        "optionalClientScopes": [],
    ]

    @Test func aMoveIsPlannedAndExecutedAsApplyDoes() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [myapp])
        api.expect("GET", "client-scopes", json: scopeList)
        api.expect("DELETE", "clients/c-1/default-client-scopes/s-2", status: 204)
        api.expect("PUT", "clients/c-1/optional-client-scopes/s-2", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeAssignment("api-access", client: "myapp", as: .optional)
        #expect(
            writer.changes == [
                Change(
                    kind: "client-scope-assignment", name: "api-access -> myapp (optional)", outcome: .updated,
                    details: ["moved from default to optional"])
            ])
        #expect(
            writer.requests.map(\.description) == [
                "DELETE clients/c-1/default-client-scopes/s-2", "PUT clients/c-1/optional-client-scopes/s-2",
            ])
        #expect(api.allConsumed)
        // The writer remembers the move: the same fragment again plans nothing and sends nothing.
        try writer.convergeAssignment("api-access", client: "myapp", as: .optional)
        #expect(
            writer.changes.last
                == Change(kind: "client-scope-assignment", name: "api-access -> myapp (optional)", outcome: .unchanged))
    }

    @Test func aDryRunListsTheExecutorsRequestsAndSendsNone() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [myapp])
        api.expect("GET", "client-scopes", json: scopeList)
        let writer = Writer(api: api, realm: "demo", dryRun: true)
        try writer.convergeAssignment("api-access", client: "myapp", as: .optional)
        #expect(writer.changes.map(\.outcome) == [.updated])
        #expect(
            writer.requests.map(\.description) == [
                "DELETE clients/c-1/default-client-scopes/s-2", "PUT clients/c-1/optional-client-scopes/s-2",
            ])
        #expect(api.sent == ["GET clients", "GET client-scopes"])
    }

    @Test func anAbsentAssignmentIsRemovedFromTheListHoldingIt() throws {
        let api = ScriptedAdminAPI()
        api.expect("GET", "client-scopes", json: scopeList)
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [myapp])
        api.expect("DELETE", "clients/c-1/default-client-scopes/s-2", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeUnassignment("api-access", client: "myapp")
        #expect(
            writer.changes == [Change(kind: "client-scope-assignment", name: "api-access -> myapp (default)", outcome: .deleted)])
        #expect(api.allConsumed)
        try writer.convergeUnassignment("api-access", client: "myapp")
        #expect(
            writer.changes.last
                == Change(
                    kind: "client-scope-assignment", name: "api-access -> myapp", outcome: .unchanged, details: ["not assigned"]))
    }

    @Test func theFragmentPlanIsTheFilePlanPlusRemovals() throws {
        let live = LiveRealm(
            clientScopes: scopeList.arrayValue!, clients: [myapp], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        let fragment = Fragment(
            desired: DesiredRealm(
                realm: "demo", clients: [DesiredClient(clientId: "myapp", defaultScopes: [], optionalScopes: ["profile"])]),
            absent: [.assignment(client: "myapp", scope: "api-access"), .assignment(client: "myapp", scope: "profile")])
        let plan = try Planner.plan(fragment, live: live)
        // profile is not assigned yet when the plan is made, so its absence plans nothing.
        #expect(
            plan.changes.map(\.action) == [
                .assign(clientUUID: "c-1", scope: "profile", from: nil, to: .optional),
                .unassign(clientUUID: "c-1", scope: "api-access", from: .default),
            ])
    }

    @Test func anAbsentAudienceMapperOnAClientNeedsNoScopeList() throws {
        var client = myapp
        client["protocolMappers"] = [
            [
                "id": "m-1", "name": "x audience", "protocolMapper": "oidc-audience-mapper",
                "config": ["included.custom.audience": "x"],
            ],
            ["id": "m-2", "name": "x claim", "protocolMapper": "oidc-hardcoded-claim-mapper", "config": ["claim.value": "x"]],
        ]
        let api = ScriptedAdminAPI()
        api.expect("GET", "clients", query: [("clientId", "myapp")], json: [client])
        api.expect("DELETE", "clients/c-1/protocol-mappers/models/m-1", status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.removeAudienceMapper(.custom("x"), mapperName: nil, from: .client("myapp"))
        #expect(writer.changes == [Change(kind: "audience-mapper", name: "x audience on client myapp", outcome: .deleted)])
        #expect(api.allConsumed)
        // Remembered: a second removal finds nothing and sends nothing.
        try writer.removeAudienceMapper(.custom("x"), mapperName: nil, from: .client("myapp"))
        #expect(
            writer.changes.last
                == Change(kind: "audience-mapper", name: "x on client myapp", outcome: .unchanged, details: ["not present"]))
    }
}
