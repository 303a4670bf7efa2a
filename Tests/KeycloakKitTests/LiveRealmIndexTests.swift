// LiveRealm finds scopes by name and clients by clientId through an index (a plan looks each up once
// per object of the file), and a scope's live mappers are matched through indexes too: the first of
// duplicates wins, as the scans did, and the index follows edits.
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite struct LiveRealmIndexTests {
    @Test func lookupsFindTheFirstMatchAndFollowEdits() {
        var live = LiveRealm(
            clientScopes: [["id": "1", "name": "a"], ["id": "2", "name": "b"], ["id": "3", "name": "a"], ["id": "4"]],
            clients: [["id": "c1", "clientId": "app"], ["id": "c2", "clientId": "app"]],
            realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        #expect(live.scope(named: "a")?["id"] == "1")
        #expect(live.scope(named: "b")?["id"] == "2")
        #expect(live.scope(named: "c") == nil)
        #expect(live.client("app")?["id"] == "c1")
        #expect(live.client(id: "c2")?["clientId"] == "app")
        #expect(live.client(id: "app") == nil)
        live.clientScopes.removeFirst()
        live.clients.append(["id": "c3", "clientId": "new"])
        #expect(live.scope(named: "a")?["id"] == "3")
        #expect(live.scope(named: "b")?["id"] == "2")
        #expect(live.client("new")?["id"] == "c3")
        #expect(live.client(id: "c3")?["clientId"] == "new")
    }

    /// 16,000 live scopes all declared by the file: no changes, each found by its own name.
    @Test func sixteenThousandLiveScopesMatchTheirDeclarations() {
        let count = 16_000
        let live = LiveRealm(
            clientScopes: (0..<count).map {
                [
                    "id": .string("id-\($0)"), "name": .string("s-\($0)"), "protocol": "openid-connect",
                    "description": .string("d-\($0)"), "attributes": ["include.in.token.scope": "true"],
                ]
            },
            clients: [], realmDefaultScopeIDs: (0..<count).map { "id-\($0)" }, realmOptionalScopeIDs: [])
        let desired = DesiredRealm(
            realm: "r",
            clientScopes: (0..<count).map {
                DesiredClientScope(
                    name: "s-\($0)", description: "d-\($0)", protocol_: "openid-connect", includeInTokenScope: true,
                    realmDefault: .default, audienceMappers: [])
            })
        #expect(Planner.diff(desired, live, prune: true).changes == [])
        var changed = desired
        changed.clientScopes[count - 1].description = "new"
        #expect(Planner.diff(changed, live, prune: false).changes.map(\.details) == [[#"description: "d-15999" -> "new""#]])
    }

    func audienceMapper(_ id: String, _ name: String, custom: String) -> JSON {
        [
            "id": .string(id), "name": .string(name), "protocolMapper": "oidc-audience-mapper",
            "config": [
                "included.custom.audience": .string(custom), "access.token.claim": "true", "id.token.claim": "false",
                "introspection.token.claim": "true", "lightweight.claim": "false",
            ],
        ]
    }

    /// A kcx-made scope with 16,000 audience mappers (plus a duplicate audience and a claim mapper), all
    /// declared in reverse order: nothing changes; with --prune only what the file lacks goes.
    @Test func sixteenThousandLiveMappersAreEachMatchedOnce() {
        let count = 16_000
        var mappers = (0..<count).map { audienceMapper("m\($0)", "n\($0)", custom: "urn:\($0)") }
        mappers.append(audienceMapper("dup", "other", custom: "urn:0"))
        mappers.append([
            "id": "claim", "name": "claim", "protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper",
            "config": ["claim.name": "c"],
        ])
        let live = LiveRealm(
            clientScopes: [
                [
                    "id": "s1", "name": "wide", "protocol": "openid-connect",
                    "attributes": ["include.in.token.scope": "true", "kcx.managed": "true"],
                    "protocolMappers": .array(mappers),
                ]
            ],
            clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        let declared = (0..<count).reversed().map { index in
            DesiredAudienceMapper(
                name: "n\(index)", audience: .custom("urn:\(index)"), settings: AudienceMapperSettings(mapperName: "n\(index)"))
        }
        var desired = DesiredRealm(
            realm: "r",
            clientScopes: [
                DesiredClientScope(
                    name: "wide", description: nil, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
                    audienceMappers: declared,
                    protocolMappers: [
                        DesiredProtocolMapper(
                            name: "claim", protocolMapper: "oidc-hardcoded-claim-mapper",
                            config: JSONObject([("claim.name", "c")]))
                    ])
            ])
        #expect(Planner.diff(desired, live, prune: false).changes == [])
        // The second mapper for urn:0 was matched by nothing; the first one was.
        #expect(Planner.diff(desired, live, prune: true).changes.map(\.action) == [.deleteMapper(scope: "wide", id: "dup")])
        // A mapper the file no longer has is the one pruned; a new name for a known audience updates that mapper.
        desired.clientScopes[0].audienceMappers.removeLast()
        desired.clientScopes[0].audienceMappers[0].name = "renamed"
        desired.clientScopes[0].audienceMappers[0].settings.mapperName = "renamed"
        let changes = Planner.diff(desired, live, prune: true).changes
        #expect(changes.map(\.action) == [.deleteMapper(scope: "wide", id: "m0"), .deleteMapper(scope: "wide", id: "dup")])
    }

    /// 16,000 allow pairs, half from one gateway to many targets and half one requester each: every
    /// target gets its own audience scope once, assigned as default to its requester, in pair order.
    @Test func sixteenThousandAllowPairsExpandLinearly() throws {
        let half = 8_000
        let pairs =
            (0..<half).map { ExchangePair(from: "gw", to: "api\($0)", mode: .standard) }
            + (0..<half).map { ExchangePair(from: "app\($0)", to: "api\($0)", mode: .standard) }
        // A file scope already putting api0 into gw's tokens: no api0-audience for gw.
        var carrier = AudienceMapperSettings(mapperName: "api0 audience")
        carrier.accessToken = true
        let realm = DesiredRealm(
            realm: "r",
            clientScopes: [
                DesiredClientScope(
                    name: "shared", description: nil, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
                    audienceMappers: [DesiredAudienceMapper(name: "api0 audience", audience: .client("api0"), settings: carrier)])
            ],
            clients: [
                DesiredClient(
                    clientId: "gw", defaultScopes: ["shared"], optionalScopes: ["api1-audience"], standardExchange: nil,
                    allowRefresh: nil)
            ],
            allow: pairs)
        let expanded = try Planner.expandingAllowPairs(
            realm, features: ServerFeatures(standardExchange: true, legacyExchange: false, fineGrainedV1: false))
        #expect(expanded.clientScopes.map(\.name) == ["shared"] + (1..<half).map { "api\($0)-audience" } + ["api0-audience"])
        #expect(expanded.clientScopes.allSatisfy { $0.audienceMappers.count == 1 })
        #expect(expanded.clients.map(\.clientId) == ["gw"] + (0..<half).map { "app\($0)" })
        #expect(expanded.clients[0].defaultScopes == ["shared"] + (1..<half).map { "api\($0)-audience" })
        #expect(expanded.clients[0].optionalScopes == [])
        #expect(expanded.clients[0].standardExchange == true)
        #expect(expanded.clients[1...].map(\.defaultScopes) == (0..<half).map { ["api\($0)-audience"] })
    }

    @Test func legacyPairsCollectRequestersOncePerTarget() throws {
        let pairs = (0..<5_000).map { ExchangePair(from: "r\($0 % 2_500)", to: "t\($0 % 3)", mode: .legacy) }
        let expanded = try Planner.expandingAllowPairs(DesiredRealm(realm: "r", allow: pairs))
        #expect(expanded.clients.map(\.clientId) == ["t0", "t1", "t2"])
        // r0 goes to t0, t1, t2 in turn (0 % 3, 2500 % 3 = 1, ...): each target lists each requester once, in first-seen order.
        for (index, client) in expanded.clients.enumerated() {
            let expected = (0..<5_000).filter { $0 % 3 == index }.map { "r\($0 % 2_500)" }
            var seen = Set<String>()
            #expect(client.legacyExchange?.allowedRequesters == expected.filter { seen.insert($0).inserted })
        }
    }
}
