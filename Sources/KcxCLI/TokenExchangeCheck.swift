// `kcx token-exchange check`: will this exchange succeed, through which mechanism and path, or why
// not; with --live, a real exchange as proof.
import KcxJSON
import KeycloakKit

enum TokenExchangeCheck {
    static let specs: [CommandSpec] = [
        CommandSpec(
            ["token-exchange", "check"], summary: "Predict whether a client can exchange tokens for another, and why (not)",
            discussion: """
                Reads the realm once, as 'kcx graph' does, and makes Keycloak's checks in its order: the \
                requester is confidential; a subject token from --subject-client carries the requester in aud \
                (with --user, as that user's token would: Keycloak's evaluate-scopes); a path reaches TARGET \
                (standard: the requester's switch and an audience mapper in its scopes; legacy: the target's \
                permission). Prints each path, or each problem with the command that fixes it, and exits 7 when \
                the exchange would be refused. With --live, also asks Keycloak: gets a subject token (the \
                requester's own service-account token, or --subject-token) and exchanges it for TARGET.
                """,
            options: TokenExchangeCommands.pair + [
                SharedOptions.subjectClient("Client that obtained the subject token (default: the requester itself)"),
                SharedOptions.user("With --subject-client: the user whose token is exchanged"),
                OptionSpec("live", "Also perform a real exchange as proof (needs the requester's secret)"),
                SharedOptions.subjectToken(
                    "With --live: the token to exchange, or - for standard input (default: a service-account token of the requester)"
                ),
            ] + TokenCommands.secretOptions + ProvisioningOptions.reading,
            examples: [
                ExampleSpec(
                    "kcx token-exchange check --from service-a --to service-b -r myrealm", "Can service-a exchange for service-b?"
                ),
                ExampleSpec(
                    "kcx token-exchange check --from api --to backend --subject-client webapp --user alice -r myrealm",
                    "Can api exchange alice's webapp token for backend?"),
                ExampleSpec(
                    "kcx token-exchange check --from service-a --to service-b --live --secret-file a.secret -r myrealm",
                    "Prove it with a real exchange"),
            ],
            handler: check)
    ]

    static func check(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExchangeCheckOptions(invocation)
        let (from, to) = (options.from, options.to)
        let session = try ProvisioningSession(invocation, context)
        let prediction = try Lookup(api: session.client, realm: session.realm)
            .predictExchange(from: from, to: to, subjectClient: options.subjectClient, user: options.user)
        var live: JSON?
        var liveRefusal: String?
        if options.live {
            // The admin session's transport (its TLS choices, trace and retries): one connection, one warning.
            let endpoint = TokenRequests(server: session.client.server, realm: session.realm, transport: session.client.transport)
            (live, liveRefusal) = try exchangeLive(from: from, to: to, invocation, context, endpoint: endpoint)
        }
        if options.output == .json {
            var document = prediction.json
            if case .object(var object) = document {
                if options.live {
                    object["live"] =
                        live.map { ["issued": true, "claims": $0] } ?? ["issued": false, "error": .string(liveRefusal ?? "")]
                }
                document = .object(object)
            }
            context.stdout.write(document.serialized(.pretty) + "\n")
        } else {
            var text: String
            if prediction.possible {
                text =
                    "\(from) may exchange tokens for \(to):\n"
                    + prediction.paths.map { "  \($0.mechanism.rawValue), via \($0.via)\n" }.joined()
            } else {
                text = "\(from) cannot exchange tokens for \(to):\n"
                for problem in prediction.problems {
                    text += "  - \(problem.message)\n"
                    if let fix = problem.fix { text += "    fix: \(fix)\n" }
                }
            }
            if let live {
                let audience: String
                switch live["aud"] {
                case .string(let single)?: audience = single
                case .array(let many)?: audience = many.compactMap(\.stringValue).joined(separator: ", ")
                default: audience = "-"
                }
                text += "live: Keycloak issued a token (aud: \(audience), azp: \(live["azp"]?.stringValue ?? "-"))\n"
            } else if let liveRefusal {
                text += "live: Keycloak refused: \(liveRefusal)\n"
            }
            context.stdout.write(text)
        }
        let refusedLive = options.live && live == nil
        return prediction.possible && !refusedLive ? .ok : .checkFailed
    }

    /// A real exchange: the subject token given, or the requester's own service-account token.
    static func exchangeLive(
        from: String, to: String, _ invocation: Invocation, _ context: CommandContext, endpoint: TokenRequests
    ) throws
        -> (claims: JSON?, refusal: String?)
    {
        // ExchangeCheckOptions has refused `--subject-token -` with --secret-stdin before any request.
        let subjectOption = invocation.value("subject-token")
        if let subjectOption, subjectOption != "-" {
            CommandLineSecrets.warn("--subject-token", use: "--subject-token - and give the token on standard input", context)
        }
        let given = try subjectOption.map { $0 == "-" ? try TokenCommands.tokenFromStdin(context) : $0 }
        let secret = try TokenCommands.clientSecret(invocation, context, client: from)
        do {
            let subject: String
            if let given {
                subject = given
            } else {
                let own = try endpoint.get(clientId: from, secret: secret, username: nil, password: nil, scope: nil)
                subject = own["access_token"]?.stringValue ?? ""
            }
            let response = try endpoint.exchange(
                clientId: from, secret: secret, subjectToken: subject, audiences: [to], scope: nil, requestedType: .accessToken)
            return (JSON.object(try JWT.decode(response["access_token"]?.stringValue ?? "").claims), nil)
        } catch let error as KcxError where error.cause != nil {
            // Keycloak answered (or could not be reached): the refusal is the result, not a failure of kcx.
            return (nil, error.message + (error.hint.map { " (hint: \($0))" } ?? ""))
        }
    }
}
