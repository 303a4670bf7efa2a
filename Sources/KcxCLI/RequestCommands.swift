// kcx get|create|update|delete ENDPOINT: kcadm-style generic requests to the Admin REST API.
// Each verb parses and validates all local input first (no I/O but reading -f), then sends.
import Glibc
import KcxJSON
import KeycloakKit

public enum RequestCommands {
    static let endpoint = PositionalSpec(
        "ENDPOINT",
        "Path relative to /admin/realms/{realm}/ (e.g. clients); 'realms...' and 'serverinfo' are relative to /admin/; an http(s) URL on the session's server is used as is"
    )
    static let allowOtherHost = OptionSpec(
        "allow-other-host", "Send to an absolute ENDPOINT URL on another server than the session's (it receives the bearer token)")

    static let targetRealm = OptionSpec(
        "target-realm", short: "r", value: "REALM", "Realm the ENDPOINT is relative to (default: the login realm)")
    static let query = OptionSpec("query", short: "q", value: "NAME=VALUE", "Add a query parameter", repeatable: true)
    static let set = OptionSpec(
        "set", short: "s", value: "KEY=VALUE",
        "Set KEY to the string VALUE; KEY:=JSON sets a JSON value, KEY+=VALUE appends to an array",
        repeatable: true)
    static let delete = OptionSpec("delete", short: "d", value: "KEY", "Remove KEY from the body", repeatable: true)
    static let file = OptionSpec(
        "file", short: "f", value: "FILE", "Read the JSON body from FILE ('-' for standard input)", completion: .file)
    static let body = OptionSpec("body", short: "b", value: "JSON", "Use JSON as the body")
    static let fields = OptionSpec("fields", value: "LIST", "Keep only these fields, e.g. 'id,clientId,protocolMappers(name)'")
    static let format = OptionSpec(
        "format", value: "FORMAT", "Output format", completion: .choices(OutputFormat.allCases.map(\.rawValue)))
    static let compact = OptionSpec("compact", "Print JSON on one line (default: indented)")
    static let offset = OptionSpec("offset", value: "N", "Skip the first N results (Keycloak's 'first')")
    static let limit = OptionSpec("limit", value: "N", "Return at most N results (Keycloak's 'max')")
    static let printId = OptionSpec("id", short: "i", "Print only the new object's id (from the Location header) on stdout")
    static let merge = OptionSpec("merge", short: "m", "Read the current object, merge the changes into it, and send the result")

    static let bodyDiscussion = """
        The body is built from -f FILE or -b JSON (or an empty object when only -s is given), then
        every -s is applied in order, then every -d. KEY is a dotted path: attributes.name,
        attributes."include.in.token.scope" (quotes keep dots in a name), redirectUris[0] (an array
        element). KEY=VALUE always sets a string; KEY:=JSON sets any JSON value (true, 42, [..], {..});
        KEY+=VALUE and KEY+:=JSON append to an array. See docs/command-line-syntax.md.
        """

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["get"], summary: "Read a resource from the Admin REST API and print it",
            discussion: """
                Sends GET to ENDPOINT and prints the response: indented JSON by default, one line with
                --compact, or CSV / an aligned table with --format (nested values appear as compact JSON).
                --fields keeps only the named members of objects, also inside arrays of objects;
                'protocolMappers(name)' selects inside a nested member.
                """,
            positionals: [endpoint],
            options: [targetRealm, query, fields, format, compact, offset, limit, allowOtherHost],
            examples: [
                ExampleSpec(
                    "kcx get clients -r demo --fields id,clientId --format table", "List the clients of realm demo as a table"),
                ExampleSpec("kcx get clients -q clientId=account", "Find a client by its clientId"),
                ExampleSpec("kcx get users --offset 100 --limit 50 --compact", "Read the third page of 50 users, one JSON line"),
            ],
            handler: { invocation, context in try runGet(invocation, context) }),
        CommandSpec(
            ["create"], summary: "Create a resource with POST",
            discussion: """
                Sends POST to ENDPOINT with a JSON body. On success the new object's id (the last
                segment of the Location header) is reported on stderr as "Created new <thing> with id
                '<id>'", or printed alone on stdout with -i. A JSON response body is printed on stdout.

                """ + bodyDiscussion,
            positionals: [endpoint],
            options: [targetRealm, set, delete, file, body, query, printId, compact, allowOtherHost],
            examples: [
                ExampleSpec("kcx create clients -r demo -s clientId=api -s publicClient:=false", "Create a confidential client"),
                ExampleSpec(
                    "kcx create client-scopes -s name=api-audience -s protocol=openid-connect -s 'attributes.\"include.in.token.scope\"=false'",
                    "Create a client scope, with a dotted attribute name in quotes"),
                ExampleSpec("ID=$(kcx create clients -f client.json -i)", "Create a client from a file and keep its id"),
            ],
            handler: { invocation, context in try runCreate(invocation, context) }),
        CommandSpec(
            ["update"], summary: "Update a resource with PUT",
            discussion: """
                Sends PUT to ENDPOINT. Without -m the body is sent as given, so fields left out may be
                reset by Keycloak; with -m kcx first reads the object (GET ENDPOINT), merges -f/-b into it
                (objects member by member, arrays and other values replaced), applies -s and -d, and
                sends the whole result, as kcadm does.

                """ + bodyDiscussion,
            positionals: [endpoint],
            options: [targetRealm, set, delete, file, body, query, merge, compact, allowOtherHost],
            examples: [
                ExampleSpec("kcx update clients/$ID -m -s enabled:=false", "Disable a client, keeping its other settings"),
                ExampleSpec("kcx update realms/demo -s displayName='Demo realm'", "Set the realm's display name"),
                ExampleSpec("kcx update clients/$ID -m -s redirectUris+=https://app.example.com/*", "Add a redirect URI"),
            ],
            handler: { invocation, context in try runUpdate(invocation, context) }),
        CommandSpec(
            ["delete"], summary: "Delete a resource with DELETE",
            discussion: """
                Sends DELETE to ENDPOINT and prints nothing on success. A few endpoints take a body
                (removing role mappings takes the list of roles): give it with -f or -b.
                """,
            positionals: [endpoint],
            options: [targetRealm, query, file, body, allowOtherHost],
            examples: [
                ExampleSpec("kcx delete clients/$ID -r demo", "Delete a client by id"),
                ExampleSpec(
                    "kcx delete users/$USER/role-mappings/realm -b '[{\"id\":\"'$ROLE'\",\"name\":\"admin\"}]'",
                    "Remove a realm role from a user"),
            ],
            handler: { invocation, context in try runDelete(invocation, context) }),
    ]

    // MARK: Parse step

    /// Everything a request command needs, validated, before anything is sent.
    public struct Request: Sendable {
        public var method: String
        public var endpoint: Endpoint
        public var realm: String?
        public var query: [(String, String)]
        /// From -f or -b; nil when neither was given.
        public var body: JSON?
        public var sets: [SetExpression]
        public var deletions: [JSONPath]
        public var merge: Bool
        public var printIdOnly: Bool
        public var output: OutputOptions
    }

    public static func parse(_ invocation: Invocation, method: String, context: CommandContext) throws(KcxError) -> Request {
        let typed = invocation.positionals[0]
        if typed.isEmpty { throw KcxError.usage("ENDPOINT is empty", hint: "e.g. 'kcx \(invocation.command.name) clients'") }
        let endpoint = try Endpoint.typed(typed)
        var request = Request(
            method: method, endpoint: endpoint, realm: invocation.value("target-realm"), query: [], body: nil, sets: [],
            deletions: [], merge: invocation.flag("merge"), printIdOnly: invocation.flag("id"), output: OutputOptions())
        if let realm = request.realm, realm.isEmpty { throw KcxError.usage("--target-realm is empty") }
        if let realm = request.realm, URLEncoding.isUnusableSegment(realm) {
            throw KcxError.usage("invalid --target-realm '\(realm)': not a realm name")
        }

        for parameter in invocation.all("query") {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                throw KcxError.usage("invalid -q '\(parameter)': expected NAME=VALUE")
            }
            request.query.append((String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...])))
        }
        for (option, parameter) in [("offset", "first"), ("limit", "max")] {
            guard let text = invocation.value(option) else { continue }
            guard let number = Int(text), number >= 0 else {
                throw KcxError.usage("invalid --\(option) '\(text)': expected a whole number, 0 or more")
            }
            request.query.append((parameter, String(number)))
        }

        for expression in invocation.all("set") {
            do { request.sets.append(try SetExpression.parse(expression)) } catch {
                throw KcxError.usage("invalid -s \(error)", hint: "use KEY=VALUE for a string or KEY:=JSON for a JSON value")
            }
        }
        // A secret in -s is on argv like --password: say so (`credentials[0].value`, `secret`, `config.keyPassword`).
        let secretKeys = request.sets.compactMap { expression -> String? in
            guard case .key(let name)? = expression.path.components.last(where: { if case .key = $0 { return true } else { return false } }),
                Redaction.isSecretName(name) || name == "value" || Redaction.json(expression.value) != expression.value
            else { return nil }
            return name
        }
        if let first = secretKeys.first {
            CommandLineSecrets.warn("-s \(first)=…", use: "-f FILE or -f - (standard input) for the body", context)
        }
        for key in invocation.all("delete") {
            do { request.deletions.append(try JSONPath.parse(key)) } catch { throw KcxError.usage("invalid -d \(error)") }
        }
        if let list = invocation.value("fields") {
            do { request.output.fields = try FieldFilter.parse(list) } catch {
                throw KcxError.usage("invalid --fields \(error)", hint: "e.g. --fields 'id,clientId,protocolMappers(name)'")
            }
        }
        if let format = invocation.value("format") { request.output.format = OutputFormat(rawValue: format) ?? .json }
        request.output.compact = invocation.flag("compact")

        switch (invocation.value("file"), invocation.value("body")) {
        case (_?, _?):
            throw KcxError.usage("give the body either with -f/--file or with -b/--body, not both")
        case (let path?, nil):
            let bytes: [UInt8]
            let source: String
            source = path == "-" ? "standard input (-f -)" : "-f '\(path)'"
            do {
                bytes = path == "-" ? try context.stdin.readAll(limit: .data) : try FileSystem.readFile(path, limit: .data)
            } catch {
                throw KcxError.usage("cannot read \(source): \(error.reason)")
            }
            do { request.body = try JSON.parse(bytes) } catch { throw KcxError.usage("\(source) is not valid JSON: \(error)") }
        case (nil, let text?):
            do { request.body = try JSON.parse(text) } catch { throw KcxError.usage("-b is not valid JSON: \(error)") }
        case (nil, nil):
            break
        }
        if !(request.sets.isEmpty && request.deletions.isEmpty), let body = request.body, body.objectValue == nil {
            throw KcxError.usage("-s and -d edit a JSON object, but the body is \(kindName(body))")
        }
        if !request.deletions.isEmpty && request.body == nil && !request.merge {
            throw KcxError.usage("-d removes keys from a body, but there is none", hint: "use -d with -f, -b or -m")
        }
        if !request.merge {
            request.body = try editedBody(request.body, request)
        }
        return request
    }

    /// Applies -s then -d to `body` (an empty object when there is none and -s is given).
    static func editedBody(_ body: JSON?, _ request: Request) throws(KcxError) -> JSON? {
        guard !request.sets.isEmpty || !request.deletions.isEmpty else { return body }
        var edited = body ?? .object(JSONObject())
        do {
            for expression in request.sets { try edited.apply(expression) }
            for path in request.deletions { try edited.remove(path) }
        } catch {
            throw KcxError.usage(error.message)
        }
        return edited
    }

    static func kindName(_ value: JSON) -> String {
        switch value {
        case .array: return "an array"
        case .object: return "an object"
        case .string: return "a string"
        case .null: return "null"
        default: return "a \(value.serialized())"
        }
    }

    // MARK: Run step

    /// The session's client, once ENDPOINT is known to stay on its server: an absolute URL elsewhere
    /// would receive the bearer token, so it needs --allow-other-host.
    static func openClient(for request: Request, _ invocation: Invocation, _ context: CommandContext) throws -> AdminClient {
        let client = try openAdminClient(invocation, context)
        if !invocation.flag("allow-other-host") { try request.endpoint.requireServer(client.server) }
        return client
    }

    static func runGet(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let request = try parse(invocation, method: "GET", context: context)
        let client = try openClient(for: request, invocation, context)
        let response = try client.send(method: "GET", endpoint: request.endpoint, realm: request.realm, query: request.query)
        printBody(response, request.output, context)
        return .ok
    }

    static func runCreate(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let request = try parse(invocation, method: "POST", context: context)
        let client = try openClient(for: request, invocation, context)
        let response = try client.send(
            method: "POST", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body)
        let id = response.header("Location").map(createdId)
        if request.printIdOnly {
            guard let id else {
                throw KcxError(.serverError, "the server sent no Location header, so there is no new id to print")
            }
            context.stdout.write(id + "\n")
            return .ok
        }
        if let id { context.stderr.write("Created new \(thingName(request.endpoint.encoded)) with id '\(id)'\n") }
        printBody(response, request.output, context)
        return .ok
    }

    static func runUpdate(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        var request = try parse(invocation, method: "PUT", context: context)
        let client = try openClient(for: request, invocation, context)
        if request.merge {
            let current = try client.send(method: "GET", endpoint: request.endpoint, realm: request.realm, query: request.query)
            guard let currentValue = current.json else {
                throw KcxError(.serverError, "GET \(request.endpoint.readable) did not return JSON, so there is nothing to merge into")
            }
            let merged = request.body.map { currentValue.merging($0) } ?? currentValue
            request.body = try editedBody(merged, request)
        }
        let response = try client.send(
            method: "PUT", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body)
        printBody(response, request.output, context)
        return .ok
    }

    static func runDelete(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let request = try parse(invocation, method: "DELETE", context: context)
        let client = try openClient(for: request, invocation, context)
        _ = try client.send(
            method: "DELETE", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body)
        return .ok
    }

    /// JSON bodies are rendered; anything else (a SAML descriptor, plain text) is passed through.
    static func printBody(_ response: HTTPResponse, _ output: OutputOptions, _ context: CommandContext) {
        guard !response.body.isEmpty else { return }
        if let value = response.json {
            context.stdout.write(output.render(value))
        } else {
            let text = response.bodyText
            // Shown on a terminal with its control characters made visible; piped on as it came.
            let line = text.hasSuffix("\n") ? text : text + "\n"
            if context.stdout.isTerminal { context.stdout.write(line) } else { context.stdout.writeFormatted(line) }
        }
    }

    /// The last path segment of a Location URL, percent-decoded (Keycloak's ApiUtil.getCreatedId does the same).
    static func createdId(_ location: String) -> String {
        var path = Substring(location)
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<query] }
        while path.hasSuffix("/") { path = path.dropLast() }
        let segment = path.split(separator: "/").last.map(String.init) ?? ""
        return percentDecoded(segment)
    }

    static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What kcadm calls the created object: the endpoint's last word made singular (`client-scopes` → `client-scope`).
    static func thingName(_ endpoint: String) -> String {
        var path = Substring(endpoint)
        if let query = path.firstIndex(of: "?") { path = path[..<query] }
        let word = path.split(separator: "/").last.map(String.init) ?? "object"
        if word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.hasSuffix("s") && !word.hasSuffix("ss") { return String(word.dropLast()) }
        return word
    }
}
