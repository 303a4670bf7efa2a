// The audience/exchange graph from a survey read through a scripted admin API, and its three renderings.
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct GraphTests {
    /// The microservices pattern with service-a allowed to exchange: scope service-access carries three audiences.
    func scriptedRealm() -> ScriptedAdminAPI {
        let api = ScriptedAdminAPI()
        api.expect("GET", "realms/demo", json: ["realm": "demo", "sslRequired": "external", "accessTokenLifespan": 300])
        api.expect("GET", "serverinfo", json: ["features": [["name": "TOKEN_EXCHANGE_STANDARD_V2", "enabled": true]]])
        api.expect(
            "GET", "clients",
            json: [
                [
                    "id": "c-a", "clientId": "service-a", "publicClient": false,
                    "attributes": ["standard.token.exchange.enabled": "true"],
                ],
                ["id": "c-b", "clientId": "service-b", "publicClient": false],
                [
                    "id": "c-w", "clientId": "web", "publicClient": true,
                    "protocolMappers": [
                        [
                            "name": "b", "protocolMapper": "oidc-audience-mapper",
                            "config": ["included.custom.audience": "https://api", "access.token.claim": "true"],
                        ]
                    ],
                ],
                ["id": "c-r", "clientId": "realm-management"],
            ])
        api.expect(
            "GET", "client-scopes",
            json: [
                [
                    "id": "s-1", "name": "service-access",
                    "protocolMappers": [
                        [
                            "name": "service-a audience", "protocolMapper": "oidc-audience-mapper",
                            "config": ["included.client.audience": "service-a", "access.token.claim": "true"],
                        ],
                        [
                            "name": "service-b audience", "protocolMapper": "oidc-audience-mapper",
                            "config": ["included.client.audience": "service-b", "access.token.claim": "true"],
                        ],
                    ],
                ],
                ["id": "s-2", "name": "profile"],
            ])
        api.expect(
            "GET", "clients/c-a/default-client-scopes",
            json: [["id": "s-1", "name": "service-access"], ["id": "s-2", "name": "profile"]])
        api.expect("GET", "clients/c-a/optional-client-scopes", json: [])
        api.expect("GET", "clients/c-b/default-client-scopes", json: [])
        api.expect("GET", "clients/c-b/optional-client-scopes", json: [["id": "s-1", "name": "service-access"]])
        api.expect("GET", "clients/c-w/default-client-scopes", json: [])
        api.expect("GET", "clients/c-w/optional-client-scopes", json: [])
        api.expect("GET", "default-default-client-scopes", json: [["id": "s-2", "name": "profile"]])
        api.expect("GET", "events/config", json: ["eventsEnabled": false])
        api.expectError("GET", "client-policies/profiles", KcxError(.notFound, "GET client-policies/profiles: 404 Not Found"))
        api.expectError(
            "GET", "client-policies/policies", KcxError(.authentication, "GET client-policies/policies: 403 Forbidden"))
        return api
    }

    @Test func surveyReadsEverythingOnceAndTreatsUnreadableAsUnknown() throws {
        let api = scriptedRealm()
        let survey = try Lookup(api: api, realm: "demo").survey()
        #expect(api.allConsumed)
        #expect(survey.clients.map(\.clientId) == ["service-a", "service-b", "web"])
        #expect(survey.clients[0].defaultScopes == ["service-access", "profile"])
        #expect(survey.allClientIds.contains("realm-management"))
        #expect(survey.clientProfiles == nil && survey.clientPolicies == nil)
        #expect(survey.eventsConfig == ["eventsEnabled": false])
        #expect(survey.audiences(of: survey.clients[1], includeOptional: false) == [])
        #expect(survey.audiences(of: survey.clients[1], includeOptional: true) == ["service-a", "service-b"])
    }

    @Test func rendersTextMermaidAndDot() throws {
        let graph = AudienceGraph(survey: try Lookup(api: scriptedRealm(), realm: "demo").survey())
        #expect(
            graph.text() == """
                realm demo

                clients:
                  https://api
                  service-a (exchange on)
                  service-b
                  web (public)

                tokens carry (client -> audience, via):
                  service-a -> service-a  [default scope service-access]
                  service-a -> service-b  [default scope service-access]
                  service-b -> service-a  [optional scope service-access, on request]
                  service-b -> service-b  [optional scope service-access, on request]
                  web -> https://api  [own mapper]

                may exchange (requester => target):
                  service-a => service-b  [standard]

                """)
        #expect(
            graph.mermaid() == """
                flowchart LR
                  c_https___api["https://api"]
                  c_service_a["service-a (exchange on)"]
                  c_service_b["service-b"]
                  c_web["web (public)"]
                  c_service_a -->|"aud via default scope service-access"| c_service_a
                  c_service_a -->|"aud via default scope service-access"| c_service_b
                  c_service_a ==>|"exchange (standard)"| c_service_b
                  c_service_b -.->|"aud via optional scope service-access"| c_service_a
                  c_service_b -.->|"aud via optional scope service-access"| c_service_b
                  c_web -->|"aud via own mapper"| c_https___api

                """)
        let dot = graph.dot()
        #expect(dot.hasPrefix("digraph \"demo\" {\n  rankdir=LR;\n"))
        #expect(dot.contains("  \"web\" [label=\"web (public)\", style=\"rounded,dashed\"];\n"))
        #expect(
            dot.contains(
                "  \"service-b\" -> \"service-a\" [label=\"aud via optional scope service-access\", color=blue, style=dashed];\n")
        )
        #expect(dot.contains("  \"service-a\" -> \"service-b\" [label=\"exchange (standard)\", color=red, penwidth=2];\n"))
        #expect(dot.hasSuffix("}\n"))
    }

    @Test func legacyPermissionsBecomeExchangeEdges() {
        let survey = makeSurvey(
            clients: [surveyedClient("a"), surveyedClient("t")],
            legacy: [
                LegacyExchangePermission(
                    target: "t", requesters: ["a"], policyNames: ["kcx-token-exchange-t"], decisionStrategy: "UNANIMOUS")
            ])
        #expect(AudienceGraph(survey: survey).text().hasSuffix("may exchange (requester => target):\n  a => t  [legacy]\n"))
        #expect(
            AudienceGraph(survey: makeSurvey(clients: [])).text().contains("tokens carry (client -> audience, via):\n  (none)\n"))
    }
}
