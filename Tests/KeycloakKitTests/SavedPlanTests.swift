// Saved plans without a server: every write survives the round trip, secrets are stored as
// references and resolved from the environment, and the fingerprint names what changed.
import Foundation
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite struct SavedPlanTests {
    static let everyWrite: [PlanAction] = [
        .createScope(name: "s", body: ["name": "s", "protocolMappers": [["name": "m"]]]),
        .updateScope(name: "s", id: "i1", body: ["name": "s", "description": "d"]),
        .deleteScope(name: "s", id: "i1"),
        .moveInRealmLists(scope: "s", from: nil, to: .optional),
        .moveInRealmLists(scope: "s", from: .default, to: nil),
        .createMapper(scope: "s", body: ["name": "m", "config": ["a": "b"]], inline: true),
        .updateMapper(scope: "s", id: "m1", body: ["name": "m"]),
        .deleteMapper(scope: "s", id: "m1"),
        .deleteClientMapper(clientUUID: "c1", id: "m2"),
        .createClientMapper(clientUUID: "c1", body: ["name": "aud", "protocolMapper": "oidc-audience-mapper"]),
        .updateClientMapper(clientUUID: "c1", id: "m3", body: ["name": "aud"]),
        .unassign(clientUUID: "c1", scope: "s", from: .optional),
        .assign(clientUUID: "c1", scope: "s", from: .optional, to: .default),
        .updateClient(clientUUID: "c1", body: ["attributes": ["standard.token.exchange.enabled": "true"]]),
        .legacyExchange(target: "api", add: ["a", "b"], remove: ["c"]),
        .createRealm(name: "demo", body: ["realm": "demo", "enabled": true]),
        .updateRealm(name: "demo", body: ["displayName": "Demo"]),
        .deleteRealm(name: "old"),
        .createClient(clientId: "app", body: ["clientId": "app", "id": "c1"]),
        .updateClientSettings(clientId: "app", clientUUID: "c1", body: ["description": "d"]),
        .deleteClient(clientId: "gone", clientUUID: "c2"),
        .clientPolicyEntry(list: .profiles, name: "kcx-downscope", entry: ["name": "kcx-downscope", "executors": []]),
        .clientPolicyEntry(list: .policies, name: "kcx-downscope", entry: nil),
        .recordExchangeEvents,
    ]

    /// Reads with every field set away from its default, so the round trip checks each.
    static let reads: LiveReadSpec = {
        var reads = LiveReadSpec(realm: "demo", clients: ["app"], realmSettings: true)
        reads.downscope = true
        reads.events = true
        reads.legacyTargets = ["api", "new"]
        reads.createdLegacyTargets = ["new"]
        return reads
    }()

    func saved(_ actions: [PlanAction]) -> SavedPlan {
        let changes = actions.map { PlanChange(operation: .create, kind: "k", name: "n", group: "g", details: ["d"], action: $0) }
        return SavedPlan(
            realms: [
                SavedRealmPlan(
                    plan: RealmPlan(realm: "demo", changes: changes), reads: Self.reads,
                    fingerprint: [("client app", "ab"), ("realm default client scopes", "cd")])
            ],
            server: "https://kc.example", file: "realm.yaml", prune: true)
    }

    @Test func everyWriteSurvivesTheRoundTrip() throws {
        let plan = saved(Self.everyWrite)
        let text = try plan.document(DesiredState(realms: [])).serialized(.pretty)
        let (read, secrets) = try SavedPlan.read(text, path: "p.json", environment: [:])
        #expect(read == plan)
        #expect(secrets.isEmpty)
    }

    @Test func aSecretFromAVariableIsStoredAsItsReferenceAndResolvedAtApply() throws {
        var state = DesiredState(realms: [], secretValues: ["t0ps3cret"])
        state.secretVariables = ["t0ps3cret": "API_TOKEN"]
        let plan = saved([
            .createMapper(
                scope: "s", body: ["name": "m", "config": ["claim.value": "Bearer t0ps3cret ${literal}"]], inline: false)
        ])
        let text = try plan.document(state).serialized()
        #expect(!text.contains("t0ps3cret"))
        #expect(text.contains(#"{"kcx:secret":"Bearer ${API_TOKEN} $${literal}"}"#))

        let (read, secrets) = try SavedPlan.read(text, path: "p.json", environment: ["API_TOKEN": "t0ps3cret"])
        #expect(read == plan)
        #expect(secrets == ["t0ps3cret"])

        let unset = #expect(throws: KcxError.self) { try SavedPlan.read(text, path: "p.json", environment: [:]) }
        #expect(
            unset
                == KcxError(
                    .usage, "the saved plan needs the environment variable API_TOKEN (a secret it refers to), which is not set",
                    hint: "set API_TOKEN as it was when the plan was made, then run apply again; nothing was sent"))
    }

    @Test func aSecretFromASecretFileIsStoredAsItsPathAndReadAgainAtApply() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-plan-\(UUID().uuidString).secret").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var state = DesiredState(realms: [], secretValues: ["f1les3cret"])
        state.secretFiles = ["f1les3cret": path]
        let plan = saved([
            .createClient(clientId: "api", body: ["id": "c1", "clientId": "api", "secret": "f1les3cret"])
        ])
        let text = try plan.document(state).serialized()
        #expect(!text.contains("f1les3cret"))
        #expect(text.contains(#"{"kcx:secretFile":"\#(path)"}"#), "\(text)")

        // Rotated since the plan: apply sends what the file holds now, as a variable's value is read again.
        try Data("r0tated\n".utf8).write(to: URL(fileURLWithPath: path))
        let (read, secrets) = try SavedPlan.read(text, path: "p.json", environment: [:])
        guard case .createClient(_, let body) = read.realms[0].plan.changes[0].action else {
            Issue.record("not a client create: \(read)")
            return
        }
        #expect(body["secret"] == "r0tated")
        #expect(secrets == ["r0tated"])

        try FileManager.default.removeItem(atPath: path)
        let gone = #expect(throws: KcxError.self) { try SavedPlan.read(text, path: "p.json", environment: [:]) }
        #expect(gone?.code == .usage)
        #expect(
            gone?.message
                == "the saved plan needs the secret file \(path), which cannot be read: No such file or directory")
        #expect(gone?.hint == "put the file back as it was when the plan was made, then run apply again; nothing was sent")
    }

    @Test func aSecretClientIdIsAReferenceInTheReadsAndTheFingerprintToo() throws {
        var state = DesiredState(realms: [], secretValues: ["hidden-client"])
        state.secretVariables = ["hidden-client": "CLIENT_SECRET_ID"]
        let plan = SavedPlan(
            realms: [
                SavedRealmPlan(
                    plan: RealmPlan(
                        realm: "demo",
                        changes: [
                            PlanChange(
                                operation: .update, kind: "token-exchange", name: "<redacted>", group: "client <redacted>",
                                details: [], action: .updateClient(clientUUID: "c1", body: [:]))
                        ]),
                    reads: LiveReadSpec(realm: "demo", clients: ["hidden-client"]), fingerprint: [("client hidden-client", "ab")])
            ],
            server: "https://kc.example", file: "realm.yaml", prune: false)
        let text = try plan.document(state).serialized()
        #expect(!text.contains("hidden-client"), "\(text)")
        #expect(text.contains(#"{"object":{"kcx:secret":"client ${CLIENT_SECRET_ID}"},"sha256":"ab"}"#), "\(text)")
        let (read, secrets) = try SavedPlan.read(text, path: "p.json", environment: ["CLIENT_SECRET_ID": "hidden-client"])
        #expect(read == plan)
        #expect(secrets == ["hidden-client"])
    }

    @Test func aSecretWithNoVariableBehindItIsNotSaved() throws {
        let literal = DesiredState(realms: [], secretValues: ["written-in-file"])
        let plan = saved([
            .createMapper(scope: "s", body: ["name": "m", "config": ["client.secret": "written-in-file"]], inline: false)
        ])
        let error = #expect(throws: KcxError.self) { try plan.document(literal) }
        #expect(error?.code == .usage)
        #expect(
            error?.message
                == "cannot save the plan: k 'n' holds a secret written in the file (or a ${NAME:-default} default), which a plan file must not store"
        )
        // A secret field's value the file did not give (read from the server) is refused too.
        let fromServer = saved([.updateMapper(scope: "s", id: "m1", body: ["config": ["client.secret": "server-held"]])])
        let refused = #expect(throws: KcxError.self) { try fromServer.document(DesiredState(realms: [])) }
        #expect(
            refused?.message
                == "cannot save the plan: the write for k 'n' holds the value of the secret field 'client.secret', which a plan file must not store"
        )
    }

    @Test func otherVersionsAndBrokenFilesAreUsageErrors() throws {
        let other = #expect(throws: KcxError.self) { try SavedPlan.read(#"{"kcxPlan": 1}"#, path: "p.json", environment: [:]) }
        #expect(
            other
                == KcxError(
                    .usage, "'p.json' is a saved plan of format 1; this kcx reads format 2",
                    hint: "make the plan again with this kcx: kcx plan -f FILE --out p.json"))
        let notAPlan = #expect(throws: KcxError.self) { try SavedPlan.read(#"{"realms": []}"#, path: "p.json", environment: [:]) }
        #expect(
            notAPlan
                == KcxError(
                    .usage, "'p.json' is not a kcx saved plan: no kcxPlan version",
                    hint:
                        "a declarative file is applied with -f (kcx apply -f p.json); a saved plan is made by 'kcx plan -f FILE --out PLAN'"
                ))
        let badWrite = try saved([.deleteScope(name: "s", id: "i")]).document(DesiredState(realms: [])).serialized()
            .replacingOccurrences(of: "deleteScope", with: "dropRealm")
        let unknown = #expect(throws: KcxError.self) { try SavedPlan.read(badWrite, path: "p.json", environment: [:]) }
        #expect(unknown?.message == "'p.json' is not a kcx saved plan: in realm 'demo': unknown write type 'dropRealm'")
    }

    @Test func theFingerprintNamesWhatChangedAndLeavesSecretsOut() {
        let live = LiveRealm(
            clientScopes: [["id": "1", "name": "api"], ["id": "2", "name": "web"]],
            clients: [["id": "c", "clientId": "app", "secret": "one"]], realmDefaultScopeIDs: ["1"], realmOptionalScopeIDs: [])
        let before = LiveFingerprint.of(live)
        #expect(
            before.map(\.key) == [
                "client-scope api", "client-scope web", "client app", "realm default client scopes",
                "realm optional client scopes",
            ])
        var rotated = live
        rotated.clients = [["id": "c", "clientId": "app", "secret": "two"]]
        #expect(LiveFingerprint.differences(saved: before, now: LiveFingerprint.of(rotated)).isEmpty)
        var changed = live
        changed.clientScopes = [["id": "1", "name": "api", "description": "x"], ["id": "3", "name": "new"]]
        changed.realmDefaultScopeIDs = []
        #expect(
            LiveFingerprint.differences(saved: before, now: LiveFingerprint.of(changed)) == [
                "client-scope api changed", "client-scope web was deleted", "realm default client scopes changed",
                "client-scope new was created",
            ])
        // Key order does not matter; the digest is of the canonical form.
        #expect(LiveFingerprint.digest(["a": 1, "b": 2]) == LiveFingerprint.digest(["b": 2, "a": 1]))
    }

    /// A tripwire: LiveRealm's stored properties are what the fingerprint covers. A new one must be
    /// added to LiveFingerprint.of, or a change to it would not make a saved plan stale. (`readSpec`
    /// is how it was read, not what: saved beside the fingerprint.)
    @Test func theFingerprintCoversEveryPartOfTheLiveRead() {
        let labels = Mirror(
            reflecting: LiveRealm(clientScopes: [], clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        )
        .children.compactMap(\.label).filter { !$0.hasSuffix("Index") }
        #expect(
            labels == [
                "clientScopes", "clients", "realmDefaultScopeIDs", "realmOptionalScopeIDs", "legacy", "exists",
                "realmRepresentation",
                "clientProfiles", "clientPolicies", "exchangeEventsRecorded", "exchangeEventsConfig", "readSpec",
            ])
        var live = LiveRealm.missing
        live.realmRepresentation = ["realm": "demo"]
        live.exchangeEventsConfig = ["eventsEnabled": false]
        #expect(
            LiveFingerprint.of(live).map(\.key) == [
                "realm (missing)", "realm settings", "client profiles", "client policies", "exchange events", "events config",
                "realm default client scopes",
                "realm optional client scopes",
            ])
    }
}
