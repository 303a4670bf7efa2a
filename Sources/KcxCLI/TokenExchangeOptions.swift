// The options of `kcx token-exchange …` (allow, deny, enable, status, check, downscope, audit),
// read and checked in one pure step before any request.
import KeycloakKit

/// allow and deny: --from and --to (both required), the mechanism, and allow's --subject-client.
struct ExchangePairOptions: CommandOptions {
    let from: String
    let to: String
    let mode: ExchangeMode
    /// allow only (deny does not declare it).
    let subjectClient: String?
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        (from, to) = try TokenExchangeCommands.pairOptions(invocation)
        mode = try invocation.choice("mode", as: ExchangeMode.self) ?? .auto
        subjectClient = invocation.valueIfDeclared("subject-client")
        output = try invocation.textOrJSON()
    }
}

struct ExchangeEnableOptions: CommandOptions {
    let client: String
    let allowRefresh: Bool
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        client = try ClientScopeCommands.requiredClient(invocation)
        allowRefresh = invocation.flag("allow-refresh")
        output = try invocation.textOrJSON()
    }
}

/// Commands that act on every client, or only on those named by the repeatable --client.
struct ClientsFilterOptions: CommandOptions {
    let clients: [String]
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        clients = invocation.all("client")
        output = try invocation.textOrJSON()
    }
}

struct ExchangeCheckOptions: CommandOptions {
    let from: String
    let to: String
    let subjectClient: String?
    let user: String?
    let live: Bool
    /// With --live: the token to exchange, `-` for standard input.
    let subjectToken: String?
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        (from, to) = try TokenExchangeCommands.pairOptions(invocation)
        subjectClient = invocation.value("subject-client")
        user = invocation.value("user")
        if user != nil && subjectClient == nil {
            throw KcxError.usage("--user goes with --subject-client: the client whose user's token is exchanged")
        }
        live = invocation.flag("live")
        subjectToken = invocation.value("subject-token")
        if !live {
            for option in ["subject-token", "secret", "secret-file", "secret-stdin"] where invocation.flag(option) {
                throw KcxError.usage("--\(option) goes with --live")
            }
        }
        if subjectToken == "-" && invocation.flag("secret-stdin") {
            throw KcxError.usage(
                "--subject-token - and --secret-stdin cannot both read standard input",
                hint: "put the secret in a file (--secret-file)")
        }
        output = try invocation.textOrJSON()
    }
}

struct ExchangeAuditOptions: CommandOptions {
    let enable: Bool
    /// --since in seconds.
    let sinceSeconds: Int64?
    let client: String?
    let dryRun: Bool
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        sinceSeconds = try invocation.value("since").map(TokenExchangeSecurityCommands.seconds(ofDuration:))
        enable = invocation.flag("enable")
        dryRun = invocation.flag("dry-run")
        if dryRun && !enable { throw KcxError.usage("--dry-run only applies with --enable") }
        client = invocation.value("client")
        output = try invocation.textOrJSON()
    }
}
