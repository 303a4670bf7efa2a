// `POST /admin/realms/{realm}/partialImport` (clients; admin-api.md §9.1) and `partial-export` (§9.2).
import KcxJSON
import LoopbackHTTP

enum PartialImport {
    static func handle(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.isEmpty else { return AdminResponse.notFound }
        guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
        guard AdminBody.hasJSONContentType(call.request) else { return AdminResponse.unsupportedMediaType }
        guard call.rights.manageRealm else { return AdminResponse.forbidden }
        // The body is read inside the import's transaction: parse errors surface as 500s.
        let parsed: JSON
        do { parsed = try JSON.parse(call.request.body) } catch {
            return AdminResponse.oauth(500, "invalid_request", "Cannot parse the JSON")
        }
        let shapeError = AdminResponse.oauth(500, "unknown_error", "Cannot parse the JSON")
        // PartialImportRepresentation: its clients bind as ClientRepresentation ("true" is a Boolean...).
        guard case .object(let raw) = parsed,
            let body = try? AdminBody.bind(raw, schema: Schemas.partialImport, ignoringUnknown: true)
        else { return shapeError }
        let policy = body["ifResourceExists"]?.stringValue ?? "FAIL"
        guard ["FAIL", "SKIP", "OVERWRITE"].contains(policy) else { return shapeError }
        if let clients = body["clients"], !clients.isNull, clients.arrayValue == nil { return shapeError }
        let clientBodies = body["clients"]?.arrayValue?.compactMap(\.objectValue) ?? []
        let now = call.now

        return call.store.withLock { state in
            guard let index = state.realmIndex(named: call.realmName) else { return AdminResponse.realmNotFound }
            var realm = state.realms[index]
            var results: [JSONObject] = []
            var counts = (added: 0, skipped: 0, overwritten: 0)
            var seen: Set<String> = []
            for clientBody in clientBodies {
                let clientId = clientBody["clientId"]?.stringValue ?? ""
                if !seen.insert(clientId).inserted { return AdminResponse.errorMessage(409, "Duplicate resource error") }
                var action = "ADDED"
                if let existing = realm.client(clientId: clientId) {
                    switch policy {
                    case "SKIP":
                        counts.skipped += 1
                        results.append(result("SKIPPED", clientId, existing.id))
                        continue
                    case "OVERWRITE":
                        // Delete and recreate: the client gets a new id.
                        ClientFactory.remove(clientId: existing.id, from: &realm)
                        action = "OVERWRITTEN"
                    default:
                        return AdminResponse.errorMessage(409, "Client id '\(clientId)' already exists")
                    }
                }
                var createBody = clientBody
                if action == "OVERWRITTEN" { createBody["id"] = nil }
                do throws(ClientCreateError) {
                    let id = try ClientFactory.create(createBody, in: &realm, now: now, mapperIdInUse: state.mapperIdInUse)
                    if action == "ADDED" { counts.added += 1 } else { counts.overwritten += 1 }
                    results.append(result(action, clientId, id))
                } catch {
                    if case .missingClientId = error { return AdminResponse.serverError }
                    return AdminResponse.duplicateResource
                }
            }
            if let refusal = PartialImportMore.importRolesUsersGroups(
                body, policy: policy, into: &realm, &results, &counts, now: now)
            {
                return refusal
            }
            state.realms[index] = realm
            return AdminResponse.json(
                JSONObject([
                    ("overwritten", .int(Int64(counts.overwritten))), ("added", .int(Int64(counts.added))),
                    ("skipped", .int(Int64(counts.skipped))), ("results", .array(results.map { .object($0) })),
                ]))
        }
    }

    private static func result(_ action: String, _ clientId: String, _ id: String) -> JSONObject {
        JSONObject([
            ("action", .string(action)), ("resourceType", "CLIENT"), ("resourceName", .string(clientId)), ("id", .string(id)),
        ])
    }
}

enum PartialExport {
    static func handle(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.isEmpty else { return AdminResponse.notFound }
        guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
        let exportClients = call.flag("exportClients")
        let exportRoles = call.flag("exportGroupsAndRoles")
        guard call.rights.manageRealm, !exportClients || call.rights.viewClients, !exportRoles || call.rights.viewUsers else {
            return AdminResponse.forbidden
        }
        return call.read { realm in
            var out = realm.fullRepresentation
            if exportRoles {
                var clientRoles = JSONObject()
                for client in realm.clients.sorted(by: { $0.clientId < $1.clientId }) {
                    clientRoles[client.clientId] = .array(client.roles.map { .object($0.fullRepresentation) })
                }
                out["roles"] = .object(
                    JSONObject([
                        ("realm", .array(realm.roles.map { .object($0.fullRepresentation) })), ("client", .object(clientRoles)),
                    ]))
                out["groups"] = []
            }
            if exportClients {
                out["clients"] = .array(
                    realm.clients.map { client in
                        var representation = client.representation(in: realm)
                        if representation["secret"] != nil { representation["secret"] = "**********" }
                        return .object(representation)
                    })
            }
            out["clientScopes"] = .array(realm.clientScopes.map { .object($0.representation) })
            out["defaultDefaultClientScopes"] = .array(
                realm.defaultDefaultScopeIds.compactMap { realm.clientScope(id: $0)?.name }.map { .string($0) })
            out["defaultOptionalClientScopes"] = .array(
                realm.defaultOptionalScopeIds.compactMap { realm.clientScope(id: $0)?.name }.map { .string($0) })
            // Streamed as plain `application/json` (§9.2).
            return ServerResponse(
                status: 200, headers: [("Content-Type", "application/json")], body: JSON.object(out).serializedBytes())
        }
    }
}
