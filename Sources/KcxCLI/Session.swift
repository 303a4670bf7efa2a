// Turns the global options, environment and stored session into a logged-in AdminClient.
//
// Where the session comes from, first match wins:
//   1. `--token TOKEN` or `$KCX_TOKEN`: used as the bearer token, nothing stored. The server and
//      realm come from `$KCX_SERVER`/`$KCX_REALM`, else from the stored profile (realm default master).
//   2. `--no-config`: a login from `$KCX_SERVER`, `$KCX_REALM` (default master), `$KCX_USER` +
//      `$KCX_PASSWORD` (client `$KCX_CLIENT`, default admin-cli) or `$KCX_CLIENT` +
//      `$KCX_CLIENT_SECRET`; nothing stored.
//   3. The profile (`--profile`, `$KCX_PROFILE`, `default`) in the config file (`--config`).
// A stored profile also brings the `--insecure` and `--cacert` given when it logged in.
import FoundationEssentials
import KeycloakKit

public func openAdminClient(_ invocation: Invocation, _ context: CommandContext) throws -> AdminClient {
    let root = try KcadmAuth.adminRoot(invocation)
    let client = try openAdminConnection(invocation, context).client
    try KcadmAuth.apply(adminRoot: root, to: client, invocation)
    return client
}

/// The admin client and the transport options it uses (the command line's with the stored
/// session's TLS choices), for callers that open more transports of the same kind.
func openAdminConnection(_ invocation: Invocation, _ context: CommandContext) throws -> (
    client: AdminClient, options: TransportOptions
) {
    if KcadmAuth.takesOptions(invocation) { Truststore.warnTrustpass(invocation, context) }
    // Bad network options are named before anything else, even when no session exists yet.
    _ = try SessionSettings.transportOptions(invocation, context: context)
    _ = try SessionSettings.retryPolicy(invocation, context)
    let environment = context.environment
    if invocation.value("token") == nil, KcadmAuth.requested(invocation) { return try KcadmAuth.login(invocation, context) }
    if let token = invocation.value("token") ?? nonEmpty(environment["KCX_TOKEN"]) {
        if invocation.value("token") != nil { CommandLineSecrets.warn("--token", use: "KCX_TOKEN", context) }
        try checkUserToken(token, source: invocation.value("token") != nil ? "--token" : "KCX_TOKEN")
        let stored =
            invocation.flag("no-config")
            ? nil : try SessionSettings.store(invocation, context).session(named: SessionSettings.profile(invocation, context))
        let ownServer = KcadmAuth.takesOptions(invocation) ? invocation.value("server") : nil
        guard let server = ownServer ?? nonEmpty(environment["KCX_SERVER"]) ?? stored?.server else {
            throw KcxError.usage(
                "--token needs a server: set KCX_SERVER (and KCX_REALM)",
                hint: "for example: KCX_SERVER=https://keycloak.example.com KCX_REALM=master kcx get clients --token \"$TOKEN\"")
        }
        try SessionSettings.checkServerURL(server, source: "KCX_SERVER")
        let ownRealm = KcadmAuth.takesOptions(invocation) ? nonEmpty(invocation.value("realm")) : nil
        let realm = ownRealm ?? nonEmpty(environment["KCX_REALM"]) ?? stored?.realm ?? "master"
        let options = try SessionSettings.transportOptions(
            invocation, stored: SessionSettings.tlsSession(stored, server: server), context: context)
        let transport = try SessionSettings.transport(invocation, context, options: options)
        return (AdminClient(server: server, realm: realm, transport: transport, token: token), options)
    }

    // kcadm's --server on a request command, without credentials or a token: kcadm uses the
    // session its config holds for that server, else it has no token to send. kcx does the same,
    // and refuses before sending rather than sending a request the server can only refuse.
    if KcadmAuth.takesOptions(invocation), let given = invocation.value("server") {
        let server = AdminClient.normalizedServer(given)
        try SessionSettings.checkServerURL(server, source: "--server")
        let store = SessionSettings.store(invocation, context)
        let profile = SessionSettings.profile(invocation, context)
        let stored = invocation.flag("no-config") ? nil : try store.session(named: profile)
        if stored.map({ AdminClient.normalizedServer($0.server) }) != server {
            let why =
                invocation.flag("no-config")
                ? "--no-config keeps no session"
                : stored.map { "the stored session is for \($0.server)" }
                    ?? "no session '\(profile)' in \(store.path)"
            throw KcxError(
                .authentication, "no credentials for --server \(server): \(why)",
                hint:
                    "log in for this command with --realm REALM and --user NAME (--password, a prompt or standard input) or --client ID --secret SECRET, or give --token TOKEN"
            )
        }
    }

    if invocation.flag("no-config") {
        let session = try SessionSettings.sessionFromEnvironment(environment)
        let options = try SessionSettings.transportOptions(invocation, context: context)
        let transport = try SessionSettings.transport(invocation, context, options: options)
        let tokens = TokenManager(
            session: session, transport: transport, environment: environment, now: context.now,
            loginHint: "check the KCX_* environment variables")
        return (AdminClient(server: session.server, realm: session.realm, transport: transport, tokens: tokens), options)
    }

    let store = SessionSettings.store(invocation, context)
    let profile = SessionSettings.profile(invocation, context)
    guard let session = try store.session(named: profile) else {
        throw KcxError(
            .authentication, "not logged in: no session '\(profile)' in \(store.path)",
            hint: SessionSettings.loginHint(profile: profile, session: nil))
    }
    let options = try SessionSettings.transportOptions(invocation, stored: session, context: context)
    let transport = try SessionSettings.transport(invocation, context, options: options)
    let tokens = TokenManager(
        session: session, transport: transport, environment: environment, now: context.now,
        loginHint: SessionSettings.loginHint(profile: profile, session: session),
        storage: SessionStorage(store: store, profile: profile))
    return (AdminClient(server: session.server, realm: session.realm, transport: transport, tokens: tokens), options)
}

/// A token the user gave becomes the Authorization header of every request: a CR or LF in it would
/// add headers of the user's making (or a copy-paste's), so it is refused before anything is sent.
/// The message names the source and the character, never the token.
func checkUserToken(_ token: String, source: String) throws {
    guard let scalar = ControlCharacters.firstInHeaderValue(token) else { return }
    throw KcxError.usage(
        "the token from \(source) contains a control character (\(ControlCharacters.name(scalar)))",
        hint: "a token is one line of base64url text: check how it was read (a Windows line ending leaves a CR at its end)")
}

/// The pieces of session handling that `config` commands share with `openAdminClient`.
public enum SessionSettings {
    public static func store(_ invocation: Invocation, _ context: CommandContext) -> ConfigStore {
        ConfigStore(path: invocation.value("config") ?? ConfigStore.defaultPath(environment: context.environment))
    }

    public static func profile(_ invocation: Invocation, _ context: CommandContext) -> String {
        invocation.value("profile") ?? nonEmpty(context.environment["KCX_PROFILE"]) ?? "default"
    }

    /// `--timeout`, `--insecure`, `--cacert`, validated before anything is sent. `stored` adds the
    /// TLS choices of the session's login: its `--insecure`, and its `--cacert` unless one is given.
    /// A PKCS#12 `--truststore` is opened with its password; `context` lets kcx prompt for one (and
    /// keeps what was read, so a second call in the same run does not ask again).
    public static func transportOptions(
        _ invocation: Invocation, stored: StoredSession? = nil, context: CommandContext? = nil
    ) throws -> TransportOptions {
        var options = TransportOptions()
        if let text = invocation.value("timeout") {
            guard let seconds = Double(text), seconds > 0, seconds <= 86_400 else {
                throw KcxError.usage(
                    "--timeout: '\(text)' is not a number of seconds between 0 and 86400", hint: "for example: --timeout 60")
            }
            options.timeoutSeconds = seconds
        }
        options.insecure = invocation.flag("insecure") || stored?.insecure == true
        if let file = invocation.value("cacert") {
            do { _ = try FileSystem.readFile(file, limit: .data) } catch {
                throw KcxError.usage("--cacert: \(error.description)", hint: "give a PEM file of CA certificates")
            }
            options.caCertificateFile = FileSystem.absolutePath(file)
        } else if let file = invocation.valueIfDeclared("truststore") {
            // kcadm's --truststore is usually a PKCS#12 keystore (read here), or a JKS one (named).
            let trusted: Truststore.Trusted
            if let cached = context?.truststores[file] {
                trusted = cached
            } else {
                trusted = try Truststore.load(file, label: "--truststore", invocation, context)
                context?.truststores[file] = trusted
            }
            switch trusted {
            case .file(let path): options.caCertificateFile = path
            case .pem(let bytes): options.caCertificatePEM = bytes
            }
        } else if let file = stored?.caCertificateFile {
            do { _ = try FileSystem.readFile(file, limit: .data) } catch {
                throw KcxError.usage(
                    "the session's --cacert: \(error.description)",
                    hint: "give --cacert FILE, or log in again with kcx config credentials ... --cacert FILE")
            }
            options.caCertificateFile = file
        }
        return options
    }

    /// The stored session whose TLS choices apply to requests to `server`: only its own server's.
    static func tlsSession(_ stored: StoredSession?, server: String) -> StoredSession? {
        stored.flatMap { AdminClient.normalizedServer($0.server) == AdminClient.normalizedServer(server) ? $0 : nil }
    }

    /// `--retries N`, else `$KCX_RETRIES`, else 3: a whole number from 0 (no retries) to 100.
    public static func retryPolicy(_ invocation: Invocation, _ context: CommandContext) throws -> RetryPolicy {
        let given =
            invocation.value("retries").map { ("--retries", $0) }
            ?? nonEmpty(context.environment["KCX_RETRIES"]).map { ("KCX_RETRIES", $0) }
        guard let (source, text) = given else { return RetryPolicy() }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let count = Int(text), count <= 100 else {
            throw KcxError.usage(
                "\(source): '\(text)' is not a whole number of retries from 0 to 100",
                hint: "for example: --retries 5, or --retries 0 to disable retries")
        }
        return RetryPolicy(retries: count)
    }

    /// The run's transport: warns about `--insecure` every time (also when the session remembers
    /// it), adds retries and the `-v` trace.
    public static func transport(_ invocation: Invocation, _ context: CommandContext, stored: StoredSession? = nil) throws
        -> HTTPTransport
    {
        try transport(invocation, context, options: transportOptions(invocation, stored: stored, context: context))
    }

    static func transport(_ invocation: Invocation, _ context: CommandContext, options: TransportOptions) throws -> HTTPTransport
    {
        let policy = try retryPolicy(invocation, context)
        if options.insecure {
            let origin = invocation.flag("insecure") ? "--insecure" : "--insecure, stored with the session"
            context.warn("TLS certificate verification is disabled (\(origin))")
        }
        return decorate(context.makeTransport(options), invocation, context, retries: policy)
    }

    /// Adds the `-v` trace (each attempt), the warning for a password or client secret sent over
    /// plain http:// to another machine, and around them the retries (a line per retry in the
    /// trace; without `-v` retries are silent, so scripts see output only when a request finally fails).
    public static func decorate(
        _ transport: HTTPTransport, _ invocation: Invocation, _ context: CommandContext, retries policy: RetryPolicy
    ) -> HTTPTransport {
        var result = transport
        let verbose = invocation.flag("verbose")
        let stderr = context.stderr
        if verbose {
            let now = context.now
            result = VerboseTransport(wrapping: result, log: { stderr.write($0 + "\n") }, clock: { now().timeIntervalSince1970 })
        }
        // Outside the trace, so the warning comes before the request it is about; inside the
        // retries, which resend the same request (and are not warned about again).
        result = PlainHTTPWarningTransport(wrapping: result, warn: { [context] in context.warn($0) })
        guard policy.retries > 0 else { return result }
        return RetryingTransport(wrapping: result, policy: policy, log: verbose ? { stderr.write("* \($0)\n") } : nil)
    }

    public static func checkServerURL(_ server: String, source: String) throws {
        let afterScheme =
            server.hasPrefix("https://") ? server.dropFirst(8) : server.hasPrefix("http://") ? server.dropFirst(7) : nil
        guard let afterScheme, let first = afterScheme.first, first != "/", !server.contains(" ") else {
            throw KcxError.usage(
                "\(source): '\(server)' is not an http:// or https:// URL", hint: "for example: https://keycloak.example.com")
        }
        // user:password@ would be stored in the config file, shown in messages and sent by libcurl as Basic
        // auth; the URL is not repeated here, as it holds the password.
        if afterScheme.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" }).contains("@") {
            throw KcxError.usage(
                "\(source): the URL holds user info ('user:password@'); kcx takes credentials only from its own options",
                hint: "drop the 'user:password@' part and log in with --user NAME and --password-stdin or --password-file")
        }
    }

    public static func loginHint(profile: String, session: StoredSession?) -> String {
        let profileOption = profile == "default" ? [] : ["--profile", profile]
        guard let session else {
            return "log in with: "
                + Shell.command(
                    ["kcx", "config", "credentials", "--server", "URL", "--realm", "REALM", "--user", "NAME"] + profileOption)
        }
        let who = session.grant == .password ? ["--user", session.username ?? "NAME"] : ["--client", session.clientId]
        return "log in again with: "
            + Shell.command(
                ["kcx", "config", "credentials", "--server", session.server, "--realm", session.realm] + who + profileOption)
    }

    /// The `--no-config` session: everything from KCX_* variables; secrets stay in the
    /// environment and are read when a login happens.
    public static func sessionFromEnvironment(_ environment: [String: String]) throws -> StoredSession {
        guard let server = nonEmpty(environment["KCX_SERVER"]) else {
            throw KcxError.usage(
                "--no-config needs KCX_SERVER",
                hint: "set KCX_SERVER, KCX_REALM and KCX_USER + KCX_PASSWORD or KCX_CLIENT + KCX_CLIENT_SECRET")
        }
        try checkServerURL(server, source: "KCX_SERVER")
        let realm = nonEmpty(environment["KCX_REALM"]) ?? "master"
        let client = nonEmpty(environment["KCX_CLIENT"])
        if let user = nonEmpty(environment["KCX_USER"]) {
            guard nonEmpty(environment["KCX_PASSWORD"]) != nil else {
                throw KcxError.usage("--no-config with KCX_USER needs KCX_PASSWORD")
            }
            let secretSource: SecretSource? =
                client != nil && nonEmpty(environment["KCX_CLIENT_SECRET"]) != nil ? .environment("KCX_CLIENT_SECRET") : nil
            return StoredSession(
                server: server, realm: realm, clientId: client ?? "admin-cli", grant: .password, username: user,
                passwordSource: .environment("KCX_PASSWORD"), clientSecretSource: secretSource)
        }
        if let client {
            guard nonEmpty(environment["KCX_CLIENT_SECRET"]) != nil else {
                throw KcxError.usage("--no-config with KCX_CLIENT (and no KCX_USER) needs KCX_CLIENT_SECRET")
            }
            return StoredSession(
                server: server, realm: realm, clientId: client, grant: .clientCredentials,
                clientSecretSource: .environment("KCX_CLIENT_SECRET"))
        }
        throw KcxError.usage(
            "--no-config needs KCX_USER (with KCX_PASSWORD) or KCX_CLIENT (with KCX_CLIENT_SECRET)")
    }
}

func nonEmpty(_ value: String?) -> String? {
    guard let value, !value.isEmpty else { return nil }
    return value
}
