// Doctor's checks on hand-built realm surveys: each finding from a realm that has it, none from a clean one.
import KcxJSON
import Testing

@testable import KeycloakKit

func surveyedClient(
    _ clientId: String, isPublic: Bool = false, exchange: Bool = false, lifespan: Int? = nil, defaults: [String] = [],
    optionals: [String] = []
) -> SurveyedClient {
    var client = SurveyedClient(
        id: "id-\(clientId)", clientId: clientId, publicClient: isPublic, standardExchange: exchange,
        accessTokenLifespan: lifespan, representation: .null)
    client.defaultScopes = defaults
    client.optionalScopes = optionals
    return client
}

func audienceSite(_ audience: String, scope: String? = nil, client: String? = nil, namesClient: Bool = true) -> AudienceMapperSite
{
    AudienceMapperSite(
        container: scope.map { .clientScope($0) } ?? .client(client ?? ""), mapperName: "\(audience) audience",
        audience: audience, namesClient: namesClient,
        inAccessToken: true)
}

func makeSurvey(
    clients: [SurveyedClient], mappers: [AudienceMapperSite] = [],
    realm: JSON = ["accessTokenLifespan": 300, "sslRequired": "external"],
    realmDefaults: [String] = ["profile", "email"], legacy: [LegacyExchangePermission] = [],
    events: JSON? = ["eventsEnabled": true, "enabledEventTypes": []],
    profiles: JSON? = ["profiles": []], policies: JSON? = ["policies": []], scopes: [ClientScopeRef] = []
) -> RealmSurvey {
    RealmSurvey(
        realm: "demo", realmRepresentation: realm,
        features: ServerFeatures(standardExchange: true, legacyExchange: false, fineGrainedV1: false),
        clients: clients, allClientIds: Set(clients.map(\.clientId) + ["account", "realm-management"]), scopes: scopes,
        realmDefaultScopes: realmDefaults,
        audienceMappers: mappers, legacyPermissions: legacy, eventsConfig: events, clientProfiles: profiles,
        clientPolicies: policies)
}

let downscopeOn: (JSON, JSON) = (
    ["profiles": [["name": "p", "executors": [["executor": "downscope-assertion-grant-enforcer", "configuration": [:]]]]]],
    ["policies": [["name": "x", "enabled": true, "conditions": [], "profiles": ["p"]]]]
)

@Suite struct DoctorTests {
    func checks(_ survey: RealmSurvey, server: String = "https://kc.example.com") -> [String] {
        Doctor(survey: survey, serverURL: server).findings().map {
            "\($0.severity.rawValue) \($0.check): \($0.objects.joined(separator: ", "))"
        }
    }

    @Test func aCleanRealmHasNoFindings() {
        let survey = makeSurvey(
            clients: [
                surveyedClient("api", exchange: true, defaults: ["api-audience"]),
                surveyedClient("spa", isPublic: true, optionals: ["api-audience"]),
            ],
            mappers: [audienceSite("api", scope: "api-audience")], profiles: downscopeOn.0, policies: downscopeOn.1)
        #expect(checks(survey, server: "http://127.0.0.1:8080").isEmpty)
        #expect(checks(survey, server: "http://localhost:8080").isEmpty)
    }

    @Test func publicClientsAllowedToExchangeAreErrors() {
        let survey = makeSurvey(
            clients: [
                surveyedClient("spa", isPublic: true, exchange: true), surveyedClient("web", isPublic: true),
                surveyedClient("target"),
            ],
            legacy: [
                LegacyExchangePermission(
                    target: "target", requesters: ["web"], policyNames: ["kcx-token-exchange-target"],
                    decisionStrategy: "UNANIMOUS")
            ],
            profiles: downscopeOn.0, policies: downscopeOn.1)
        #expect(
            checks(survey) == [
                "error public-exchange-requester: client spa",
                "error public-exchange-requester: client web, legacy permission on target",
            ])
        let findings = Doctor(survey: survey, serverURL: "https://kc").findings()
        #expect(findings[0].fix == "kcx token-exchange disable --client spa -r demo")
        #expect(findings[1].fix == "kcx token-exchange deny --from web --to target --mode legacy -r demo")
    }

    @Test func standardExchangeWithoutDownscopeIsAWarningUnlessPoliciesAreUnreadable() {
        let clients = [surveyedClient("a", exchange: true), surveyedClient("b", exchange: true), surveyedClient("c")]
        #expect(checks(makeSurvey(clients: clients)) == ["warning no-downscope-enforcement: client a, client b"])
        // A disabled policy does not count.
        let disabled: JSON = ["policies": [["name": "x", "enabled": false, "profiles": ["p"]]]]
        #expect(
            checks(makeSurvey(clients: clients, profiles: downscopeOn.0, policies: disabled)) == [
                "warning no-downscope-enforcement: client a, client b"
            ])
        #expect(checks(makeSurvey(clients: clients, profiles: nil, policies: nil)).isEmpty)
        // A policy selecting requesters by a default scope covers only the clients holding it.
        let targeted: JSON = [
            "policies": [
                [
                    "name": "x", "enabled": true, "profiles": ["p"],
                    "conditions": [
                        ["condition": "grant-type", "configuration": [:]],
                        [
                            "condition": "client-scopes",
                            "configuration": ["type": "Default", "scopes": ["kcx-downscope-marker"]],
                        ],
                    ],
                ]
            ]
        ]
        let marked = [
            surveyedClient("a", exchange: true, defaults: ["kcx-downscope-marker"]), surveyedClient("b", exchange: true),
        ]
        #expect(
            checks(makeSurvey(clients: marked, profiles: downscopeOn.0, policies: targeted)) == [
                "warning no-downscope-enforcement: client b"
            ])
        #expect(
            Doctor(survey: makeSurvey(clients: clients), serverURL: "https://kc").findings()[0].fix
                == "kcx token-exchange downscope enable -r demo")
    }

    @Test func severalPoliciesUnderUnanimousDenyEveryone() {
        let permission = LegacyExchangePermission(
            target: "t", requesters: ["a", "b"], policyNames: ["pa", "pb"], decisionStrategy: "UNANIMOUS")
        let affirmative = LegacyExchangePermission(
            target: "u", requesters: ["a", "b"], policyNames: ["pa", "pb"], decisionStrategy: "AFFIRMATIVE")
        let survey = makeSurvey(
            clients: [surveyedClient("a"), surveyedClient("b"), surveyedClient("t"), surveyedClient("u")],
            legacy: [permission, affirmative])
        #expect(checks(survey) == ["error unanimous-exchange-policies: token-exchange permission of t, policy pa, policy pb"])
    }

    @Test func audienceMappersNamingMissingClients() {
        let survey = makeSurvey(
            clients: [surveyedClient("a")],
            mappers: [
                audienceSite("ghost", scope: "s"), audienceSite("gone", client: "a"), audienceSite("account", scope: "s"),
                audienceSite("https://custom", scope: "s", namesClient: false),
            ])
        #expect(
            checks(survey) == [
                "error audience-of-missing-client: audience-mapper ghost audience on scope s, client ghost (missing)",
                "error audience-of-missing-client: audience-mapper gone audience on client a, client gone (missing)",
            ])
        let fixes = Doctor(survey: survey, serverURL: "https://kc").findings().map(\.fix)
        #expect(
            fixes == [
                "kcx audience remove --audience ghost --scope s -r demo",
                "kcx audience remove --audience gone --client a -r demo",
            ])
        // Keycloak does not validate the clientId: the typo itself lands in aud (admin-api.md §5).
        #expect(
            Doctor(survey: survey, serverURL: "https://kc").findings().first?.why
                == "the mapper names a client that does not exist; Keycloak does not check it and puts 'ghost' into aud as written, a value no service expects, so the service the mapper was meant for rejects the token"
        )
    }

    @Test func audienceScopesAsRealmDefaults() {
        let survey = makeSurvey(
            clients: [surveyedClient("api")], mappers: [audienceSite("api", scope: "api-audience")],
            realmDefaults: ["profile", "api-audience"],
            scopes: [ClientScopeRef(id: "s-9", name: "api-audience", representation: .null)])
        #expect(checks(survey) == ["warning audience-scope-realm-default: client-scope api-audience"])
        #expect(
            Doctor(survey: survey, serverURL: "https://kc").findings()[0].fix.hasPrefix(
                "kcx delete default-default-client-scopes/s-9 -r demo"))
    }

    @Test func moreThanThreeDefaultAudiencesIsBloat() {
        let mappers = ["s1", "s2", "s3", "s4"].map { audienceSite($0, scope: "mesh") } + [audienceSite("s5", scope: "extra")]
        let names = ["s1", "s2", "s3", "s4", "s5"].map { surveyedClient($0) }
        let bloated = makeSurvey(clients: names + [surveyedClient("gateway", defaults: ["mesh"])], mappers: mappers)
        #expect(
            checks(bloated) == [
                "warning many-default-audiences: client gateway, audience s1, audience s2, audience s3, audience s4"
            ])
        // Optional scopes are asked for, so they do not count.
        let lean = makeSurvey(
            clients: names + [surveyedClient("gateway", defaults: ["extra"], optionals: ["mesh"])], mappers: mappers)
        #expect(checks(lean).isEmpty)
    }

    @Test func longLivedRequesterTokens() {
        let clients = [
            surveyedClient("short", exchange: true, lifespan: 120), surveyedClient("long", exchange: true, lifespan: 3600),
            surveyedClient("forever", exchange: true, lifespan: -1), surveyedClient("inherits", exchange: true),
            surveyedClient("idle"),
        ]
        let survey = makeSurvey(
            clients: clients, realm: ["accessTokenLifespan": 900], profiles: downscopeOn.0, policies: downscopeOn.1)
        #expect(
            checks(survey) == [
                "warning long-requester-token-lifespan: client long", "warning long-requester-token-lifespan: client forever",
                "warning long-requester-token-lifespan: client inherits",
            ])
        let findings = Doctor(survey: survey, serverURL: "https://kc").findings()
        #expect(findings[2].why.hasPrefix("the realm's accessTokenLifespan is 900 s"))
        #expect(findings[0].fix == #"kcx update clients/id-long -m -s 'attributes."access.token.lifespan"=300' -r demo"#)
    }

    @Test func eventsOffWhileExchangeIsOn() {
        let clients = [surveyedClient("a", exchange: true)]
        func run(_ events: JSON?) -> [String] {
            checks(makeSurvey(clients: clients, events: events, profiles: downscopeOn.0, policies: downscopeOn.1))
        }
        #expect(run(["eventsEnabled": false, "enabledEventTypes": []]) == ["warning exchange-events-off: realm demo events"])
        #expect(
            run(["eventsEnabled": true, "enabledEventTypes": ["LOGIN", "TOKEN_EXCHANGE"]]) == [
                "warning exchange-events-off: realm demo events"
            ])
        #expect(run(["eventsEnabled": true, "enabledEventTypes": ["TOKEN_EXCHANGE_ERROR", "TOKEN_EXCHANGE"]]).isEmpty)
        #expect(run(nil).isEmpty)
        // No exchange, no need for its events.
        #expect(checks(makeSurvey(clients: [surveyedClient("a")], events: ["eventsEnabled": false])).isEmpty)
    }

    @Test func sslRequiredNoneAndPlainHTTP() {
        let survey = makeSurvey(clients: [], realm: ["accessTokenLifespan": 300, "sslRequired": "none"])
        #expect(
            checks(survey, server: "http://kc.example.com:8080") == [
                "error ssl-not-required: realm demo", "error plain-http-server: server http://kc.example.com:8080",
            ])
        #expect(checks(survey, server: "http://[::1]:8080") == ["error ssl-not-required: realm demo"])
        #expect(checks(survey, server: "http://127.0.0.2") == ["error ssl-not-required: realm demo"])
    }

    @Test func severitiesOrder() {
        #expect(Severity.info < .warning && Severity.warning < .error)
    }
}
