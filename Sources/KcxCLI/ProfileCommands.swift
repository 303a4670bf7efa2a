// `kcx config profiles` and `kcx version`: what is stored where, and which kcx this is. Kept apart
// from ConfigCommands (login, status, logout) so each file stays one family of work.
import KcxJSON
import KeycloakKit

public enum ProfileCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["config", "profiles"], summary: "List the profiles stored in the config file",
            discussion: """
                One line per profile: its name (* marks the one in use: --profile, $KCX_PROFILE or 'default'), \
                server, realm and who logged in. Reads only the config file; tokens are never printed.
                """,
            options: [ProvisioningOptions.output],
            examples: [ExampleSpec("kcx config profiles", "Which sessions are stored")],
            handler: profiles),
        CommandSpec(
            ["version"], summary: "Print kcx's version",
            options: [ProvisioningOptions.output],
            examples: [ExampleSpec("kcx version", "The same as kcx --version")],
            handler: version),
    ]

    static func profiles(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try OutputOnlyOptions(invocation)
        let store = SessionSettings.store(invocation, context)
        let current = SessionSettings.profile(invocation, context)
        var rows: [(name: String, session: StoredSession)] = []
        for name in try store.profileNames().sorted() {
            if let session = try store.session(named: name) { rows.append((name, session)) }
        }
        if options.output == .json {
            let list = JSON.array(
                rows.map { row in
                    var object = JSONObject([
                        ("name", .string(row.name)), ("current", .bool(row.name == current)),
                        ("server", .string(row.session.server)),
                        ("realm", .string(row.session.realm)), ("client", .string(row.session.clientId)),
                    ])
                    object["user"] = row.session.username.map { .string($0) } ?? .null
                    return .object(object)
                })
            let document: JSON = ["configFile": .string(store.path), "profiles": list]
            context.stdout.write(document.serialized(.pretty) + "\n")
            return .ok
        }
        if rows.isEmpty {
            context.stderr.write("no profiles in \(store.path): log in with kcx config credentials\n")
            return .ok
        }
        let table = rows.map { row in
            [
                (row.name == current ? "* " : "  ") + row.name, row.session.server, row.session.realm,
                row.session.username.map { "\($0) (via \(row.session.clientId))" } ?? "client \(row.session.clientId)",
            ]
        }
        context.stdout.write(
            TextTable.render(Tabulation(columns: ["  PROFILE", "SERVER", "REALM", "LOGGED IN AS"], rows: table)))
        return .ok
    }

    static func version(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        if try OutputOnlyOptions(invocation).output == .json {
            let document: JSON = ["version": .string(KcxVersion.current), "commit": .string(KcxVersion.commit)]
            context.stdout.write(document.serialized(.pretty) + "\n")
        } else {
            // The same line as `kcx --version`.
            context.stdout.write(KcxVersion.line + "\n")
        }
        return .ok
    }
}
