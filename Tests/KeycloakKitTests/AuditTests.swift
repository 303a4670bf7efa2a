// Exchange auditing against a scripted admin API: events config merged (types and listeners kept),
// event queries, and the table fields taken from Keycloak's event details.
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct AuditTests {
    @Test func enablingKeepsListenersAndTypesAndAddsTheExchangeTypes() throws {
        let api = ScriptedAdminAPI()
        api.expect(
            "GET", "events/config",
            json: [
                "eventsEnabled": false, "eventsExpiration": 3600, "eventsListeners": ["jboss-logging", "email"],
                "enabledEventTypes": ["LOGIN", "TOKEN_EXCHANGE"],
                "adminEventsEnabled": true, "adminEventsDetailsEnabled": false,
            ])
        api.expect(
            "PUT", "events/config",
            body: [
                "eventsEnabled": true, "eventsExpiration": 3600, "eventsListeners": ["jboss-logging", "email"],
                "enabledEventTypes": ["LOGIN", "TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR"], "adminEventsEnabled": true,
                "adminEventsDetailsEnabled": false,
            ], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeExchangeEvents()
        #expect(api.allConsumed)
        #expect(
            writer.changes == [
                Change(
                    kind: "events-config", name: "demo", outcome: .updated,
                    details: ["eventsEnabled: false -> true", "enabledEventTypes: + TOKEN_EXCHANGE_ERROR"])
            ])
    }

    @Test func enablingWhenRecordedChangesNothingAndADryRunSendsNothing() throws {
        let api = ScriptedAdminAPI()
        api.expect(
            "GET", "events/config",
            json: ["eventsEnabled": true, "enabledEventTypes": ["TOKEN_EXCHANGE_ERROR", "TOKEN_EXCHANGE"]])
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeExchangeEvents()
        #expect(writer.changes.map(\.outcome) == [.unchanged])

        let dryAPI = ScriptedAdminAPI()
        dryAPI.expect("GET", "events/config", json: ["eventsEnabled": false, "eventsListeners": ["jboss-logging"]])
        let dry = Writer(api: dryAPI, realm: "demo", dryRun: true)
        try dry.convergeExchangeEvents()
        #expect(dryAPI.allConsumed)
        #expect(
            dry.requests == [
                PlannedRequest(
                    method: "PUT", endpoint: "events/config", body: ["eventsEnabled": true, "eventsListeners": ["jboss-logging"]])
            ])
    }

    /// `audit --enable` through the engine: the config is read once (the plan's read), the executor
    /// lays its PUT over it, and the outcome line is the command's own; recorded already, one GET.
    @Test func convergingReadsTheConfigOnceAndTheExecutorPutsOverIt() throws {
        let api = ScriptedAdminAPI()
        api.expect(
            "GET", "events/config",
            json: ["eventsEnabled": true, "eventsListeners": ["email"], "enabledEventTypes": ["LOGIN"]])
        api.expect(
            "PUT", "events/config",
            body: [
                "eventsEnabled": true, "eventsListeners": ["email"],
                "enabledEventTypes": ["LOGIN", "TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR"],
            ], status: 204)
        let writer = Writer(api: api, realm: "demo", dryRun: false)
        try writer.convergeExchangeEvents()
        #expect(api.allConsumed)
        #expect(
            writer.changes == [
                Change(
                    kind: "events-config", name: "demo", outcome: .updated,
                    details: ["enabledEventTypes: + TOKEN_EXCHANGE", "enabledEventTypes: + TOKEN_EXCHANGE_ERROR"])
            ])

        let recorded = ScriptedAdminAPI()
        recorded.expect("GET", "events/config", json: ["eventsEnabled": true, "enabledEventTypes": []])
        let again = Writer(api: recorded, realm: "demo", dryRun: false)
        try again.convergeExchangeEvents()
        #expect(recorded.allConsumed)
        #expect(again.changes == [Change(kind: "events-config", name: "demo", outcome: .unchanged)])
    }

    @Test func readsExchangeEventsIntoTableFields() throws {
        let api = ScriptedAdminAPI()
        api.expect(
            "GET", "events",
            query: [
                ("type", "TOKEN_EXCHANGE"), ("type", "TOKEN_EXCHANGE_ERROR"), ("client", "service-a"), ("dateFrom", "1000"),
                ("max", "100"),
            ],
            json: [
                [
                    "time": 3000, "type": "TOKEN_EXCHANGE_ERROR", "clientId": "service-a", "error": "invalid_scope",
                    "details": [
                        "reason": "client_policy_error", "client_policy_error": "invalid_scope",
                        "client_policy_error_detail": "Scopes [email] not present in the initial access token [profile]",
                    ],
                ],
                [
                    "time": 2000, "type": "TOKEN_EXCHANGE", "clientId": "service-a", "userId": "u-1",
                    "details": [
                        "username": "alice", "subject_token_client_id": "portal", "audience": "service-b", "scope": "profile",
                    ],
                ],
                ["time": 999, "type": "TOKEN_EXCHANGE", "clientId": "service-a"],
            ])
        let events = try Lookup(api: api, realm: "demo").exchangeEvents(since: 1000, client: "service-a")
        #expect(api.allConsumed)
        #expect(events.count == 2)
        #expect(
            events[0].json == [
                "time": 3000, "requester": "service-a", "subjectClient": "", "user": "", "audience": "", "outcome": "refused",
                "reason": "invalid_scope: Scopes [email] not present in the initial access token [profile]",
            ])
        #expect(
            events[1].json == [
                "time": 2000, "requester": "service-a", "subjectClient": "portal", "user": "alice", "audience": "service-b",
                "outcome": "allowed", "reason": "",
            ])
    }

    @Test func recordedMeansEnabledWithBothTypes() throws {
        for (config, expected) in [
            (["eventsEnabled": true, "enabledEventTypes": []] as JSON, true), (["eventsEnabled": false] as JSON, false),
            (["eventsEnabled": true, "enabledEventTypes": ["TOKEN_EXCHANGE"]] as JSON, false),
        ] {
            let api = ScriptedAdminAPI()
            api.expect("GET", "events/config", json: config)
            #expect(try Lookup(api: api, realm: "demo").exchangeEventsRecorded() == expected)
        }
    }

    @Test func timestampsAreUTC() {
        func at(_ milliseconds: Int64) -> String { ExchangeEvent(event: ["time": .int(milliseconds)]).timestamp }
        #expect(at(0) == "1970-01-01T00:00:00Z")
        #expect(at(951_782_400_000) == "2000-02-29T00:00:00Z")
        #expect(at(1_767_225_600_000) == "2026-01-01T00:00:00Z")
        #expect(at(1_795_718_405_999) == "2026-11-26T18:40:05Z")
    }
}
