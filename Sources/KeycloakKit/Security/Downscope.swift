// Downscope enforcement for token exchange: one kcx-owned client profile holding Keycloak's
// downscope executor and one policy whose conditions really fire on token-exchange requests.
// PUT replaces whole lists, so both are read, merged and written back, profiles before policies.
import KcxJSON

public let downscopeProfileName = "kcx-downscope"
public let downscopePolicyName = "kcx-downscope"
/// Marks the requesters a targeted policy applies to. Keycloak's `client-scopes` condition (type
/// Default) is the only condition that selects requester clients on a token-exchange request;
/// client-roles, client-attributes and client-access-type abstain there.
public let downscopeMarkerScope = "kcx-downscope-marker"
public let tokenExchangeGrantType = "urn:ietf:params:oauth:grant-type:token-exchange"

/// Which requesters the kcx downscope policy covers.
public enum DownscopeCoverage: Sendable, Equatable {
    case off
    case everyClient
    case clients([String])
}

public struct DownscopeStatus: Sendable, Equatable {
    public let coverage: DownscopeCoverage
    /// Other enabled policies (not kcx's) that also run the downscope executor.
    public let otherPolicies: [String]
    /// True when the kcx policy names the kcx profile but the profile is gone (Keycloak then skips the policy).
    public let profileMissing: Bool

    public var json: JSON {
        var object = JSONObject()
        switch coverage {
        case .off: object["enforced"] = "off"
        case .everyClient: object["enforced"] = "every-client"
        case .clients(let names):
            object["enforced"] = "clients"
            object["clients"] = .array(names.map { .string($0) })
        }
        object["otherPolicies"] = .array(otherPolicies.map { .string($0) })
        object["profileMissing"] = .bool(profileMissing)
        return .object(object)
    }
}

func downscopeProfile() -> JSON {
    [
        "name": .string(downscopeProfileName), "description": "Downscope token exchange (managed by kcx)",
        "executors": [["executor": .string(downscopeExecutor), "configuration": [:]]],
    ]
}

func downscopePolicy(targeted: Bool) -> JSON {
    var conditions: [JSON] = [
        [
            "condition": "grant-type",
            "configuration": ["is-negative-logic": false, "grant_types": [.string(tokenExchangeGrantType)]],
        ]
    ]
    if targeted {
        conditions.append([
            "condition": "client-scopes",
            "configuration": ["is-negative-logic": false, "type": "Default", "scopes": [.string(downscopeMarkerScope)]],
        ])
    }
    return [
        "name": .string(downscopePolicyName),
        "description": .string(
            targeted
                ? "Downscope token exchange by clients with the \(downscopeMarkerScope) scope (managed by kcx)"
                : "Downscope every token exchange (managed by kcx)"),
        "enabled": true, "conditions": .array(conditions), "profiles": [.string(downscopeProfileName)],
    ]
}

extension Writer {
    /// Turns enforcement on for every requester (no clients) or for the named ones (added to any already covered).
    public func enableDownscope(clients: [String]) throws {
        let requesters = try clients.map { try lookup.requireClient($0) }
        if !requesters.isEmpty { try markForDownscope(requesters) }
        try putEntry(downscopeProfile(), list: "profiles", kind: "client-profile")
        try putEntry(downscopePolicy(targeted: !requesters.isEmpty), list: "policies", kind: "client-policy")
    }

    /// Turns enforcement off: for everyone (policy, profile and marker scope removed), or for the named clients of a targeted policy.
    public func disableDownscope(clients: [String]) throws {
        if !clients.isEmpty {
            let policy = try api.get("client-policies/policies", realm: realm)["policies"]?.arrayValue?.first {
                $0["name"]?.stringValue == downscopePolicyName
            }
            if let policy, !isTargeted(policy) {
                throw KcxError.usage(
                    "downscope is enforced for every client in realm '\(realm)'; it cannot be lifted for single clients",
                    hint:
                        "run \(Shell.kcx("token-exchange", "downscope", "disable", "-r", realm)), then enable it with --client for the clients to cover"
                )
            }
            let requesters = try clients.map { try lookup.requireClient($0) }
            guard try lookup.clientScope(downscopeMarkerScope) != nil else {
                for requester in requesters {
                    record(
                        Change(
                            kind: "client-scope-assignment", name: "\(downscopeMarkerScope) -> \(requester.clientId)",
                            outcome: .unchanged, details: ["not assigned"]))
                }
                return
            }
            for requester in requesters { try convergeUnassignment(downscopeMarkerScope, client: requester.clientId) }
            return
        }
        // Policies first: a policy naming a missing profile is accepted by Keycloak and then silently skipped.
        try removeEntry(downscopePolicyName, list: "policies", kind: "client-policy")
        let stillUsed =
            try api.get("client-policies/policies", realm: realm)["policies"]?.arrayValue?.contains {
                $0["name"]?.stringValue != downscopePolicyName
                    && ($0["profiles"]?.arrayValue ?? []).contains(.string(downscopeProfileName))
            } ?? false
        if stillUsed {
            record(
                Change(
                    kind: "client-profile", name: downscopeProfileName, outcome: .unchanged,
                    details: ["kept: another policy names it"]))
        } else {
            try removeEntry(downscopeProfileName, list: "profiles", kind: "client-profile")
        }
        try convergeDeletion(downscopeMarkerScope, ifExists: true)
    }

    /// Through the engine: the fragment "the marker scope (no mappers, out of the scope claim), a
    /// default scope of each requester". One line for the scope, one per requester.
    func markForDownscope(_ requesters: [ClientRef]) throws {
        var scope = DesiredClientScope(
            name: downscopeMarkerScope, description: "Marks clients whose token exchanges kcx downscopes (no mappers)",
            protocol_: "openid-connect",
            includeInTokenScope: false, realmDefault: nil, audienceMappers: [])
        scope.marksManaged = false
        var desired = DesiredRealm(realm: realm, clientScopes: [scope])
        var expected = [Change(kind: "client-scope", name: downscopeMarkerScope, outcome: .unchanged)]
        for requester in requesters where !desired.clients.contains(where: { $0.clientId == requester.clientId }) {
            desired.clients.append(
                DesiredClient(clientId: requester.clientId, defaultScopes: [downscopeMarkerScope], optionalScopes: []))
            expected.append(
                Change(
                    kind: "client-scope-assignment", name: "\(downscopeMarkerScope) -> \(requester.clientId) (default)",
                    outcome: .unchanged))
        }
        var clients: [ClientRef] = []
        for requester in requesters where !clients.contains(where: { $0.id == requester.id }) { clients.append(requester) }
        let (_, outcomes) = try execute(Fragment(desired: desired), live: try liveRealm(clients: clients))
        var lines = expected.map { line in outcomes.first { $0.kind == line.kind && $0.name == line.name } ?? line }
        lines += outcomes.filter { !lines.contains($0) }
        for line in lines { record(line) }
    }

    /// Adds or replaces one named entry of `client-policies/{list}`, keeping every other entry as it was.
    func putEntry(_ desired: JSON, list: String, kind: String) throws {
        let endpoint: Endpoint = "client-policies/\(list)"
        var document = try api.get(endpoint, realm: realm)
        let name = desired["name"]?.stringValue ?? ""
        var entries = document[list]?.arrayValue ?? []
        if let index = entries.firstIndex(where: { $0["name"]?.stringValue == name }) {
            let details = differences(current: entries[index], desired: desired)
            if details.isEmpty {
                record(Change(kind: kind, name: name, outcome: .unchanged))
                return
            }
            entries[index] = desired
            document[list] = .array(entries)
            try write("PUT", endpoint, body: document)
            record(Change(kind: kind, name: name, outcome: .updated, details: details))
        } else {
            entries.append(desired)
            document[list] = .array(entries)
            try write("PUT", endpoint, body: document)
            record(Change(kind: kind, name: name, outcome: .created))
        }
    }

    func removeEntry(_ name: String, list: String, kind: String) throws {
        let endpoint: Endpoint = "client-policies/\(list)"
        var document = try api.get(endpoint, realm: realm)
        let entries = document[list]?.arrayValue ?? []
        let remaining = entries.filter { $0["name"]?.stringValue != name }
        guard remaining.count != entries.count else {
            record(Change(kind: kind, name: name, outcome: .unchanged, details: ["not present"]))
            return
        }
        document[list] = .array(remaining)
        try write("PUT", endpoint, body: document)
        record(Change(kind: kind, name: name, outcome: .deleted))
    }
}

func isTargeted(_ policy: JSON) -> Bool {
    (policy["conditions"]?.arrayValue ?? []).contains { $0["condition"]?.stringValue == "client-scopes" }
}

extension Lookup {
    /// Reads the kcx profile and policy; for a targeted policy, `clients` (default: every non-built-in client) are checked for the marker.
    public func downscopeStatus(clients: [String]) throws -> DownscopeStatus {
        let profiles = try api.get("client-policies/profiles", realm: realm)["profiles"]?.arrayValue ?? []
        let policies = try api.get("client-policies/policies", realm: realm)["policies"]?.arrayValue ?? []
        let downscopeProfiles = profiles.filter { profile in
            (profile["executors"]?.arrayValue ?? []).contains { $0["executor"]?.stringValue == downscopeExecutor }
        }.compactMap { $0["name"]?.stringValue }
        let others = policies.filter { policy in
            policy["name"]?.stringValue != downscopePolicyName && policy["enabled"]?.boolValue == true
                && (policy["profiles"]?.arrayValue ?? []).contains { downscopeProfiles.contains($0.stringValue ?? "") }
        }.compactMap { $0["name"]?.stringValue }
        guard let policy = policies.first(where: { $0["name"]?.stringValue == downscopePolicyName }),
            policy["enabled"]?.boolValue == true
        else {
            return DownscopeStatus(coverage: .off, otherPolicies: others, profileMissing: false)
        }
        let profileMissing = !downscopeProfiles.contains(downscopeProfileName)
        guard isTargeted(policy) else {
            return DownscopeStatus(coverage: .everyClient, otherPolicies: others, profileMissing: profileMissing)
        }
        var names = clients
        if names.isEmpty {
            names = (try api.getArray("clients", realm: realm)).compactMap { $0["clientId"]?.stringValue }.filter {
                !RealmSurvey.isBuiltIn($0)
            }
        }
        var covered: [String] = []
        for name in names {
            let client = try requireClient(name)
            let defaults = try api.getArray("clients/\(client.id)/default-client-scopes", realm: realm)
            if defaults.contains(where: { $0["name"]?.stringValue == downscopeMarkerScope }) { covered.append(client.clientId) }
        }
        return DownscopeStatus(coverage: .clients(covered), otherPolicies: others, profileMissing: profileMissing)
    }
}
