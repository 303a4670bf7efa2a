// The Keycloak rules kcx applies when it converges a realm, each in exactly one function: the
// imperative commands (Writer, in this directory) and plan/apply (Planner, Declarative/) both call
// these, so a command and a file that ask for the same thing plan the same writes and refuse the
// same things. Mapper matching is `Planner.MapperPool`; the scope representation and its creation
// defaults are `ClientScopeSettings.desiredRepresentation`.
import KcxJSON

// MARK: Audience mappers

extension AudienceMapperSettings {
    /// The name kcx gives an audience mapper when none is given: `<audience> audience`.
    public static func defaultName(for audience: AudienceValue) -> String { "\(audience.value) audience" }

    /// The representation of a new audience mapper.
    func body(name: String, audience: AudienceValue) -> JSON {
        .object(
            JSONObject([
                ("name", .string(name)), ("protocol", "openid-connect"), ("protocolMapper", .string(audienceMapperType)),
                ("consentRequired", false), ("config", config(for: audience)),
            ]))
    }

    /// How an existing mapper (`match`, found by `Planner.MapperPool`) must change to produce
    /// `audience` with these settings: the config differences and the body to PUT, or nil when it
    /// already does. The whole audience config is compared, so a mapper naming another audience
    /// (found by its name) is repointed and its other audience key emptied.
    func update(of match: JSON, to audience: AudienceValue, secrets: Set<String> = []) -> (details: [String], body: JSON)? {
        var desiredConfig = config(for: audience)
        if AudienceValue.from(config: match["config"]) != audience {
            desiredConfig[
                audience.configKey == "included.client.audience" ? "included.custom.audience" : "included.client.audience"] = ""
        }
        let details = differences(current: match["config"], desired: desiredConfig, path: "config", hiding: secrets)
        guard !details.isEmpty else { return nil }
        var body = match
        body["config"] = overlay(match["config"] ?? [:], with: desiredConfig)
        return (details, body)
    }
}

/// Keycloak keeps one mapper per name in a container: a mapper of another type under the name an
/// audience mapper would get is a conflict, unless an audience mapper for `audience` is already
/// there (that one is used instead).
func audienceMapperNameClash(_ mappers: [JSON], audience: AudienceValue, name: String, in container: String) -> KcxError? {
    let forAudience = mappers.contains {
        $0["protocolMapper"]?.stringValue == audienceMapperType && AudienceValue.from(config: $0["config"]) == audience
    }
    guard !forAudience, let named = mappers.first(where: { $0["name"]?.stringValue == name }),
        named["protocolMapper"]?.stringValue != audienceMapperType
    else { return nil }
    return KcxError(
        .conflict, "\(container) already has a mapper named '\(name)' of type \(named["protocolMapper"]?.stringValue ?? "?")",
        hint: "choose another --mapper-name")
}

/// Whether `mapper` is an audience mapper for `audience` (when given) named `name` (when given):
/// what `audience remove` removes.
func audienceMapperMatches(_ mapper: JSON, audience: AudienceValue?, name: String?) -> Bool {
    guard mapper["protocolMapper"]?.stringValue == audienceMapperType else { return false }
    if let name, mapper["name"]?.stringValue != name { return false }
    if let audience, AudienceValue.from(config: mapper["config"]) != audience { return false }
    return true
}

/// Whether these mappers put the client `target` into access tokens.
func carriesAudience(_ mappers: [JSON], _ target: String) -> Bool {
    mappers.contains {
        $0["protocolMapper"]?.stringValue == audienceMapperType && AudienceValue.from(config: $0["config"]) == .client(target)
            && $0["config"]?["access.token.claim"]?.stringValue == "true"
    }
}

/// How `target` already reaches the access tokens of the client `representation`: `client` (its
/// own mapper) or `default scope NAME`; nil when it does not. Optional scopes do not count (only
/// tokens that request them get them). `mappers` gives a scope's mappers by name; `skipping`
/// leaves scopes out (a plan judges the file's own scopes by the file, and never counts kcx's
/// TARGET-audience scope, so --prune keeps it).
func audienceReach(
    _ target: String, inTokensOf representation: JSON, mappers: (String) -> [JSON]?, skipping: (String) -> Bool = { _ in false }
) -> String? {
    if carriesAudience(representation["protocolMappers"]?.arrayValue ?? [], target) { return "client" }
    for name in (representation["defaultClientScopes"]?.arrayValue ?? []).compactMap(\.stringValue) where !skipping(name) {
        if carriesAudience(mappers(name) ?? [], target) { return "default scope \(name)" }
    }
    return nil
}

// MARK: Client scopes

extension ClientScopeSettings {
    /// The scope `kcx token-exchange allow` (and an `allow` pair of a file) makes to put TARGET into
    /// the requester's `aud`: kept out of the scope claim, as it is plumbing, not a permission anyone requests.
    public static func audienceScope(for target: String) -> ClientScopeSettings {
        ClientScopeSettings(
            description: "Puts \(target) into the aud claim (managed by kcx)", protocol_: "openid-connect",
            includeInTokenScope: false)
    }
}

/// A move of a scope between the realm's default lists, or nil when it is already where `placement` wants it.
struct RealmListMove: Equatable {
    let from: ScopeList?
    let to: ScopeList?
    var outcome: Outcome { to == nil ? .deleted : (from == nil ? .created : .updated) }
    var detail: String { "realm list: \(from?.rawValue ?? "none") -> \(to?.rawValue ?? "none")" }

    /// Keycloak answers 409 to a PUT into one list while the scope is in the other, so the DELETE goes first.
    init?(current: ScopeList?, placement: RealmDefaultPlacement) {
        let wanted: ScopeList? = placement == .none ? nil : ScopeList(rawValue: placement.rawValue)
        guard current != wanted else { return nil }
        from = current
        to = wanted
    }
}

/// A client's default or optional scope assignment to make, or nil when the scope is already in
/// `wanted`. Keycloak answers 204 to a PUT into the other list but changes nothing, so a move
/// deletes from the current list first.
struct AssignmentMove: Equatable {
    let from: ScopeList?
    let to: ScopeList
    var outcome: Outcome { from == nil ? .created : .updated }
    var details: [String] { from.map { ["moved from \($0.rawValue) to \(to.rawValue)"] } ?? [] }

    init?(current: ScopeList?, wanted: ScopeList) {
        guard current != wanted else { return nil }
        from = current
        to = wanted
    }
}

/// Keycloak stores nothing when a scope of one protocol is assigned to a client of another (it
/// answers 204): refused before any write, by `client-scope assign` and by plan/apply alike.
func protocolMismatch(scope: String, scopeProtocol: String?, client: String, clientProtocol: String?) -> KcxError? {
    let scopeProtocol = scopeProtocol ?? "openid-connect", clientProtocol = clientProtocol ?? "openid-connect"
    guard scopeProtocol != clientProtocol else { return nil }
    return KcxError.usage(
        "client scope '\(scope)' is \(scopeProtocol) but client '\(client)' is \(clientProtocol); Keycloak would ignore the assignment"
    )
}

// MARK: Token exchange

extension ServerFeatures {
    /// The mechanism `auto` stands for: standard when the server has it, else legacy when usable.
    /// `location` (a file position) starts the error of a server with neither.
    public func resolve(_ mode: ExchangeMode, at location: String? = nil) throws -> ExchangeMode {
        guard mode == .auto else { return mode }
        if standardExchange { return .standard }
        if legacyUsable { return .legacy }
        throw KcxError(
            .serverError,
            "\(location.map { "\($0): " } ?? "")the server has no token exchange enabled (neither standard V2 nor legacy V1 with fine-grained permissions v1)",
            hint:
                "start Keycloak with --features=token-exchange-standard (default in 26.2+) or --features=token-exchange,admin-fine-grained-authz:v1"
        )
    }
}

/// How the client `representation`'s exchange attributes differ from `wanted`; an absent attribute
/// reads as Keycloak's default ("false" for the switch, "NO" for refresh).
func exchangeAttributeDifferences(_ representation: JSON, wanted: JSONObject) -> [String] {
    var current = representation
    var attributes = representation["attributes"]?.objectValue ?? JSONObject()
    if attributes[standardExchangeAttribute] == nil { attributes[standardExchangeAttribute] = "false" }
    if attributes[exchangeRefreshAttribute] == nil { attributes[exchangeRefreshAttribute] = "NO" }
    current["attributes"] = .object(attributes)
    return differences(current: current, desired: ["attributes": .object(wanted)])
}

/// Keycloak refuses token exchange by a public client ("Public client is not allowed to exchange
/// token") and a bearer-only client cannot call the token endpoint: nil when `representation` may request.
func requesterRefusal(_ clientId: String, _ representation: JSON) -> KcxError? {
    if representation["publicClient"]?.boolValue == true {
        return KcxError(
            .usage,
            "client '\(clientId)' is public, and Keycloak refuses token exchange by public clients (\"Public client is not allowed to exchange token\")",
            hint:
                "exchange from a confidential backend client (a backend-for-frontend) instead, or give '\(clientId)' the target audience directly with: \(Shell.kcx("audience", "add", "--audience", "TARGET", "--scope", "TARGET-audience", "--create-scope", "--assign", clientId, "--optional"))"
        )
    }
    if representation["bearerOnly"]?.boolValue == true {
        return KcxError(.usage, "client '\(clientId)' is bearer-only and cannot call the token endpoint")
    }
    return nil
}

extension PlanChange.Operation {
    /// How a plan shows an outcome the rules above decide (they give nil, not `.unchanged`, for no change).
    init(_ outcome: Outcome) {
        switch outcome {
        case .created, .unchanged: self = .create
        case .updated: self = .update
        case .deleted: self = .delete
        }
    }
}
