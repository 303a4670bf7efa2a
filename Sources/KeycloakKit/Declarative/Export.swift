// Export: the live realm's audience and token-exchange configuration as a declarative file, so
// that `export` then `plan` shows no changes; and the file format's writers (JSON and YAML).
import KcxJSON

/// Clients Keycloak creates in every realm; exported only when asked for by name.
let builtInClients: Set<String> = [
    "account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console",
]

public enum Exporter {
    /// The live realm with everything export writes: scopes, clients, the realm's settings, and
    /// whether downscope is enforced and exchange events stored.
    public static func readLive(_ api: AdminAPI, realm: String) throws -> LiveRealm {
        var live = try LiveRealm.read(api, realm: realm)
        live.realmRepresentation = try api.get("realms/\(realm)", realm: realm)
        try live.readSecuritySettings(api, realm: realm, downscope: true, events: true)
        return live
    }

    /// Client attributes export leaves out: kcx's mark and the exchange switches (written as their
    /// own keys), and what the server keeps for itself.
    static func exportsAttribute(_ key: String) -> Bool {
        ![managedAttribute, standardExchangeAttribute, exchangeRefreshAttribute, "client.secret.creation.time"].contains(key)
            && !Redaction.isSecretName(key)
    }

    /// The requesters of every kcx legacy exchange policy (target clientId -> requester clientIds), or
    /// nothing when the server lacks the V1 features. kcx's policies are found by their name prefix.
    public static func legacyRequesters(_ api: AdminAPI, realm: String, _ live: LiveRealm) throws -> [String: [String]] {
        guard ServerFeatures.from(serverInfo: try api.get("serverinfo", realm: realm)).legacyUsable,
            let management = live.client("realm-management")?["id"]?.stringValue
        else { return [:] }
        let base: Endpoint = "clients/\(management)/authz/resource-server"
        let prefix = exchangePolicyName(forTarget: "")
        var result: [String: [String]] = [:]
        // Keycloak filters by name (a substring) and type; the prefix check below keeps it exact.
        let policies = try api.getArray(
            "\(base)/policy", realm: realm, query: [("name", prefix), ("type", "client"), ("first", "0"), ("max", "10000")])
        for policy in policies {
            guard let name = policy["name"]?.stringValue, name.hasPrefix(prefix), let id = policy["id"]?.stringValue else {
                continue
            }
            let target = String(name.dropFirst(prefix.count))
            guard live.client(target) != nil else { continue }
            let members = clientPolicyMembers(try api.get("\(base)/policy/client/\(id)", realm: realm))
            result[target] = members.map { member in
                live.client(id: member)?["clientId"]?.stringValue ?? member
            }
        }
        return result
    }

    /// The realm's scopes that carry audience mappers or were created by kcx (with their mappers and
    /// realm list), and per client its assignments of those scopes, its exchange switches and, given
    /// `legacy`, the requesters allowed to exchange to it.
    public static func desiredRealm(
        _ realm: String, _ live: LiveRealm, clients wanted: [String], legacy: [String: [String]] = [:]
    ) throws -> DesiredRealm {
        var result = DesiredRealm(realm: realm)
        if let representation = live.realmRepresentation {
            for key in DesiredRealmSettings.keys {
                guard let value = representation[key] else { continue }
                switch value {
                case .bool where DesiredRealmSettings.booleanKeys.contains(key),
                    .int where DesiredRealmSettings.integerKeys.contains(key):
                    result.settings.values[key] = value
                case .string(let text) where DesiredRealmSettings.stringKeys.contains(key) && !text.isEmpty:
                    result.settings.values[key] = value
                default: continue
                }
            }
        }
        if live.downscopeOn == true { result.downscope = true }
        if live.exchangeEventsRecorded == true { result.exchangeEvents = true }
        let realmDefaults = Set(live.realmDefaultScopeIDs), realmOptionals = Set(live.realmOptionalScopeIDs)
        // By name, and clients by clientId: the server lists them in an order of its own (creation
        // order, which a parallel apply does not fix), and an export should read the same each time.
        func name(_ representation: JSON, _ key: String) -> String { representation[key]?.stringValue ?? "" }
        for scope in live.clientScopes.sorted(by: { name($0, "name") < name($1, "name") }) {
            guard let name = scope["name"]?.stringValue, let id = scope["id"]?.stringValue else { continue }
            let allMappers = scope["protocolMappers"]?.arrayValue ?? []
            let mappers = allMappers.filter { $0["protocolMapper"]?.stringValue == audienceMapperType }
            let managed = scope["attributes"]?[managedAttribute]?.stringValue == "true"
            guard !mappers.isEmpty || managed else { continue }
            let description = scope["description"]?.stringValue
            let placement: RealmDefaultPlacement =
                realmDefaults.contains(id) ? .default : realmOptionals.contains(id) ? .optional : .none
            result.clientScopes.append(
                DesiredClientScope(
                    name: name, description: description?.isEmpty == false ? description : nil,
                    protocol_: scope["protocol"]?.stringValue ?? "openid-connect",
                    includeInTokenScope: scope["attributes"]?["include.in.token.scope"]?.stringValue != "false",
                    realmDefault: placement,
                    audienceMappers: mappers.compactMap { mapper in
                        guard let audience = AudienceValue.from(config: mapper["config"]),
                            let mapperName = mapper["name"]?.stringValue
                        else { return nil }
                        let config = mapper["config"]
                        let settings = AudienceMapperSettings(
                            mapperName: mapperName, accessToken: config?["access.token.claim"]?.stringValue == "true",
                            idToken: config?["id.token.claim"]?.stringValue == "true",
                            introspection: config?["introspection.token.claim"]?.stringValue == "true",
                            lightweight: config?["lightweight.claim"]?.stringValue == "true")
                        return DesiredAudienceMapper(name: mapperName, audience: audience, settings: settings)
                    },
                    protocolMappers: allMappers.compactMap { mapper in
                        guard mapper["protocolMapper"]?.stringValue != audienceMapperType,
                            let mapperName = mapper["name"]?.stringValue,
                            let type = mapper["protocolMapper"]?.stringValue
                        else { return nil }
                        let config = JSONObject(
                            (mapper["config"]?.objectValue ?? JSONObject()).map {
                                ($0.key, JSON.string($0.value.stringValue ?? $0.value.serialized()))
                            })
                        return DesiredProtocolMapper(
                            name: mapperName, protocolMapper: type,
                            protocol_: mapper["protocol"]?.stringValue ?? scope["protocol"]?.stringValue ?? "openid-connect",
                            config: config)
                    }))
        }
        let exported = Set(result.clientScopes.map(\.name))
        for clientId in wanted where live.client(clientId) == nil {
            throw KcxError(.notFound, "client '\(clientId)' not found in realm '\(realm)'")
        }
        for rep in live.clients.sorted(by: { name($0, "clientId") < name($1, "clientId") }) {
            guard let clientId = rep["clientId"]?.stringValue else { continue }
            if wanted.isEmpty ? (builtInClients.contains(clientId) || clientId.hasSuffix("-realm")) : !wanted.contains(clientId) {
                continue
            }
            let attributes = rep["attributes"]
            let exchange = attributes?[standardExchangeAttribute]?.stringValue == "true"
            let refresh = attributes?[exchangeRefreshAttribute]?.stringValue == "SAME_SESSION"
            let defaults = (rep["defaultClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue).filter {
                exported.contains($0)
            }
            let optionals = (rep["optionalClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue).filter {
                exported.contains($0)
            }
            let requesters = legacy[clientId]
            var client = DesiredClient(
                clientId: clientId, defaultScopes: defaults, optionalScopes: optionals, standardExchange: exchange,
                allowRefresh: refresh,
                legacyExchange: requesters.map { DesiredLegacyExchange(allowedRequesters: $0, location: "") })
            for key in DesiredClient.stringKeys {
                if let text = rep[key]?.stringValue, !text.isEmpty { client.settings[key] = .string(text) }
            }
            for key in DesiredClient.booleanKeys { if let value = rep[key]?.boolValue { client.settings[key] = .bool(value) } }
            for key in DesiredClient.listKeys { if let items = rep[key]?.arrayValue { client.settings[key] = .array(items) } }
            for (key, value) in attributes?.objectValue ?? JSONObject() where exportsAttribute(key) {
                client.attributes[key] = .string(value.stringValue ?? value.serialized())
            }
            // Never the secret itself: a variable to give it (left as it is while unset).
            client.exportsSecretPlaceholder = rep["publicClient"]?.boolValue == false && rep["bearerOnly"]?.boolValue != true
            result.clients.append(client)
        }
        return result
    }
}

extension DesiredState {
    /// The file as JSON, in the documented shape (defaults written out, so a reader sees everything).
    /// Strings are escaped for the reader: it reads this back as this state, `${` included.
    public var json: JSON {
        ["realms": .array(realms.map(\.json))]
    }

    /// `text` as a file's string that reads back as `text`: every `${` written `$${`, so nothing a
    /// server holds (a description `${KCX_PASSWORD}`) is ever expanded by a later plan or apply.
    public static func escapingVariables(_ text: String) -> String {
        text.contains("${") ? text.replacing("${", with: "$${") : text
    }

    /// Every string value (not keys: the reader does not expand keys) escaped.
    static func escapingVariables(in value: JSON) -> JSON {
        switch value {
        case .string(let text): return .string(escapingVariables(text))
        case .array(let items): return .array(items.map { escapingVariables(in: $0) })
        case .object(let object): return .object(JSONObject(members: object.map { ($0.key, escapingVariables(in: $0.value)) }))
        default: return value
        }
    }
}

extension DesiredClient {
    /// The variable export writes in place of a confidential client's secret: `${WEBAPP_SECRET:-}`,
    /// which, while unset, leaves the secret as it is.
    public static func secretPlaceholder(for clientId: String) -> String {
        let name = String(
            clientId.uppercased().unicodeScalars.map { scalar in
                (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
            })
        return "${\(name)_SECRET:-}"
    }
}

extension DesiredRealm {
    /// The realm's part of the file, strings escaped (see `DesiredState.escapingVariables`). A
    /// client's secret is never written: its placeholder variable is (`DesiredClient.secretPlaceholder`).
    public var json: JSON {
        var escaped = DesiredState.escapingVariables(in: unescapedJSON)
        if case .array(var entries)? = escaped["clients"] {
            for (index, client) in clients.enumerated() where client.secret != nil || client.exportsSecretPlaceholder {
                guard case .object(var entry) = entries[index] else { continue }
                // After the settings, where a reader looks for it.
                var ordered = JSONObject()
                for (key, value) in entry {
                    if key == "attributes" || key == "defaultScopes" || key == "optionalScopes" || key == "standardExchange"
                        || key == "allowRefresh"
                        || key == "legacyExchange", ordered["secret"] == nil
                    {
                        ordered["secret"] = .string(DesiredClient.secretPlaceholder(for: client.clientId))
                    }
                    ordered[key] = value
                }
                if ordered["secret"] == nil { ordered["secret"] = .string(DesiredClient.secretPlaceholder(for: client.clientId)) }
                entry = ordered
                entries[index] = .object(entry)
            }
            escaped["clients"] = .array(entries)
        }
        return escaped
    }

    var unescapedJSON: JSON {
        var object = JSONObject([("realm", .string(realm))])
        for (key, value) in settings.values { object[key] = value }
        if let downscope { object["downscope"] = .bool(downscope) }
        if let exchangeEvents { object["exchangeEvents"] = .bool(exchangeEvents) }
        if !clientScopes.isEmpty {
            object["clientScopes"] = .array(
                clientScopes.map { scope in
                    var entry = JSONObject([("name", .string(scope.name))])
                    if let description = scope.description { entry["description"] = .string(description) }
                    entry["protocol"] = .string(scope.protocol_)
                    entry["includeInTokenScope"] = .bool(scope.includeInTokenScope)
                    if let placement = scope.realmDefault { entry["realmDefault"] = .string(placement.rawValue) }
                    if !scope.audienceMappers.isEmpty {
                        entry["audienceMappers"] = .array(
                            scope.audienceMappers.map { mapper in
                                var m = JSONObject([("name", .string(mapper.name))])
                                switch mapper.audience {
                                case .client(let value): m["audience"] = .string(value)
                                case .custom(let value): m["customAudience"] = .string(value)
                                }
                                m["accessToken"] = .bool(mapper.settings.accessToken)
                                m["idToken"] = .bool(mapper.settings.idToken)
                                m["introspection"] = .bool(mapper.settings.introspection)
                                m["lightweight"] = .bool(mapper.settings.lightweight)
                                return .object(m)
                            })
                    }
                    if !scope.protocolMappers.isEmpty {
                        entry["protocolMappers"] = .array(
                            scope.protocolMappers.map { mapper in
                                .object(
                                    JSONObject([
                                        ("name", .string(mapper.name)), ("protocolMapper", .string(mapper.protocolMapper)),
                                        ("protocol", .string(mapper.protocol_)),
                                        ("config", .object(mapper.config)),
                                    ]))
                            })
                    }
                    return .object(entry)
                })
        }
        if !clients.isEmpty {
            object["clients"] = .array(
                clients.map { client in
                    var entry = JSONObject([("clientId", .string(client.clientId))])
                    for key in DesiredClient.stringKeys + DesiredClient.booleanKeys + DesiredClient.listKeys {
                        if let value = client.settings[key] { entry[key] = value }
                    }
                    if !client.attributes.isEmpty { entry["attributes"] = .object(client.attributes) }
                    if !client.defaultScopes.isEmpty { entry["defaultScopes"] = .array(client.defaultScopes.map { .string($0) }) }
                    if !client.optionalScopes.isEmpty {
                        entry["optionalScopes"] = .array(client.optionalScopes.map { .string($0) })
                    }
                    if let value = client.standardExchange { entry["standardExchange"] = .bool(value) }
                    if let value = client.allowRefresh { entry["allowRefresh"] = .bool(value) }
                    if let legacy = client.legacyExchange {
                        entry["legacyExchange"] = ["allowedRequesters": .array(legacy.allowedRequesters.map { .string($0) })]
                    }
                    return .object(entry)
                })
        }
        if !allow.isEmpty {
            object["allow"] = .array(
                allow.map { pair in
                    var entry = JSONObject([("from", .string(pair.from)), ("to", .string(pair.to))])
                    if let subject = pair.subjectClient { entry["subjectClient"] = .string(subject) }
                    if pair.mode != .auto { entry["mode"] = .string(pair.mode.rawValue) }
                    return .object(entry)
                })
        }
        return .object(object)
    }
}

public enum YAMLWriter {
    /// Block-style YAML; strings are written as JSON string literals (valid YAML double-quoted
    /// scalars) unless they are plain words that cannot read as anything else.
    public static func render(_ value: JSON) -> String {
        var out = ""
        write(value, indent: 0, into: &out, inline: false)
        return out
    }

    static func scalar(_ value: JSON) -> String {
        switch value {
        case .string(let text):
            let safe =
                !text.isEmpty
                && text.unicodeScalars.allSatisfy { scalar in
                    scalar.isASCII
                        && (("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                            || "-_./".unicodeScalars.contains(scalar))
                } && YAMLNode.resolve(text) == .string(text) && !text.hasPrefix("-") && !text.hasPrefix(".")
            return safe ? text : value.serialized()
        default: return value.serialized()
        }
    }

    static func write(_ value: JSON, indent: Int, into out: inout String, inline: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .object(let object) where !object.isEmpty:
            var first = true
            for (key, member) in object {
                out += (first && inline) ? "" : pad
                first = false
                out += scalar(.string(key)) + ":"
                switch member {
                case .object(let nested) where !nested.isEmpty:
                    out += "\n"
                    write(member, indent: indent + 2, into: &out, inline: false)
                case .array(let items) where !items.isEmpty:
                    out += "\n"
                    write(member, indent: indent, into: &out, inline: false)
                default:
                    out += " " + scalar(member) + "\n"
                }
            }
        case .array(let items) where !items.isEmpty:
            for item in items {
                out += pad + "- "
                switch item {
                case .object(let nested) where !nested.isEmpty: write(item, indent: indent + 2, into: &out, inline: true)
                default: out += scalar(item) + "\n"
                }
            }
        case .object: out += pad + "{}\n"
        case .array: out += pad + "[]\n"
        default: out += pad + scalar(value) + "\n"
        }
    }
}
