// `/admin/realms/{realm}/client-policies/{profiles,policies}`: reads and whole-list replacement with
// Keycloak 26.7's validation, in its order (client-policies-events.md §1.1–§1.4).
import KcxJSON
import LoopbackHTTP

/// Where a realm's profiles and policies live: the realm's `extensions`, persisted with the snapshot.
enum ClientPolicyStore {
    static func profiles(_ realm: Realm) -> [JSON] { realm.extensions["clientProfiles"]?["profiles"]?.arrayValue ?? [] }
    static func policies(_ realm: Realm) -> [JSON] { realm.extensions["clientPolicies"]?["policies"]?.arrayValue ?? [] }
}

enum ClientPolicyRoutes {
    /// Executors Keycloak 26.7 registers (`ClientPolicyExecutorProvider` ids); only the downscope
    /// enforcer acts on token exchange, the rest are accepted and stored.
    static let executorIds: Set<String> = Set(
        GlobalClientProfiles.profiles.flatMap { $0["executors"]?.arrayValue ?? [] }.compactMap { $0["executor"]?.stringValue }
    ).union([
        "downscope-assertion-grant-enforcer", "intent-client-bind-checker", "secure-logout", "suppress-refresh-token-rotation",
    ])

    /// Conditions Keycloak 26.7 registers (§1.7); `client-ids`/`client-condition` are not released.
    static let conditionIds: Set<String> = [
        "any-client", "grant-type", "client-scopes", "client-access-type", "client-roles", "client-attributes",
        "client-updater-context", "client-updater-source-groups", "client-updater-source-host",
        "client-updater-source-roles",
    ]

    static func route(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.count == 1 else { return AdminResponse.notFound }
        switch (tail[0], call.method) {
        case ("profiles", "GET"), ("policies", "GET"):
            guard call.rights.viewRealm else { return AdminResponse.forbidden }
            return call.read { realm in tail[0] == "profiles" ? readProfiles(call, realm) : readPolicies(call, realm) }
        case ("profiles", "PUT"), ("policies", "PUT"):
            guard call.rights.manageRealm else { return AdminResponse.forbidden }
            return tail[0] == "profiles" ? writeProfiles(call) : writePolicies(call)
        case ("profiles", _), ("policies", _): return AdminResponse.methodNotAllowed
        default: return AdminResponse.notFound
        }
    }

    private static func readProfiles(_ call: AdminCall, _ realm: Realm) -> ServerResponse {
        var body = JSONObject([("profiles", .array(ClientPolicyStore.profiles(realm)))])
        if call.flag("include-global-profiles") { body["globalProfiles"] = .array(GlobalClientProfiles.profiles) }
        return AdminResponse.json(body)
    }

    private static func readPolicies(_ call: AdminCall, _ realm: Realm) -> ServerResponse {
        var body = JSONObject([("policies", .array(ClientPolicyStore.policies(realm)))])
        // Global policies are empty on 26.7.1 (§1.3).
        if call.flag("include-global-policies") { body["globalPolicies"] = .array([]) }
        return AdminResponse.json(body)
    }

    private static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }

    private static func bad(_ message: String) -> ServerResponse { AdminResponse.errorMessage(400, message) }

    private static func writeProfiles(_ call: AdminCall) -> ServerResponse {
        if isBlank(call.request.body) { return bad("Passing null clientProfiles not allowed") }
        let body: JSONObject
        switch call.jsonObject("ClientProfilesRepresentation", schema: ["profiles": .array, "globalProfiles": .array]) {
        case .failure(let error): return error.response
        case .success(let object): body = object
        }
        var stored: [JSON] = []
        var names: [String] = []
        for item in body["profiles"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue, !name.isEmpty else {
                return bad("client profile without its name not allowed.")
            }
            if names.contains(name) { return bad("proposed client profile name duplicated.") }
            names.append(name)
        }
        if let global = body["globalProfiles"]?.arrayValue, !global.isEmpty, global != GlobalClientProfiles.profiles {
            return bad("Global profiles cannot be updated")
        }
        for item in body["profiles"]?.arrayValue ?? [] {
            let name = item["name"]?.stringValue ?? ""
            if GlobalClientProfiles.names.contains(name) {
                return bad("Proposed profile name '\(name)' is duplicated as a global profile")
            }
            var executors: [JSON] = []
            for executor in item["executors"]?.arrayValue ?? [] {
                // Choice: a missing configuration is rejected like an invalid one (§1.4 UNVERIFIED: a
                // null configuration reaches validateConfig(); Keycloak's builders always send {}).
                guard let id = executor["executor"]?.stringValue, executorIds.contains(id),
                    let configuration = executor["configuration"]?.objectValue
                else {
                    return bad(
                        "proposed client profile contains the executor, which does not have valid provider, or has invalid configuration."
                    )
                }
                executors.append(.object(JSONObject([("executor", .string(id)), ("configuration", .object(configuration))])))
            }
            var profile = JSONObject([("name", .string(name))])
            if let description = item["description"]?.stringValue { profile["description"] = .string(description) }
            profile["executors"] = .array(executors)
            stored.append(.object(profile))
        }
        return call.update { realm in
            realm.extensions["clientProfiles"] = .object(JSONObject([("profiles", .array(stored))]))
            return AdminResponse.noContent
        }
    }

    private static func writePolicies(_ call: AdminCall) -> ServerResponse {
        if isBlank(call.request.body) { return bad("Passing null clientPolicies not allowed") }
        let body: JSONObject
        switch call.jsonObject("ClientPoliciesRepresentation", schema: ["policies": .array, "globalPolicies": .array]) {
        case .failure(let error): return error.response
        case .success(let object): body = object
        }
        if let global = body["globalPolicies"]?.arrayValue, !global.isEmpty { return bad("Global policies cannot be updated") }
        let items = body["policies"]?.arrayValue ?? []
        // validatePolicies: the duplicate check over all names runs before the per-policy checks.
        var names: [String] = []
        for item in items {
            guard let name = item["name"]?.stringValue else { continue }
            if names.contains(name) { return bad("proposed client policy name duplicated") }
            names.append(name)
        }
        return call.update { realm in
            let profileNames =
                ClientPolicyStore.profiles(realm).compactMap { $0["name"]?.stringValue } + GlobalClientProfiles.names
            var stored: [JSON] = []
            for item in items {
                guard let name = item["name"]?.stringValue else { return bad("client policy without name not allowed") }
                var conditions: [JSON] = []
                for condition in item["conditions"]?.arrayValue ?? [] {
                    let id = condition["condition"]?.stringValue ?? ""
                    guard conditionIds.contains(id) else { return bad("Policy \(name) contains invalid condition \(id)") }
                    let configuration = condition["configuration"]?.objectValue ?? JSONObject()
                    if let reason = configurationProblem(id, configuration, realm) {
                        return bad("Invalid \(id) configuration - \(reason)")
                    }
                    conditions.append(
                        .object(JSONObject([("condition", .string(id)), ("configuration", .object(configuration))])))
                }
                let profiles = item["profiles"]?.arrayValue?.compactMap(\.stringValue) ?? []
                if Set(profiles).count != profiles.count { return bad("Policy \(name) contains duplicated profiles") }
                for profile in profiles where !profileNames.contains(profile) {
                    return bad("Policy \(name) contains invalid profile \(profile)")
                }
                var policy = JSONObject([("name", .string(name))])
                if let description = item["description"]?.stringValue { policy["description"] = .string(description) }
                // An absent `enabled` is stored as false (§1.4).
                policy["enabled"] = .bool(item["enabled"]?.boolValue ?? false)
                // Choice: a supplied `mode` is kept and read back (§1.2 UNVERIFIED); absent stays absent.
                if let mode = item["mode"]?.stringValue { policy["mode"] = .string(mode) }
                policy["conditions"] = .array(conditions)
                policy["profiles"] = .array(profiles.map { .string($0) })
                stored.append(.object(policy))
            }
            realm.extensions["clientPolicies"] = .object(JSONObject([("policies", .array(stored))]))
            return AdminResponse.noContent
        }
    }

    /// The condition factory's `validateConfiguration`; only `client-scopes` checks anything (§1.4).
    private static func configurationProblem(_ id: String, _ configuration: JSONObject, _ realm: Realm) -> String? {
        guard id == "client-scopes" else { return nil }
        let scopes = configuration["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let unknown = scopes.filter { realm.clientScope(name: $0) == nil }
        guard !unknown.isEmpty else { return nil }
        return "Client scopes not allowed: [\(unknown.joined(separator: ", "))]"
    }
}
