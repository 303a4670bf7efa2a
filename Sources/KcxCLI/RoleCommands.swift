// kcadm's get-roles, add-roles, remove-roles and set-password: role mappings of users, groups and
// composite roles, and password resets, by name or id, through the Admin REST API.
import KcxJSON
import KeycloakKit

enum RoleCommands {
    static let user = [
        OptionSpec("uusername", value: "USERNAME", "Target user's username"),
        OptionSpec("uid", value: "ID", "Target user's id"),
    ]
    static let group = [
        OptionSpec("gname", value: "NAME", "Target group's name"),
        OptionSpec("gpath", value: "PATH", "Target group's path"),
        OptionSpec("gid", value: "ID", "Target group's id"),
    ]
    static let composite = [
        OptionSpec("rname", value: "NAME", "Composite role's name"),
        OptionSpec("rid", value: "ID", "Composite role's id"),
    ]
    static let client = [
        OptionSpec("cclientid", value: "CLIENT_ID", "Client's clientId: the roles are that client's roles"),
        OptionSpec("cid", value: "ID", "Client's id: the roles are that client's roles"),
    ]
    static let roles = [
        OptionSpec("rolename", value: "NAME", "Role's name", repeatable: true),
        OptionSpec("roleid", value: "ID", "Role's id", repeatable: true),
    ]
    static let output = [RequestCommands.fields, RequestCommands.format, RequestCommands.noQuotes, RequestCommands.compressed]
    static let realm = RequestCommands.targetRealm

    static let specs: [CommandSpec] = [
        CommandSpec(
            ["get-roles"], summary: "List realm or client roles, or the roles of a user, group or composite role",
            discussion: """
                As kcadm's get-roles. Without a target: the realm's roles (--cclientid/--cid: the client's),
                or one role with --rolename/--roleid. With --uusername/--uid, --gname/--gpath/--gid or
                --rname/--rid: the roles mapped to it; --effective adds those it gets through composites
                and groups, --available lists those that could still be added, --all lists every realm
                and client mapping at once.
                """,
            options: [realm] + user + group + composite + client + roles + [
                OptionSpec("effective", "List effective roles (through composites and groups)"),
                OptionSpec("available", "List the roles that can still be added"),
                OptionSpec("all", "List all realm and client role mappings"),
            ] + output + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx get-roles -r demo --uusername alice --effective", "alice's effective realm roles"),
                ExampleSpec("kcx get-roles -r demo --cclientid realm-management --rolename realm-admin", "One client role"),
            ],
            handler: { invocation, context in try runGet(invocation, context) }),
        CommandSpec(
            ["add-roles"], summary: "Add realm or client roles to a user, group or composite role",
            discussion: "As kcadm's add-roles: the roles are realm roles, or --cclientid/--cid's client roles.",
            options: [realm] + user + group + composite + client + roles + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx add-roles -r demo --uusername alice --rolename user", "Give alice the realm role user"),
                ExampleSpec(
                    "kcx add-roles -r demo --uusername service-account-ci --cclientid realm-management --rolename manage-clients",
                    "Let a service account manage clients"),
            ],
            handler: { invocation, context in try runChange(invocation, context, method: "POST") }),
        CommandSpec(
            ["remove-roles"], summary: "Remove realm or client roles from a user, group or composite role",
            discussion: "As kcadm's remove-roles: the roles are realm roles, or --cclientid/--cid's client roles.",
            options: [realm] + user + group + composite + client + roles + KcadmAuth.specs,
            examples: [ExampleSpec("kcx remove-roles -r demo --uusername alice --rolename user", "Take the realm role user from alice")],
            handler: { invocation, context in try runChange(invocation, context, method: "DELETE") }),
        CommandSpec(
            ["set-password"], summary: "Reset a user's password",
            discussion: """
                As kcadm's set-password: PUT users/ID/reset-password. Without --new-password the password
                is read from the terminal without echo, or from the first line of standard input.
                """,
            options: [
                realm, OptionSpec("username", value: "USERNAME", "The user's username"), OptionSpec("userid", value: "ID", "The user's id"),
                OptionSpec("new-password", short: "p", value: "PASSWORD", "The new password (visible to other users; prints a warning)"),
                OptionSpec("temporary", short: "t", "The user must change it at the next login"),
            ] + KcadmAuth.specs,
            examples: [ExampleSpec("kcx set-password -r demo --username alice --temporary < password.txt", "Reset alice's password")],
            handler: { invocation, context in try runSetPassword(invocation, context) }),
    ]

    // MARK: Targets

    enum Target {
        case user(String), group(String), composite(String), none
    }

    static func exclusive(_ invocation: Invocation, _ names: [String]) throws {
        let given = names.filter { invocation.value($0) != nil }
        if given.count > 1 {
            throw KcxError.usage("options " + given.map { "--" + $0 }.joined(separator: " and ") + " exclude each other")
        }
    }

    static func checkTarget(_ invocation: Invocation) throws {
        try exclusive(invocation, ["uid", "uusername"])
        try exclusive(invocation, ["gid", "gname", "gpath"])
        try exclusive(invocation, ["cid", "cclientid"])
        try exclusive(invocation, ["rid", "rname"])
        let kinds = [["uid", "uusername"], ["gid", "gname", "gpath"], ["rid", "rname"]].filter { $0.contains { invocation.value($0) != nil } }
        if kinds.count > 1 {
            throw KcxError.usage("give one target: a user (--uusername/--uid), a group (--gname/--gpath/--gid) or a composite role (--rname/--rid)")
        }
    }

    static func targetRealm(_ invocation: Invocation) -> String? {
        invocation.value("target-realm") ?? nonEmpty(invocation.value("realm"))
    }

    static func json(_ response: HTTPResponse, _ what: String) throws -> JSON {
        guard let value = response.json else { throw KcxError(.serverError, "\(what): the server's answer is not JSON") }
        return value
    }

    static func get(_ client: AdminClient, _ endpoint: Endpoint, _ realm: String?, query: [(String, String)] = []) throws -> JSON {
        try json(client.send(method: "GET", endpoint: endpoint, realm: realm, query: query), "GET \(endpoint.readable)")
    }

    static func userId(_ client: AdminClient, _ realm: String?, id: String?, username: String?) throws -> String {
        if let id { return id }
        guard let username else { throw KcxError.usage("no user: give --uusername or --uid") }
        let found = (try get(client, "users", realm, query: [("username", username), ("exact", "true")])).arrayValue ?? []
        let matches = found.filter { $0["username"]?.stringValue?.lowercased() == username.lowercased() }
        guard matches.count == 1, let id = matches[0]["id"]?.stringValue else {
            throw KcxError(matches.isEmpty ? .notFound : .serverError, "user not found for username: \(username)")
        }
        return id
    }

    static func clientId(_ client: AdminClient, _ realm: String?, _ invocation: Invocation) throws -> String? {
        if let id = invocation.value("cid") { return id }
        guard let clientId = invocation.value("cclientid") else { return nil }
        let found = (try get(client, "clients", realm, query: [("clientId", clientId)])).arrayValue ?? []
        guard let id = found.first(where: { $0["clientId"]?.stringValue == clientId })?["id"]?.stringValue else {
            throw KcxError(.notFound, "client not found for clientId: \(clientId)")
        }
        return id
    }

    static func groupId(_ client: AdminClient, _ realm: String?, _ invocation: Invocation) throws -> String? {
        if let id = invocation.value("gid") { return id }
        if let path = invocation.value("gpath") {
            let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
            let group = try get(client, "group-by-path/\(Endpoint.typed(trimmed))", realm)
            return group["id"]?.stringValue
        }
        guard let name = invocation.value("gname") else { return nil }
        let found = (try get(client, "groups", realm, query: [("search", name), ("exact", "true")])).arrayValue ?? []
        guard let id = found.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue else {
            throw KcxError(.notFound, "group not found for name: \(name)")
        }
        return id
    }

    static func compositeId(_ client: AdminClient, _ realm: String?, _ invocation: Invocation) throws -> String? {
        if let id = invocation.value("rid") { return id }
        guard let name = invocation.value("rname") else { return nil }
        guard let id = try get(client, "roles/\(name)", realm)["id"]?.stringValue else {
            throw KcxError(.notFound, "role not found for name: \(name)")
        }
        return id
    }

    static func target(_ client: AdminClient, _ realm: String?, _ invocation: Invocation) throws -> Target {
        if invocation.value("uid") != nil || invocation.value("uusername") != nil {
            return .user(try userId(client, realm, id: invocation.value("uid"), username: invocation.value("uusername")))
        }
        if let group = try groupId(client, realm, invocation) { return .group(group) }
        if let role = try compositeId(client, realm, invocation) { return .composite(role) }
        return .none
    }

    /// The role-mappings endpoint of a user or group for realm roles or one client's roles.
    static func mappings(_ target: Target, client: String?) -> Endpoint? {
        let base: Endpoint
        switch target {
        case .user(let id): base = "users/\(id)/role-mappings"
        case .group(let id): base = "groups/\(id)/role-mappings"
        case .composite(let id): return "roles-by-id/\(id)/composites"
        case .none: return nil
        }
        return client.map { "\(base)/clients/\($0)" } ?? "\(base)/realm"
    }

    /// The roles named by --rolename and --roleid, looked up among the realm's or client's roles.
    static func namedRoles(_ api: AdminClient, _ realm: String?, client: String?, _ invocation: Invocation) throws -> [JSON] {
        let all = (try get(api, client.map { "clients/\($0)/roles" } ?? "roles", realm)).arrayValue ?? []
        var result: [JSON] = []
        for (key, option) in [("name", "rolename"), ("id", "roleid")] {
            for value in invocation.all(option) {
                guard let role = all.first(where: { $0[key]?.stringValue == value }) else {
                    throw KcxError(.notFound, "role not found for \(key): \(value)")
                }
                if !result.contains(where: { $0["id"] == role["id"] }) { result.append(role) }
            }
        }
        return result
    }

    // MARK: Commands

    static func runChange(_ invocation: Invocation, _ context: CommandContext, method: String) throws -> ExitCode {
        try checkTarget(invocation)
        if invocation.all("rolename").isEmpty && invocation.all("roleid").isEmpty {
            throw KcxError.usage("no role given: use --rolename NAME or --roleid ID (repeatable)")
        }
        let api = try openAdminClient(invocation, context)
        let realm = targetRealm(invocation)
        let target = try target(api, realm, invocation)
        let clientId = try clientId(api, realm, invocation)
        guard let endpoint = mappings(target, client: clientId) else {
            throw KcxError.usage("no target: give --uusername/--uid, --gname/--gpath/--gid or --rname/--rid")
        }
        let roles = try namedRoles(api, realm, client: clientId, invocation)
        _ = try api.send(method: method, endpoint: endpoint, realm: realm, body: .array(roles))
        return .ok
    }

    static func runGet(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        try checkTarget(invocation)
        let views = ["effective", "available", "all"].filter { invocation.flag($0) }
        if views.count > 1 { throw KcxError.usage("options " + views.map { "--" + $0 }.joined(separator: " and ") + " exclude each other") }
        var output = OutputOptions()
        if let list = invocation.value("fields") {
            do { output.fields = try FieldFilter.parse(list) } catch { throw KcxError.usage("invalid --fields \(error)") }
        }
        if let format = invocation.value("format") { output.format = OutputFormat(rawValue: format) ?? .json }
        output.compact = invocation.flag("compressed")
        output.noQuotes = invocation.flag("noquotes")
        let api = try openAdminClient(invocation, context)
        let realm = targetRealm(invocation)
        let target = try target(api, realm, invocation)
        let clientId = try clientId(api, realm, invocation)
        var result: JSON
        switch target {
        case .none:
            if invocation.value("rolename") != nil || invocation.value("roleid") != nil {
                let roles = try namedRoles(api, realm, client: clientId, invocation)
                result = roles.count == 1 ? roles[0] : .array(roles)
            } else {
                result = try get(api, clientId.map { "clients/\($0)/roles" } ?? "roles", realm)
            }
        case .composite(let id):
            let path: Endpoint = clientId.map { "roles-by-id/\(id)/composites/clients/\($0)" } ?? "roles-by-id/\(id)/composites/realm"
            result = try get(api, path, realm)
        case .user, .group:
            if invocation.flag("all") {
                let all: Endpoint = target.isUser ? "users/\(target.id)/role-mappings" : "groups/\(target.id)/role-mappings"
                result = try get(api, all, realm)
            } else {
                let base = mappings(target, client: clientId)!
                let view = invocation.flag("effective") ? "composite" : invocation.flag("available") ? "available" : nil
                result = try get(api, view.map { "\(base)/\($0)" } ?? base, realm)
            }
        }
        RequestCommands.printBody(
            HTTPResponse(status: 200, headers: [], body: result.serializedBytes()), output, context)
        return .ok
    }

    static func runSetPassword(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        try exclusive(invocation, ["userid", "username"])
        if invocation.value("userid") == nil && invocation.value("username") == nil {
            throw KcxError.usage("no user: give --username NAME or --userid ID")
        }
        var password = invocation.value("new-password")
        if let given = password {
            if given.isEmpty { throw KcxError.usage("--new-password is empty") }
            CommandLineSecrets.warn("--new-password", use: "standard input (set-password ... < FILE)", context)
        } else if context.stdin.isTerminal {
            password = context.stdin.readSecret(prompt: "Enter password: ")
        } else if let bytes = try? context.stdin.readAll(limit: .secret) {
            password = SecretSource.firstLine(bytes)
        }
        guard let password, !password.isEmpty else {
            throw KcxError.usage("no new password: give --new-password or pass it on standard input")
        }
        let api = try openAdminClient(invocation, context)
        let realm = targetRealm(invocation)
        let id = try userId(api, realm, id: invocation.value("userid"), username: invocation.value("username"))
        let body: JSON = ["type": "password", "value": .string(password), "temporary": .bool(invocation.flag("temporary"))]
        _ = try api.send(method: "PUT", endpoint: "users/\(id)/reset-password", realm: realm, body: body)
        return .ok
    }
}

extension RoleCommands.Target {
    var isUser: Bool { if case .user = self { return true } else { return false } }
    var id: String {
        switch self {
        case .user(let id), .group(let id), .composite(let id): return id
        case .none: return ""
        }
    }
}
