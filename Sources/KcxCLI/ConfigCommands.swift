// `kcx config credentials|status|logout`: log in and store the session, show it, end it.
import FoundationEssentials
import KcxJSON
import KeycloakKit

public enum ConfigCommands {
    public static let specs: [CommandSpec] = [credentials, status, logout, Truststore.spec]

    static let credentials = CommandSpec(
        ["config", "credentials"],
        summary: "Log in to a Keycloak server and store the session",
        discussion: """
            Logs in at the realm's token endpoint and stores the session (server, realm, client, tokens \
            and their expiry) in the profile of the config file, mode 0600. Later commands use it and \
            refresh the access token before it expires.

            With --user NAME kcx uses the password grant on client admin-cli (or --client ID). With \
            --client ID alone it uses the client-credentials grant of that client's service account.

            The password (or client secret) is read from exactly one of: --password-stdin, \
            --password-file FILE or --password VALUE (works, but warns: argv is visible to other \
            users); else from $KCX_PASSWORD ($KCX_CLIENT_SECRET); else kcx prompts on the terminal \
            without echo. When it came from an environment variable or a file, kcx records where \
            (never the secret itself) and logs in again by itself when the refresh token has expired.

            --insecure and --cacert FILE given here are stored with the session: later commands of \
            the profile use them (--insecure still warns every time; a --cacert given later wins).

            The secret is sent in the form (client_secret_post), never in the URL.

            --keystore FILE logs the client in with a signed JWT instead of a secret, as kcadm does \
            (the client's authenticator is "Signed JWT", client-jwt): the key --alias (default: the \
            client id) of the PKCS#12 keystore signs an assertion for this realm. --storepass, else \
            $KC_CLI_STORE_PASSWORD, else a prompt (or the first line of standard input); --keypass, \
            else $KC_CLI_KEY_PASSWORD, else the keystore password. No password is stored: with both \
            from those variables kcx signs again by itself when the session must log in again. A JKS \
            keystore is refused with the keytool command that converts it.
            """,
        options: [
            OptionSpec("server", value: "URL", "Keycloak's root URL, e.g. https://keycloak.example.com"),
            OptionSpec("realm", value: "REALM", "Realm to log in to (master for a server-wide admin)"),
            OptionSpec("user", value: "NAME", "Log in as this user (password grant)"),
            OptionSpec("client", value: "ID", "Client id (default admin-cli); alone, log in as its service account"),
            OptionSpec("password-stdin", "Read the password from the first line of standard input"),
            OptionSpec("password-file", value: "FILE", "Read the password from the first line of FILE", completion: .file),
            OptionSpec("password", value: "PASSWORD", "The password itself (visible to other users; prints a warning)"),
            OptionSpec("secret-stdin", "Read the client secret from the first line of standard input"),
            OptionSpec("secret-file", value: "FILE", "Read the client secret from the first line of FILE", completion: .file),
            OptionSpec("secret", value: "SECRET", "The client secret itself (visible to other users; prints a warning)"),
            OptionSpec("status", "Say whether the stored session is logged in and for how long (kcadm's check; sends nothing)"),
        ] + KeystoreLogin.options + Truststore.options,
        examples: [
            ExampleSpec(
                "kcx config credentials --server http://localhost:8080 --realm master --user admin",
                "Log in as admin, prompting for the password"),
            ExampleSpec(
                "KCX_PASSWORD=... kcx config credentials --server https://kc.example.com --realm master --user admin",
                "Log in from the environment; kcx logs in again from $KCX_PASSWORD when the session expires"),
            ExampleSpec(
                "kcx config credentials --server https://kc.example.com --realm apps --client provisioner --secret-file /run/secrets/kc",
                "Log in as the service account of client provisioner"),
            ExampleSpec(
                "KC_CLI_STORE_PASSWORD=... kcx config credentials --server https://kc.example.com --realm apps --client robot --keystore robot.p12",
                "Log in as client robot's service account with a signed JWT (key alias robot); kcx signs again when the session expires"
            ),
            ExampleSpec(
                "vault read -field=password secret/kc | kcx config credentials --server https://kc.example.com --realm master --user admin --password-stdin --profile prod",
                "Keep a second server apart in profile prod"),
        ],
        handler: { invocation, context in try runCredentials(invocation, context) })

    static let status = CommandSpec(
        ["config", "status"],
        summary: "Show who the stored session is logged in as, where, and until when",
        discussion: """
            Prints the profile's server, realm, client, grant and user, the TLS choices stored at login \
            (--insecure, --cacert), and until when the access and refresh tokens are valid. Tokens \
            themselves are never printed. Reads only the config file; nothing is sent to the server. \
            Exits 4 when the profile holds no session.
            """,
        options: [ProvisioningOptions.output],
        examples: [
            ExampleSpec("kcx config status", "The default profile"),
            ExampleSpec("kcx config status --profile prod", "Another profile"),
            ExampleSpec("kcx config status -o json", "The same as JSON, for scripts"),
        ],
        handler: { invocation, context in try runStatus(invocation, context) })

    static let logout = CommandSpec(
        ["config", "logout"],
        summary: "End the stored session on the server and remove it from the config file",
        discussion: """
            Sends the refresh token to the realm's logout endpoint, so the server ends the session, and \
            removes the profile from the config file. When the server cannot be reached or refuses, the \
            profile is removed anyway and a warning says so. Logging out of a profile that holds no \
            session does nothing.
            """,
        examples: [
            ExampleSpec("kcx config logout", "Log out of the default profile"),
            ExampleSpec("kcx config logout --profile prod", "Log out of profile prod"),
        ],
        handler: { invocation, context in try runLogout(invocation, context) })

    // MARK: credentials

    /// What `config credentials` was asked to do, checked before anything is read or sent.
    struct CredentialsOptions: Equatable, Sendable {
        var server: String
        var realm: String
        /// nil with `client` nil: kcadm's `--server --realm` alone, stored for later commands.
        var user: String?
        var client: String?
        /// --keystore: the client logs in with a signed JWT.
        var keystore = false
        var grant: GrantKind? { user != nil ? .password : client != nil || keystore ? .clientCredentials : nil }

        static func parse(_ invocation: Invocation) throws(KcxError) -> CredentialsOptions {
            if invocation.flag("no-config") {
                throw KcxError.usage("config credentials stores a session, so it cannot run with --no-config")
            }
            if invocation.value("token") != nil {
                throw KcxError.usage("config credentials logs in itself, so it does not take --token")
            }
            guard let server = invocation.value("server").map(AdminClient.normalizedServer) else {
                throw KcxError.usage("missing --server URL", hint: credentialsUsage)
            }
            do { try SessionSettings.checkServerURL(server, source: "--server") } catch let error as KcxError {
                throw error
            } catch {
                throw KcxError.usage("--server: \(error)")
            }
            guard let realm = invocation.value("realm"), !realm.isEmpty else {
                throw KcxError.usage("missing --realm REALM", hint: credentialsUsage)
            }
            let user = invocation.value("user")
            let client = invocation.value("client")
            if user == "" { throw KcxError.usage("--user is empty") }
            if client == "" { throw KcxError.usage("--client is empty") }
            let secretsGiven = (SecretKind.password.options + SecretKind.clientSecret.options).contains { invocation.flag($0) }
            if user == nil && client == nil && secretsGiven {
                throw KcxError.usage(
                    "say who logs in: --user NAME (password grant) or --client ID with a secret (client credentials)",
                    hint: credentialsUsage)
            }
            if invocation.flag("password-stdin") && invocation.flag("secret-stdin") {
                throw KcxError.usage(
                    "--password-stdin and --secret-stdin cannot both read standard input",
                    hint: "put one of them in a file (--password-file, --secret-file)")
            }
            if user == nil && SecretKind.password.options.contains(where: { invocation.flag($0) }) {
                throw KcxError.usage("--password-* options need --user NAME; a client logs in with --secret-*")
            }
            for kind in [SecretKind.password, .clientSecret] {
                let given = kind.options.filter { invocation.flag($0) }
                if given.count > 1 { throw KcxError.usage("give only one of " + given.map { "--" + $0 }.joined(separator: ", ")) }
            }
            try KeystoreLogin.check(invocation, secretGiven: SecretKind.clientSecret.options.contains { invocation.flag($0) })
            return CredentialsOptions(
                server: server, realm: realm, user: user, client: client, keystore: invocation.value("keystore") != nil)
        }
    }

    static func runCredentials(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        if invocation.flag("status") { return try credentialsStatus(invocation, context) }
        Truststore.warnTrustpass(invocation, context)
        KeystoreLogin.warnArgv(invocation, context)
        let parsed = try CredentialsOptions.parse(invocation)
        let server = parsed.server
        let realm = parsed.realm
        let user = parsed.user
        let client = parsed.client
        if parsed.grant == nil {
            // kcadm: --server and --realm alone store them for later commands, which log in with
            // their own --user/--password (or --token); nothing is sent.
            let store = SessionSettings.store(invocation, context)
            try store.checkWritable()
            let options = try loginTransportOptions(invocation, context)
            let profile = SessionSettings.profile(invocation, context)
            let session = StoredSession(
                server: server, realm: realm, clientId: "admin-cli", grant: .password,
                insecure: options.insecure, caCertificateFile: try storedCAFile(options, store, profile: profile))
            try store.save(session, as: profile)
            return .ok
        }
        let grant: GrantKind = user != nil ? .password : .clientCredentials
        let clientId = client ?? "admin-cli"

        var password: ResolvedSecret?
        if let user {
            password = try resolveSecret(
                .password, invocation, context, prompt: "Password for \(user) at \(server) realm \(realm): ")
            if password == nil {
                throw KcxError.usage(
                    "no password for user \(user): give --password-stdin, --password-file FILE or KCX_PASSWORD (or run on a terminal to be prompted)"
                )
            }
        } else if SecretKind.password.options.contains(where: { invocation.flag($0) }) {
            throw KcxError.usage("--password-* options need --user NAME; a client logs in with --secret-*")
        }
        // A confidential client needs its secret with the password grant too; admin-cli (public)
        // needs none, so only an explicit --secret-* counts for it, never a stray $KCX_CLIENT_SECRET.
        let signed = try KeystoreLogin.assertion(invocation, context, clientId: clientId, server: server, realm: realm)
        let secret =
            signed != nil
            ? nil
            : try resolveSecret(
                .clientSecret, invocation, context, prompt: "Secret of client \(clientId): ",
                useEnvironment: client != nil, usePrompt: grant == .clientCredentials)
        if grant == .clientCredentials && secret == nil && signed == nil {
            throw KcxError.usage(
                "no secret for client \(clientId): give --secret-stdin, --secret-file FILE or KCX_CLIENT_SECRET (or run on a terminal to be prompted)"
            )
        }

        let store = SessionSettings.store(invocation, context)
        // A config kcx would refuse to write is named before the password is sent.
        try store.checkWritable()
        let options = try loginTransportOptions(invocation, context)
        let transport = try SessionSettings.transport(invocation, context, options: options)
        let credentials = LoginCredentials(
            grant: grant, clientId: clientId, username: user, password: password?.value, clientSecret: secret?.value,
            clientAssertion: signed?.assertion)
        let tokens = try TokenEndpoint.login(
            server: server, realm: realm, credentials: credentials, transport: transport, now: context.now)
        let profile = SessionSettings.profile(invocation, context)
        let session = StoredSession(
            server: server, realm: realm, clientId: clientId, grant: grant, username: user,
            passwordSource: password?.source, clientSecretSource: secret?.source,
            accessToken: tokens.accessToken, accessTokenExpiresAt: tokens.accessTokenExpiresAt,
            refreshToken: tokens.refreshToken, refreshTokenExpiresAt: tokens.refreshTokenExpiresAt,
            insecure: options.insecure, caCertificateFile: try storedCAFile(options, store, profile: profile),
            clientKeystore: signed?.reference)
        try store.save(session, as: profile)
        if context.kcadmMode {
            context.stderr.write(
                "Logging into \(server) as \(user.map { "user \($0)" } ?? "service-account-\(clientId)") of realm \(realm)\n")
        } else {
            let who = user ?? "the service account of client \(clientId)"
            context.stderr.write("Logged in to \(server) realm \(realm) as \(who) (profile \(profile))\n")
        }
        return .ok
    }

    /// The CA file the session keeps: --cacert's or a PEM --truststore's own path, or the
    /// certificates of a PKCS#12 --truststore written next to the config file.
    /// The transport options of a login: the command line's, else the truststore `config
    /// truststore` set for the profile.
    static func loginTransportOptions(_ invocation: Invocation, _ context: CommandContext) throws -> TransportOptions {
        var options = try SessionSettings.transportOptions(invocation, context: context)
        if options.caCertificateFile == nil && options.caCertificatePEM == nil,
            let file = try SessionSettings.store(invocation, context).truststore(
                for: SessionSettings.profile(invocation, context))
        {
            do { _ = try FileSystem.readFile(file, limit: .data) } catch {
                throw KcxError.usage(
                    "the truststore set with config truststore: \(error.description)",
                    hint: "set it again with config truststore FILE, or remove it with config truststore --delete")
            }
            options.caCertificateFile = file
        }
        return options
    }

    static func storedCAFile(_ options: TransportOptions, _ store: ConfigStore, profile: String) throws -> String? {
        if let pem = options.caCertificatePEM {
            return try Truststore.storedFile(.pem(pem), store, profile: profile, login: true)
        }
        return try Truststore.storedFile(options.caCertificateFile.map { .file($0) }, store, profile: profile, login: true)
    }

    private static let credentialsUsage =
        "usage: kcx config credentials --server URL --realm REALM (--user NAME | --client ID); see 'kcx config credentials --help'"

    struct ResolvedSecret {
        var value: String
        /// Where to read it again for a later login; nil for stdin, a prompt or argv.
        var source: SecretSource?
    }

    enum SecretKind {
        case password, clientSecret

        var stdinFlag: String { self == .password ? "password-stdin" : "secret-stdin" }
        var fileOption: String { self == .password ? "password-file" : "secret-file" }
        var valueOption: String { self == .password ? "password" : "secret" }
        var environmentName: String { self == .password ? "KCX_PASSWORD" : "KCX_CLIENT_SECRET" }
        var options: [String] { [stdinFlag, fileOption, valueOption] }
    }

    /// One explicit option (stdin, file or argv) wins; two are a usage error. Without one: the
    /// environment variable, then a prompt without echo when standard input is a terminal.
    static func resolveSecret(
        _ kind: SecretKind, _ invocation: Invocation, _ context: CommandContext, prompt: String,
        useEnvironment: Bool = true, usePrompt: Bool = true
    ) throws -> ResolvedSecret? {
        let given = kind.options.filter { invocation.flag($0) }
        if given.count > 1 {
            throw KcxError.usage("give only one of " + given.map { "--" + $0 }.joined(separator: ", "))
        }
        if invocation.flag(kind.stdinFlag) {
            let bytes: [UInt8]
            do { bytes = try context.stdin.readAll(limit: .secret) } catch {
                throw KcxError.usage("--\(kind.stdinFlag): \(error)")
            }
            let value = SecretSource.firstLine(bytes)
            if value.isEmpty { throw KcxError.usage("--\(kind.stdinFlag): standard input is empty") }
            return ResolvedSecret(value: value, source: nil)
        }
        if let file = invocation.value(kind.fileOption) {
            let source = SecretSource.file(FileSystem.absolutePath(file))
            do {
                return ResolvedSecret(value: try source.read(environment: context.environment), source: source)
            } catch let error as KcxError {
                throw KcxError.usage("--\(kind.fileOption): \(error.message)")
            }
        }
        if let value = invocation.value(kind.valueOption) {
            if value.isEmpty { throw KcxError.usage("--\(kind.valueOption) is empty") }
            CommandLineSecrets.warn(
                "--\(kind.valueOption)", use: "--\(kind.stdinFlag), --\(kind.fileOption) or \(kind.environmentName)", context)
            return ResolvedSecret(value: value, source: nil)
        }
        if useEnvironment, let value = nonEmpty(context.environment[kind.environmentName]) {
            return ResolvedSecret(value: value, source: .environment(kind.environmentName))
        }
        if usePrompt, context.stdin.isTerminal, let value = context.stdin.readSecret(prompt: prompt), !value.isEmpty {
            return ResolvedSecret(value: value, source: nil)
        }
        // kcadm reads it from standard input when that is not a terminal (`< password.txt`).
        if usePrompt, !context.stdin.isTerminal, let bytes = try? context.stdin.readAll(limit: .secret) {
            let value = SecretSource.firstLine(bytes)
            if !value.isEmpty { return ResolvedSecret(value: value, source: nil) }
        }
        return nil
    }

    // MARK: status

    /// kcadm's `config credentials --status`: one line on stdout, exit 0 either way. Logged in means
    /// an access token that stays valid for more than 5 s (kcadm's AUTH_BUFFER_TIME); nothing is sent.
    static func credentialsStatus(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let others = ["server", "realm", "user", "client", "password", "password-file", "secret", "secret-file", "keystore"]
        if let given = others.first(where: { invocation.value($0) != nil })
            ?? (invocation.flag("password-stdin") ? "password-stdin" : nil)
        {
            throw KcxError.usage(
                "--status checks the stored session: it takes no --\(given)",
                hint: "run it alone: kcx config credentials --status")
        }
        let store = SessionSettings.store(invocation, context)
        let session = try store.session(named: SessionSettings.profile(invocation, context))
        let now = context.now()
        if let session, session.accessToken != nil, let expiry = session.accessTokenExpiresAt, expiry.timeIntervalSince(now) > 5 {
            let seconds = Int(expiry.timeIntervalSince(now))
            context.stdout.write(
                "Logged in (server: \(session.server), realm: \(session.realm), expired: false, timeToExpiry: \(seconds)s from now)\n"
            )
        } else {
            context.stdout.write("You are not logged in\n")
        }
        return .ok
    }

    static func runStatus(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        try ProvisioningSession.validateOutput(invocation)
        let store = SessionSettings.store(invocation, context)
        let profile = SessionSettings.profile(invocation, context)
        guard let session = try store.session(named: profile) else {
            throw KcxError(
                .authentication, "not logged in: no session '\(profile)' in \(store.path)",
                hint: SessionSettings.loginHint(profile: profile, session: nil))
        }
        let now = context.now()
        var lines: [(String, String)] = [
            ("profile", "\(profile) (\(store.path))"),
            ("server", session.server),
            ("realm", session.realm),
            ("client", "\(session.clientId) (\(session.grant == .password ? "password" : "client credentials") grant)"),
        ]
        if let user = session.username { lines.append(("user", user)) }
        if session.insecure { lines.append(("tls", "certificate verification disabled (--insecure)")) }
        if let file = session.caCertificateFile { lines.append(("tls", "CA certificates from \(file) (--cacert)")) }
        lines.append(
            ("access token", validity(present: session.accessToken != nil, until: session.accessTokenExpiresAt, now: now)))
        lines.append(
            ("refresh token", validity(present: session.refreshToken != nil, until: session.refreshTokenExpiresAt, now: now)))
        let source = session.grant == .password ? session.passwordSource : session.clientSecretSource
        let secretName = session.grant == .password ? "password" : "client secret"
        if let keystore = session.clientKeystore {
            lines.append(("keystore", "\(keystore.file) (alias \(keystore.alias); signed JWT)"))
            let renewable = keystore.canSignAgain && (session.grant == .clientCredentials || session.passwordSource != nil)
            let from = [keystore.storePasswordSource, keystore.keyPasswordSource].compactMap { $0.map { "\($0)" } }.joined(
                separator: ", ")
            lines.append(
                ("re-login", renewable ? "automatic, keystore passwords from \(from)" : "by hand (kcx config credentials)"))
        } else {
            lines.append(("re-login", source.map { "automatic, \(secretName) from \($0)" } ?? "by hand (kcx config credentials)"))
        }
        if invocation.wantsJSON {
            context.stdout.write(statusJSON(session, profile: profile, path: store.path, now: now).serialized(.pretty) + "\n")
            return .ok
        }
        let width = lines.map(\.0.count).max()! + 2
        var text = ""
        for (label, value) in lines {
            text += label + ":" + String(repeating: " ", count: width - label.count - 1) + value + "\n"
        }
        context.stdout.write(text)
        return .ok
    }

    /// `config status -o json`: the same facts as the text, as values (times in UTC, never a token).
    static func statusJSON(_ session: StoredSession, profile: String, path: String, now: Date) -> JSON {
        func token(_ present: Bool, _ expiry: Date?) -> JSON {
            var object = JSONObject([("present", .bool(present))])
            object["expiresAt"] = expiry.map { .string(formatUTC($0)) } ?? .null
            object["expired"] = .bool(present && expiry.map { $0 <= now } == true)
            return .object(object)
        }
        let source = session.grant == .password ? session.passwordSource : session.clientSecretSource
        var object = JSONObject([
            ("profile", .string(profile)), ("configFile", .string(path)), ("server", .string(session.server)),
            ("realm", .string(session.realm)), ("client", .string(session.clientId)),
            ("grant", .string(session.grant == .password ? "password" : "client_credentials")),
        ])
        object["user"] = session.username.map { .string($0) } ?? .null
        object["insecure"] = .bool(session.insecure)
        object["caCertificateFile"] = session.caCertificateFile.map { .string($0) } ?? .null
        object["accessToken"] = token(session.accessToken != nil, session.accessTokenExpiresAt)
        object["refreshToken"] = token(session.refreshToken != nil, session.refreshTokenExpiresAt)
        object["reLogin"] = source.map { .string("\($0)") } ?? .null
        if let keystore = session.clientKeystore {
            object["keystore"] = .object(JSONObject([("file", .string(keystore.file)), ("alias", .string(keystore.alias))]))
            let renewable = keystore.canSignAgain && (session.grant == .clientCredentials || session.passwordSource != nil)
            let from = [keystore.storePasswordSource, keystore.keyPasswordSource].compactMap { $0.map { "\($0)" } }.joined(
                separator: ", ")
            object["reLogin"] = renewable ? .string(from) : .null
        }
        return .object(object)
    }

    static func validity(present: Bool, until expiry: Date?, now: Date) -> String {
        guard present else { return "none" }
        guard let expiry else { return "valid, no expiry" }
        let remaining = Int(expiry.timeIntervalSince(now).rounded(.down))
        if remaining > 0 {
            return "valid until \(formatUTC(expiry)) (\(formatDuration(remaining)) left)"
        }
        return "expired at \(formatUTC(expiry)) (\(formatDuration(-remaining)) ago)"
    }

    /// `2026-05-01 12:00:00 UTC`
    static func formatUTC(_ date: Date) -> String {
        UTCTime(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down))).readable
    }

    /// `45s`, `4m 05s`, `2h 03m`, `3d 4h`.
    static func formatDuration(_ seconds: Int) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m \(two(seconds % 60))s"
        case ..<86_400: return "\(seconds / 3600)h \(two(seconds / 60 % 60))m"
        default: return "\(seconds / 86_400)d \(seconds / 3600 % 24)h"
        }
    }

    // MARK: logout

    static func runLogout(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let store = SessionSettings.store(invocation, context)
        let profile = SessionSettings.profile(invocation, context)
        guard let session = try store.session(named: profile) else {
            context.stderr.write("Not logged in (profile \(profile)); nothing to do\n")
            return .ok
        }
        // Ending the server session is pointless if the profile cannot be removed afterwards.
        try store.checkWritable()
        if session.refreshToken != nil {
            let transport = try SessionSettings.transport(invocation, context, stored: session)
            let tokens = TokenManager(
                session: session, transport: transport, environment: context.environment, now: context.now, loginHint: "")
            do {
                try tokens.logout()
            } catch let error as KcxError {
                context.warn("the server did not end the session: \(error.message)")
            }
        }
        try store.save(nil, as: profile)
        // The certificates a PKCS#12 --truststore of config credentials left go with the session;
        // those of config truststore stay with the profile's truststore setting.
        _ = try? Truststore.storedFile(nil, store, profile: profile, login: true)
        context.stderr.write("Logged out of \(session.server) realm \(session.realm) (profile \(profile))\n")
        return .ok
    }
}
