// `kcx audience check`: asks Keycloak which token it would issue (evaluate-scopes) and, when the
// wanted audience is missing, finds out why, cause by cause, each with the command that fixes it.
import KcxJSON

public struct AudienceDiagnosis: Sendable, Equatable {
    public enum Cause: String, Sendable, Equatable, CaseIterable {
        case noMapper = "no-mapper"
        case accessTokenSwitchOff = "access-token-off"
        case mapperNamesOtherClient = "mapper-names-other-client"
        case scopeNotAssigned = "scope-not-assigned"
        case optionalScopeNotRequested = "optional-scope-not-requested"
        case roleNotInScope = "role-not-in-scope"
        /// The audience names no client, but a client's name is close: a typo, not a custom audience.
        case audienceNotAClient = "audience-not-a-client"
    }

    /// Another way to the same end: any one of a diagnosis' fixes is enough.
    public struct Alternative: Sendable, Equatable {
        public let fix: String
        /// What this way does differently.
        public let note: String
    }

    public let cause: Cause
    public let message: String
    public let fix: String?
    public var alternatives: [Alternative]

    public init(cause: Cause, message: String, fix: String?, alternatives: [Alternative] = []) {
        self.cause = cause
        self.message = message
        self.fix = fix
        self.alternatives = alternatives
    }

    public var json: JSON {
        var object = JSONObject([("cause", .string(cause.rawValue)), ("message", .string(message))])
        object["fix"] = fix.map { .string($0) } ?? .null
        object["alternatives"] = .array(alternatives.map { ["fix": .string($0.fix), "note": .string($0.note)] })
        return .object(object)
    }
}

public struct AudienceCheckResult: Sendable, Equatable {
    public let client: String
    public let user: String
    public let requestedScope: [String]
    public let audience: String
    /// The `aud` of the token Keycloak would issue, always as a list.
    public let tokenAudiences: [String]
    public let tokenScope: String
    public let diagnoses: [AudienceDiagnosis]

    public var present: Bool { tokenAudiences.contains(audience) }

    public var json: JSON {
        [
            "client": .string(client), "user": .string(user), "audience": .string(audience), "present": .bool(present),
            "aud": .array(tokenAudiences.map { .string($0) }), "scope": .string(tokenScope),
            "diagnoses": .array(diagnoses.map(\.json)),
        ]
    }
}

extension Lookup {
    /// The user whose token is simulated: the one named, or the client's service account.
    func subjectUser(for client: ClientRef, named user: String?) throws -> UserRef {
        if let user { return try requireUser(user) }
        guard client.representation["serviceAccountsEnabled"]?.boolValue == true else {
            throw KcxError.usage(
                "--user is required: client '\(client.clientId)' has no service account to simulate a token for",
                hint: "name a user whose token should carry the audience, e.g. --user alice")
        }
        let account = try api.get("clients/\(client.id)/service-account-user", realm: realm)
        guard let id = account["id"]?.stringValue else {
            throw KcxError(.serverError, "the service-account user of '\(client.clientId)' has no id")
        }
        return UserRef(id: id, username: account["username"]?.stringValue ?? id)
    }

    public func checkAudience(client clientName: String, audience: String, scope: [String], user userName: String?) throws
        -> AudienceCheckResult
    {
        let client = try requireClient(clientName)
        let user = try subjectUser(for: client, named: userName)
        let token = try api.get(
            "clients/\(client.id)/evaluate-scopes/generate-example-access-token", realm: realm,
            query: [("scope", scope.joined(separator: " ")), ("userId", user.id)])
        let aud: [String]
        switch token["aud"] {
        case .string(let single): aud = [single]
        case .array(let many): aud = many.compactMap(\.stringValue)
        default: aud = []
        }
        var result = AudienceCheckResult(
            client: client.clientId, user: user.username, requestedScope: scope, audience: audience, tokenAudiences: aud,
            tokenScope: token["scope"]?.stringValue ?? "", diagnoses: [])
        if result.present { return result }
        result = AudienceCheckResult(
            client: result.client, user: result.user, requestedScope: scope, audience: audience, tokenAudiences: aud,
            tokenScope: result.tokenScope,
            diagnoses: try diagnose(client: client, user: user, named: userName, audience: audience, scope: scope, token: token))
        return result
    }

    /// Why `audience` is missing, precise causes first. Fixes that reach the same end another way
    /// are alternatives of one diagnosis, never separate causes: following every line printed
    /// must not add audiences nobody wanted. `userName` is the --user given (kept in the commands).
    func diagnose(client: ClientRef, user: UserRef, named userName: String?, audience: String, scope: [String], token: JSON)
        throws -> [AudienceDiagnosis]
    {
        let realmFlag = ["-r", realm]
        func kcx(_ words: [String]) -> String { Shell.command(["kcx"] + words + realmFlag) }
        func recheck(audience: String, scope: [String]) -> String {
            var words = ["audience", "check", "--client", client.clientId, "--audience", audience]
            if let userName { words += ["--user", userName] }
            if !scope.isEmpty { words += ["--scope", scope.joined(separator: " ")] }
            return kcx(words)
        }
        var assigned: [String: ScopeList] = [:]
        for list in ScopeList.allCases {
            for entry in try api.getArray("clients/\(client.id)/\(list.clientEndpoint)", realm: realm) {
                if let id = entry["id"]?.stringValue { assigned[id] = list }
            }
        }
        let allMappers = try audienceMappers(in: nil)
        let producing = allMappers.filter { $0.audience?.value == audience }
        let audienceClient = try self.client(audience)
        var precise: [AudienceDiagnosis] = []
        let dedicatedScope = audienceScopeName(for: audience)

        if producing.isEmpty && audienceClient == nil {
            // Nothing produces it and no client has that name: most likely a typo. Creating a
            // custom audience of the typo would "fix" the check and break every token's receiver.
            let near = try similarClientIds(to: audience)
            if let phrase = Suggestions.phrase(near) {
                return [
                    AudienceDiagnosis(
                        cause: .audienceNotAClient,
                        message: "no client '\(audience)' in realm '\(realm)' and no mapper produces it: \(phrase)",
                        fix: recheck(audience: near[0], scope: scope))
                ]
            }
            return [
                AudienceDiagnosis(
                    cause: .audienceNotAClient,
                    message: "'\(audience)' is not the clientId of any client in realm '\(realm)', and no mapper produces it",
                    fix: kcx(["get", "clients", "--fields", "clientId"]),
                    alternatives: [
                        .init(
                            fix: kcx([
                                "audience", "add", "--custom-audience", audience, "--scope", dedicatedScope, "--create-scope",
                                "--assign", client.clientId, "--default",
                            ]),
                            note: "only if '\(audience)' is meant as a custom audience (a value that is not a client)")
                    ])
            ]
        }
        // Mappers that would reach this client's tokens.
        func reaches(_ mapper: AudienceMapperRef) -> Bool {
            switch mapper.container {
            case .client: return mapper.containerID == client.id
            case .clientScope: return assigned[mapper.containerID] != nil
            }
        }
        for mapper in producing where mapper.config["access.token.claim"]?.stringValue != "true" {
            let flag: [String]
            switch mapper.container {
            case .clientScope(let name): flag = ["--scope", name]
            case .client(let name): flag = ["--client", name]
            }
            precise.append(
                AudienceDiagnosis(
                    cause: .accessTokenSwitchOff,
                    message:
                        "mapper '\(mapper.name)' on \(mapper.container.label) produces '\(audience)' but its 'Add to access token' switch is off",
                    fix: kcx(
                        [
                            "audience", "add",
                            "--"
                                + (mapper.audience.map {
                                    if case .client = $0 { return "audience" } else { return "custom-audience" }
                                } ?? "audience"), audience,
                        ]
                            + flag + ["--access-token"])))
        }
        for mapper in allMappers where reaches(mapper) && mapper.audience?.value != audience {
            guard case .client(let named) = mapper.audience else { continue }
            let missing = try self.client(named) == nil
            let similar = Suggestions.editDistance(named.lowercased(), audience.lowercased()) <= 2
            if missing || similar {
                precise.append(
                    AudienceDiagnosis(
                        cause: .mapperNamesOtherClient,
                        message:
                            "mapper '\(mapper.name)' on \(mapper.container.label) names client '\(named)'\(missing ? ", which does not exist (Keycloak still puts '\(named)' into aud as written)" : ""), not '\(audience)'",
                        fix: audienceClient == nil
                            ? nil
                            : kcx([
                                "audience", "add", "--audience", audience, "--\(mapper.container.cliFlag)", mapper.container.name,
                                "--mapper-name", mapper.name,
                            ])))
            }
        }
        for mapper in producing where mapper.config["access.token.claim"]?.stringValue == "true" {
            guard case .clientScope(let scopeName) = mapper.container else { continue }
            switch assigned[mapper.containerID] {
            case nil:
                precise.append(
                    AudienceDiagnosis(
                        cause: .scopeNotAssigned,
                        message: "scope '\(scopeName)' produces '\(audience)' but is not assigned to client '\(client.clientId)'",
                        fix: kcx(["client-scope", "assign", scopeName, "--client", client.clientId, "--default"])))
            case .optional where !scope.contains(scopeName):
                precise.append(
                    AudienceDiagnosis(
                        cause: .optionalScopeNotRequested,
                        message:
                            "scope '\(scopeName)' is an optional scope of '\(client.clientId)' and was not requested (add scope=\(scopeName) to the token request)",
                        fix: recheck(audience: audience, scope: scope + [scopeName]),
                        alternatives: [
                            .init(
                                fix: kcx(["client-scope", "assign", scopeName, "--client", client.clientId, "--default"]),
                                note: "make it a default scope, so every token of '\(client.clientId)' carries it without asking")
                        ]))
            default:
                break
            }
        }
        if let audienceClient, precise.isEmpty || producing.isEmpty {
            // audience-resolve adds a client when the token carries one of its roles.
            let held = try api.getArray("users/\(user.id)/role-mappings/clients/\(audienceClient.id)/composite", realm: realm)
            if !held.isEmpty && token["resource_access"]?[audience] == nil {
                let roleNames = held.compactMap { $0["name"]?.stringValue }.sorted()
                let roles = JSON.array(
                    held.compactMap { role in
                        guard let id = role["id"]?.stringValue, let name = role["name"]?.stringValue else { return nil }
                        return ["id": .string(id), "name": .string(name)]
                    })
                precise.append(
                    AudienceDiagnosis(
                        cause: .roleNotInScope,
                        message:
                            "user '\(user.username)' holds \(audience) role(s) \(roleNames.joined(separator: ", ")), but they are not in the role scope of '\(client.clientId)' (full scope is off and no scope mapping grants them), so audience-resolve cannot add '\(audience)'",
                        fix: kcx([
                            "create", "clients/\(client.id)/scope-mappings/clients/\(audienceClient.id)", "-b",
                            roles.serialized(),
                        ])))
            }
        }
        guard producing.isEmpty, let audienceClient else { return precise }
        // No mapper produces it: a new one is the generic way, after the precise causes, and only
        // an alternative to them, since either alone brings the audience.
        let generic = AudienceDiagnosis(
            cause: .noMapper, message: "no audience mapper in realm '\(realm)' produces '\(audience)'",
            fix: kcx([
                "audience", "add", "--audience", audienceClient.clientId, "--scope", dedicatedScope, "--create-scope", "--assign",
                client.clientId, "--default",
            ]))
        guard !precise.isEmpty else { return [generic] }
        if let index = precise.firstIndex(where: { $0.fix != nil }) {
            precise[index].alternatives.append(
                .init(fix: generic.fix!, note: "instead, a new mapper in a dedicated scope (\(generic.message))"))
            return precise
        }
        return precise + [generic]
    }
}

extension MapperContainer {
    var cliFlag: String { if case .client = self { return "client" } else { return "scope" } }
    var name: String {
        switch self {
        case .client(let n), .clientScope(let n): return n
        }
    }
}
