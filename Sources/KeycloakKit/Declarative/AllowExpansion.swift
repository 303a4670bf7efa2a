// What an `allow` pair of the file stands for: the scopes, mappers, assignments, switches and legacy
// permissions `kcx token-exchange allow` would set up, added to the desired realm before the diff.
import KcxJSON

extension Planner {
    /// The scopes, mappers, assignments, switches and legacy permissions an `allow` pair stands for:
    /// exactly what `kcx token-exchange allow --mode MODE` sets up. standard: the V2 switch on the
    /// requester, and (unless TARGET already reaches the requester's access tokens another way) the
    /// scope TARGET-audience with an audience mapper, assigned to the requester as default. legacy:
    /// the requester in the target's kcx exchange policy. auto: standard when the server has it, else legacy.
    public static func expandingAllowPairs(_ realm: DesiredRealm, live: LiveRealm? = nil, features: ServerFeatures? = nil) throws
        -> DesiredRealm
    {
        var result = realm
        // Indexes kept in step with `result`: looking clients, scopes and requesters up by scanning,
        // once per pair, made a file of 16,000 pairs take 84 s (debug build).
        var clientPositions: [String: Int] = [:]
        for (position, client) in result.clients.enumerated() where clientPositions[client.clientId] == nil {
            clientPositions[client.clientId] = position
        }
        var scopePositions: [String: Int] = [:]
        for (position, scope) in result.clientScopes.enumerated() where scopePositions[scope.name] == nil {
            scopePositions[scope.name] = position
        }
        var requesterSets: [String: Set<String>] = [:]
        var defaultSets: [String: Set<String>] = [:]
        let carriers = fileScopesCarrying(realm)
        func upsert(_ client: DesiredClient) {
            if let position = clientPositions[client.clientId] {
                result.clients[position] = client
            } else {
                clientPositions[client.clientId] = result.clients.count
                result.clients.append(client)
            }
        }
        /// TARGET into HOLDER's access tokens, unless it is there another way: the scope TARGET-audience
        /// (created when the file lacks it) assigned to HOLDER as default (`kcx token-exchange allow` runs this same expansion).
        func ensureAudience(_ target: String, inTokensOf holderName: String) {
            var holder =
                clientPositions[holderName].map { result.clients[$0] }
                ?? DesiredClient(clientId: holderName, defaultScopes: [], optionalScopes: [])
            var defaults = defaultSets[holderName] ?? Set(holder.defaultScopes)
            if target != holderName
                && !reachable(
                    target, inTokensOf: holder, defaults: defaults, carriers: carriers, declared: { scopePositions[$0] != nil },
                    live)
            {
                let scopeName = audienceScopeName(for: target)
                if let index = scopePositions[scopeName] {
                    if !result.clientScopes[index].audienceMappers.contains(where: { $0.audience == .client(target) }) {
                        result.clientScopes[index].audienceMappers.append(audienceMapper(for: target))
                    }
                } else {
                    scopePositions[scopeName] = result.clientScopes.count
                    let settings = ClientScopeSettings.audienceScope(for: target)
                    result.clientScopes.append(
                        DesiredClientScope(
                            name: scopeName, description: settings.description, protocol_: settings.protocol_ ?? "openid-connect",
                            includeInTokenScope: settings.includeInTokenScope ?? true, realmDefault: nil,
                            audienceMappers: [audienceMapper(for: target)]))
                }
                if defaults.insert(scopeName).inserted {
                    holder.defaultScopes.append(scopeName)
                    holder.optionalScopes.removeAll { $0 == scopeName }
                }
            }
            defaultSets[holderName] = defaults
            upsert(holder)
        }

        /// `subjectClient`: what `kcx token-exchange allow --subject-client` adds, by the same rule.
        func addSubjectClientAudience(_ pair: ExchangePair) {
            guard let (audience, holder) = subjectClientAudience(requester: pair.from, subjectClient: pair.subjectClient) else {
                return
            }
            ensureAudience(audience, inTokensOf: holder)
        }
        for pair in realm.allow {
            var mode = pair.mode
            if mode == .auto {
                guard let features else {
                    throw KcxError(.serverError, "\(pair.location): the server's features are needed to resolve mode auto")
                }
                mode = try features.resolve(mode, at: pair.location)
            }
            if mode == .legacy {
                var target =
                    clientPositions[pair.to].map { result.clients[$0] }
                    ?? DesiredClient(clientId: pair.to, defaultScopes: [], optionalScopes: [])
                var legacy = target.legacyExchange ?? DesiredLegacyExchange(allowedRequesters: [], location: pair.location)
                var requesters = requesterSets[pair.to] ?? Set(legacy.allowedRequesters)
                if requesters.insert(pair.from).inserted { legacy.allowedRequesters.append(pair.from) }
                requesterSets[pair.to] = requesters
                target.legacyExchange = legacy
                upsert(target)
                addSubjectClientAudience(pair)
                continue
            }
            var requester =
                clientPositions[pair.from].map { result.clients[$0] }
                ?? DesiredClient(clientId: pair.from, defaultScopes: [], optionalScopes: [])
            requester.standardExchange = true
            upsert(requester)
            ensureAudience(pair.to, inTokensOf: pair.from)
            addSubjectClientAudience(pair)
        }
        result.allow = []
        return result
    }

    /// Per client, the file's scopes whose audience mappers put it into access tokens. The mappers
    /// `allow` pairs add go only to the target's own TARGET-audience scope, which never counts for
    /// that target, so this stays exact while the pairs are expanded.
    static func fileScopesCarrying(_ realm: DesiredRealm) -> [String: [String]] {
        var carriers: [String: [String]] = [:]
        for scope in realm.clientScopes {
            for mapper in scope.audienceMappers where mapper.settings.accessToken {
                if case .client(let clientId) = mapper.audience { carriers[clientId, default: []].append(scope.name) }
            }
        }
        return carriers
    }

    /// Whether TARGET is already in the access tokens of the requester by another way than kcx's own
    /// TARGET-audience scope: the requester's own mapper or a default scope's (live or in the file).
    /// The command checks the live realm; the file's own default scopes count too, so a plan agrees
    /// with what the realm will be. kcx's scope itself does not count, so --prune keeps it.
    /// `defaults`: the requester's default scopes in the file; `carriers`: `fileScopesCarrying`;
    /// `declared`: whether the file (as expanded so far) declares a scope.
    static func reachable(
        _ target: String, inTokensOf requester: DesiredClient, defaults: Set<String>, carriers: [String: [String]],
        declared: (String) -> Bool, _ live: LiveRealm?
    ) -> Bool {
        let ownScope = audienceScopeName(for: target)
        // The same rule as `kcx token-exchange allow`; a scope the file redeclares is judged by the
        // file (apply may change its mappers).
        if let live, let rep = live.client(requester.clientId),
            audienceReach(
                target, inTokensOf: rep, mappers: { live.scope(named: $0)?["protocolMappers"]?.arrayValue },
                skipping: { $0 == ownScope || declared($0) })
                != nil
        {
            return true
        }
        return (carriers[target] ?? []).contains { $0 != ownScope && defaults.contains($0) }
    }

    static func audienceMapper(for clientId: String) -> DesiredAudienceMapper {
        let name = AudienceMapperSettings.defaultName(for: .client(clientId))
        return DesiredAudienceMapper(name: name, audience: .client(clientId), settings: AudienceMapperSettings(mapperName: name))
    }
}
