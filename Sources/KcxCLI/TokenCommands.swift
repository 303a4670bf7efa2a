// `kcx token …`: get, exchange, decode and introspect real tokens, to see a configuration work.
import FoundationEssentials
import KcxJSON
import KeycloakKit

public enum TokenCommands {
    static let secretOptions: [OptionSpec] = [
        OptionSpec("secret-stdin", "Read the client secret from the first line of standard input"),
        OptionSpec("secret-file", value: "FILE", "Read the client secret from the first line of FILE", completion: .file),
        OptionSpec("secret", value: "SECRET", "The client secret itself (visible to other users; prints a warning)"),
    ]
    static let passwordOptions: [OptionSpec] = [
        OptionSpec("password-stdin", "Read the user's password from the first line of standard input"),
        OptionSpec("password-file", value: "FILE", "Read the user's password from the first line of FILE", completion: .file),
        OptionSpec("password", value: "PASSWORD", "The password itself (visible to other users; prints a warning)"),
    ]
    static let output = SharedOptions.output(
        ["token", "json", "claims"],
        "token (default: the access token alone), json (the whole response) or claims (the access token decoded)")
    static let server = SharedOptions.server()
    static let realm = SharedOptions.targetRealm("Realm of the token endpoint (default: $KCX_REALM or the session's realm)")

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["token", "get"], summary: "Get a token for a client (password or client-credentials grant)",
            discussion: """
                With --user, the password grant (the client needs direct access grants); without, the client's \
                service account. A confidential client's secret comes from --secret-stdin, --secret-file, \
                $KCX_CLIENT_SECRET or a prompt; the user's password from --password-stdin, --password-file, \
                $KCX_PASSWORD or a prompt. Prints the access token, so it can be piped into 'kcx token exchange \
                --subject-token -'.
                """,
            options: [
                SharedOptions.client("clientId requesting the token"),
                SharedOptions.user("Username for the password grant"),
                SharedOptions.scope("Scopes to request, space separated (optional scopes, openid)", value: "SCOPES"),
            ] + secretOptions + passwordOptions + [output, server, realm],
            examples: [
                ExampleSpec(
                    "kcx token get --client myapp --user alice --password-file pw.txt -r myrealm --output claims",
                    "alice's token from myapp, decoded"),
                ExampleSpec(
                    "KCX_CLIENT_SECRET=... kcx token get --client service-a -r myrealm", "A service-account token of service-a"),
            ],
            handler: get),
        CommandSpec(
            ["token", "exchange"], summary: "Exchange a token for one with another audience or fewer scopes (RFC 8693)",
            discussion: """
                Sends a token-exchange request as --client (which authenticates with its secret; the subject \
                token is NOT sent as Authorization). Refusals print Keycloak's error and the kcx command that fixes it.
                """,
            options: [
                SharedOptions.client("The requesting client (clientId)"),
                SharedOptions.subjectToken("The access token to exchange, or - for standard input"),
                SharedOptions.audience("clientId the new token is for", repeatable: true),
                SharedOptions.scope("Scopes to request, space separated", value: "SCOPES"),
                OptionSpec(
                    "requested-token-type", value: "TYPE", "access_token (default), refresh_token or id_token",
                    completion: .choices(["access_token", "refresh_token", "id_token"])),
                OptionSpec(
                    "subject-issuer", value: "ISSUER",
                    "Not sent: standard exchange refuses subject_issuer; kcx says why and what to use instead"),
            ] + secretOptions + [output, server, realm],
            examples: [
                ExampleSpec(
                    "kcx token get --client webapp --user alice --password-file pw | kcx token exchange --client service-a --subject-token - --audience service-b --secret-file sa.secret",
                    "service-a trades alice's token for one addressed to service-b")
            ],
            handler: exchange),
        CommandSpec(
            ["token", "decode"], summary: "Show a JWT's header and claims; with --verify, check it against the realm's keys",
            discussion: """
                Decodes without checking by default. --verify trusts one issuer, chosen before the token is read: \
                {server}/realms/{realm} of the session (or of --server, $KCX_SERVER, -r, $KCX_REALM), or --issuer URL; \
                without a session or --issuer it is a usage error. The token's iss must equal that issuer exactly, \
                its alg must be RS256 and its kid must name an RSA signing key for RS256 in the JWKS fetched from \
                {issuer}/protocol/openid-connect/certs; then the signature, exp and nbf, and with --audience the aud \
                claim are checked. No URL taken from the token (iss, jku, x5u) is ever contacted. A failed check \
                exits 7 and prints no claims; a verified token's header and claims go to standard output.
                """,
            positionals: [PositionalSpec("TOKEN", "The token, or - (the default) for standard input", optional: true)],
            options: [
                OptionSpec("verify", "Check signature, expiry and issuer against the keys of the session's realm (or --issuer)"),
                SharedOptions.audience("With --verify: require this value in aud", value: "AUD"),
                OptionSpec(
                    "issuer", value: "URL",
                    "With --verify: trust this issuer (https://HOST/realms/REALM) instead of the session's realm"),
                SharedOptions.server("With --verify: Keycloak's root URL (default: $KCX_SERVER or the session's server)"),
                SharedOptions.targetRealm(
                    "With --verify: the realm whose keys to trust (default: $KCX_REALM or the session's realm)"),
            ],
            examples: [
                ExampleSpec(
                    "kcx token get --client myapp --user alice -r demo | kcx token decode --verify -r demo --audience api-service",
                    "Verify and show a fresh token of realm demo"),
                ExampleSpec(
                    "kcx token decode --verify --issuer https://sso.example.com/realms/demo - < token.txt",
                    "Verify against an issuer named explicitly (no session needed)"),
            ],
            handler: decode),
        CommandSpec(
            ["token", "introspect"], summary: "Ask Keycloak whether a token is active, as a resource server would",
            positionals: [PositionalSpec("TOKEN", "The token, or - (the default) for standard input", optional: true)],
            options: [SharedOptions.client("The client introspecting (a confidential resource server)")] + secretOptions + [
                server, realm,
            ],
            examples: [
                ExampleSpec(
                    "kcx token introspect --client api-service --secret-file api.secret -r myrealm - < token.txt",
                    "Is this token active?")
            ],
            handler: introspect),
    ]

    /// Server and realm for the token endpoint: flags, then the environment, then the stored session.
    static func endpoint(_ invocation: Invocation, _ context: CommandContext) throws -> TokenRequests {
        guard let (server, realm, tls) = try serverAndRealm(invocation, context) else {
            throw KcxError.usage("no server: give --server URL, set KCX_SERVER, or log in with 'kcx config credentials'")
        }
        return TokenRequests(
            server: server, realm: realm, transport: try SessionSettings.transport(invocation, context, stored: tls))
    }

    /// `--server`, else `$KCX_SERVER`, else the session's server (nil when none), with `-r`, else
    /// `$KCX_REALM`, else the session's realm, else master.
    /// `tls` is the stored session when it is this server's, for its remembered --insecure/--cacert.
    static func serverAndRealm(_ invocation: Invocation, _ context: CommandContext) throws -> (
        server: String, realm: String, tls: StoredSession?
    )? {
        let stored =
            invocation.flag("no-config")
            ? nil : try SessionSettings.store(invocation, context).session(named: SessionSettings.profile(invocation, context))
        guard let server = invocation.value("server") ?? nonEmptyValue(context.environment["KCX_SERVER"]) ?? stored?.server else {
            return nil
        }
        try SessionSettings.checkServerURL(server, source: invocation.value("server") != nil ? "--server" : "KCX_SERVER")
        let realm =
            invocation.value("target-realm") ?? nonEmptyValue(context.environment["KCX_REALM"]) ?? stored?.realm ?? "master"
        return (server, realm, SessionSettings.tlsSession(stored, server: server))
    }

    static func nonEmptyValue(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }

    static func clientSecret(_ invocation: Invocation, _ context: CommandContext, client: String) throws -> String? {
        try ConfigCommands.resolveSecret(.clientSecret, invocation, context, prompt: "Secret of client \(client): ")?.value
    }

    static func get(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try TokenGetOptions(invocation)
        let (client, format, user) = (options.client, options.output, options.user)
        var password: String?
        if let user {
            password = try ConfigCommands.resolveSecret(.password, invocation, context, prompt: "Password for \(user): ")?.value
            guard password != nil else {
                throw KcxError.usage("no password for user \(user): give --password-stdin, --password-file FILE or KCX_PASSWORD")
            }
        }
        let endpoint = try endpoint(invocation, context)
        // A public client has no secret; only ask for one where the grant cannot work without it.
        let secret = try ConfigCommands.resolveSecret(
            .clientSecret, invocation, context, prompt: "Secret of client \(client): ", usePrompt: user == nil)?.value
        let response = try endpoint.get(
            clientId: client, secret: secret, username: user, password: password, scope: options.scope)
        try printTokenResponse(response, format: format, context)
        return .ok
    }

    static func exchange(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try TokenExchangeOptions(invocation)
        let (client, subject, format, requested) = (options.client, options.subjectToken, options.output, options.requestedType)
        if subject != "-" {
            CommandLineSecrets.warn("--subject-token", use: "--subject-token - and give the token on standard input", context)
        }
        let subjectToken = subject == "-" ? try tokenFromStdin(context) : subject
        let endpoint = try endpoint(invocation, context)
        let secret = try clientSecret(invocation, context, client: client)
        let response = try endpoint.exchange(
            clientId: client, secret: secret, subjectToken: subjectToken, audiences: options.audiences,
            scope: options.scope, requestedType: requested)
        try printTokenResponse(response, format: format, context)
        return .ok
    }

    static func tokenFromStdin(_ context: CommandContext) throws -> String {
        let bytes: [UInt8]
        do { bytes = try context.stdin.readAll(limit: .secret) } catch { throw KcxError.usage(error.description) }
        let text = String(decoding: bytes, as: UTF8.self)
        let token = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == " " }).first.map(String.init) ?? ""
        guard !token.isEmpty else { throw KcxError.usage("standard input holds no token") }
        return token
    }

    static func tokenArgument(_ invocation: Invocation, _ context: CommandContext) throws -> String {
        let argument = invocation.positionals.first ?? "-"
        if argument == "-" { return try tokenFromStdin(context) }
        CommandLineSecrets.warn("a token", use: "- and give the token on standard input", context)
        return argument
    }

    static func printTokenResponse(_ response: JSON, format: TokenOutput, _ context: CommandContext) throws {
        switch format {
        case .json:
            context.stdout.write(response.serialized(.pretty) + "\n")
        case .claims:
            let token = response["access_token"]?.stringValue ?? ""
            do {
                context.stdout.write(JSON.object(try JWT.decode(token).claims).serialized(.pretty) + "\n")
            } catch {
                throw KcxError(.serverError, "the access token in the answer is not a JWT: \(error)")
            }
        case .token:
            context.stdout.write((response["access_token"]?.stringValue ?? "") + "\n")
        }
    }

    static func decode(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try TokenDecodeOptions(invocation)
        // The issuer to trust is settled before the token is read: the token never chooses it.
        let issuer = options.verify ? try options.issuer ?? sessionIssuer(invocation, context) : nil
        let token = try tokenArgument(invocation, context)
        let jwt: JWT
        do {
            jwt = try JWT.decode(token)
        } catch {
            throw KcxError.usage("not a JWT: \(error)")
        }
        let document: JSON = ["header": .object(jwt.header), "claims": .object(jwt.claims)]
        guard let issuer else {
            context.stdout.write(document.serialized(.pretty) + "\n")
            return .ok
        }
        // Refused before any request: a token from elsewhere costs no fetch, and nothing it names
        // (iss, jku, x5u) is ever contacted.
        do {
            try jwt.checkBeforeFetchingKeys(trusting: issuer)
        } catch {
            throw verifyFailure(error)
        }
        // The session's remembered --insecure/--cacert apply when the issuer is on its server.
        let tls = options.issuer == nil ? try serverAndRealm(invocation, context)?.tls : nil
        let keys = try TokenRequests.jwks(
            issuer: issuer, transport: try SessionSettings.transport(invocation, context, stored: tls))
        do {
            _ = try JWT.verify(
                token, jwks: try JWKS(keys),
                expectations: JWTExpectations(
                    issuer: issuer, audience: options.audience, now: Int64(context.now().timeIntervalSince1970)))
        } catch {
            throw verifyFailure(error)
        }
        // Only a verified token's claims reach standard output, so a script cannot use unchecked ones.
        context.stdout.write(document.serialized(.pretty) + "\n")
        context.stderr.write(
            "verified: RS256 signature by \(issuer), not expired\(options.audience.map { ", aud contains \($0)" } ?? "")\n")
        return .ok
    }

    /// Without --issuer (checked in TokenDecodeOptions): `{server}/realms/{realm}` of the session (or
    /// --server / KCX_SERVER, -r / KCX_REALM), as `token get` resolves them; without one, a usage error.
    static func sessionIssuer(_ invocation: Invocation, _ context: CommandContext) throws -> String {
        guard let (server, realm, _) = try serverAndRealm(invocation, context) else {
            throw KcxError.usage(
                "--verify needs an issuer to trust: log in with 'kcx config credentials', or pass --issuer URL",
                hint: "for example: kcx token decode --verify --issuer https://keycloak.example.com/realms/myrealm")
        }
        return try TokenRequests.issuer(server: server, realm: realm)
    }

    /// A failed check (exit 7), with the way out when the token merely comes from another issuer.
    static func verifyFailure(_ error: any Error) -> KcxError {
        var hint: String?
        if case .wrongIssuer? = error as? JWTError {
            hint =
                "kcx trusts only the issuer it was given: name another realm of the same server with -r REALM, or the issuer with --issuer URL"
        }
        return KcxError(.checkFailed, "token does not verify: \(error)", hint: hint)
    }

    static func introspect(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let client = try TokenIntrospectOptions(invocation).client
        let token = try tokenArgument(invocation, context)
        let endpoint = try endpoint(invocation, context)
        let secret = try clientSecret(invocation, context, client: client)
        let response = try endpoint.introspect(clientId: client, secret: secret, token: token)
        context.stdout.write(response.serialized(.pretty) + "\n")
        return .ok
    }
}
