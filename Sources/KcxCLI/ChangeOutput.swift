// Shared pieces of the provisioning commands: the realm and dry-run options, opening a Writer,
// and reporting outcomes (text on stderr, or JSON on stdout with --output json).
import KcxJSON
import KeycloakKit

enum ProvisioningOptions {
    static let targetRealm = SharedOptions.targetRealm()
    static let dryRun = SharedOptions.dryRun
    static let output = SharedOptions.output()

    /// Options every mutating provisioning command takes.
    static let mutating: [OptionSpec] = [targetRealm, dryRun, output]
    /// Options every read-only provisioning command takes.
    static let reading: [OptionSpec] = [targetRealm, output]
}

/// The admin client and realm a provisioning command works on.
struct ProvisioningSession {
    let client: AdminClient
    let realm: String

    /// The command's typed options have checked -o/--output (its values differ: graph's mermaid).
    init(_ invocation: Invocation, _ context: CommandContext) throws {
        client = try openAdminClient(invocation, context)
        realm = invocation.value("target-realm") ?? client.realm
    }

    static func validateOutput(_ invocation: Invocation) throws {
        if let output = invocation.value("output"), output != "text", output != "json" {
            throw KcxError.usage("--output must be 'text' or 'json', not '\(output)'")
        }
    }

    func writer(_ invocation: Invocation) -> Writer {
        Writer(api: client, realm: realm, dryRun: invocation.flag("dry-run"))
    }
}

extension Invocation {
    var wantsJSON: Bool { value("output") == "json" }

    /// A `true`/`false` option value; anything else is a usage error naming the option.
    func bool(_ long: String) throws -> Bool? {
        guard let text = value(long) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw KcxError.usage("--\(long) takes true or false, not '\(text)'")
        }
    }

    /// One of a fixed set of words for an option.
    func choice<T: RawRepresentable & CaseIterable>(_ long: String, as type: T.Type) throws -> T? where T.RawValue == String {
        guard let text = value(long) else { return nil }
        guard let parsed = T(rawValue: text) else {
            let words = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw KcxError.usage("--\(long) must be one of \(words), not '\(text)'")
        }
        return parsed
    }

    /// The single positional a command requires (the router has already checked it is there).
    var firstPositional: String { positionals.first ?? "" }
}

enum ChangeOutput {
    /// Reports what the writer did: one line per object on stderr (details indented), or one JSON
    /// document on stdout. A dry run also lists the write requests it would have sent.
    static func report(_ writer: Writer, _ invocation: Invocation, _ context: CommandContext, extra: [(String, JSON)] = []) {
        if invocation.wantsJSON {
            var document = JSONObject([("realm", .string(writer.realm)), ("dryRun", .bool(writer.dryRun))])
            for (key, value) in extra { document[key] = value }
            document["changes"] = .array(writer.changes.map(\.json))
            if writer.dryRun {
                document["requests"] = .array(
                    writer.requests.map { request in
                        var object = JSONObject([("method", .string(request.method)), ("endpoint", .string(request.endpoint))])
                        if let body = request.body { object["body"] = body }
                        return .object(object)
                    })
            }
            context.stdout.write(JSON.object(document).serialized(.pretty) + "\n")
            return
        }
        for change in writer.changes {
            let verb =
                writer.dryRun && change.outcome != .unchanged ? "would be \(change.outcome.rawValue)" : change.outcome.rawValue
            context.stderr.write("\(verb): \(change.kind) \(change.name)\n")
            // A new object's every field is in the request list of a dry run; details say what changed.
            if change.outcome != .created || writer.dryRun {
                for detail in change.details { context.stderr.write("    \(detail)\n") }
            }
        }
        if writer.dryRun {
            if writer.requests.isEmpty {
                context.stderr.write("dry run: nothing to change\n")
            } else {
                context.stderr.write("dry run: nothing was changed; a real run would send:\n")
                for request in writer.requests { context.stderr.write("    \(request.description)\n") }
            }
        }
    }
}
