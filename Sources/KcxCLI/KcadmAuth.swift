// kcadm's credentials options on every request command: `--server --realm --user --password
// --client --secret` log in for this one command (kcadm's "one-time authentication"); nothing is
// stored. `-x` is accepted (kcadm prints stack traces with it; kcx has none to print).
import KeycloakKit

enum KcadmAuth {
    static let specs: [OptionSpec] =
        [
            OptionSpec(
                "server", value: "URL",
                "With --user or --secret: log in to this server for this command only; alone: the stored session's server, else refused"
            ),
            OptionSpec("realm", value: "REALM", "Realm to log in to (and the default target realm) for this command"),
            OptionSpec("user", value: "NAME", "Log in as this user for this command only (nothing is stored)"),
            OptionSpec("password", value: "PASSWORD", "Password of --user (else $KCX_PASSWORD, a prompt, or standard input)"),
            OptionSpec("client", value: "ID", "Client to log in with (default admin-cli)"),
            OptionSpec("secret", value: "SECRET", "Client secret; without --user, log in as the client's service account"),
            OptionSpec("stacktrace", short: "x", "Accepted for kcadm's scripts; kcx prints no stack traces"),
            OptionSpec(
                "admin-root", short: "a", value: "URL",
                "Admin REST root when it is not SERVER/admin (e.g. http://kc:8080/auth/admin); on the session's server"),
        ] + KeystoreLogin.options + Truststore.options

    /// True when the command line asks for a one-time login (kcadm: --user, --password or --secret).
    /// True for the commands that take these options.
    static func takesOptions(_ invocation: Invocation) -> Bool {
        invocation.command.options.contains { $0.long == "stacktrace" }
    }

    /// Only commands that take these options (the request commands) log in with them: others have
    /// a --user of their own (`audience check --user NAME`).
    static func requested(_ invocation: Invocation) -> Bool {
        guard takesOptions(invocation) else { return false }
        return invocation.value("user") != nil || invocation.value("password") != nil || invocation.value("secret") != nil
            || KeystoreLogin.requested(invocation)
    }

    /// Logs in with the command line's credentials, printing kcadm's "Logging into ..." line on
    /// stderr, and returns a client holding the access token for this command only. The server and
    /// realm default to the stored session's.
    static func login(_ invocation: Invocation, _ context: CommandContext) throws -> (
        client: AdminClient, options: TransportOptions
    ) {
        let stored =
            invocation.flag("no-config")
            ? nil : try? SessionSettings.store(invocation, context).session(named: SessionSettings.profile(invocation, context))
        guard let server = (invocation.value("server") ?? stored?.server).map(AdminClient.normalizedServer) else {
            throw KcxError.usage(
                "logging in needs --server URL", hint: "e.g. --server http://localhost:8080 --realm master --user admin")
        }
        try SessionSettings.checkServerURL(server, source: "--server")
        guard let realm = nonEmpty(invocation.value("realm")) ?? stored?.realm else {
            throw KcxError.usage("logging in needs --realm REALM", hint: "e.g. --realm master")
        }
        let clientId = invocation.value("client") ?? "admin-cli"
        let user = invocation.value("user")
        try KeystoreLogin.check(invocation, secretGiven: invocation.value("secret") != nil)
        KeystoreLogin.warnArgv(invocation, context)
        // The secrets are read (and a warning about argv printed, under the name kcx) before
        // kcadm's "Logging into" line, so the warning is the first line, as for every kcx command.
        var password: String?
        if user != nil {
            password = try secret(
                invocation.value("password"), option: "--password", environment: "KCX_PASSWORD", prompt: "Enter password: ",
                context)
        } else if invocation.value("password") != nil {
            throw KcxError.usage("--password needs --user NAME", hint: "a client logs in with --client ID --secret SECRET")
        }
        let clientSecret = try invocation.value("secret").map {
            try secret($0, option: "--secret", environment: "KCX_CLIENT_SECRET", prompt: "Enter client secret: ", context)
        }
        let signed = try KeystoreLogin.assertion(invocation, context, clientId: clientId, server: server, realm: realm)
        let who = user.map { "user \($0)" } ?? "service-account-\(clientId)"
        context.stderr.write("Logging into \(server) as \(who) of realm \(realm)\n")
        let options = try SessionSettings.transportOptions(
            invocation, stored: SessionSettings.tlsSession(stored, server: server), context: context)
        let transport = try SessionSettings.transport(invocation, context, options: options)
        let credentials = LoginCredentials(
            grant: user != nil ? .password : .clientCredentials, clientId: clientId, username: user, password: password,
            clientSecret: clientSecret, clientAssertion: signed?.assertion)
        let tokens = try TokenEndpoint.login(
            server: server, realm: realm, credentials: credentials, transport: transport, now: context.now)
        return (AdminClient(server: server, realm: realm, transport: transport, token: tokens.accessToken), options)
    }

    /// `-a/--admin-root URL`, checked before anything is sent: an http(s) URL without user info.
    static func adminRoot(_ invocation: Invocation) throws(KcxError) -> String? {
        guard takesOptions(invocation), let given = invocation.value("admin-root") else { return nil }
        let root = AdminClient.normalizedServer(given)
        guard Endpoint.origin(root) != nil else {
            throw KcxError.usage(
                "--admin-root '\(given)' is not an http:// or https:// URL without user info",
                hint: "e.g. -a http://localhost:8080/auth/admin")
        }
        return root
    }

    /// Points `client` at the admin root, which must be on its server: the bearer token goes there.
    static func apply(adminRoot root: String?, to client: AdminClient, _ invocation: Invocation) throws {
        guard let root else { return }
        if Endpoint.origin(root) != Endpoint.origin(client.server) && !invocation.flag("allow-other-host") {
            throw KcxError.usage(
                "--admin-root \(root) is not on the session's server \(client.server): it would receive your bearer token",
                hint: invocation.command.options.contains { $0.long == "allow-other-host" }
                    ? "add --allow-other-host if you mean to send it there" : "give an admin root on \(client.server)")
        }
        client.adminRoot = root
    }

    /// A secret given as VALUE (warned about under the name kcx), `-` or nothing: then the
    /// environment, a prompt on the terminal, or the first line of standard input, as kcadm reads it.
    static func secret(
        _ given: String?, option: String, environment: String, prompt: String, _ context: CommandContext
    ) throws -> String {
        if let given, given != "-" {
            if given.isEmpty { throw KcxError.usage("\(option) is empty") }
            CommandLineSecrets.warn(option, use: "\(environment) or standard input", context)
            return given
        }
        if given == nil, let value = nonEmpty(context.environment[environment]) { return value }
        if context.stdin.isTerminal {
            if let value = context.stdin.readSecret(prompt: prompt), !value.isEmpty { return value }
        } else if let bytes = try? context.stdin.readAll(limit: .secret) {
            let value = SecretSource.firstLine(bytes)
            if !value.isEmpty { return value }
        }
        throw KcxError.usage("no value for \(option): give it, set \(environment), or pass it on standard input")
    }
}
