// `kcx __complete KIND -- WORDS…`: the names the shell completion scripts offer for --client,
// --from, --to, --audience, --scope, -r, --user and `kcx get <Tab>`, asked of the logged-in server
// with a short timeout and kept a minute in a small cache. Whatever goes wrong (offline, not
// logged in, no rights), it prints nothing and exits 0: a Tab must never print an error.
import FoundationEssentials
import KcxJSON
import KeycloakKit

public enum LiveCompletion {
    /// Seconds a cached answer is used; seconds a request may take.
    static let cacheLifetime: Double = 60
    static let timeout = "2"
    /// At most this many names per answer (and per cache file).
    static let limit = 1000

    /// Endpoints offered for `kcx get <Tab>` (relative to the realm, except realms and serverinfo).
    static let endpoints = [
        "clients", "client-scopes", "users", "groups", "roles", "components", "identity-provider/instances",
        "default-default-client-scopes", "default-optional-client-scopes", "authentication/flows", "events", "realms",
        "serverinfo",
    ]

    public static let spec = CommandSpec(
        ["__complete"], summary: "Names for shell completion (used by the completion scripts)",
        positionals: [
            PositionalSpec("KIND", "clients, scopes, realms, users or endpoints"),
            PositionalSpec("WORDS", "The words typed so far, after --", optional: true, repeatable: true),
        ],
        examples: [
            ExampleSpec("kcx __complete clients -- audience check -r myrealm --client", "The clientIds of myrealm, one a line")
        ],
        hidden: true,
        handler: { invocation, context in
            let kind = invocation.positionals[0]
            let words = Array(invocation.positionals.dropFirst())
            for name in names(kind, words: words, context) { context.stdout.write(name + "\n") }
            return .ok
        })

    /// `-r X`, `--target-realm X`, `--target-realm=X`, `-rX`, and --profile, --config and --timeout, from the words typed.
    static func settings(from words: [String]) -> [String: [String]] {
        var values: [String: [String]] = [:]
        var index = 0
        while index < words.count {
            let word = words[index]
            for (long, short) in [("target-realm", "r"), ("realm", nil), ("profile", nil), ("config", nil), ("timeout", nil)]
                as [(String, String?)]
            {
                if word == "--" + long || (short != nil && word == "-" + short!), index + 1 < words.count {
                    values[long == "realm" ? "target-realm" : long] = [words[index + 1]]
                } else if word.hasPrefix("--\(long)=") {
                    values[long == "realm" ? "target-realm" : long] = [String(word.dropFirst(long.count + 3))]
                } else if let short, word.hasPrefix("-" + short), !word.hasPrefix("--"), word.count > 2 {
                    values[long] = [String(word.dropFirst(2))]
                }
            }
            index += 1
        }
        return values
    }

    static func names(_ kind: String, words: [String], _ context: CommandContext) -> [String] {
        if kind == "endpoints" { return endpoints }
        guard ["clients", "scopes", "realms", "users"].contains(kind) else { return [] }
        // A quiet world: no prompt (stdin is no terminal), no warning reaches the shell's line.
        let quiet = CommandContext(
            stdout: Discard(), stderr: Discard(), stdin: NoInput(), environment: context.environment,
            makeTransport: context.makeTransport, now: context.now)
        var values = settings(from: words)
        // The short default, unless the line being completed names its own --timeout.
        if values["timeout"] == nil { values["timeout"] = [timeout] }
        values["retries"] = ["0"]
        let invocation = Invocation(command: spec, values: values, positionals: [])
        guard let client = try? openAdminClient(invocation, quiet) else { return [] }
        let realm = values["target-realm"]?.first ?? client.realm
        let cache = cacheFile(context.environment, key: "\(client.server)\n\(kind == "realms" ? "" : realm)\n\(kind)")
        if let cache, let cached = read(cache, now: context.now()) { return cached }
        let endpoint: Endpoint
        let field: String
        var query: [(String, String)] = []
        switch kind {
        case "clients": (endpoint, field, query) = ("clients", "clientId", [("first", "0"), ("max", "\(limit)")])
        case "scopes": (endpoint, field) = ("client-scopes", "name")
        case "users":
            (endpoint, field, query) = (
                "users", "username", [("briefRepresentation", "true"), ("first", "0"), ("max", "\(limit)")]
            )
        default: (endpoint, field, query) = ("realms", "realm", [("briefRepresentation", "true")])
        }
        guard let response = try? client.send(method: "GET", endpoint: endpoint, realm: realm, query: query, body: nil),
            let list = response.json?.arrayValue
        else { return [] }
        let names = Array(
            list.compactMap { $0[field]?.stringValue }.filter { !$0.isEmpty && !$0.contains(where: \.isWhitespace) }.sorted()
                .prefix(limit))
        if let cache { write(cache, names, now: context.now()) }
        return names
    }

    /// `$XDG_CACHE_HOME/kcx` (or `~/.cache/kcx`), 0700; one small file per server, realm and kind.
    static func cacheFile(_ environment: [String: String], key: String) -> String? {
        let base: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = home + "/.cache"
        } else {
            return nil
        }
        let directory = base + "/kcx"
        guard FileSystem.fileExists(base) || (try? FileSystem.makePrivateDirectory(base)) != nil,
            (try? FileSystem.makePrivateDirectory(directory)) != nil || FileSystem.fileExists(directory)
        else { return nil }
        // FNV-1a: a stable short name; the key is also stored inside and checked on reading.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return directory + "/complete-" + String(hash, radix: 16)
    }

    static func read(_ path: String, now: Date) -> [String]? {
        guard let bytes = try? FileSystem.readFile(path, limit: .config), let json = try? JSON.parse(bytes),
            let at = json["at"]?.doubleValue, now.timeIntervalSince1970 - at < cacheLifetime, now.timeIntervalSince1970 >= at,
            let values = json["values"]?.arrayValue
        else { return nil }
        return values.compactMap(\.stringValue)
    }

    static func write(_ path: String, _ names: [String], now: Date) {
        let document: JSON = ["at": .double(now.timeIntervalSince1970), "values": .array(names.map { .string($0) })]
        try? FileSystem.writeAtomically(document.serializedBytes(), to: path)
    }
}

private final class Discard: TextSink, @unchecked Sendable {
    let isTerminal = false
    func write(_ text: String) {}
}

private final class NoInput: InputSource, @unchecked Sendable {
    func readAll(limit: ReadLimit) throws(FileSystemError) -> [UInt8] { [] }
    let isTerminal = false
    func readSecret(prompt: String) -> String? { nil }
    func readLine(prompt: String) -> String? { nil }
}
