// `kcx token-exchange audit --enable` runs through the engine apply uses: a fragment whose realm
// wants exchange events stored, planned as `recordExchangeEvents`; a dry run lists the executor's
// request, and the events config read back afterwards keeps the types and listeners it had.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct EngineAuditTests {
    let keycloak = TestKeycloak.shared

    @Test func auditEnableDryRunListsTheExecutorsRequestAndTheRealRunKeepsTypesAndListeners() throws {
        let fixture = try RealmFixture(keycloak, prefix: "enga")
        let initial: JSON = ["eventsEnabled": false, "eventsListeners": ["jboss-logging"], "enabledEventTypes": ["LOGIN"]]
        #expect(try keycloak.adminSend("PUT", "\(fixture.realm)/events/config", json: initial).status == 204)
        let before = try keycloak.adminGet("\(fixture.realm)/events/config").json

        let dry = try fixture.inRealm(["token-exchange", "audit", "--enable", "--dry-run"])
        #expect(
            dry.stderr == """
                would be updated: events-config \(fixture.realm)
                    eventsEnabled: false -> true
                    enabledEventTypes: + TOKEN_EXCHANGE
                    enabledEventTypes: + TOKEN_EXCHANGE_ERROR
                dry run: nothing was changed; a real run would send:
                    PUT events/config {"eventsEnabled":true,"eventsListeners":["jboss-logging"],\
                "enabledEventTypes":["LOGIN","TOKEN_EXCHANGE","TOKEN_EXCHANGE_ERROR"],\
                "adminEventsEnabled":false,"adminEventsDetailsEnabled":false}

                """, "\(dry)")
        #expect(try keycloak.adminGet("\(fixture.realm)/events/config").json == before)

        let real = try fixture.inRealm(["token-exchange", "audit", "--enable"])
        #expect(
            real.stderr == """
                updated: events-config \(fixture.realm)
                    eventsEnabled: false -> true
                    enabledEventTypes: + TOKEN_EXCHANGE
                    enabledEventTypes: + TOKEN_EXCHANGE_ERROR

                """, "\(real)")
        let after = try keycloak.adminGet("\(fixture.realm)/events/config").json
        #expect(after?["eventsEnabled"] == true)
        #expect(
            Set((after?["enabledEventTypes"]?.arrayValue ?? []).compactMap(\.stringValue))
                == ["LOGIN", "TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR"])
        #expect(after?["eventsListeners"] == ["jboss-logging"])

        let again = try fixture.inRealm(["token-exchange", "audit", "--enable", "--dry-run"])
        #expect(again.stderr == "unchanged: events-config \(fixture.realm)\ndry run: nothing to change\n", "\(again)")
    }
}
