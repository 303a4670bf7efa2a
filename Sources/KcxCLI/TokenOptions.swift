// The options of `kcx token …`, read and checked in one pure step before any secret is read or
// request sent. Secrets themselves are resolved later (ConfigCommands.resolveSecret), since
// reading a file or standard input is not a pure step.
import KeycloakKit

/// -o/--output of the token commands that print a token response.
enum TokenOutput: String, CaseIterable, Sendable {
    case token, json, claims
}

/// --server, when given, must be an http(s) URL without user info (checked again where it is used).
private func checkedServer(_ invocation: Invocation) throws {
    if let server = invocation.value("server") { try SessionSettings.checkServerURL(server, source: "--server") }
}

struct TokenGetOptions: CommandOptions {
    let client: String
    let user: String?
    let scope: String?
    let output: TokenOutput

    init(_ invocation: Invocation) throws {
        guard let client = invocation.value("client") else {
            throw KcxError.usage("--client is required: the client requesting the token")
        }
        self.client = client
        output = try invocation.choice("output", as: TokenOutput.self) ?? .token
        if invocation.flag("password-stdin") && invocation.flag("secret-stdin") {
            throw KcxError.usage(
                "--password-stdin and --secret-stdin cannot both read standard input", hint: "put one of them in a file")
        }
        user = invocation.value("user")
        scope = invocation.value("scope")
        try checkedServer(invocation)
    }
}

struct TokenExchangeOptions: CommandOptions {
    let client: String
    /// A token, or `-` for standard input.
    let subjectToken: String
    let audiences: [String]
    let scope: String?
    let requestedType: RequestedTokenType?
    let output: TokenOutput

    init(_ invocation: Invocation) throws {
        guard let client = invocation.value("client") else {
            throw KcxError.usage("--client is required: the client that exchanges")
        }
        if let issuer = invocation.value("subject-issuer") {
            throw KcxError.usage(
                "--subject-issuer '\(issuer)': standard token exchange (Keycloak 26.2+) refuses the subject_issuer parameter (\"Parameter 'subject_issuer' is not supported for standard token exchange\"): it exchanges only access tokens issued by the realm itself",
                hint:
                    "for a token of another realm or an external identity provider, Keycloak needs identity brokering with the legacy exchange (features token-exchange and admin-fine-grained-authz:v1) and the provider's alias as subject_issuer; for a token of this realm, leave --subject-issuer out"
            )
        }
        guard let subject = invocation.value("subject-token") else {
            throw KcxError.usage("--subject-token is required (a token, or - for standard input)")
        }
        self.client = client
        subjectToken = subject
        output = try invocation.choice("output", as: TokenOutput.self) ?? .token
        requestedType = try invocation.choice("requested-token-type", as: RequestedTokenType.self)
        if subject == "-" && invocation.flag("secret-stdin") {
            throw KcxError.usage(
                "--subject-token - and --secret-stdin cannot both read standard input",
                hint: "put the secret in a file (--secret-file)")
        }
        audiences = invocation.all("audience")
        scope = invocation.value("scope")
        try checkedServer(invocation)
    }
}

struct TokenDecodeOptions: CommandOptions {
    let verify: Bool
    /// --issuer, checked and normalised; nil: the session's realm is trusted.
    let issuer: String?
    let audience: String?

    init(_ invocation: Invocation) throws {
        verify = invocation.flag("verify")
        for option in ["audience", "issuer", "server", "target-realm"] where invocation.value(option) != nil && !verify {
            throw KcxError.usage("--\(option) goes with --verify")
        }
        audience = invocation.value("audience")
        if let given = invocation.value("issuer") {
            if invocation.value("server") != nil || invocation.value("target-realm") != nil {
                throw KcxError.usage("--issuer names the server and realm itself: give it without --server and -r")
            }
            try SessionSettings.checkServerURL(given, source: "--issuer")
            guard !given.contains("?") && !given.contains("#") else {
                throw KcxError.usage(
                    "--issuer: '\(TerminalText.escape(given, newlines: false))' holds a query or fragment; an issuer URL has neither"
                )
            }
            issuer = AdminClient.normalizedServer(given)
        } else {
            issuer = nil
        }
        try checkedServer(invocation)
    }
}

struct TokenIntrospectOptions: CommandOptions {
    let client: String

    init(_ invocation: Invocation) throws {
        guard let client = invocation.value("client") else {
            throw KcxError.usage("--client is required: the client introspecting")
        }
        self.client = client
        if (invocation.positionals.first ?? "-") == "-" && invocation.flag("secret-stdin") {
            throw KcxError.usage(
                "the token and --secret-stdin cannot both come from standard input",
                hint: "put the secret in a file (--secret-file)")
        }
        try checkedServer(invocation)
    }
}
