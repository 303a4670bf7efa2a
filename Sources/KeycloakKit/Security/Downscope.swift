// Downscope enforcement for token exchange: one kcx-owned client profile holding Keycloak's
// downscope executor and one policy whose conditions really fire on token-exchange requests.
// PUT replaces whole lists, so the executor lays each entry's change over the list the plan read,
// profiles before policies (policies before profiles when removing).
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

/// The two lists of `client-policies` kcx keeps one downscope entry in; each is read and PUT whole.
public enum ClientPolicyList: String, Sendable, Equatable, CaseIterable {
    case profiles, policies

    var endpoint: Endpoint { "client-policies/\(rawValue)" }
    /// The word outcome lines and plans use for an entry of the list.
    var entryKind: String { self == .profiles ? "client-profile" : "client-policy" }
}

/// The entries of a `client-policies/{list}` document.
func entries(_ document: JSON?, _ list: ClientPolicyList) -> [JSON] { document?[list.rawValue]?.arrayValue ?? [] }

/// Whether kcx's downscope policy is enabled for every requester (not limited by the marker scope).
func downscopeCoversEveryClient(_ policies: JSON?) -> Bool {
    entries(policies, .policies).contains {
        $0["name"]?.stringValue == downscopePolicyName && $0["enabled"]?.boolValue == true && !isTargeted($0)
    }
}

/// Whether a policy other than kcx's names kcx's profile (which then must stay).
func downscopeProfileInUse(_ policies: JSON?) -> Bool {
    entries(policies, .policies).contains {
        $0["name"]?.stringValue != downscopePolicyName
            && ($0["profiles"]?.arrayValue ?? []).contains(.string(downscopeProfileName))
    }
}

extension Planner {
    /// The rule behind `downscope enable/disable` and the file's `downscope`, against the profile and
    /// policy documents `live` read: on, kcx's profile and policy each created or repaired to what kcx
    /// writes (the policy limited to requesters with the marker scope when `markedOnly`, unless it
    /// already covers everyone: enabling for some never narrows it); off, the policy removed, then
    /// the profile unless another policy names it, then the marker scope. Nothing when not read.
    static func downscopeChanges(on: Bool, markedOnly: Bool, live: LiveRealm, realm: String) -> [PlanChange] {
        guard let profiles = live.clientProfiles, let policies = live.clientPolicies else { return [] }
        let group = "realm \(realm)"
        func current(_ list: ClientPolicyList, _ name: String) -> JSON? {
            entries(list == .profiles ? profiles : policies, list).first { $0["name"]?.stringValue == name }
        }
        var changes: [PlanChange] = []
        if on {
            let targeted = markedOnly && !downscopeCoversEveryClient(policies)
            for (list, entry) in [
                (ClientPolicyList.profiles, downscopeProfile()), (.policies, downscopePolicy(targeted: targeted)),
            ] {
                let name = entry["name"]?.stringValue ?? ""
                let action = PlanAction.clientPolicyEntry(list: list, name: name, entry: entry)
                guard let found = current(list, name) else {
                    changes.append(
                        PlanChange(
                            operation: .create, kind: list.entryKind, name: name, group: group, details: [], action: action))
                    continue
                }
                let diff = differences(current: found, desired: entry)
                guard !diff.isEmpty else { continue }
                changes.append(
                    PlanChange(operation: .update, kind: list.entryKind, name: name, group: group, details: diff, action: action))
            }
            return changes
        }
        // Policies first: a policy naming a missing profile is accepted by Keycloak and then silently skipped.
        if current(.policies, downscopePolicyName) != nil {
            changes.append(
                PlanChange(
                    operation: .delete, kind: ClientPolicyList.policies.entryKind, name: downscopePolicyName, group: group,
                    details: [], action: .clientPolicyEntry(list: .policies, name: downscopePolicyName, entry: nil)))
        }
        if current(.profiles, downscopeProfileName) != nil, !downscopeProfileInUse(policies) {
            changes.append(
                PlanChange(
                    operation: .delete, kind: ClientPolicyList.profiles.entryKind, name: downscopeProfileName, group: group,
                    details: [], action: .clientPolicyEntry(list: .profiles, name: downscopeProfileName, entry: nil)))
        }
        if let id = live.scope(named: downscopeMarkerScope)?["id"]?.stringValue {
            changes.append(
                PlanChange(
                    operation: .delete, kind: "client-scope", name: downscopeMarkerScope,
                    group: "client-scope \(downscopeMarkerScope)", details: [],
                    action: .deleteScope(name: downscopeMarkerScope, id: id)))
        }
        return changes
    }
}

extension Writer {
    /// Turns enforcement on for every requester (no clients) or for the named ones (added to any
    /// already covered), through the engine: the fragment "kcx's profile and policy as kcx writes
    /// them" and, for named clients, "the marker scope (no mappers, out of the scope claim), a
    /// default scope of each". A line per object, changed or not.
    public func enableDownscope(clients: [String]) throws {
        var requesters: [ClientRef] = []
        for name in clients {
            let requester = try lookup.requireClient(name)
            if !requesters.contains(where: { $0.id == requester.id }) { requesters.append(requester) }
        }
        var live = try liveRealm(clients: requesters, scopes: false)
        try live.readSecuritySettings(api, realm: realm, downscope: true, events: false)
        var desired = DesiredRealm(realm: realm)
        desired.downscope = true
        var expected: [Change] = []
        let coversEveryone = downscopeCoversEveryClient(live.clientPolicies)
        if !requesters.isEmpty && !coversEveryone {
            // The scope list only when the marker scope is wanted: a policy for everyone needs none.
            live.clientScopes = try lookup.clientScopes().map(\.representation)
            desired.downscopeMarkedOnly = true
            var scope = DesiredClientScope(
                name: downscopeMarkerScope, description: "Marks clients whose token exchanges kcx downscopes (no mappers)",
                protocol_: "openid-connect", includeInTokenScope: false, realmDefault: nil, audienceMappers: [])
            scope.marksManaged = false
            desired.clientScopes = [scope]
            expected.append(Change(kind: "client-scope", name: downscopeMarkerScope, outcome: .unchanged))
            for requester in requesters {
                desired.clients.append(
                    DesiredClient(clientId: requester.clientId, defaultScopes: [downscopeMarkerScope], optionalScopes: []))
                expected.append(
                    Change(
                        kind: "client-scope-assignment", name: "\(downscopeMarkerScope) -> \(requester.clientId) (default)",
                        outcome: .unchanged))
            }
        }
        expected.append(Change(kind: ClientPolicyList.profiles.entryKind, name: downscopeProfileName, outcome: .unchanged))
        expected.append(
            Change(
                kind: ClientPolicyList.policies.entryKind, name: downscopePolicyName, outcome: .unchanged,
                details: coversEveryone && !requesters.isEmpty ? ["already enforced for every client"] : []))
        try converge(Fragment(desired: desired), live: live, expected: expected)
    }

    /// Turns enforcement off: for everyone (policy, profile and marker scope removed), or for the named clients of a targeted policy.
    public func disableDownscope(clients: [String]) throws {
        if !clients.isEmpty {
            let policy = entries(try api.get(ClientPolicyList.policies.endpoint, realm: realm), .policies).first {
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
        var live = try liveRealm(clients: [])
        try live.readSecuritySettings(api, realm: realm, downscope: true, events: false)
        var desired = DesiredRealm(realm: realm)
        desired.downscope = false
        let profileKept = downscopeProfileInUse(live.clientPolicies)
        try converge(
            Fragment(desired: desired), live: live,
            expected: [
                Change(
                    kind: ClientPolicyList.policies.entryKind, name: downscopePolicyName, outcome: .unchanged,
                    details: ["not present"]),
                Change(
                    kind: ClientPolicyList.profiles.entryKind, name: downscopeProfileName, outcome: .unchanged,
                    details: [profileKept ? "kept: another policy names it" : "not present"]),
                Change(kind: "client-scope", name: downscopeMarkerScope, outcome: .unchanged, details: ["does not exist"]),
            ])
        if !dryRun { cache.scopes?.removeAll { $0.name == downscopeMarkerScope } }
    }
}

func isTargeted(_ policy: JSON) -> Bool {
    (policy["conditions"]?.arrayValue ?? []).contains { $0["condition"]?.stringValue == "client-scopes" }
}

extension Lookup {
    /// Reads the kcx profile and policy; for a targeted policy, `clients` (default: every non-built-in client) are checked for the marker.
    public func downscopeStatus(clients: [String]) throws -> DownscopeStatus {
        let profiles = entries(try api.get(ClientPolicyList.profiles.endpoint, realm: realm), .profiles)
        let policies = entries(try api.get(ClientPolicyList.policies.endpoint, realm: realm), .policies)
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
