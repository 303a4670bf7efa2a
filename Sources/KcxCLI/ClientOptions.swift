// The options of `kcx client …`, `kcx realm ensure`, `kcx doctor` and `kcx graph`, read and
// checked in one pure step before any request.
import KeycloakKit

struct ClientSecretOptions: CommandOptions {
    /// --out FILE; nil prints the secret.
    let out: String?
    let regenerate: Bool

    init(_ invocation: Invocation) throws {
        out = invocation.value("out")
        if let out {
            // Checked before any request: a secret just regenerated must have somewhere to go.
            let directory = FileSystem.parent(of: FileSystem.absolutePath(out))
            guard !out.isEmpty, !out.hasSuffix("/"), FileSystem.fileExists(directory) else {
                throw KcxError.usage("--out: '\(out)' is not a file in an existing directory")
            }
        }
        regenerate = invocation.flag("regenerate")
    }
}

struct ClientEnsureOptions: CommandOptions {
    let settings: ClientSettings
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        let publicClient: Bool
        switch (invocation.flag("public"), invocation.flag("confidential")) {
        case (true, false): publicClient = true
        case (false, true): publicClient = false
        case (true, true): throw KcxError.usage("--public and --confidential exclude each other")
        case (false, false): throw KcxError.usage("say which kind of client: --public or --confidential")
        }
        settings = ClientSettings(
            publicClient: publicClient, serviceAccount: invocation.flag("service-account"),
            redirectURIs: invocation.all("redirect-uri"))
        output = try invocation.textOrJSON()
    }
}

struct RealmEnsureOptions: CommandOptions {
    let dryRun: Bool
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        dryRun = invocation.flag("dry-run")
        output = try invocation.textOrJSON()
    }
}

struct DoctorOptions: CommandOptions {
    /// --fail-on: exit 7 when a finding is at least this severe.
    let failOn: SecurityCommands.Threshold?
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        failOn = try invocation.choice("fail-on", as: SecurityCommands.Threshold.self)
        output = try invocation.textOrJSON()
    }
}

struct GraphOptions: CommandOptions {
    /// -o/--output (or its older name --format): text, json, mermaid or dot.
    let output: SecurityCommands.GraphFormat

    init(_ invocation: Invocation) throws {
        output = try invocation.choice("output", as: SecurityCommands.GraphFormat.self) ?? .text
    }
}
