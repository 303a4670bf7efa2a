// Token-exchange auditing: switching on the storage of TOKEN_EXCHANGE / TOKEN_EXCHANGE_ERROR
// events without dropping configured types or listeners, and reading recent exchanges back.
import KcxJSON

public let exchangeEventTypes = ["TOKEN_EXCHANGE", "TOKEN_EXCHANGE_ERROR"]

/// One stored exchange event, in the words of the audit table.
public struct ExchangeEvent: Sendable, Equatable {
    /// Epoch milliseconds.
    public let time: Int64
    public let requester: String
    public let subjectClient: String
    /// The username when Keycloak resolved one, else the user id, else empty.
    public let user: String
    public let audience: String
    /// `allowed` or `refused`.
    public let outcome: String
    /// The error and its detail for a refusal, e.g. `invalid_scope: Scopes [x] not present …`.
    public let reason: String

    public init(event: JSON) {
        let details = event["details"]
        time = event["time"]?.intValue ?? 0
        requester = event["clientId"]?.stringValue ?? ""
        subjectClient = details?["subject_token_client_id"]?.stringValue ?? ""
        user = details?["username"]?.stringValue ?? event["userId"]?.stringValue ?? ""
        audience = details?["audience"]?.stringValue ?? ""
        if let error = event["error"]?.stringValue {
            outcome = "refused"
            let detail = details?["client_policy_error_detail"]?.stringValue ?? details?["reason"]?.stringValue
            reason = detail.map { "\(error): \($0)" } ?? error
        } else {
            outcome = "allowed"
            reason = ""
        }
    }

    /// The time as `2026-11-26T18:30:05Z` (UTC), computed without Foundation's formatters.
    public var timestamp: String {
        let seconds = time >= 0 ? time / 1000 : (time - 999) / 1000
        return UTCTime(secondsSinceEpoch: seconds).iso8601
    }

    public var json: JSON {
        [
            "time": .int(time), "requester": .string(requester), "subjectClient": .string(subjectClient), "user": .string(user),
            "audience": .string(audience), "outcome": .string(outcome), "reason": .string(reason),
        ]
    }
}

/// The events config laid over `config` so that it stores events and both exchange types (event
/// types and listeners already configured stay), and what that changes; nil when it already does.
/// The one rule behind `audit --enable`, the plan's `exchangeEvents`, and "is it recorded".
public func exchangeEventsUpdate(_ config: JSON) -> (body: JSON, details: [String])? {
    var config = config
    var details: [String] = []
    if config["eventsEnabled"]?.boolValue != true {
        details.append("eventsEnabled: \(config["eventsEnabled"]?.serialized() ?? "(none)") -> true")
        config["eventsEnabled"] = true
    }
    // An empty stored list reads back as every default type (exchange types included); a list that is empty here stores the defaults.
    var types = (config["enabledEventTypes"]?.arrayValue ?? []).compactMap(\.stringValue)
    if !types.isEmpty {
        for type in exchangeEventTypes where !types.contains(type) {
            types.append(type)
            details.append("enabledEventTypes: + \(type)")
        }
        config["enabledEventTypes"] = .array(types.map { .string($0) })
    }
    return details.isEmpty ? nil : (config, details)
}

extension Writer {
    /// `kcx token-exchange audit --enable` through the engine: a fragment whose realm wants exchange
    /// events stored, planned against the events config read once and carried out by the executor
    /// as `.recordExchangeEvents`. The outcome line keeps the command's words (`events-config`, and
    /// the fields that change).
    public func convergeExchangeEvents() throws {
        var live = LiveRealm(clientScopes: [], clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        try live.readSecuritySettings(api, realm: realm, downscope: false, events: true)
        var desired = DesiredRealm(realm: realm)
        desired.exchangeEvents = true
        let details = live.exchangeEventsConfig.flatMap(exchangeEventsUpdate)?.details ?? []
        let (applied, _) = try execute(Fragment(desired: desired), live: live)
        record(
            Change(
                kind: "events-config", name: realm, outcome: applied.isEmpty ? .unchanged : .updated,
                details: applied.isEmpty ? [] : details))
    }
}

extension Lookup {
    /// Exchange events, newest first. `since` is epoch milliseconds; `client` a requester's clientId.
    public func exchangeEvents(since: Int64?, client: String?, max: Int = 100) throws -> [ExchangeEvent] {
        var query = exchangeEventTypes.map { ("type", $0) }
        if let client { query.append(("client", client)) }
        if let since { query.append(("dateFrom", String(since))) }
        query.append(("max", String(max)))
        let events = try api.getArray("events", realm: realm, query: query)
        // dateFrom is inclusive from the start of a day on some versions; filter precisely here.
        return events.map(ExchangeEvent.init).filter { since == nil || $0.time >= since! }
    }

    /// Whether exchange events are being stored now.
    public func exchangeEventsRecorded() throws -> Bool {
        exchangeEventsUpdate(try api.get("events/config", realm: realm)) == nil
    }
}
