// GET /admin/realms/{realm}/clients/{id}/evaluate-scopes/* (ClientScopeEvaluateResource; admin-api.md §8,
// token-exchange.md §5): example tokens and userinfo for a user, the effective mappers, granted roles.
// The admin routes authorize the caller and call these.
import KcxJSON
import LoopbackHTTP

enum EvaluateScopes {
    enum Example {
        case accessToken, idToken, userInfo
    }

    private static func error(_ status: Int, _ message: String) -> ServerResponse {
        OIDCResponse.json(status, JSONObject([("error", .string(message))]), cacheControl: nil)
    }

    private static func ok(_ body: JSON) -> ServerResponse {
        ServerResponse(
            status: 200, headers: [("Content-Type", "application/json;charset=UTF-8"), ("Cache-Control", "no-cache")],
            body: body.serializedBytes())
    }

    /// `generate-example-access-token`, `-id-token` and `-userinfo`: claims of a token minted for a
    /// throw-away session (nothing is stored), with `audience` narrowing as token exchange applies it.
    static func example(
        _ kind: Example, _ request: ServerRequest, context: SandboxContext, realmName: String, clientUUID: String
    ) -> ServerResponse {
        let now = context.now()
        let issuer = TokenIssuer.issuer(baseURL: context.baseURL, realm: realmName)
        return context.store.read { state -> ServerResponse in
            guard let realm = state.realm(named: realmName), let client = realm.client(id: clientUUID) else {
                return error(404, "Could not find client")
            }
            guard let userId = request.queryValue("userId") else { return error(404, "No userId provided") }
            guard let user = realm.user(id: userId) else { return error(404, "No user found") }
            // Unknown clientIds in `audience` are silently dropped (§8).
            let audience =
                kind == .userInfo
                ? [] : TokenClaims.words(request.queryValue("audience")).filter { realm.client(clientId: $0) != nil }
            let inputs = ClaimInputs(
                realm: realm, client: client, user: user, issuer: issuer, scopeParameter: request.queryValue("scope"),
                requestedAudience: audience.isEmpty ? nil : audience)
            let claims = TokenClaims(inputs)
            let session = SessionFacts(id: SandboxStore.newId(), started: now, lastRefresh: now)
            let minted = TokenIssuer(claims: claims, now: now, session: session, grantShortcut: "ev")
            switch kind {
            case .accessToken:
                // Always the full token, also for clients set to lightweight tokens: the point is to see the claims.
                let (body, tokenAudience) = minted.accessTokenClaims(target: .accessToken)
                let missing = audience.filter { !tokenAudience.contains($0) }
                if !missing.isEmpty { return error(404, "Requested audience not available: \(missing.joined(separator: ", "))") }
                return ok(.object(body))
            case .idToken:
                return ok(.object(minted.idTokenClaims()))
            case .userInfo:
                var body = JSONObject([("sub", .string(user.id))])
                for (key, value) in orderClaims(claims.mappedClaims(for: .userInfo).claims) where key != "sub" {
                    body[key] = value
                }
                return ok(.object(body))
            }
        }
    }

    /// `protocol-mappers?scope=`: the mappers of the default and requested optional scopes and the
    /// client's own, of the client's protocol, sorted by mapper name as recorded.
    static func protocolMappers(_ request: ServerRequest, context: SandboxContext, realmName: String, clientUUID: String)
        -> ServerResponse
    {
        context.store.read { state -> ServerResponse in
            guard let realm = state.realm(named: realmName), let client = realm.client(id: clientUUID) else {
                return error(404, "Could not find client")
            }
            let protocolName = client.loginProtocol ?? "openid-connect"
            var rows: [(name: String, row: JSONObject)] = []
            for scope in effectiveScopes(client, realm: realm, scope: request.queryValue("scope")) {
                for mapper in scope.protocolMappers where mapper.loginProtocol == protocolName {
                    rows.append(
                        (mapper.name, row(mapper, containerId: scope.id, containerName: scope.name, type: "client-scope")))
                }
            }
            for mapper in client.protocolMappers where mapper.loginProtocol == protocolName {
                rows.append((mapper.name, row(mapper, containerId: client.id, containerName: "", type: "client")))
            }
            return ok(.array(rows.sorted { $0.name < $1.name }.map { .object($0.row) }))
        }
    }

    /// `scope-mappings/{roleContainerId}/granted|not-granted?scope=`: the container's roles the client
    /// may (or may not) put in tokens; the container is the realm name or a client UUID.
    static func scopeMappings(
        _ request: ServerRequest, context: SandboxContext, realmName: String, clientUUID: String, container: String,
        granted: Bool
    ) -> ServerResponse {
        context.store.read { state -> ServerResponse in
            guard let realm = state.realm(named: realmName), let client = realm.client(id: clientUUID) else {
                return error(404, "Could not find client")
            }
            let roles: [Role]
            if container == realm.name {
                roles = realm.roles
            } else if let owner = realm.client(id: container) {
                roles = owner.roles
            } else {
                return error(404, "Role Container not found")
            }
            let inScope: Set<String>
            if client.fullScopeAllowed {
                inScope = Set(roles.map(\.id))
            } else {
                var mapped = client.roles.map(\.id) + client.scopeMappingRoleIds
                for scope in effectiveScopes(client, realm: realm, scope: request.queryValue("scope")) {
                    mapped += scope.scopeMappingRoleIds
                }
                inScope = Set(realm.expandComposites(mapped))
            }
            let chosen = roles.filter { inScope.contains($0.id) == granted }.sorted { $0.name < $1.name }
            return ok(.array(chosen.map { .object($0.representation) }))
        }
    }

    private static func effectiveScopes(_ client: Client, realm: Realm, scope: String?) -> [ClientScope] {
        let requested = Set(TokenClaims.words(scope))
        return client.defaultScopeIds.compactMap { realm.clientScope(id: $0) }
            + client.optionalScopeIds.compactMap { realm.clientScope(id: $0) }.filter { requested.contains($0.name) }
    }

    private static func row(_ mapper: ProtocolMapper, containerId: String, containerName: String, type: String) -> JSONObject {
        JSONObject([
            ("mapperId", .string(mapper.id)), ("mapperName", .string(mapper.name)), ("containerId", .string(containerId)),
            ("containerName", .string(containerName)), ("containerType", .string(type)),
            ("protocolMapper", .string(mapper.protocolMapper)),
        ])
    }
}
