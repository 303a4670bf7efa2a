// More of the realm-management authorization server (FineGrainedPermissions.swift) for python-keycloak's
// V1 exchange setup: `policy/{id}/scopes|resources|associatedPolicies|dependentPolicies`,
// `GET policy/client` (typed list) and `POST permission/scope`.
//
// Source (read, not copied): keycloak/keycloak authorization/.../admin/PolicyResourceService.java
// (getDependentPolicies, getScopes, getResources, getAssociatedPolicies), PolicyService.java (create,
// findAll) and PolicyTypeService.java (Keycloak 26): a policy id that does not exist is the plain
// 404; scopes read back as `{"id","name"}`, resources as `{"name",…,"_id"}`, associated policies as
// policy summaries, dependent policies (the permissions that use this policy) as summaries without
// config. A typed list (`policy/client`) answers ClientPolicyRepresentation (`clients` as ids).
import KcxJSON
import LoopbackHTTP

enum AuthzPolicyLookups {
    static let subresources: Set<String> = ["scopes", "resources", "associatedPolicies", "dependentPolicies"]

    static func subresource(_ policyId: String, _ name: String, _ data: FineGrainedPermissions.Data) -> ServerResponse {
        guard let policy = data.policy(id: policyId) else { return FineGrainedPermissions.notFound("HTTP 404 Not Found") }
        switch name {
        case "scopes":
            return FineGrainedPermissions.ok(
                .array(
                    data.ids(policy, "scopes").compactMap { data.scope(id: $0) }.map {
                        .object(JSONObject([("id", $0["id"] ?? .null), ("name", $0["name"] ?? .null)]))
                    }))
        case "resources":
            return FineGrainedPermissions.ok(
                .array(data.ids(policy, "resources").compactMap { data.resource(id: $0) }.map { .object(data.brief($0)) }))
        case "associatedPolicies":
            return FineGrainedPermissions.ok(
                .array(data.ids(policy, "policies").compactMap { data.policy(id: $0) }.map { .object(data.summary($0)) }))
        default:
            let dependents = data.policies.filter { data.ids($0, "policies").contains(policyId) }
            return FineGrainedPermissions.ok(
                .array(
                    dependents.map { dependent in
                        var out = data.summary(dependent)
                        out["config"] = nil
                        return .object(out)
                    }))
        }
    }

    static func typed(_ request: ServerRequest, _ path: [String], _ data: inout FineGrainedPermissions.Data, realm: Realm)
        -> ServerResponse
    {
        if request.method == "GET" {
            let list = data.policies.filter { $0["type"]?.stringValue == "client" }.map { policy -> JSON in
                var typed = data.summary(policy)
                typed["config"] = nil
                typed["clients"] = .array(policy["clients"]?.arrayValue ?? [])
                return .object(typed)
            }
            return FineGrainedPermissions.ok(.array(list))
        }
        // POST permission/scope: a scope permission over resources/scopes/policies named by id or name.
        guard let body = (try? JSON.parse(request.body))?.objectValue, let name = body["name"]?.stringValue, !name.isEmpty else {
            return FineGrainedPermissions.serverError
        }
        if data.policies.contains(where: { $0["name"]?.stringValue == name }) {
            return OIDCResponse.json(
                409, OIDCResponse.oauthError("Policy with name [\(name)] already exists", "Conflicting policy"), cacheControl: nil
            )
        }
        let id = body["id"]?.stringValue ?? SandboxStore.newId()
        var stored = JSONObject([
            ("id", .string(id)), ("name", .string(name)), ("type", "scope"),
            ("logic", body["logic"] ?? "POSITIVE"), ("decisionStrategy", body["decisionStrategy"] ?? "UNANIMOUS"),
        ])
        if let description = body["description"] { stored["description"] = description }
        let pools: [(String, [JSONObject])] = [
            ("resources", data.resources), ("scopes", data.scopes), ("policies", data.policies),
        ]
        for (key, pool) in pools {
            var ids: [JSON] = []
            for entry in body[key]?.arrayValue ?? [] {
                let text = entry.stringValue ?? ""
                guard let match = pool.first(where: { $0["id"]?.stringValue == text || $0["name"]?.stringValue == text }),
                    let matchId = match["id"]
                else {
                    return FineGrainedPermissions.serverError
                }
                ids.append(matchId)
            }
            stored[key] = .array(ids)
        }
        data.policies.append(stored)
        var echoed = JSONObject([("id", .string(id))])
        for (key, value) in body where key != "id" { echoed[key] = value }
        echoed["type"] = "scope"
        return ServerResponse(
            status: 201, headers: [("Content-Type", "application/json;charset=UTF-8")],
            body: JSON.object(echoed).serializedBytes())
    }
}
