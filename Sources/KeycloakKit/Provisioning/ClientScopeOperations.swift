// Idempotent client-scope operations: ensure a scope's settings, place it in the realm's
// default/optional lists, assign it to clients, and delete it.
import KcxJSON

public enum ScopeList: String, Sendable, CaseIterable {
    case `default`, optional

    /// The realm-level endpoint holding this list.
    var realmEndpoint: Endpoint { self == .default ? "default-default-client-scopes" : "default-optional-client-scopes" }
    /// The client-level endpoint holding this list.
    var clientEndpoint: Endpoint { self == .default ? "default-client-scopes" : "optional-client-scopes" }
    var other: ScopeList { self == .default ? .optional : .default }
}

public struct ClientScopeSettings: Sendable, Equatable {
    public var description: String?
    public var protocol_: String?
    public var includeInTokenScope: Bool?
    public var consentText: String?
    /// Where the scope sits in the realm's lists for new clients: default, optional, or neither (nil = leave as is).
    public var realmDefault: RealmDefaultPlacement?

    public init(
        description: String? = nil, protocol_: String? = nil, includeInTokenScope: Bool? = nil, consentText: String? = nil,
        realmDefault: RealmDefaultPlacement? = nil
    ) {
        self.description = description
        self.protocol_ = protocol_
        self.includeInTokenScope = includeInTokenScope
        self.consentText = consentText
        self.realmDefault = realmDefault
    }

    /// The members of the representation these settings control.
    func desiredRepresentation(name: String, creating: Bool) -> JSON {
        var object = JSONObject([("name", .string(name))])
        if let description { object["description"] = .string(description) }
        // Keycloak refuses a scope without a protocol (400 "Unexpected protocol"), so creation names one.
        if let protocol_ { object["protocol"] = .string(protocol_) } else if creating { object["protocol"] = "openid-connect" }
        var attributes = JSONObject()
        if let includeInTokenScope { attributes["include.in.token.scope"] = .string(includeInTokenScope ? "true" : "false") }
        if let consentText {
            attributes["consent.screen.text"] = .string(consentText)
            attributes["display.on.consent.screen"] = "true"
        }
        if creating {
            if attributes["include.in.token.scope"] == nil { attributes["include.in.token.scope"] = "true" }
            if attributes["display.on.consent.screen"] == nil { attributes["display.on.consent.screen"] = "false" }
        }
        if !attributes.isEmpty { object["attributes"] = .object(attributes) }
        return .object(object)
    }
}

public enum RealmDefaultPlacement: String, Sendable, CaseIterable {
    case `default`, optional, none
}

extension Writer {
    /// `kcx client-scope ensure` through the engine: the fragment "scope NAME with these settings
    /// (each not given left as it is), in the realm's lists as `realmDefault` says". One line for
    /// the scope and, with a placement, one for the realm lists (`NAME (realm default)`).
    public func convergeClientScope(_ name: String, _ settings: ClientScopeSettings) throws {
        try validateClientScopeName(name)
        let existing = try lookup.clientScope(name)
        let scopeName = existing?.name ?? name
        var scope = DesiredClientScope(
            name: scopeName, description: settings.description, protocol_: settings.protocol_ ?? "openid-connect",
            includeInTokenScope: settings.includeInTokenScope ?? true, realmDefault: settings.realmDefault, audienceMappers: [])
        scope.givenSettings = settings
        scope.marksManaged = false
        var live = try liveRealm(clients: [])
        // Where an existing scope sits in the realm's lists, read only when a placement is asked for.
        if existing != nil, settings.realmDefault != nil {
            for list in ScopeList.allCases {
                let ids = try api.getArray(list.realmEndpoint, realm: realm).compactMap { $0["id"]?.stringValue }
                if list == .default { live.realmDefaultScopeIDs = ids } else { live.realmOptionalScopeIDs = ids }
            }
        }
        let (_, outcomes) = try execute(Fragment(desired: DesiredRealm(realm: realm, clientScopes: [scope])), live: live)
        record(outcomes.first { $0.kind == "client-scope" } ?? Change(kind: "client-scope", name: scopeName, outcome: .unchanged))
        if let placement = settings.realmDefault {
            let label = "\(scopeName) (realm \(placement.rawValue))"
            let move = outcomes.first { $0.kind == "realm-default-scope" }
            record(
                move.map { Change(kind: $0.kind, name: label, outcome: $0.outcome, details: $0.details) }
                    ?? Change(kind: "realm-default-scope", name: label, outcome: .unchanged))
        }
        for change in outcomes where change.kind != "client-scope" && change.kind != "realm-default-scope" { record(change) }
    }

    /// Keycloak refuses names with spaces, quotes or backslashes, and non-ASCII ones; say so before sending.
    func validateClientScopeName(_ name: String) throws {
        guard !name.isEmpty else { throw KcxError.usage("client scope name must not be empty") }
        for scalar in name.unicodeScalars
        where scalar == " " || scalar == "\"" || scalar == "\\" || !scalar.isASCII || scalar.value < 0x21 {
            throw KcxError.usage(
                "client scope name '\(name)' contains '\(scalar)', which Keycloak does not allow (no spaces, quotes, backslashes or non-ASCII)"
            )
        }
    }

    /// `kcx client-scope delete` through the engine: the absent fact "no scope NAME" (given by
    /// name or id); with `ifExists` a missing scope is not an error.
    public func convergeDeletion(_ nameOrID: String, ifExists: Bool) throws {
        guard let scope = try lookup.clientScope(nameOrID) else {
            if ifExists {
                record(Change(kind: "client-scope", name: nameOrID, outcome: .unchanged, details: ["does not exist"]))
                return
            }
            _ = try lookup.requireClientScope(nameOrID)
            return
        }
        let fragment = Fragment(desired: DesiredRealm(realm: realm), absent: [.scope(scope.name)])
        try converge(fragment, live: try liveRealm(clients: []))
        if !dryRun { cache.scopes?.removeAll { $0.id == scope.id } }
    }

    /// The client's list holding the scope: from the names its representation carries, or read
    /// from the server when the representation has no lists (a client Keycloak did not describe fully).
    func currentList(of scope: ClientScopeRef, client: ClientRef) throws -> ScopeList? {
        let representation = client.representation
        if representation["defaultClientScopes"]?.arrayValue != nil || representation["optionalClientScopes"]?.arrayValue != nil {
            if representation["defaultClientScopes"]?.arrayValue?.contains(.string(scope.name)) == true { return .default }
            if representation["optionalClientScopes"]?.arrayValue?.contains(.string(scope.name)) == true { return .optional }
            return nil
        }
        for list in ScopeList.allCases {
            let members = try api.getArray("clients/\(client.id)/\(list.clientEndpoint)", realm: realm)
            if members.contains(where: { $0["id"]?.stringValue == scope.id }) { return list }
        }
        return nil
    }

    /// `kcx client-scope assign` through the engine: the fragment "SCOPE in CLIENT's LIST", planned
    /// and executed as `apply` does (the protocol rule, the move, the dry run all the planner's).
    public func convergeAssignment(_ scopeName: String, client clientName: String, as list: ScopeList) throws {
        let client = try lookup.requireClient(clientName)
        let scope = try lookup.requireClientScope(scopeName)
        let fragment = Fragment(
            desired: DesiredRealm(
                realm: realm,
                clients: [
                    DesiredClient(
                        clientId: client.clientId, defaultScopes: list == .default ? [scope.name] : [],
                        optionalScopes: list == .optional ? [scope.name] : [])
                ]))
        if try converge(fragment, live: try liveRealm(clients: [client])).isEmpty {
            record(
                Change(
                    kind: "client-scope-assignment", name: "\(scope.name) -> \(client.clientId) (\(list.rawValue))",
                    outcome: .unchanged))
        } else if !dryRun {
            let current = try currentList(of: scope, client: client)
            if let current, current != list { forgetAssignment(scope, of: client, in: current) }
            rememberAssignment(scope, of: client, in: list)
        }
    }

    /// `kcx client-scope unassign` through the engine: the absent fact "SCOPE in no list of CLIENT".
    public func convergeUnassignment(_ scopeName: String, client clientName: String) throws {
        let scope = try lookup.requireClientScope(scopeName)
        let client = try lookup.requireClient(clientName)
        let fragment = Fragment(
            desired: DesiredRealm(realm: realm), absent: [.assignment(client: client.clientId, scope: scope.name)])
        if try converge(fragment, live: try liveRealm(clients: [client])).isEmpty {
            record(
                Change(
                    kind: "client-scope-assignment", name: "\(scope.name) -> \(client.clientId)", outcome: .unchanged,
                    details: ["not assigned"]))
        } else if !dryRun, let current = try currentList(of: scope, client: client) {
            forgetAssignment(scope, of: client, in: current)
        }
    }

    func rememberAssignment(_ scope: ClientScopeRef, of client: ClientRef, in list: ScopeList) {
        cache.updateClient(id: client.id) { representation in
            let key = list == .default ? "defaultClientScopes" : "optionalClientScopes"
            representation[key] = .array((representation[key]?.arrayValue ?? []) + [.string(scope.name)])
        }
    }

    func forgetAssignment(_ scope: ClientScopeRef, of client: ClientRef, in list: ScopeList) {
        cache.updateClient(id: client.id) { representation in
            let key = list == .default ? "defaultClientScopes" : "optionalClientScopes"
            representation[key] = .array((representation[key]?.arrayValue ?? []).filter { $0.stringValue != scope.name })
        }
    }
}
