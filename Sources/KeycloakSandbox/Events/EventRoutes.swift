// `/admin/realms/{realm}/events[/config]`: the realm's event settings and its stored user events
// (client-policies-events.md §2.1–§2.3).
import Foundation
import KcxJSON
import LoopbackHTTP

/// Where a realm's event settings and stored events live: the realm's `extensions` (snapshot-persisted).
enum EventStore {
    static func config(_ realm: Realm) -> JSONObject { realm.extensions["eventsConfig"]?.objectValue ?? JSONObject() }
    static func events(_ realm: Realm) -> [JSON] { realm.extensions["events"]?.arrayValue ?? [] }
    static func storedTypes(_ realm: Realm) -> [String] {
        config(realm)["enabledEventTypes"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
    static func enabled(_ realm: Realm) -> Bool { config(realm)["eventsEnabled"]?.boolValue ?? false }

    /// EventBuilder.send: stored only while enabled and the type is listed (an empty list = the defaults).
    static func shouldStore(_ type: String, in realm: Realm) -> Bool {
        guard enabled(realm) else { return false }
        let stored = storedTypes(realm)
        return stored.isEmpty ? EventTypes.savedByDefault.contains(type) : stored.contains(type)
    }

    /// Appends an `EventRepresentation` (null fields omitted) when the realm stores `type`.
    static func record(
        _ realm: inout Realm, type: String, time: Double, clientId: String?, userId: String? = nil, sessionId: String? = nil,
        ipAddress: String, error: String? = nil, details: JSONObject
    ) {
        guard shouldStore(type, in: realm) else { return }
        var event = JSONObject([
            ("id", .string(SandboxStore.newId())), ("time", .int(Int64(time * 1000))), ("type", .string(type)),
        ])
        event["realmId"] = .string(realm.id)
        if let clientId { event["clientId"] = .string(clientId) }
        if let userId { event["userId"] = .string(userId) }
        if let sessionId { event["sessionId"] = .string(sessionId) }
        event["ipAddress"] = .string(ipAddress)
        if let error { event["error"] = .string(error) }
        event["details"] = .object(details)
        realm.extensions["events"] = .array(events(realm) + [.object(event)])
    }
}

enum EventRoutes {
    static let listeners: Set<String> = ["jboss-logging", "email"]

    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        let viewEvents = call.rights.realmAdmin || call.rights.has("view-events", "manage-events")
        let manageEvents = call.rights.realmAdmin || call.rights.has("manage-events")
        switch (tail, call.method) {
        case (["config"], "GET"):
            guard viewEvents else { return AdminResponse.forbidden }
            return call.read { AdminResponse.json(configBody($0)) }
        case (["config"], "PUT"):
            guard manageEvents else { return AdminResponse.forbidden }
            return writeConfig(call)
        case ([], "GET"):
            // Bounds are bound before the role check (§2.3 evaluation order).
            for name in ["first", "max"] where call.request.queryValue(name) != nil && call.integer(name) == nil {
                return AdminResponse.notFound
            }
            guard viewEvents else { return AdminResponse.forbidden }
            return call.read { list(call, $0) }
        case ([], "DELETE"):
            guard manageEvents else { return AdminResponse.forbidden }
            return call.update { realm in
                realm.extensions["events"] = .array([])
                return AdminResponse.noContent
            }
        case (["config"], _), ([], _): return AdminResponse.methodNotAllowed
        default: return AdminResponse.notFound
        }
    }

    /// RealmEventsConfigRepresentation in served key order; an empty stored type list reads as the defaults.
    static func configBody(_ realm: Realm) -> JSONObject {
        let config = EventStore.config(realm)
        var body = JSONObject([("eventsEnabled", .bool(EventStore.enabled(realm)))])
        if let expiration = config["eventsExpiration"]?.intValue, expiration != 0 { body["eventsExpiration"] = .int(expiration) }
        body["eventsListeners"] = config["eventsListeners"] ?? .array(["jboss-logging"])
        let stored = EventStore.storedTypes(realm)
        body["enabledEventTypes"] = .array((stored.isEmpty ? EventTypes.savedByDefault : stored).map { .string($0) })
        body["adminEventsEnabled"] = .bool(config["adminEventsEnabled"]?.boolValue ?? false)
        body["adminEventsDetailsEnabled"] = .bool(config["adminEventsDetailsEnabled"]?.boolValue ?? false)
        return body
    }

    /// RealmManager.updateRealmEventsConfig: enabled/expiration always overwritten, the rest only when present.
    private static func writeConfig(_ call: AdminCall) -> ServerResponse {
        let schema: [String: FieldKind] = [
            "eventsEnabled": .bool, "eventsExpiration": .long, "eventsListeners": .stringArray, "enabledEventTypes": .stringArray,
            "adminEventsEnabled": .bool, "adminEventsDetailsEnabled": .bool,
        ]
        let body: JSONObject
        switch call.jsonObject("RealmEventsConfigRepresentation", schema: schema) {
        case .failure(let error): return error.response
        case .success(let object): body = object
        }
        let listeners = body["eventsListeners"]?.arrayValue?.compactMap(\.stringValue)
        for listener in listeners ?? [] {
            if listener == "workflow-event-listener" {
                return AdminResponse.error(400, "Global event listeners not allowed in realm specific configuration")
            }
            if !EventRoutes.listeners.contains(listener) { return AdminResponse.error(400, "Unknown event listener") }
        }
        return call.update { realm in
            var config = EventStore.config(realm)
            config["eventsEnabled"] = .bool(boolean(body["eventsEnabled"]) ?? false)
            config["eventsExpiration"] = .int(integer(body["eventsExpiration"]) ?? 0)
            if let listeners { config["eventsListeners"] = .array(distinct(listeners).map { .string($0) }) }
            if let types = body["enabledEventTypes"]?.arrayValue?.compactMap(\.stringValue) {
                // Stored as a Java HashSet: duplicates vanish and the order is the set's (§2.1).
                config["enabledEventTypes"] = .array(JavaHashSet.ordered(types).map { .string($0) })
            }
            for flag in ["adminEventsEnabled", "adminEventsDetailsEnabled"] {
                if let value = boolean(body[flag]) { config[flag] = .bool(value) }
            }
            realm.extensions["eventsConfig"] = .object(config)
            return AdminResponse.noContent
        }
    }

    private static func distinct(_ items: [String]) -> [String] {
        var out: [String] = []
        for item in items where !out.contains(item) { out.append(item) }
        return out
    }

    private static func boolean(_ value: JSON?) -> Bool? {
        switch value {
        case .bool(let flag)?: return flag
        case .string(let text)?: return text == "true"
        default: return nil
        }
    }

    private static func integer(_ value: JSON?) -> Int64? {
        switch value {
        case .int(let number)?: return number
        case .string(let text)?: return Int64(text)
        default: return nil
        }
    }

    private static func list(_ call: AdminCall, _ realm: Realm) -> ServerResponse {
        let types = call.request.query.filter { $0.name == "type" }.map(\.value)
        // EventType.valueOf on an unknown name is Keycloak's 500 (§2.3, recorded).
        if types.contains(where: { !EventTypes.all.contains($0) }) { return AdminResponse.serverError }
        var from: Int64? = nil
        var to: Int64? = nil
        for name in ["dateFrom", "dateTo"] {
            guard let text = call.request.queryValue(name) else { continue }
            guard let millis = dateMillis(text, endOfDay: name == "dateTo") else {
                return AdminResponse.error(
                    400, "Invalid value for '\(name)', expected format is yyyy-MM-dd or an Epoch timestamp")
            }
            if name == "dateFrom" { from = millis } else { to = millis }
        }
        let direction = call.request.queryValue("direction")
        if let direction, direction != "asc", direction != "desc" {
            return AdminResponse.error(400, "Invalid value for sortDirection, expected value is asc or desc")
        }
        var events = EventStore.events(realm).filter { event in
            let time = event["time"]?.intValue ?? 0
            if !types.isEmpty, !types.contains(event["type"]?.stringValue ?? "") { return false }
            if let client = call.request.queryValue("client"), event["clientId"]?.stringValue != client { return false }
            if let user = call.request.queryValue("user"), event["userId"]?.stringValue != user { return false }
            if let address = call.request.queryValue("ipAddress"), event["ipAddress"]?.stringValue != address { return false }
            if let from, time < from { return false }
            if let to, time > to { return false }
            return true
        }
        // Newest first unless `direction=asc`.
        if direction != "asc" { events.reverse() }
        return AdminResponse.json(.array(paged(events, first: call.integer("first"), max: call.integer("max") ?? 100)))
    }

    /// `yyyy-MM-dd` (UTC day; start or end) or epoch milliseconds.
    static func dateMillis(_ text: String, endOfDay: Bool) -> Int64? {
        if let millis = Int64(text) { return millis }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month),
            (1...31).contains(day)
        else { return nil }
        // Days from the civil date (proleptic Gregorian), then whole days in milliseconds.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era * 146097 + doe - 719468)
        let start = days * 86_400_000
        return endOfDay ? start + 86_399_999 : start
    }
}
