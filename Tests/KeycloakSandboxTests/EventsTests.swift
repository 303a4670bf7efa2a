// Events config, the stored-event list with its filters, and the events the token endpoint records
// (client-policies-events.md §2.1–§2.5).
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

@Suite struct EventsConfigTests {
    let harness: AdminHarness = {
        let harness = AdminHarness()
        harness.createRealm("demo")
        return harness
    }()

    // §2.1: defaults, the expanded type list, PUT semantics (absent enabled = off, lists only when present).
    @Test func defaultsAndPutSemantics() {
        let path = "/admin/realms/demo/events/config"
        let defaults = harness.send("GET", path)
        #expect(defaults.status == 200)
        #expect(
            defaults.bodyJSON.objectValue?.keys == [
                "eventsEnabled", "eventsListeners", "enabledEventTypes", "adminEventsEnabled", "adminEventsDetailsEnabled",
            ])
        #expect(defaults.bodyJSON["eventsEnabled"] == false)
        #expect(defaults.bodyJSON["eventsListeners"] == ["jboss-logging"])
        #expect(defaults.bodyJSON["enabledEventTypes"]?.arrayValue?.count == 103)
        #expect(defaults.bodyJSON["enabledEventTypes"]?.arrayValue?.contains("TOKEN_EXCHANGE_ERROR") == true)

        #expect(
            harness.send(
                "PUT", path,
                json: #"{"eventsEnabled":true,"eventsExpiration":900,"enabledEventTypes":["LOGIN","LOGOUT","REGISTER"]}"#
            ).status == 204)
        #expect(
            harness.send("GET", path).bodyText
                == #"{"eventsEnabled":true,"eventsExpiration":900,"eventsListeners":["jboss-logging"],"enabledEventTypes":["LOGOUT","REGISTER","LOGIN"],"adminEventsEnabled":false,"adminEventsDetailsEnabled":false}"#
        )
        #expect(harness.send("PUT", path, json: "{}").status == 204)
        #expect(
            harness.send("GET", path).bodyText
                == #"{"eventsEnabled":false,"eventsListeners":["jboss-logging"],"enabledEventTypes":["LOGOUT","REGISTER","LOGIN"],"adminEventsEnabled":false,"adminEventsDetailsEnabled":false}"#
        )
    }

    @Test func putRejections() {
        let path = "/admin/realms/demo/events/config"
        #expect(
            harness.send("PUT", path, json: #"{"eventsListeners":["nope"]}"#).bodyText == #"{"error":"Unknown event listener"}"#)
        #expect(
            harness.send("PUT", path, json: #"{"eventsListeners":["workflow-event-listener"]}"#).bodyText
                == #"{"error":"Global event listeners not allowed in realm specific configuration"}"#)
        let unknown = harness.send("PUT", path, json: #"{"zz":1}"#)
        #expect(unknown.status == 400)
        #expect(
            unknown.bodyText
                == #"{"error":"Invalid json representation for RealmEventsConfigRepresentation. Unrecognized field \"zz\" at line 1 column 7."}"#
        )
        #expect(harness.send("PUT", path, json: "").status == 500)
        #expect(harness.send("PUT", path, json: "{}", contentType: "text/plain").status == 415)
        #expect(harness.send("GET", path).bodyJSON["eventsListeners"] == ["jboss-logging"])
    }

    // §2.3 error rows.
    @Test func listQueryErrors() {
        #expect(harness.send("GET", "/admin/realms/demo/events").bodyText == "[]")
        #expect(harness.send("GET", "/admin/realms/demo/events?type=login").status == 500)
        let date = harness.send("GET", "/admin/realms/demo/events?dateFrom=yesterday")
        #expect(date.status == 400)
        #expect(
            date.bodyText == #"{"error":"Invalid value for 'dateFrom', expected format is yyyy-MM-dd or an Epoch timestamp"}"#)
        #expect(
            harness.send("GET", "/admin/realms/demo/events?direction=up").bodyText
                == #"{"error":"Invalid value for sortDirection, expected value is asc or desc"}"#)
        #expect(harness.send("GET", "/admin/realms/demo/events?max=x").bodyText == #"{"error":"HTTP 404 Not Found"}"#)
        #expect(harness.send("DELETE", "/admin/realms/demo/events").status == 204)
        #expect(EventRoutes.dateMillis("2026-01-01", endOfDay: false) == 1_767_225_600_000)
        #expect(EventRoutes.dateMillis("2026-01-01", endOfDay: true) == 1_767_311_999_999)
    }
}

@Suite struct TokenExchangeEventTests {
    let fixture = makeExchangeRealm()

    private func admin(_ method: String, _ path: String, _ json: String? = nil) -> ServerResponse {
        let parts = path.split(separator: "?", maxSplits: 1)
        var query: [(name: String, value: String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query.append((kv[0], kv.count > 1 ? kv[1] : ""))
            }
        }
        let request = ServerRequest(
            method: method, target: path, path: String(parts[0]), query: query,
            headers: json == nil ? [] : [("Content-Type", "application/json")], body: Array((json ?? "").utf8))
        let adminId = fixture.context.store.read { $0.master!.user(username: "admin")!.id }
        return AdminRoutes.handle(request, fixture.context, caller: AdminCaller(realmName: "master", userId: adminId))
    }

    // §2.2: nothing is stored while events are off.
    @Test func disabledStoresNothing() {
        let token = fixture.subjectToken()
        #expect(fixture.exchange(token).status == 200)
        #expect(admin("GET", "/admin/realms/demo/events").text == "[]")
    }

    // §2.5: a success and a client-policy refusal with their details; filters by type and client.
    @Test func exchangeEventsWithDetails() {
        #expect(admin("PUT", "/admin/realms/demo/events/config", #"{"eventsEnabled":true}"#).status == 204)
        let token = fixture.subjectToken()
        let user = fixture.context.store.read { $0.realm(named: "demo")!.user(username: "john")!.id }
        let issued = fixture.exchange(token, [("audience", "target-client1")])
        #expect(issued.status == 200)
        #expect(
            admin(
                "PUT", "/admin/realms/demo/client-policies/profiles",
                #"{"profiles":[{"name":"d","executors":[{"executor":"downscope-assertion-grant-enforcer","configuration":{}}]}]}"#
            ).status == 204)
        #expect(
            admin(
                "PUT", "/admin/realms/demo/client-policies/policies",
                #"{"policies":[{"name":"p","enabled":true,"conditions":[{"condition":"any-client","configuration":{}}],"profiles":["d"]}]}"#
            ).status == 204)
        #expect(fixture.exchange(token, [("scope", "optional-scope2")]).status == 400)

        let exchanges =
            admin("GET", "/admin/realms/demo/events?type=TOKEN_EXCHANGE&type=TOKEN_EXCHANGE_ERROR").json.arrayValue ?? []
        #expect(exchanges.count == 2)
        // Newest first.
        let refused = exchanges[0]
        #expect(refused["type"] == "TOKEN_EXCHANGE_ERROR")
        #expect(refused["clientId"] == "requester-client")
        #expect(refused["userId"] == nil)
        #expect(refused["error"] == "invalid_scope")
        #expect(
            refused["details"]
                == .object(
                    JSONObject([
                        ("grant_type", .string(exchangeGrant)), ("client_auth_method", "client-secret"),
                        ("auth_method", "token_exchange"),
                        ("reason", "client_policy_error"), ("client_policy_error", "invalid_scope"),
                        (
                            "client_policy_error_detail",
                            "Scopes [optional-scope2] not present in the initial access token [profile, email]"
                        ),
                    ])))
        let success = exchanges[1]
        let claims = jwtClaims(issued.jsonObject["access_token"]?.stringValue)
        #expect(success["type"] == "TOKEN_EXCHANGE")
        #expect(success["userId"] == .string(user))
        #expect(success["sessionId"] == claims["sid"])
        #expect(success["error"] == nil)
        #expect(success["details"]?["audience"] == "target-client1")
        #expect(success["details"]?["subject_token_client_id"] == "subject-client")
        #expect(success["details"]?["username"] == "john")
        #expect(success["details"]?["requested_token_type"] == .string(accessTokenType))
        #expect(success["details"]?["token_id"] == claims["jti"])
        #expect(success["details"]?["scope"] == issued.jsonObject["scope"])

        // The subject token's password login was recorded too, under its own client.
        let logins = admin("GET", "/admin/realms/demo/events?client=subject-client").json.arrayValue ?? []
        #expect(logins.map { $0["type"] } == ["LOGIN"])
        #expect(admin("GET", "/admin/realms/demo/events?type=TOKEN_EXCHANGE&max=1&direction=asc").json.arrayValue?.count == 1)
        #expect(admin("DELETE", "/admin/realms/demo/events").status == 204)
        #expect(admin("GET", "/admin/realms/demo/events").text == "[]")
    }

    // §2.2: an explicit type list stores only those types.
    @Test func onlyEnabledTypesAreStored() {
        #expect(
            admin(
                "PUT", "/admin/realms/demo/events/config", #"{"eventsEnabled":true,"enabledEventTypes":["TOKEN_EXCHANGE_ERROR"]}"#
            ).status == 204)
        let token = fixture.subjectToken()
        #expect(fixture.exchange(token).status == 200)
        #expect(fixture.exchange(token, secret: "wrong").status == 401)
        let events = admin("GET", "/admin/realms/demo/events").json.arrayValue ?? []
        #expect(events.map { $0["type"] } == ["TOKEN_EXCHANGE_ERROR"])
        #expect(events.first?["details"] == .object(JSONObject([("grant_type", .string(exchangeGrant))])))
    }
}
