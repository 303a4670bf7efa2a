// The declarative file: parsing, every validation error with its file:line:column, ${VAR}
// substitution, and the pure diff from (desired, live) to changes.
import Foundation
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite("Declarative file")
struct DeclarativeFileTests {
    func parse(_ text: String, _ environment: [String: String] = [:]) throws(FileError) -> DesiredState {
        try DesiredState.parse(text, file: "f.yaml", environment: environment)
    }

    func error(_ text: String, _ environment: [String: String] = [:]) -> String {
        do {
            _ = try parse(text, environment)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func parsesEveryField() throws {
        let state = try parse(
            """
            realms:
              - realm: r1
                clientScopes:
                  - name: api
                    description: ${DESC:-the api}
                    protocol: openid-connect
                    includeInTokenScope: false
                    realmDefault: optional
                    audienceMappers:
                      - audience: api-service
                        idToken: true
                      - name: partner
                        customAudience: urn:${PARTNER}
                        introspection: false
                        lightweight: true
                        accessToken: false
                clients:
                  - clientId: app
                    defaultScopes: [api]
                    optionalScopes: [extra]
                    standardExchange: true
                    allowRefresh: false
                allow:
                  - {from: gw, to: api-service}
              - realm: r2
            """, ["PARTNER": "p1"])
        #expect(state.realms.count == 2)
        let realm = state.realms[0]
        let scope = realm.clientScopes[0]
        #expect(
            scope.name == "api" && scope.description == "the api" && !scope.includeInTokenScope && scope.realmDefault == .optional
        )
        #expect(
            scope.audienceMappers[0]
                == DesiredAudienceMapper(
                    name: "api-service audience", audience: .client("api-service"),
                    settings: AudienceMapperSettings(mapperName: "api-service audience", idToken: true)))
        #expect(
            scope.audienceMappers[1]
                == DesiredAudienceMapper(
                    name: "partner", audience: .custom("urn:p1"),
                    settings: AudienceMapperSettings(
                        mapperName: "partner", accessToken: false, introspection: false, lightweight: true)))
        #expect(
            realm.clients == [
                DesiredClient(
                    clientId: "app", defaultScopes: ["api"], optionalScopes: ["extra"], standardExchange: true,
                    allowRefresh: false)
            ])
        #expect(realm.allow == [ExchangePair(from: "gw", to: "api-service")])
        #expect(state.realms[1] == DesiredRealm(realm: "r2"))
    }

    @Test func jsonFilesParseToo() throws {
        let state = try parse(#"{"realms": [{"realm": "r", "clientScopes": [{"name": "s"}]}]}"#)
        #expect(state.realms[0].clientScopes.map(\.name) == ["s"])
    }

    @Test func everyValidationErrorNamesFileLineColumnAndField() {
        #expect(error("") == "f.yaml:1:1: (file): the file is empty")
        #expect(error("realms: [") == "f.yaml:2:1: (syntax): while parsing a flow node: did not find expected node content")
        #expect(error("realm: x") == "f.yaml:1:1: realm: unknown key (expected one of: realms)")
        #expect(error("other: 1\n") == "f.yaml:1:1: other: unknown key (expected one of: realms)")
        #expect(error("{}") == "f.yaml:1:1: realms: required: the list of realms")
        #expect(error("realms: x") == "f.yaml:1:9: realms: expected a list")
        #expect(error("realms:\n  - clients: []\n") == "f.yaml:2:5: realms[0].realm: required: the realm's name")
        #expect(
            error("realms:\n  - realm: a b\n")
                == "f.yaml:2:12: realms[0].realm: 'a b' contains ' ', which Keycloak does not allow (no spaces, quotes, backslashes or non-ASCII)"
        )
        #expect(error("realms:\n  - realm: r\n  - realm: r\n") == "f.yaml:3:5: realms[1].realm: realm 'r' is declared twice")
        #expect(error("realms:\n  - realm: r\n    realm: s\n") == "f.yaml:3:5: (syntax): duplicate key 'realm'")
        #expect(error("realms:\n  - realm: [x]\n") == "f.yaml:2:12: realms[0].realm: expected a string")
        #expect(
            error("realms:\n  - realm: ${NOPE}\n")
                == "f.yaml:2:12: realms[0].realm: environment variable NOPE is not set (write ${NOPE:-default} for a default)")
        #expect(
            error("realms:\n  - realm: ${NOPE\n")
                == "f.yaml:2:12: realms[0].realm: unclosed '${' in '${NOPE' (write $${ for a literal ${)")
        #expect(
            error("realms:\n  - realm: ${A-B}\n")
                == "f.yaml:2:12: realms[0].realm: '${A-B}' is not a variable name (write $${ for a literal ${)")
        let scopes = "realms:\n  - realm: r\n    clientScopes:\n"
        #expect(
            error(scopes + "      - description: d\n") == "f.yaml:4:9: realms[0].clientScopes[0].name: required: the scope's name"
        )
        #expect(
            error(scopes + "      - name: s\n      - name: s\n")
                == "f.yaml:5:9: realms[0].clientScopes[1].name: client scope 's' is declared twice")
        #expect(
            error(scopes + "      - name: s\n        protocol: oidc\n")
                == "f.yaml:5:19: realms[0].clientScopes[0].protocol: expected openid-connect or saml, not 'oidc'")
        #expect(
            error(scopes + "      - name: s\n        includeInTokenScope: maybe\n")
                == "f.yaml:5:30: realms[0].clientScopes[0].includeInTokenScope: expected true or false")
        #expect(
            error(scopes + "      - name: s\n        realmDefault: always\n")
                == "f.yaml:5:23: realms[0].clientScopes[0].realmDefault: expected default, optional or none, not 'always'")
        let mappers = scopes + "      - name: s\n        audienceMappers:\n"
        #expect(
            error(mappers + "          - idToken: true\n")
                == "f.yaml:6:13: realms[0].clientScopes[0].audienceMappers[0].audience: required: audience (a clientId) or customAudience"
        )
        #expect(
            error(mappers + "          - {audience: a, customAudience: b}\n")
                == "f.yaml:6:43: realms[0].clientScopes[0].audienceMappers[0].customAudience: give either audience (a client) or customAudience, not both"
        )
        #expect(
            error(mappers + "          - {customAudience: \"\"}\n")
                == "f.yaml:6:30: realms[0].clientScopes[0].audienceMappers[0].customAudience: must not be empty")
        #expect(
            error(mappers + "          - {audience: a}\n          - {audience: a}\n")
                == "f.yaml:7:13: realms[0].clientScopes[0].audienceMappers[1].name: mapper 'a audience' is declared twice")
        #expect(
            error(mappers + "          - {audience: a, claim: x}\n")
                == "f.yaml:6:27: realms[0].clientScopes[0].audienceMappers[0].claim: unknown key (expected one of: name, audience, customAudience, accessToken, idToken, introspection, lightweight)"
        )
        let clients = "realms:\n  - realm: r\n    clients:\n"
        #expect(
            error(clients + "      - defaultScopes: []\n")
                == "f.yaml:4:9: realms[0].clients[0].clientId: required: the client's clientId")
        #expect(
            error(clients + "      - {clientId: c}\n      - {clientId: c}\n")
                == "f.yaml:5:9: realms[0].clients[1].clientId: client 'c' is declared twice")
        #expect(
            error(clients + "      - {clientId: c, defaultScopes: a}\n")
                == "f.yaml:4:38: realms[0].clients[0].defaultScopes: expected a list")
        #expect(
            error(clients + "      - {clientId: c, defaultScopes: [a, a]}\n")
                == "f.yaml:4:42: realms[0].clients[0].defaultScopes[1]: 'a' is listed twice")
        #expect(
            error(clients + "      - {clientId: c, defaultScopes: [a], optionalScopes: [a]}\n")
                == "f.yaml:4:60: realms[0].clients[0].optionalScopes[0]: 'a' is also in defaultScopes")
        #expect(
            error(clients + "      - {clientId: c, standardExchange: yes}\n")
                == "f.yaml:4:41: realms[0].clients[0].standardExchange: expected true or false")
        let allow = "realms:\n  - realm: r\n    allow:\n"
        #expect(error(allow + "      - {from: a}\n") == "f.yaml:4:9: realms[0].allow[0].to: required: the target client")
        #expect(error(allow + "      - {to: a}\n") == "f.yaml:4:9: realms[0].allow[0].from: required: the requesting client")
        #expect(
            error(allow + "      - {from: a, to: b, mode: v1}\n")
                == "f.yaml:4:32: realms[0].allow[0].mode: expected auto, standard or legacy, not 'v1'")
        #expect(
            error(allow + "      - {from: a, to: b, via: x}\n")
                == "f.yaml:4:26: realms[0].allow[0].via: unknown key (expected one of: from, to, subjectClient, mode)")
        #expect(
            error(clients + "      - {clientId: c, legacyExchange: {}}\n")
                == "f.yaml:4:39: realms[0].clients[0].legacyExchange.allowedRequesters: required: the clients allowed to exchange tokens for c"
        )
        #expect(
            error(clients + "      - {clientId: c, legacyExchange: {allowed: [a]}}\n")
                == "f.yaml:4:40: realms[0].clients[0].legacyExchange.allowed: unknown key (expected one of: allowedRequesters)")
        #expect(
            error(clients + "      - {clientId: c, legacyExchange: {allowedRequesters: a}}\n")
                == "f.yaml:4:59: realms[0].clients[0].legacyExchange.allowedRequesters: expected a list")
        #expect(
            error(clients + "      - {clientId: c, legacyExchange: {allowedRequesters: [a, a]}}\n")
                == "f.yaml:4:63: realms[0].clients[0].legacyExchange.allowedRequesters[1]: 'a' is listed twice")
        #expect(
            error(clients + "      - {clientId: c, legacyExchange: [a]}\n")
                == "f.yaml:4:39: realms[0].clients[0].legacyExchange: expected a mapping")
        let rawMappers = "realms:\n  - realm: r\n    clientScopes:\n      - name: s\n        protocolMappers:\n"
        #expect(
            error(rawMappers + "          - {name: m}\n")
                == "f.yaml:6:13: realms[0].clientScopes[0].protocolMappers[0].protocolMapper: required: the mapper type, e.g. oidc-hardcoded-claim-mapper"
        )
        #expect(
            error(rawMappers + "          - {protocolMapper: oidc-hardcoded-claim-mapper}\n")
                == "f.yaml:6:13: realms[0].clientScopes[0].protocolMappers[0].name: required: the mapper's name")
        #expect(
            error(rawMappers + "          - {name: m, protocolMapper: oidc-audience-mapper}\n")
                == "f.yaml:6:39: realms[0].clientScopes[0].protocolMappers[0].protocolMapper: audience mappers go under audienceMappers"
        )
        #expect(
            error(rawMappers + "          - {name: m, protocolMapper: x, config: [a]}\n")
                == "f.yaml:6:50: realms[0].clientScopes[0].protocolMappers[0].config: expected a mapping")
        #expect(
            error(rawMappers + "          - {name: m, protocolMapper: x, config: {a: \"${NOPE}\"}}\n")
                == "f.yaml:6:54: realms[0].clientScopes[0].protocolMappers[0].config.a: environment variable NOPE is not set (write ${NOPE:-default} for a default)"
        )
        #expect(
            error(rawMappers + "          - {name: m, protocolMapper: x}\n          - {name: m, protocolMapper: y}\n")
                == "f.yaml:7:13: realms[0].clientScopes[0].protocolMappers[1].name: mapper 'm' is declared twice")
        #expect(
            error(rawMappers + "          - {name: m, protocolMapper: x, id: abc}\n")
                == "f.yaml:6:42: realms[0].clientScopes[0].protocolMappers[0].id: unknown key (expected one of: name, protocolMapper, protocol, config)"
        )
    }

    @Test func variablesWithDefaultsAndEmptyValues() throws {
        let text = "realms:\n  - realm: ${R:-fallback}-x\n"
        #expect(try parse(text).realms[0].realm == "fallback-x")
        #expect(try parse(text, ["R": "prod"]).realms[0].realm == "prod-x")
        // ${VAR:-default} also replaces an empty value, as in the shell.
        #expect(try parse(text, ["R": ""]).realms[0].realm == "fallback-x")
    }

    // MARK: the pure diff

    let live = LiveRealm(
        clientScopes: [
            [
                "id": "s1", "name": "api", "protocol": "openid-connect", "description": "old",
                "attributes": ["include.in.token.scope": "true", "kcx.managed": "true"],
                "protocolMappers": [
                    [
                        "id": "m1", "name": "api audience", "protocolMapper": "oidc-audience-mapper",
                        "config": [
                            "included.client.audience": "api-service", "id.token.claim": "false", "access.token.claim": "true",
                            "introspection.token.claim": "true", "lightweight.claim": "false",
                        ],
                    ],
                    [
                        "id": "m2", "name": "old", "protocolMapper": "oidc-audience-mapper",
                        "config": ["included.custom.audience": "x"],
                    ],
                ],
            ],
            ["id": "s2", "name": "gone", "protocol": "openid-connect", "attributes": ["kcx.managed": "true"]],
            ["id": "s3", "name": "by-hand", "protocol": "openid-connect", "attributes": [:]],
        ],
        clients: [
            [
                "id": "c1", "clientId": "app", "defaultClientScopes": ["profile"], "optionalClientScopes": ["api"],
                "attributes": [:],
            ],
            ["id": "c2", "clientId": "api-service", "attributes": [:]],
        ],
        realmDefaultScopeIDs: [], realmOptionalScopeIDs: ["s1"])

    func desired() -> DesiredRealm {
        var settings = AudienceMapperSettings()
        settings.mapperName = "api audience"
        return DesiredRealm(
            realm: "r",
            clientScopes: [
                DesiredClientScope(
                    name: "api", description: "new", protocol_: "openid-connect", includeInTokenScope: true,
                    realmDefault: .default,
                    audienceMappers: [
                        DesiredAudienceMapper(name: "api audience", audience: .client("api-service"), settings: settings)
                    ])
            ],
            clients: [
                DesiredClient(
                    clientId: "app", defaultScopes: ["api"], optionalScopes: [], standardExchange: true, allowRefresh: nil)
            ])
    }

    @Test func diffListsUpdatesMovesAndSwitchesInOrder() {
        let plan = Planner.diff(desired(), live, prune: false)
        #expect(
            plan.changes.map { "\($0.operation.rawValue) \($0.kind) \($0.name)" } == [
                "~ client-scope api", "~ realm-default-scope api", "~ client-scope-assignment api -> app (default)",
                "~ token-exchange app",
            ])
        #expect(plan.changes[0].details == [#"description: "old" -> "new""#])
        #expect(plan.changes[1].action == .moveInRealmLists(scope: "api", from: .optional, to: .default))
        #expect(plan.changes[2].action == .assign(clientUUID: "c1", scope: "api", from: .optional, to: .default))
        #expect(
            plan.changes[3].action
                == .updateClient(clientUUID: "c1", body: ["attributes": ["standard.token.exchange.enabled": "true"]]))
        #expect(plan.changes[3].details == [#"attributes.standard.token.exchange.enabled: "false" -> "true""#])
    }

    @Test func pruneDeletesOnlyMarkedObjects() {
        let plan = Planner.diff(desired(), live, prune: true)
        let deletions = plan.changes.filter { $0.operation == .delete }
        #expect(deletions.map(\.action) == [.deleteMapper(scope: "api", id: "m2"), .deleteScope(name: "gone", id: "s2")])
    }

    @Test func newScopeIsCreatedMarkedWithItsMapper() {
        var realm = desired()
        realm.clientScopes[0].name = "fresh"
        realm.clientScopes[0].realmDefault = nil
        realm.clients = []
        let plan = Planner.diff(realm, live, prune: false)
        #expect(plan.changes.map(\.operation) == [.create, .create])
        guard case .createScope(let name, let body) = plan.changes[0].action else {
            Issue.record("expected a scope creation")
            return
        }
        #expect(name == "fresh")
        #expect(body["attributes"]?["kcx.managed"] == "true")
        guard case .createMapper(let scope, let mapper, let inline) = plan.changes[1].action else {
            Issue.record("expected a mapper creation")
            return
        }
        #expect(scope == "fresh" && mapper["config"]?["included.client.audience"] == "api-service")
        // The new scope's create carries its mapper, so the mapper needs no request of its own.
        #expect(inline)
        #expect(body["protocolMappers"] == [mapper])
    }

    let standardServer = ServerFeatures(standardExchange: true, legacyExchange: false, fineGrainedV1: false)
    let legacyServer = ServerFeatures(standardExchange: false, legacyExchange: true, fineGrainedV1: true)

    @Test func allowPairsExpandAsTokenExchangeAllowDoes() throws {
        let expanded = try Planner.expandingAllowPairs(
            DesiredRealm(realm: "r", allow: [ExchangePair(from: "gw", to: "api"), ExchangePair(from: "gw", to: "gw")]),
            features: standardServer)
        #expect(expanded.allow.isEmpty)
        #expect(expanded.clientScopes.map(\.name) == ["api-audience"])
        #expect(expanded.clientScopes[0].includeInTokenScope == false)
        #expect(expanded.clientScopes[0].audienceMappers.map(\.audience) == [.client("api")])
        #expect(
            expanded.clients == [
                DesiredClient(
                    clientId: "gw", defaultScopes: ["api-audience"], optionalScopes: [], standardExchange: true, allowRefresh: nil
                )
            ])
    }

    @Test func noChangesWhenLiveMatches() {
        var realm = desired()
        realm.clientScopes[0].description = "old"
        realm.clientScopes[0].realmDefault = .optional
        realm.clients = [
            DesiredClient(
                clientId: "app", defaultScopes: ["profile"], optionalScopes: ["api"], standardExchange: false, allowRefresh: false
            )
        ]
        #expect(Planner.diff(realm, live, prune: false).changes == [])
    }

    @Test func parsesLegacyExchangeRawMappersAndModes() throws {
        let state = try parse(
            """
            realms:
              - realm: r
                clientScopes:
                  - name: s
                    protocolMappers:
                      - name: tenant
                        protocolMapper: oidc-hardcoded-claim-mapper
                        config: {claim.name: tenant, claim.value: 5, access.token.claim: true}
                clients:
                  - clientId: api
                    legacyExchange:
                      allowedRequesters: [gw, batch]
                allow:
                  - {from: a, to: b, mode: legacy}
                  - {from: a, to: c}
            """)
        let realm = state.realms[0]
        #expect(
            realm.clientScopes[0].protocolMappers == [
                DesiredProtocolMapper(
                    name: "tenant", protocolMapper: "oidc-hardcoded-claim-mapper", protocol_: "openid-connect",
                    config: JSONObject([("claim.name", "tenant"), ("claim.value", "5"), ("access.token.claim", "true")]))
            ])
        #expect(realm.clients[0].legacyExchange?.allowedRequesters == ["gw", "batch"])
        #expect(realm.clients[0].legacyExchange?.location == "f.yaml:12:11: realms[0].clients[0].legacyExchange")
        #expect(realm.allow.map(\.mode) == [.legacy, .auto])
        #expect(realm.allow[0].location == "f.yaml:14:9: realms[0].allow[0]")
    }

    @Test func rawMappersAreMatchedByNameAndComparedAsStrings() {
        var live = self.live
        live.clientScopes[2]["attributes"] = ["include.in.token.scope": "true"]
        live.clientScopes[2]["protocolMappers"] = [
            [
                "id": "h1", "name": "tenant", "protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": ["claim.name": "tenant", "claim.value": "a", "jsonType.label": "String"],
            ]
        ]
        var realm = DesiredRealm(realm: "r")
        realm.clientScopes = [
            DesiredClientScope(
                name: "by-hand", description: nil, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
                audienceMappers: [],
                protocolMappers: [
                    DesiredProtocolMapper(
                        name: "tenant", protocolMapper: "oidc-hardcoded-claim-mapper",
                        config: JSONObject([("claim.name", "tenant"), ("claim.value", "b")])),
                    DesiredProtocolMapper(
                        name: "extra", protocolMapper: "oidc-usermodel-attribute-mapper",
                        config: JSONObject([("user.attribute", "dept")])),
                ])
        ]
        let plan = Planner.diff(realm, live, prune: false)
        #expect(
            plan.changes.map { "\($0.operation.rawValue) \($0.kind) \($0.name)" } == [
                "~ protocol-mapper tenant on scope by-hand", "+ protocol-mapper extra on scope by-hand",
            ])
        #expect(plan.changes[0].details == [#"config.claim.value: "a" -> "b""#])
        // The PUT keeps the keys the file does not give (jsonType.label).
        #expect(
            plan.changes[0].action
                == .updateMapper(
                    scope: "by-hand", id: "h1",
                    body: [
                        "id": "h1", "name": "tenant", "protocol": "openid-connect",
                        "protocolMapper": "oidc-hardcoded-claim-mapper",
                        "config": ["claim.name": "tenant", "claim.value": "b", "jsonType.label": "String"],
                    ]))
        #expect(
            plan.changes[1].action
                == .createMapper(
                    scope: "by-hand",
                    body: [
                        "name": "extra", "protocol": "openid-connect", "protocolMapper": "oidc-usermodel-attribute-mapper",
                        "consentRequired": false,
                        "config": ["user.attribute": "dept"],
                    ], inline: false))
        realm.clientScopes[0].protocolMappers[0].config["claim.value"] = "a"
        realm.clientScopes[0].protocolMappers.removeLast()
        #expect(Planner.diff(realm, live, prune: false).changes == [])
    }

    @Test func legacyExchangeAddsMissingRequestersAndPrunesOnlyWithPrune() {
        var live = self.live
        live.clients.append(["id": "c3", "clientId": "gw", "attributes": [:]])
        live.clients.append(["id": "c4", "clientId": "old", "attributes": [:]])
        live.legacy["api-service"] = LiveLegacyExchange(permissionID: "p1", policyID: "pol", members: ["c4"], attached: true)
        var realm = DesiredRealm(realm: "r")
        realm.clients = [
            DesiredClient(
                clientId: "api-service", defaultScopes: [], optionalScopes: [],
                legacyExchange: DesiredLegacyExchange(allowedRequesters: ["gw"], location: "f"))
        ]
        let plan = Planner.diff(realm, live, prune: false)
        #expect(
            plan.changes == [
                PlanChange(
                    operation: .update, kind: "legacy-exchange", name: "api-service", group: "client api-service",
                    details: ["requesters: + gw"],
                    action: .legacyExchange(target: "api-service", add: ["gw"], remove: []))
            ])
        let pruned = Planner.diff(realm, live, prune: true).changes.filter { $0.kind == "legacy-exchange" }
        #expect(pruned.map(\.details) == [["requesters: + gw", "requesters: - old (no longer in the file)"]])
        #expect(pruned.map(\.action) == [.legacyExchange(target: "api-service", add: ["gw"], remove: ["c4"])])
        // Nothing there yet: the permission is switched on and the policy created and attached.
        live.legacy["api-service"] = LiveLegacyExchange(permissionID: nil, policyID: nil, members: [], attached: false)
        let fresh = Planner.diff(realm, live, prune: false)
        #expect(fresh.changes.map(\.operation) == [.create])
        #expect(
            fresh.changes.map(\.details) == [
                [
                    "management permissions: off -> on", "requesters: + gw",
                    "policy kcx-token-exchange-api-service attached to the token-exchange permission",
                ]
            ])
        // In place and attached: nothing to do.
        live.legacy["api-service"] = LiveLegacyExchange(permissionID: "p1", policyID: "pol", members: ["c3"], attached: true)
        #expect(Planner.diff(realm, live, prune: true).changes.filter { $0.kind == "legacy-exchange" } == [])
        // A detached policy is re-attached by re-adding a present requester.
        live.legacy["api-service"] = LiveLegacyExchange(permissionID: "p1", policyID: "pol", members: ["c3"], attached: false)
        #expect(
            Planner.diff(realm, live, prune: false).changes.map(\.action) == [
                .legacyExchange(target: "api-service", add: ["gw"], remove: [])
            ])
    }

    @Test func allowModesResolveAsTheCommandDoes() throws {
        let pairs = DesiredRealm(
            realm: "r", allow: [ExchangePair(from: "gw", to: "api", location: "f.yaml:5:9: realms[0].allow[0]")])
        let legacy = try Planner.expandingAllowPairs(pairs, features: legacyServer)
        #expect(legacy.clientScopes.isEmpty)
        #expect(
            legacy.clients == [
                DesiredClient(
                    clientId: "api", defaultScopes: [], optionalScopes: [],
                    legacyExchange: DesiredLegacyExchange(allowedRequesters: ["gw"], location: ""))
            ])
        #expect(try Planner.expandingAllowPairs(pairs, features: standardServer).clientScopes.map(\.name) == ["api-audience"])
        var forced = pairs
        forced.allow[0].mode = .standard
        #expect(try Planner.expandingAllowPairs(forced, features: legacyServer).clientScopes.map(\.name) == ["api-audience"])
        let none = ServerFeatures(standardExchange: false, legacyExchange: false, fineGrainedV1: false)
        #expect(throws: KcxError.self) { try Planner.expandingAllowPairs(pairs, features: none) }
        forced.allow[0].mode = .legacy
        do {
            try Planner.checkLegacyFeatures(forced, standardServer)
            Issue.record("expected the missing features to be refused")
        } catch let error as KcxError {
            #expect(error.code == .usage)
            #expect(
                error.message
                    == "f.yaml:5:9: realms[0].allow[0]: legacy token exchange needs the server features token-exchange (V1) and admin-fine-grained-authz:v1, which this server does not have"
            )
        }
        try Planner.checkLegacyFeatures(forced, legacyServer)
    }

    @Test func allowSkipsTheAudienceScopeWhenTheTargetIsAlreadyReachable() throws {
        var live = self.live
        // gw's own mapper already puts api-service into its access tokens.
        live.clients.append([
            "id": "c3", "clientId": "gw", "attributes": [:], "defaultClientScopes": [],
            "protocolMappers": [
                [
                    "name": "aud", "protocolMapper": "oidc-audience-mapper",
                    "config": ["included.client.audience": "api-service", "access.token.claim": "true"],
                ]
            ],
        ])
        let pairs = DesiredRealm(realm: "r", allow: [ExchangePair(from: "gw", to: "api-service", mode: .standard)])
        let expanded = try Planner.expandingAllowPairs(pairs, live: live)
        #expect(expanded.clientScopes.isEmpty)
        #expect(
            expanded.clients == [
                DesiredClient(clientId: "gw", defaultScopes: [], optionalScopes: [], standardExchange: true, allowRefresh: nil)
            ])
        // Not in the access token (the switch is off): the scope is still added.
        live.clients[2]["protocolMappers"] = [
            [
                "name": "aud", "protocolMapper": "oidc-audience-mapper",
                "config": ["included.client.audience": "api-service", "access.token.claim": "false"],
            ]
        ]
        #expect(try Planner.expandingAllowPairs(pairs, live: live).clientScopes.map(\.name) == ["api-service-audience"])
        // A default scope the file itself gives gw, carrying the audience, counts too.
        var withScope = pairs
        withScope.clientScopes = [
            DesiredClientScope(
                name: "aud", description: nil, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
                audienceMappers: [
                    DesiredAudienceMapper(name: "a", audience: .client("api-service"), settings: AudienceMapperSettings())
                ])
        ]
        withScope.clients = [DesiredClient(clientId: "gw", defaultScopes: ["aud"], optionalScopes: [])]
        #expect(try Planner.expandingAllowPairs(withScope, live: live).clientScopes.map(\.name) == ["aud"])
    }

    @Test func yamlWriterOutputReadsBackAsTheSameState() throws {
        var realm = try Planner.expandingAllowPairs(
            DesiredRealm(realm: "r", allow: [ExchangePair(from: "gw", to: "true", mode: .standard)]))
        realm.clients.append(
            DesiredClient(
                clientId: "api", defaultScopes: [], optionalScopes: [],
                legacyExchange: DesiredLegacyExchange(allowedRequesters: ["gw"], location: "")))
        realm.clientScopes[0].protocolMappers = [
            DesiredProtocolMapper(
                name: "tenant", protocolMapper: "oidc-hardcoded-claim-mapper",
                config: JSONObject([("claim.name", "tenant"), ("claim.value", "true")]))
        ]
        realm.allow = [ExchangePair(from: "a", to: "b", mode: .legacy), ExchangePair(from: "a", to: "c")]
        let state = DesiredState(realms: [realm])
        let text = YAMLWriter.render(state.json)
        #expect(try parse(text) == state, "\(text)")
    }
}

@Suite("Declarative examples")
struct DeclarativeExampleTests {
    @Test(arguments: ["audience-and-exchange.yaml", "audience-and-exchange.json"])
    func committedExamplesAreValid(_ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("examples/\(name)"), encoding: .utf8)
        let state = try DesiredState.parse(text, file: name, environment: [:])
        #expect(state.realms.map(\.realm) == ["myrealm"])
        #expect(state.realms[0].allow == [ExchangePair(from: "gateway", to: "api-service")])
    }
}

@Suite("Declarative legacy and mappers example")
struct DeclarativeLegacyExampleTests {
    @Test func legacyAndMappersExampleIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("examples/legacy-and-mappers.yaml"), encoding: .utf8)
        let realm = try DesiredState.parse(text, file: "legacy-and-mappers.yaml", environment: [:]).realms[0]
        #expect(realm.clientScopes[0].protocolMappers.map(\.name) == ["tenant claim"])
        #expect(realm.clientScopes[0].protocolMappers[0].config["claim.value"] == "acme")
        #expect(realm.clients[1].legacyExchange?.allowedRequesters == ["batch-job"])
        #expect(
            realm.allow == [
                ExchangePair(from: "reporting", to: "api-service", mode: .legacy),
                ExchangePair(from: "gateway", to: "api-service", mode: .standard),
            ])
    }
}
