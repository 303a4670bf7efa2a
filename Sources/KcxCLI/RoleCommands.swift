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
            examples: [
                ExampleSpec("kcx remove-roles -r demo --uusername alice --rolename user", "Take the realm role user from alice")
            ],
            handler: { invocation, context in try runChange(invocation, context, method: "DELETE") }),
        CommandSpec(
            ["set-password"], summary: "Reset a user's password",
            discussion: """
                As kcadm's set-password: PUT users/ID/reset-password. Without --new-password the password
                is read from the terminal without echo, or from the first line of standard input.
                """,
            options: [
                realm, OptionSpec("username", value: "USERNAME", "The user's username"),
                OptionSpec("userid", value: "ID", "The user's id"),
                OptionSpec(
                    "new-password", short: "p", value: "PASSWORD", "The new password (visible to other users; prints a warning)"),
                OptionSpec("temporary", short: "t", "The user must change it at the next login"),
            ] + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx set-password -r demo --username alice --temporary < password.txt", "Reset alice's password")
            ],
            handler: { invocation, context in try runSetPassword(invocation, context) }),
    ]

    // MARK: Parse step

    /// A user, group, composite role, client or role, as the command line names it.
    enum Reference: Equatable, Sendable {
        case id(String), name(String)
    }

    enum GroupReference: Equatable, Sendable {
        case id(String), name(String), path(String)
    }

    enum TargetOption: Equatable, Sendable {
        case user(Reference), group(GroupReference), composite(Reference), none
    }

    /// get-roles' listing: the mappings, --effective, --available or --all.
    enum View: Equatable, Sendable {
        case direct, effective, available, all
    }

    /// The options of get-roles, add-roles and remove-roles, checked before anything is sent.
    struct RoleOptions: Equatable, Sendable {
        var realm: String?
        var target: TargetOption
        var client: Reference?
        /// --rolename and --roleid, names first, in the order given.
        var roles: [Reference]
        var view: View = .direct
        var output = OutputOptions()

        enum Command: Sendable { case get, add, remove }

        /// kcadm's rules (GetRolesCmd, AddRolesCmd, RemoveRolesCmd): one of each pair, one kind of
        /// target, roles to add or remove, views that exclude each other and do not apply to a
        /// composite role.
        static func parse(_ invocation: Invocation, _ command: Command) throws(KcxError) -> RoleOptions {
            try exclusive(invocation, ["uid", "uusername"])
            try exclusive(invocation, ["gid", "gname", "gpath"])
            try exclusive(invocation, ["cid", "cclientid"])
            try exclusive(invocation, ["rid", "rname"])
            let kinds = [["uid", "uusername"], ["gid", "gname", "gpath"], ["rid", "rname"]].filter {
                $0.contains { invocation.value($0) != nil }
            }
            if kinds.count > 1 {
                throw KcxError.usage(
                    "give one target: a user (--uusername/--uid), a group (--gname/--gpath/--gid) or a composite role (--rname/--rid)"
                )
            }
            let target: TargetOption
            if let id = invocation.value("uid") {
                target = .user(.id(id))
            } else if let name = invocation.value("uusername") {
                target = .user(.name(name))
            } else if let id = invocation.value("gid") {
                target = .group(.id(id))
            } else if let name = invocation.value("gname") {
                target = .group(.name(name))
            } else if let path = invocation.value("gpath") {
                target = .group(.path(path))
            } else if let id = invocation.value("rid") {
                target = .composite(.id(id))
            } else if let name = invocation.value("rname") {
                target = .composite(.name(name))
            } else {
                target = .none
            }
            for option in ["uid", "uusername", "gid", "gname", "gpath", "rid", "rname", "cid", "cclientid"] {
                if invocation.value(option) == "" { throw KcxError.usage("--\(option) is empty") }
            }
            let client = invocation.value("cid").map(Reference.id) ?? invocation.value("cclientid").map(Reference.name)
            let roles = invocation.all("rolename").map(Reference.name) + invocation.all("roleid").map(Reference.id)
            if roles.contains(.name("")) || roles.contains(.id("")) { throw KcxError.usage("a role name or id is empty") }
            var options = RoleOptions(realm: RoleCommands.targetRealm(invocation), target: target, client: client, roles: roles)
            switch command {
            case .add, .remove:
                if roles.isEmpty { throw KcxError.usage("no role given: use --rolename NAME or --roleid ID (repeatable)") }
                if target == .none {
                    throw KcxError.usage("no target: give --uusername/--uid, --gname/--gpath/--gid or --rname/--rid")
                }
            case .get:
                // kcadm: --all excludes the other two; with both of those, --available wins.
                for other in ["effective", "available"] where invocation.flag("all") && invocation.flag(other) {
                    throw KcxError.usage("options --all and --\(other) exclude each other")
                }
                options.view =
                    invocation.flag("available")
                    ? .available : invocation.flag("effective") ? .effective : invocation.flag("all") ? .all : .direct
                if case .composite = target, options.view == .effective || options.view == .available {
                    throw KcxError.usage(
                        "--\(options.view == .effective ? "effective" : "available") does not apply to a composite role",
                        hint: "list its composites without it, or the realm's (or client's) roles with get-roles alone")
                }
                if invocation.value("rolename") != nil && invocation.value("roleid") != nil {
                    throw KcxError.usage("options --rolename and --roleid exclude each other")
                }
                if let list = invocation.value("fields") {
                    do { options.output.fields = try FieldFilter.parse(list) } catch {
                        throw KcxError.usage("invalid --fields \(error)")
                    }
                }
                if let format = invocation.value("format") { options.output.format = OutputFormat(rawValue: format) ?? .json }
                options.output.compact = invocation.flag("compressed")
                options.output.noQuotes = invocation.flag("noquotes")
            }
            return options
        }
    }

    /// The options of set-password.
    struct PasswordOptions: Equatable, Sendable {
        var realm: String?
        var user: Reference
        /// --new-password; nil: read from the terminal or standard input.
        var password: String?
        var temporary: Bool

        static func parse(_ invocation: Invocation) throws(KcxError) -> PasswordOptions {
            try exclusive(invocation, ["userid", "username"])
            guard let user = invocation.value("userid").map(Reference.id) ?? invocation.value("username").map(Reference.name)
            else {
                throw KcxError.usage("no user: give --username NAME or --userid ID")
            }
            if user == .id("") || user == .name("") {
                throw KcxError.usage("--\(invocation.value("userid") != nil ? "userid" : "username") is empty")
            }
            let password = invocation.value("new-password")
            if password == "" { throw KcxError.usage("--new-password is empty") }
            return PasswordOptions(
                realm: RoleCommands.targetRealm(invocation), user: user, password: password,
                temporary: invocation.flag("temporary"))
        }
    }

    // MARK: Targets

    enum Target {
        case user(String), group(String), composite(String), none
    }

    static func exclusive(_ invocation: Invocation, _ names: [String]) throws(KcxError) {
        let given = names.filter { invocation.value($0) != nil }
        if given.count > 1 {
            throw KcxError.usage("options " + given.map { "--" + $0 }.joined(separator: " and ") + " exclude each other")
        }
    }

    static func targetRealm(_ invocation: Invocation) -> String? {
        invocation.value("target-realm") ?? nonEmpty(invocation.value("realm"))
    }

    static func json(_ response: HTTPResponse, _ what: String) throws -> JSON {
        guard let value = response.json else { throw KcxError(.serverError, "\(what): the server's answer is not JSON") }
        return value
    }

    static func get(_ client: AdminClient, _ endpoint: Endpoint, _ realm: String?, query: [(String, String)] = []) throws -> JSON
    {
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

    static func clientId(_ client: AdminClient, _ realm: String?, _ reference: Reference?) throws -> String? {
        switch reference {
        case nil: return nil
        case .id(let id): return id
        case .name(let clientId):
            let found = (try get(client, "clients", realm, query: [("clientId", clientId)])).arrayValue ?? []
            guard let id = found.first(where: { $0["clientId"]?.stringValue == clientId })?["id"]?.stringValue else {
                throw KcxError(.notFound, "client not found for clientId: \(clientId)")
            }
            return id
        }
    }

    static func groupId(_ client: AdminClient, _ realm: String?, _ reference: GroupReference) throws -> String {
        switch reference {
        case .id(let id): return id
        case .path(let path):
            let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
            let group = try get(client, "group-by-path/\(Endpoint.typed(trimmed))", realm)
            guard let id = group["id"]?.stringValue else { throw KcxError(.notFound, "group not found for path: \(path)") }
            return id
        case .name(let name):
            let found = (try get(client, "groups", realm, query: [("search", name), ("exact", "true")])).arrayValue ?? []
            guard let id = found.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue else {
                throw KcxError(.notFound, "group not found for name: \(name)")
            }
            return id
        }
    }

    static func compositeId(_ client: AdminClient, _ realm: String?, _ reference: Reference) throws -> String {
        switch reference {
        case .id(let id): return id
        case .name(let name):
            guard let id = try get(client, "roles/\(name)", realm)["id"]?.stringValue else {
                throw KcxError(.notFound, "role not found for name: \(name)")
            }
            return id
        }
    }

    /// The target's id, looked up on the server when it was named.
    static func target(_ client: AdminClient, _ realm: String?, _ target: TargetOption) throws -> Target {
        switch target {
        case .user(.id(let id)): return .user(id)
        case .user(.name(let name)): return .user(try userId(client, realm, id: nil, username: name))
        case .group(let group): return .group(try groupId(client, realm, group))
        case .composite(let role): return .composite(try compositeId(client, realm, role))
        case .none: return .none
        }
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
    static func namedRoles(_ api: AdminClient, _ realm: String?, client: String?, _ references: [Reference]) throws -> [JSON] {
        let all = (try get(api, client.map { "clients/\($0)/roles" } ?? "roles", realm)).arrayValue ?? []
        var result: [JSON] = []
        for reference in references {
            let (key, value): (String, String)
            switch reference {
            case .name(let name): (key, value) = ("name", name)
            case .id(let id): (key, value) = ("id", id)
            }
            guard let role = all.first(where: { $0[key]?.stringValue == value }) else {
                throw KcxError(.notFound, "role not found for \(key): \(value)")
            }
            if !result.contains(where: { $0["id"] == role["id"] }) { result.append(role) }
        }
        return result
    }

    // MARK: Commands

    static func runChange(_ invocation: Invocation, _ context: CommandContext, method: String) throws -> ExitCode {
        let options = try RoleOptions.parse(invocation, method == "POST" ? .add : .remove)
        let api = try openAdminClient(invocation, context)
        let target = try target(api, options.realm, options.target)
        let clientId = try clientId(api, options.realm, options.client)
        guard let endpoint = mappings(target, client: clientId) else { return .ok }
        let roles = try namedRoles(api, options.realm, client: clientId, options.roles)
        _ = try api.send(method: method, endpoint: endpoint, realm: options.realm, body: .array(roles))
        return .ok
    }

    /// The endpoint get-roles reads, as kcadm's GetRolesCmd composes it.
    static func listing(_ target: Target, client: String?, view: View) -> Endpoint? {
        switch target {
        case .none:
            return nil
        case .composite(let id):
            if let client { return "roles-by-id/\(id)/composites/clients/\(client)" }
            return view == .all ? "roles-by-id/\(id)/composites" : "roles-by-id/\(id)/composites/realm"
        case .user, .group:
            if view == .all && client == nil {
                return target.isUser ? "users/\(target.id)/role-mappings" : "groups/\(target.id)/role-mappings"
            }
            let base = mappings(target, client: client)!
            switch view {
            case .available: return "\(base)/available"
            case .effective: return "\(base)/composite"
            case .direct, .all: return base
            }
        }
    }

    static func runGet(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try RoleOptions.parse(invocation, .get)
        let api = try openAdminClient(invocation, context)
        let realm = options.realm
        let target = try target(api, realm, options.target)
        let clientId = try clientId(api, realm, options.client)
        var result: JSON
        if let endpoint = listing(target, client: clientId, view: options.view) {
            result = try get(api, endpoint, realm)
        } else if !options.roles.isEmpty {
            let roles = try namedRoles(api, realm, client: clientId, options.roles)
            result = roles.count == 1 ? roles[0] : .array(roles)
        } else {
            result = try get(api, clientId.map { "clients/\($0)/roles" } ?? "roles", realm)
        }
        RequestCommands.printBody(HTTPResponse(status: 200, headers: [], body: result.serializedBytes()), options.output, context)
        return .ok
    }

    static func runSetPassword(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try PasswordOptions.parse(invocation)
        var password = options.password
        if password != nil {
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
        let id: String
        switch options.user {
        case .id(let given): id = given
        case .name(let name): id = try userId(api, options.realm, id: nil, username: name)
        }
        let body: JSON = ["type": "password", "value": .string(password), "temporary": .bool(options.temporary)]
        _ = try api.send(method: "PUT", endpoint: "users/\(id)/reset-password", realm: options.realm, body: body)
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
