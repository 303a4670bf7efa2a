// Legacy (V1) token exchange: fine-grained admin permissions v1 on the target client, with ONE
// kcx-owned client policy per target listing every allowed requester. Several single-client
// policies under the permission's default UNANIMOUS strategy would deny everyone.
import KcxJSON

// The legacy wiring's own writes. Every other write goes through the executor's actions; these are
// made only inside its `.legacyExchange` action, whose steps need the ids earlier steps answer with.
extension Writer {
    /// Sends a write (or records it). Returns the response, or nil in a dry run.
    @discardableResult
    fileprivate func write(_ method: String, _ endpoint: Endpoint, body: JSON? = nil) throws -> HTTPResponse? {
        requests.append(PlannedRequest(method: method, endpoint: endpoint.readable, body: body))
        if dryRun { return nil }
        return try api.send(method: method, endpoint: endpoint, realm: realm, query: [], body: body)
    }

    /// What `create` did.
    fileprivate enum Creation {
        /// Made by this run (or, in a dry run, would be): its id, a placeholder naming it, or nil
        /// when the server's answer did not say (no `Location`, no `id`).
        case created(id: String?)
        /// Someone else made it first (409, then found by `find`): compare and update it as usual.
        case alreadyExists(id: String)
    }

    /// POSTs a new object, never making two: `find` looks the object up by its natural key (name,
    /// clientId, mapper name) and returns its id, and is asked whenever the answer was lost or a 409
    /// came back (see `AdminAPI.createOnce`).
    fileprivate func create(_ endpoint: Endpoint, body: JSON, placeholder: String, find: () throws -> String?) throws -> Creation
    {
        requests.append(PlannedRequest(method: "POST", endpoint: endpoint.readable, body: body))
        if dryRun { return .created(id: "<new \(placeholder)>") }
        switch try api.createOnce(endpoint, realm: realm, body: body, find: find) {
        case .created(let response):
            return .created(id: createdID(from: response))
        case .recovered(let id):
            return .created(id: id)
        case .existing(let id):
            return .alreadyExists(id: id)
        }
    }
}

extension Writer {
    /// The target's `token-exchange` scope permission id, switching management permissions on if needed.
    func tokenExchangePermission(of target: ClientRef) throws -> (permissionID: String, resourceID: String?) {
        let endpoint: Endpoint = "clients/\(target.id)/management/permissions"
        let current: JSON
        do {
            current = try api.get(endpoint, realm: realm)
        } catch let error as KcxError where error.message.contains(": 501 ") {
            throw KcxError(
                .serverError,
                "legacy token exchange needs fine-grained admin permissions v1, which this server does not have (\(error.message))",
                hint:
                    "use --mode standard (Keycloak 26.2+), or start Keycloak with --features=token-exchange,admin-fine-grained-authz:v1"
            )
        }
        if current["enabled"]?.boolValue == true, let id = current["scopePermissions"]?["token-exchange"]?.stringValue {
            record(Change(kind: "management-permissions", name: target.clientId, outcome: .unchanged))
            return (id, current["resource"]?.stringValue)
        }
        let response = try write("PUT", endpoint, body: ["enabled": true])
        record(
            Change(kind: "management-permissions", name: target.clientId, outcome: .updated, details: ["enabled: false -> true"]))
        guard let response else { return ("<token-exchange permission of \(target.clientId)>", nil) }
        guard let enabled = response.json, let id = enabled["scopePermissions"]?["token-exchange"]?.stringValue else {
            throw KcxError(.serverError, "PUT \(endpoint): the answer names no token-exchange permission")
        }
        return (id, enabled["resource"]?.stringValue)
    }

    var authorizationServer: Endpoint {
        get throws {
            if let cached = authorizationServerEndpoint { return cached }
            let endpoint: Endpoint = "clients/\(try lookup.requireClient("realm-management").id)/authz/resource-server"
            authorizationServerEndpoint = endpoint
            return endpoint
        }
    }

    /// The kcx client policy for a target, or nil. Keycloak answers the name search with 200 and an
    /// empty body when nothing matches.
    func exchangePolicy(for target: ClientRef) throws -> JSON? {
        let base = try authorizationServer
        let response = try api.send(
            method: "GET", endpoint: "\(base)/policy/search", realm: realm,
            query: [("name", exchangePolicyName(forTarget: target.clientId))], body: nil)
        guard let found = response.json, let id = found["id"]?.stringValue else { return nil }
        return try api.get("\(base)/policy/client/\(id)", realm: realm)
    }

    func allowLegacyExchange(requester: ClientRef, target: ClientRef) throws {
        let (permissionID, resourceID) = try tokenExchangePermission(of: target)
        try ensureExchangePolicy(requester: requester, target: target)
        try attachPolicy(
            exchangePolicyName(forTarget: target.clientId), permissionID: permissionID, resourceID: resourceID, target: target)
    }

    /// The target's kcx client policy, created or extended so it lists the requester.
    func ensureExchangePolicy(requester: ClientRef, target: ClientRef) throws {
        let base = try authorizationServer
        let policyName = exchangePolicyName(forTarget: target.clientId)
        let label = "\(policyName) (\(requester.clientId) -> \(target.clientId))"
        if var policy = try exchangePolicy(for: target), let policyID = policy["id"]?.stringValue {
            let clients = clientPolicyMembers(policy)
            if clients.contains(requester.id) || clients.contains(requester.clientId) {
                record(Change(kind: "exchange-policy", name: label, outcome: .unchanged))
            } else {
                policy["clients"] = .array((clients + [requester.id]).map { .string($0) })
                try write("PUT", "\(base)/policy/client/\(policyID)", body: policy)
                record(
                    Change(kind: "exchange-policy", name: label, outcome: .updated, details: ["clients: + \(requester.clientId)"])
                )
            }
        } else {
            let body: JSON = [
                "name": .string(policyName),
                "description": .string("Clients allowed to exchange tokens for \(target.clientId) (managed by kcx)"),
                "clients": [.string(requester.id)], "logic": "POSITIVE", "decisionStrategy": "UNANIMOUS",
            ]
            let find = { try self.exchangePolicy(for: target)?["id"]?.stringValue }
            if case .alreadyExists = try create(
                "\(base)/policy/client", body: body, placeholder: "policy \(policyName)", find: find)
            {
                // Another run made it meanwhile: add the requester to it.
                return try ensureExchangePolicy(requester: requester, target: target)
            }
            record(Change(kind: "exchange-policy", name: label, outcome: .created))
        }
    }

    func permissionPolicies(_ permissionID: String) throws -> [String] {
        guard !permissionID.hasPrefix("<") else { return [] }
        let base = try authorizationServer
        return (try api.getArray("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm))
            .compactMap { $0["name"]?.stringValue }
    }

    func attachPolicy(_ policyName: String, permissionID: String, resourceID: String?, target: ClientRef) throws {
        let attached = try permissionPolicies(permissionID)
        let label = "token-exchange.permission.client.\(target.id)"
        if attached.contains(policyName) {
            record(Change(kind: "exchange-permission", name: label, outcome: .unchanged))
            return
        }
        try writePermission(permissionID, resourceID: resourceID, target: target, policies: attached + [policyName])
        var details = ["policies: + \(policyName)"]
        if !attached.isEmpty {
            details.append("also attached: \(attached.joined(separator: ", ")); under UNANIMOUS every policy must permit")
        }
        record(Change(kind: "exchange-permission", name: label, outcome: .updated, details: details))
    }

    /// PUT replaces the policy list, so every wanted policy is sent; the name must stay as Keycloak made it.
    func writePermission(_ permissionID: String, resourceID: String?, target: ClientRef, policies: [String]) throws {
        let base = try authorizationServer
        var body = JSONObject([
            ("id", .string(permissionID)), ("name", .string("token-exchange.permission.client.\(target.id)")), ("type", "scope"),
            ("logic", "POSITIVE"), ("decisionStrategy", "UNANIMOUS"),
        ])
        if let resourceID { body["resources"] = [.string(resourceID)] }
        body["scopes"] = ["token-exchange"]
        body["policies"] = .array(policies.map { .string($0) })
        try write("PUT", "\(base)/permission/scope/\(permissionID)", body: .object(body))
    }

    func denyLegacyExchange(requester: ClientRef, target: ClientRef) throws {
        let base = try authorizationServer
        let policyName = exchangePolicyName(forTarget: target.clientId)
        let label = "\(policyName) (\(requester.clientId) -> \(target.clientId))"
        guard var policy = try exchangePolicy(for: target), let policyID = policy["id"]?.stringValue else {
            record(
                Change(
                    kind: "exchange-policy", name: label, outcome: .unchanged,
                    details: ["no kcx exchange policy for \(target.clientId)"]))
            return
        }
        let clients = clientPolicyMembers(policy)
        let remaining = clients.filter { $0 != requester.id && $0 != requester.clientId }
        if remaining.count == clients.count {
            record(
                Change(
                    kind: "exchange-policy", name: label, outcome: .unchanged, details: ["\(requester.clientId) was not allowed"])
            )
            return
        }
        if remaining.isEmpty {
            // An empty client policy cannot exist in Keycloak; detach it, then delete it.
            let permissions = try api.get("clients/\(target.id)/management/permissions", realm: realm)
            if let permissionID = permissions["scopePermissions"]?["token-exchange"]?.stringValue {
                let attached = try permissionPolicies(permissionID)
                try writePermission(
                    permissionID, resourceID: permissions["resource"]?.stringValue, target: target,
                    policies: attached.filter { $0 != policyName })
            }
            try write("DELETE", "\(base)/policy/\(policyID)")
            record(Change(kind: "exchange-policy", name: label, outcome: .deleted))
            return
        }
        policy["clients"] = .array(remaining.map { .string($0) })
        try write("PUT", "\(base)/policy/client/\(policyID)", body: policy)
        record(Change(kind: "exchange-policy", name: label, outcome: .updated, details: ["clients: - \(requester.clientId)"]))
    }
}

/// The client ids a client policy names: `clients` on the typed endpoint, or the JSON string in
/// `config.clients` that the generic endpoint returns.
func clientPolicyMembers(_ policy: JSON) -> [String] {
    if let list = policy["clients"]?.arrayValue { return list.compactMap(\.stringValue) }
    if let packed = policy["config"]?["clients"]?.stringValue, let list = try? JSON.parse(packed).arrayValue {
        return list.compactMap(\.stringValue)
    }
    return []
}
