// `kcx doctor`'s checks: the starting document's best practices and Keycloak's traps, judged on a
// RealmSurvey, each finding with its severity, the objects involved, why it matters and the fix.
import KcxJSON

public enum Severity: String, Sendable, CaseIterable, Comparable {
    case info, warning, error

    var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

public struct Finding: Sendable, Equatable {
    /// A stable name for the check, e.g. `public-exchange-requester`.
    public let check: String
    public let severity: Severity
    public let objects: [String]
    public let why: String
    /// The kcx command that fixes it.
    public let fix: String

    public var json: JSON {
        [
            "check": .string(check), "severity": .string(severity.rawValue), "objects": .array(objects.map { .string($0) }),
            "why": .string(why), "fix": .string(fix),
        ]
    }
}

public struct Doctor {
    /// Access tokens of exchange requesters should live at most this long (the starting document: 1-5 minutes).
    public static let maximumRequesterLifespan = 300
    /// A client whose default scopes give its tokens more audiences than this is flagged (token bloat).
    public static let maximumDefaultAudiences = 3

    public let survey: RealmSurvey
    /// The server URL kcx talks to, judged for plain http.
    public let serverURL: String

    public init(survey: RealmSurvey, serverURL: String) {
        self.survey = survey
        self.serverURL = serverURL
    }

    /// Every finding, in the order of the checks below.
    public func findings() -> [Finding] {
        publicRequesters() + missingDownscope() + unanimousPermissions() + danglingAudienceMappers()
            + realmDefaultAudienceScopes()
            + audienceBloat() + longRequesterLifespans() + eventsOff() + sslNotRequired() + plainHTTPServer()
    }

    var realm: String { survey.realm }

    func publicRequesters() -> [Finding] {
        var result: [Finding] = []
        for client in survey.clients where client.publicClient && client.standardExchange {
            result.append(
                Finding(
                    check: "public-exchange-requester", severity: .error, objects: ["client \(client.clientId)"],
                    why:
                        "a public client has no secret, so anyone holding its tokens could exchange them; Keycloak refuses public requesters anyway",
                    fix: Shell.kcx("token-exchange", "disable", "--client", client.clientId, "-r", realm)))
        }
        for permission in survey.legacyPermissions {
            for requester in permission.requesters where survey.client(requester)?.publicClient == true {
                result.append(
                    Finding(
                        check: "public-exchange-requester", severity: .error,
                        objects: ["client \(requester)", "legacy permission on \(permission.target)"],
                        why:
                            "a public client holds a legacy token-exchange permission; it has no secret, so its permission is anyone's",
                        fix: Shell.kcx(
                            "token-exchange", "deny", "--from", requester, "--to", permission.target, "--mode", "legacy", "-r",
                            realm)))
            }
        }
        return result
    }

    func missingDownscope() -> [Finding] {
        // Without permission to read client policies the state is unknown: say nothing rather than guess.
        guard survey.clientPolicies != nil else { return [] }
        let requesters = survey.clients.filter { $0.standardExchange && !survey.downscopeCovers($0) }.map(\.clientId)
        guard !requesters.isEmpty else { return [] }
        return [
            Finding(
                check: "no-downscope-enforcement", severity: .warning, objects: requesters.map { "client \($0)" },
                why:
                    "standard token exchange is on but no enabled client policy runs \(downscopeExecutor) for these requesters: an exchange may ask for scopes the subject token never had",
                fix: Shell.kcx("token-exchange", "downscope", "enable", "-r", realm))
        ]
    }

    func unanimousPermissions() -> [Finding] {
        survey.legacyPermissions.filter { $0.policyNames.count > 1 && $0.decisionStrategy == "UNANIMOUS" }.map { permission in
            Finding(
                check: "unanimous-exchange-policies", severity: .error,
                objects: ["token-exchange permission of \(permission.target)"] + permission.policyNames.map { "policy \($0)" },
                why:
                    "under UNANIMOUS every policy must permit, and a client policy only permits its own clients, so nobody may exchange",
                fix:
                    Shell.kcx(
                        "token-exchange", "allow", "--from", "REQUESTER", "--to", permission.target, "--mode", "legacy", "-r",
                        realm)
                    + " (one policy listing every requester), then detach the others"
            )
        }
    }

    func danglingAudienceMappers() -> [Finding] {
        survey.audienceMappers.filter { $0.namesClient && !survey.allClientIds.contains($0.audience) }.map { site in
            let container: [String]
            switch site.container {
            case .clientScope(let name): container = ["--scope", name]
            case .client(let name): container = ["--client", name]
            }
            return Finding(
                check: "audience-of-missing-client", severity: .error,
                objects: ["audience-mapper \(site.mapperName) on \(site.container.label)", "client \(site.audience) (missing)"],
                why:
                    "the mapper names a client that does not exist; Keycloak does not check it and puts '\(site.audience)' into aud as written, a value no service expects, so the service the mapper was meant for rejects the token",
                fix: Shell.command(["kcx", "audience", "remove", "--audience", site.audience] + container + ["-r", realm]))
        }
    }

    func realmDefaultAudienceScopes() -> [Finding] {
        let audienceScopes = Set(
            survey.audienceMappers.compactMap { site -> String? in
                if case .clientScope(let name) = site.container { return name } else { return nil }
            })
        return survey.realmDefaultScopes.filter { audienceScopes.contains($0) }.map { scope in
            Finding(
                check: "audience-scope-realm-default", severity: .warning, objects: ["client-scope \(scope)"],
                why:
                    "a realm default scope is given to every new client, so every token carries its audiences (token bloat, and services accept tokens never meant for them)",
                fix:
                    Shell.kcx(
                        "delete",
                        "default-default-client-scopes/"
                            + URLEncoding.encode(survey.scopes.first { $0.name == scope }?.id ?? scope), "-r", realm)
                    + ", then " + Shell.kcx("client-scope", "assign", scope, "--client", "C", "--default") + " where it is needed"
            )
        }
    }

    func audienceBloat() -> [Finding] {
        survey.clients.compactMap { client in
            let audiences = survey.audiences(of: client, includeOptional: false)
            guard audiences.count > Doctor.maximumDefaultAudiences else { return nil }
            return Finding(
                check: "many-default-audiences", severity: .warning,
                objects: ["client \(client.clientId)"] + audiences.map { "audience \($0)" },
                why:
                    "every token of this client carries \(audiences.count) audiences, so each of those services accepts it; ask for audiences when needed instead",
                fix:
                    Shell.kcx("client-scope", "assign", "SCOPE", "--client", client.clientId, "--optional", "-r", realm)
                    + " (and unassign it as default)"
            )
        }
    }

    func longRequesterLifespans() -> [Finding] {
        let realmLifespan = survey.realmRepresentation["accessTokenLifespan"]?.intValue.map { Int($0) } ?? 300
        return survey.exchangeRequesters.compactMap { name in
            guard let client = survey.client(name) else { return nil }
            let lifespan = client.accessTokenLifespan ?? realmLifespan
            // -1 means "until the SSO session ends", the longest of all.
            guard lifespan > Doctor.maximumRequesterLifespan || lifespan < 0 else { return nil }
            let source =
                client.accessTokenLifespan != nil ? "the client's access.token.lifespan" : "the realm's accessTokenLifespan"
            return Finding(
                check: "long-requester-token-lifespan", severity: .warning, objects: ["client \(name)"],
                why:
                    "\(source) is \(lifespan) s; tokens an exchange requester holds should live 1-5 minutes, as a stolen one can be exchanged until it expires",
                fix: Shell.kcx(
                    "update", "clients/" + URLEncoding.encode(client.id), "-m", "-s", "attributes.\"access.token.lifespan\"=300",
                    "-r", realm))
        }
    }

    func eventsOff() -> [Finding] {
        guard let config = survey.eventsConfig, !survey.exchangeRequesters.isEmpty else { return [] }
        let types = (config["enabledEventTypes"]?.arrayValue ?? []).compactMap(\.stringValue)
        let recorded =
            config["eventsEnabled"]?.boolValue == true
            && (types.isEmpty || (types.contains("TOKEN_EXCHANGE") && types.contains("TOKEN_EXCHANGE_ERROR")))
        guard !recorded else { return [] }
        return [
            Finding(
                check: "exchange-events-off", severity: .warning, objects: ["realm \(realm) events"],
                why:
                    "token exchange is enabled but TOKEN_EXCHANGE and TOKEN_EXCHANGE_ERROR events are not stored, so nobody can audit who exchanged what",
                fix: Shell.kcx("token-exchange", "audit", "--enable", "-r", realm))
        ]
    }

    func sslNotRequired() -> [Finding] {
        guard survey.realmRepresentation["sslRequired"]?.stringValue == "none" else { return [] }
        return [
            Finding(
                check: "ssl-not-required", severity: .error, objects: ["realm \(realm)"],
                why: "sslRequired is none: tokens and secrets may travel in clear text from any address",
                fix: Shell.kcx("update", "realms/" + URLEncoding.encode(realm), "-s", "sslRequired=external"))
        ]
    }

    func plainHTTPServer() -> [Finding] {
        guard serverURL.lowercased().hasPrefix("http://") else { return [] }
        let host = hostOf(serverURL)
        guard !isLoopback(host) else { return [] }
        return [
            Finding(
                check: "plain-http-server", severity: .error, objects: ["server \(serverURL)"],
                why:
                    "kcx reaches Keycloak over plain http on a non-loopback address: admin tokens and client secrets cross the network unencrypted",
                fix: Shell.kcx("config", "credentials", "--server", "https://\(host)", "--realm", "master", "--user", "USER")
                    + " (log in again over https)")
        ]
    }
}

/// The host part of an http(s) URL (brackets kept off IPv6 literals).
func hostOf(_ url: String) -> String {
    var rest = Substring(url)
    for scheme in ["http://", "https://", "HTTP://", "HTTPS://"] where rest.hasPrefix(scheme) {
        rest = rest.dropFirst(scheme.count)
    }
    if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
    if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
    if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
        return String(rest[rest.index(after: rest.startIndex)..<close])
    }
    if let colon = rest.lastIndex(of: ":") { rest = rest[..<colon] }
    return String(rest).lowercased()
}

func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host.hasSuffix(".localhost") || host.hasPrefix("127.") || host == "::1"
}
