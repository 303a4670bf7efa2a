// `kcx client …`: everyday client chores by clientId: its id, its secret, and making it exist.
import KcxJSON
import KeycloakKit

public enum ClientCommands {
    static let name = PositionalSpec("NAME", "The clientId (or the client's id)")

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["client", "id"], summary: "Print a client's id (the UUID the admin API paths use)",
            positionals: [name], options: ProvisioningOptions.reading,
            examples: [
                ExampleSpec(
                    "kcx get clients/$(kcx client id webapp -r myrealm)/default-client-scopes -r myrealm",
                    "Use the id in an ENDPOINT")
            ],
            handler: id),
        CommandSpec(
            ["client", "secret"], summary: "Print a confidential client's secret, or write it to a file",
            discussion: """
                Prints the secret on standard output, or with --out FILE writes it to FILE (mode 0600, replaced \
                atomically) and prints nothing. --regenerate makes Keycloak issue a new secret first (the old one \
                stops working). The secret never appears in -v traces. A public client has no secret (exit 2).
                """,
            positionals: [name],
            options: [
                OptionSpec("regenerate", "Issue a new secret first; the old one stops working"),
                OptionSpec("out", value: "FILE", "Write the secret to FILE (0600) instead of standard output", completion: .file),
                ProvisioningOptions.targetRealm,
            ],
            examples: [
                ExampleSpec("kcx client secret service-a --out service-a.secret -r myrealm", "Save the secret for --secret-file"),
                ExampleSpec("kcx client secret service-a --regenerate --out service-a.secret -r myrealm", "Rotate it"),
            ],
            handler: secret),
        CommandSpec(
            ["client", "ensure"], summary: "Create an OpenID Connect client, or bring an existing one to the settings given",
            discussion: """
                --public or --confidential is required. --service-account turns service accounts on (confidential \
                only); --redirect-uri adds a redirect URI (existing ones stay). A second run reports 'unchanged'. \
                The client is not marked as kcx's, so no 'apply --prune' deletes it.
                """,
            positionals: [name],
            options: [
                OptionSpec("public", "A public client (browser or mobile app; no secret)"),
                OptionSpec("confidential", "A confidential client (has a secret)"),
                OptionSpec("service-account", "Turn on its service account (client-credentials grant)"),
                OptionSpec("redirect-uri", value: "URI", "Add a valid redirect URI", repeatable: true),
            ] + ProvisioningOptions.mutating,
            examples: [
                ExampleSpec(
                    "kcx client ensure webapp --public --redirect-uri 'https://app.example.com/*' -r myrealm", "A browser app"),
                ExampleSpec("kcx client ensure service-a --confidential --service-account -r myrealm", "A backend service"),
            ],
            handler: ensure),
    ]

    static func id(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try OutputOnlyOptions(invocation)
        let session = try ProvisioningSession(invocation, context)
        let client = try Lookup(api: session.client, realm: session.realm).requireClient(invocation.firstPositional)
        if options.output == .json {
            let document: JSON = ["clientId": .string(client.clientId), "id": .string(client.id)]
            context.stdout.write(document.serialized(.pretty) + "\n")
        } else {
            context.stdout.write(client.id + "\n")
        }
        return .ok
    }

    static func secret(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ClientSecretOptions(invocation)
        let out = options.out
        let session = try ProvisioningSession(invocation, context)
        let client = try Lookup(api: session.client, realm: session.realm).requireClient(invocation.firstPositional)
        if client.representation["publicClient"]?.boolValue == true {
            throw KcxError.usage("client '\(client.clientId)' is public: it has no secret")
        }
        let endpoint: Endpoint = "clients/\(client.id)/client-secret"
        let response = try session.client.send(
            method: options.regenerate ? "POST" : "GET", endpoint: endpoint, realm: session.realm, query: [], body: nil)
        guard let value = response.json?["value"]?.stringValue, !value.isEmpty else {
            throw KcxError(
                .serverError,
                "client '\(client.clientId)' has no secret in the answer (is it a bearer-only or signed-JWT client?)")
        }
        if let out {
            do {
                try FileSystem.writeAtomically(Array((value + "\n").utf8), to: out)
            } catch {
                let again = Shell.kcx("client", "secret", client.clientId, "-r", session.realm)
                throw KcxError(
                    .serverError, "--out: \(error)", hint: "the secret is unchanged on the server since; print it with \(again)")
            }
            context.stderr.write(
                "\(options.regenerate ? "regenerated; " : "")secret of '\(client.clientId)' written to \(out) (mode 0600)\n")
        } else {
            context.stdout.write(value + "\n")
            if options.regenerate {
                context.stderr.write("regenerated: the old secret of '\(client.clientId)' no longer works\n")
            }
        }
        return .ok
    }

    static func ensure(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let settings = try ClientEnsureOptions(invocation).settings
        let session = try ProvisioningSession(invocation, context)
        let writer = session.writer(invocation)
        try writer.ensureClient(invocation.firstPositional, settings)
        ChangeOutput.report(writer, invocation, context)
        return .ok
    }
}

/// `kcx realm ensure`.
public enum RealmCommands {
    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["realm", "ensure"], summary: "Create a realm if it does not exist",
            discussion:
                "Creates realm NAME, enabled, when it is missing (the account needs 'create-realm' in master); an existing realm is left as it is ('unchanged'). The realm is not marked as kcx's, so no 'apply --prune' deletes it.",
            positionals: [PositionalSpec("NAME", "The realm's name")],
            options: [ProvisioningOptions.dryRun, ProvisioningOptions.output],
            examples: [ExampleSpec("kcx realm ensure myrealm", "Make sure myrealm exists")],
            handler: { invocation, context in
                let options = try RealmEnsureOptions(invocation)
                let client = try openAdminClient(invocation, context)
                let writer = Writer(api: client, realm: invocation.firstPositional, dryRun: options.dryRun)
                try writer.ensureRealm(invocation.firstPositional)
                ChangeOutput.report(writer, invocation, context)
                return .ok
            })
    ]
}
