// The declarative file's realms, clients, subjectClient, downscope and exchange-event settings:
// parsing and its errors, the expansion of subjectClient, the plan for a realm that does not exist
// yet, and the JSON Schema naming exactly the keys the reader takes.
import Foundation
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite("Declarative realms and clients")
struct DeclarativeObjectsTests {
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

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func realmAndClientSettingsAreRead() throws {
        let state = try parse(
            """
            realms:
              - realm: r
                enabled: true
                displayName: R
                accessTokenLifespan: 300
                downscope: false
                exchangeEvents: true
                clients:
                  - clientId: web
                    name: Web
                    publicClient: false
                    secret: ${WEB_SECRET}
                    redirectUris: ["https://a/*"]
                    attributes: {pkce.code.challenge.method: S256, flag: true}
                  - clientId: only-named
                    defaultScopes: [profile]
            """, ["WEB_SECRET": "abc-123"])
        let realm = state.realms[0]
        #expect(realm.settings.values == JSONObject([("enabled", true), ("displayName", "R"), ("accessTokenLifespan", 300)]))
        #expect(realm.settings.declaresRealm)
        #expect(realm.downscope == false)
        #expect(realm.exchangeEvents == true)
        let web = realm.clients[0]
        #expect(web.settings == JSONObject([("name", "Web"), ("publicClient", false), ("redirectUris", ["https://a/*"])]))
        #expect(web.attributes == JSONObject([("pkce.code.challenge.method", "S256"), ("flag", "true")]))
        #expect(web.secret == "abc-123")
        #expect(web.declaresClient)
        #expect(!realm.clients[1].declaresClient)
        // The secret is hidden whatever its variable is called.
        #expect(state.secretValues == ["abc-123"])
        #expect(state.redacting("secret abc-123") == "secret <redacted>")
    }

    @Test func badSettingsNameTheirPlace() throws {
        let client = "realms:\n  - realm: r\n    clients:\n      - clientId: web\n"
        #expect(
            error(client + "        secret: hunter2\n")
                == "f.yaml:5:17: realms[0].clients[0].secret: give the secret as a variable (${VAR}) or with secretFile, never written into the file"
        )
        #expect(
            error(client + "        secret: x${S}\n", ["S": "v"])
                == "f.yaml:5:17: realms[0].clients[0].secret: give the secret as a variable (${VAR}) or with secretFile, never written into the file"
        )
        #expect(
            error(client + "        publicClient: true\n        secret: ${S}\n", ["S": "v"])
                == "f.yaml:6:17: realms[0].clients[0].secret: a public client has no secret")
        #expect(
            error(client + "        secret: ${S}\n        secretFile: /nonexistent\n", ["S": "v"])
                == "f.yaml:6:21: realms[0].clients[0].secretFile: give either secret or secretFile, not both")
        #expect(
            error(client + "        secretFile: /nonexistent/kcx-secret\n")
                == "f.yaml:5:21: realms[0].clients[0].secretFile: cannot read '/nonexistent/kcx-secret': No such file or directory"
        )
        #expect(
            error(client + "        attributes: {kcx.managed: \"true\"}\n")
                == "f.yaml:5:22: realms[0].clients[0].attributes.kcx.managed: kcx sets this attribute itself on what it creates")
        #expect(
            error(client + "        attributes: {standard.token.exchange.enabled: \"true\"}\n")
                == "f.yaml:5:22: realms[0].clients[0].attributes.standard.token.exchange.enabled: give it as standardExchange")
        #expect(
            error("realms:\n  - realm: r\n    accessTokenLifespan: 5m\n")
                == "f.yaml:3:26: realms[0].accessTokenLifespan: expected a number of seconds (0 or more), not '5m'")
        #expect(
            error("realms:\n  - realm: r\n    downscope: yes\n") == "f.yaml:3:16: realms[0].downscope: expected true or false")
        // Export's placeholder while its variable is unset: the secret is left alone.
        #expect(try parse(client + "        enabled: true\n        secret: ${WEB_SECRET:-}\n").realms[0].clients[0].secret == nil)
    }

    @Test func secretFileIsReadAndHidden() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-secret-\(UUID().uuidString)").path
        try Data("from-a-file\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let state = try parse("realms:\n  - realm: r\n    clients:\n      - clientId: web\n        secretFile: \(path)\n")
        #expect(state.realms[0].clients[0].secret == "from-a-file")
        #expect(state.secretValues == ["from-a-file"])
    }

    let standardServer = ServerFeatures(standardExchange: true, legacyExchange: false, fineGrainedV1: false)

    @Test func subjectClientPutsTheRequesterIntoTheSubjectClientsTokens() throws {
        let pair = ExchangePair(from: "primary", to: "delegated", mode: .standard, subjectClient: "portal")
        let expanded = try Planner.expandingAllowPairs(DesiredRealm(realm: "r", allow: [pair]), features: standardServer)
        #expect(expanded.clientScopes.map(\.name) == ["delegated-audience", "primary-audience"])
        #expect(expanded.clientScopes[1].audienceMappers.map(\.audience) == [.client("primary")])
        #expect(
            expanded.clients == [
                DesiredClient(
                    clientId: "primary", defaultScopes: ["delegated-audience"], optionalScopes: [], standardExchange: true),
                DesiredClient(clientId: "portal", defaultScopes: ["primary-audience"], optionalScopes: []),
            ])
        // The subject client being the requester needs nothing more (the command's rule too).
        let same = ExchangePair(from: "primary", to: "delegated", mode: .standard, subjectClient: "primary")
        #expect(
            try Planner.expandingAllowPairs(DesiredRealm(realm: "r", allow: [same]), features: standardServer).clientScopes.map(
                \.name)
                == ["delegated-audience"])
        #expect(subjectClientAudience(requester: "a", subjectClient: "a") == nil)
        #expect(subjectClientAudience(requester: "a", subjectClient: "b")! == ("a", "b"))
    }

    /// A realm the server lacks: the plan creates it and everything in it, in dependency order, and
    /// the changes after a new client's create name it by the id the plan chose.
    @Test func aMissingRealmIsPlannedWholeInOrder() throws {
        let state = try parse(
            """
            realms:
              - realm: fresh
                enabled: true
                downscope: true
                exchangeEvents: true
                clientScopes:
                  - name: api-access
                    audienceMappers: [{audience: api}]
                clients:
                  - clientId: api
                    enabled: true
                    secret: ${API_SECRET}
                  - clientId: web
                    publicClient: true
                    defaultScopes: [api-access]
            """, ["API_SECRET": "xyz"])
        let desired = state.realms[0]
        try Planner.check(desired, against: .missing)
        let plan = Planner.diff(desired, .missing, prune: true, secrets: state.secretValues)
        #expect(
            plan.changes.map { "\($0.operation.rawValue) \($0.kind) \($0.name)" } == [
                "+ realm fresh", "+ client api", "+ client web", "+ client-scope api-access",
                "+ audience-mapper api audience on scope api-access",
                "+ client-scope-assignment api-access -> web (default)", "~ exchange-events fresh",
                "+ client-profile kcx-downscope", "+ client-policy kcx-downscope",
            ])
        #expect(plan.changes.map(\.action.phase) == [0, 1, 1, 2, 3, 4, 5, 5, 6])
        guard case .createRealm(_, let realmBody) = plan.changes[0].action,
            case .createClient(_, let apiBody) = plan.changes[1].action,
            case .createClient(_, let webBody) = plan.changes[2].action,
            case .assign(let assigned, _, _, _) = plan.changes[5].action
        else {
            Issue.record("unexpected actions: \(plan.changes.map(\.action))")
            return
        }
        #expect(realmBody == ["realm": "fresh", "enabled": true, "attributes": ["kcx.managed": "true"]])
        #expect(apiBody["secret"] == "xyz" && apiBody["publicClient"] == false && apiBody["attributes"]?["kcx.managed"] == "true")
        #expect(assigned == webBody["id"]?.stringValue)
        #expect(plan.changes[1].details.contains("secret: (none) -> <redacted>"))
        #expect(!plan.changes.flatMap(\.details).joined().contains("xyz"))
    }

    /// A desired realm built in code (no file, so no recorded places) is checked all the same.
    @Test func namesOfARealmBuiltInCodeAreCheckedToo() {
        var realm = DesiredRealm(
            realm: "r",
            clientScopes: [
                DesiredClientScope(
                    name: "s", description: nil, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
                    audienceMappers: [Planner.audienceMapper(for: "ghost-api")])
            ])
        realm.clients = [DesiredClient(clientId: "ghost", defaultScopes: ["s", "nope"], optionalScopes: [])]
        #expect(
            throws: UnresolvedReferences(problems: [
                "client 'ghost-api' (audience of mapper 'ghost-api audience' on scope 's') is not a client of realm 'r' nor declared in the file",
                "client 'ghost' is not a client of realm 'r' nor declared in the file",
                "scope 'nope' assigned to client 'ghost' is neither in the file nor in realm 'r'",
            ])
        ) { try Planner.check(realm, against: .missing) }
        #expect(UnresolvedReferences(problems: ["a"]).kcxError.code == .notFound)
        #expect(
            UnresolvedReferences(problems: ["a", "b"]).kcxError.message
                == "2 names in the file do not resolve; nothing was changed:\n  a\n  b")
    }

    @Test func pruneDeletesOnlyClientsKcxCreated() {
        let live = LiveRealm(
            clientScopes: [],
            clients: [
                ["id": "1", "clientId": "made-by-kcx", "attributes": ["kcx.managed": "true"]],
                ["id": "2", "clientId": "made-by-hand", "attributes": [:]],
                ["id": "3", "clientId": "kept", "attributes": ["kcx.managed": "true"]],
            ], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        var realm = DesiredRealm(realm: "r")
        realm.clients = [DesiredClient(clientId: "kept", defaultScopes: [], optionalScopes: [])]
        #expect(
            Planner.diff(realm, live, prune: true).changes.map(\.action) == [
                .deleteClient(clientId: "made-by-kcx", clientUUID: "1")
            ])
        #expect(Planner.diff(realm, live, prune: false).changes.isEmpty)
    }

    @Test func theSeedExamplesParse() throws {
        let environment = [
            "API_SERVICE_SECRET": "1", "SERVICE_A_SECRET": "2", "SERVICE_B_SECRET": "3", "SERVICE_C_SECRET": "4",
            "PRIMARY_SERVICE_SECRET": "5",
            "DELEGATED_SERVICE_SECRET": "6",
        ]
        for name in ["frontend-to-api.yaml", "microservices.yaml", "delegated-access.yaml"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent("examples/\(name)"), encoding: .utf8)
            let realm = try DesiredState.parse(text, file: name, environment: environment).realms[0]
            #expect(realm.settings.values["enabled"] == true, "\(name)")
            let undeclared = realm.clients.filter { !$0.declaresClient }.map(\.clientId)
            #expect(undeclared == [], "\(name): every client is built from the file")
        }
    }

    /// The schema and the reader take the same keys, so neither drifts from the other.
    @Test func schemaNamesExactlyTheKeysTheReaderTakes() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/kcx.schema.json"), encoding: .utf8)
        let schema = try JSON.parse(Array(text.utf8))
        func keys(_ definition: String) -> Set<String> {
            Set(schema["$defs"]?[definition]?["properties"]?.objectValue?.keys ?? [])
        }
        #expect(
            keys("realm")
                == Set(
                    ["realm"] + DesiredRealmSettings.keys + ["downscope", "exchangeEvents", "clientScopes", "clients", "allow"]))
        #expect(keys("client") == Set(FileReader.clientKeys))
        #expect(keys("clientScope") == Set(FileReader.scopeKeys))
        #expect(keys("audienceMapper") == Set(FileReader.audienceMapperKeys))
        #expect(keys("allow") == ["from", "to", "subjectClient", "mode"])
    }
}
