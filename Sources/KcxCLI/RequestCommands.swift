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
        "allow-other-host", "Send to an absolute ENDPOINT URL on another server than the session's (it receives the bearer token)"
    )

    static let targetRealm = OptionSpec(
        "target-realm", short: "r", value: "REALM", "Realm the ENDPOINT is relative to (default: the login realm)")
    static let query = OptionSpec("query", short: "q", value: "NAME=VALUE", "Add a query parameter", repeatable: true)
    static let header = OptionSpec(
        "header", short: "h", value: "NAME=VALUE", "Set request header NAME to VALUE (-h alone, last, shows help)",
        repeatable: true)
    static let set = OptionSpec(
        "set", short: "s", value: "NAME=VALUE",
        "Set NAME to VALUE: JSON if VALUE is JSON (true, 42, [..], {..}), else a string; NAME+=VALUE adds to an array; NAME:=JSON insists on JSON",
        repeatable: true)
    static let delete = OptionSpec("delete", short: "d", value: "NAME", "Remove NAME from the body", repeatable: true)
    static let file = OptionSpec(
        "file", short: "f", value: "FILE", "Read the JSON body from FILE ('-' for standard input)", completion: .file)
    static let body = OptionSpec(
        "body", short: "b", value: "CONTENT", "Use CONTENT as the body, or as the JSON template -s and -d edit")
    static let fields = OptionSpec(
        "fields", short: "F", value: "FILTER", "Show only these fields, e.g. 'id,clientId,protocolMappers(name)', '*(*),-id'")
    static let format = OptionSpec(
        "format", value: "FORMAT", "Output format: json (default), csv (kcadm's: values only) or table",
        completion: .choices(OutputFormat.allCases.map(\.rawValue)))
    static let noQuotes = OptionSpec("noquotes", "With --format csv, print strings without quotes")
    static let compressed = OptionSpec("compressed", short: "c", "Print JSON on one line (default: indented)")
    static let compact = OptionSpec("compact", "Same as -c/--compressed")
    static let offset = OptionSpec("offset", short: "o", value: "N", "Skip the first N results (adds Keycloak's 'first')")
    static let limit = OptionSpec("limit", short: "l", value: "N", "Return at most N results (adds Keycloak's 'max')")
    static let printHeaders = OptionSpec(
        "print-headers", short: "H", "Print the response status line and headers on stdout first")
    static let printId = OptionSpec("id", short: "i", "Print only the new object's id (from the Location header) on stdout")
    static let output = OptionSpec("output", short: "o", "Print the resulting object (read back from the server) on stdout")
    static let merge = OptionSpec(
        "merge", short: "m", "Read the object, merge the changes into it and send it (the default unless -f is given)")
    static let noMerge = OptionSpec("no-merge", short: "n", "Send the body as given, without reading the object first")

    static let bodyDiscussion = """
        The body is built from -f FILE or -b CONTENT (or an empty object when only -s is given),
        then every -s and -d is applied in command-line order. NAME is a dotted path:
        attributes.name, attributes."include.in.token.scope" (quotes keep dots in a name),
        redirectUris[0] (an array element; an index past the end adds nulls). NAME=VALUE sets
        VALUE as JSON when it is one whole JSON value (true, 42, null, "text", [..], {..}) and as
        a string otherwise (007 stays "007"), as kcadm does; NAME+=VALUE adds VALUE to the array
        NAME. kcx's NAME:=JSON insists on JSON and reports where it is not. -d NAME removes NAME
        (or the array element). See docs/command-line-syntax.md and docs/kcadm.md.
        """

    static let outputDiscussion = """
        -o prints the object as the server now has it (read back with GET), indented as kcadm
        prints it, or on one line with -c; -F/--fields selects fields with kcadm's filter grammar.
        -H prints the response's status line and headers first. -h NAME=VALUE sends a request
        header (with a Content-Type other than application/json, -f and -b are sent as they are).
        Under the name kcadm.sh printed JSON ends without a newline on stdout and the newline goes
        to stderr, as kcadm prints it.
        """

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["get"], summary: "Read a resource from the Admin REST API and print it",
            discussion: """
                Sends GET to ENDPOINT and prints the response as kcadm does: indented JSON by default
                ("name" : value), one line with -c. --format csv prints kcadm's CSV: one line per
                object, values only (strings quoted; --noquotes drops the quotes), no header;
                --format table (kcx's own) prints an aligned table.

                -F/--fields is kcadm's filter: 'id,clientId' keeps those members of each object (in
                the object's order); 'protocolMappers(name,config(*))' selects inside a member; '*'
                is every member and '-id' leaves one out ('*(*),-id' is every member two levels
                deep but id). A member named without '(...)' that holds an object prints as {}: ask
                for its members with 'attributes(*)'.

                -o/--offset N and -l/--limit N add Keycloak's 'first' and 'max'; -q NAME=VALUE adds any
                other query parameter; -H prints the response headers first.

                Under the name kcadm.sh the JSON ends without a newline on stdout and the newline is
                printed on stderr, as kcadm prints it; CSV lines end on stdout under both names.
                """,
            positionals: [endpoint],
            options: [
                targetRealm, query, header, fields, format, noQuotes, compressed, compact, offset, limit, printHeaders,
                allowOtherHost,
            ]
                + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx get clients -r demo --fields id,clientId", "List the clients of realm demo, two fields each"),
                ExampleSpec(
                    "kcx get clients -r demo -q clientId=api -F id --format csv --noquotes", "Print the id of client api"),
                ExampleSpec(
                    "kcx get clients/$ID -r demo -F '*(*),-id,-protocolMappers' > template.json", "Keep a client as a template"),
                ExampleSpec("kcx get users -r demo --offset 100 --limit 50 -c", "Read the third page of 50 users, one JSON line"),
            ],
            handler: { invocation, context in try runGet(invocation, context) }),
        CommandSpec(
            ["create"], summary: "Create a resource with POST",
            discussion: """
                Sends POST to ENDPOINT with a JSON body. On success the new object's id (the last
                segment of the Location header) is reported on stderr as "Created new <thing> with id
                '<id>'", or printed alone on stdout with -i, or the new object is printed with -o
                (-o and -i exclude each other). Without -o the response body is not printed.

                """ + bodyDiscussion + "\n\n" + outputDiscussion,
            positionals: [endpoint],
            options: [
                targetRealm, set, delete, file, body, query, header, printId, output, fields, compressed, compact, printHeaders,
                allowOtherHost,
            ] + KcadmAuth.specs,
            examples: [
                ExampleSpec(
                    "kcx create clients -r demo -s clientId=myapp -s enabled=true -s 'redirectUris=[\"http://localhost:8980/myapp/*\"]'",
                    "Create a client; the redirect URIs are a JSON array"),
                ExampleSpec(
                    "kcx create client-scopes -r demo -s name=api-audience -s protocol=openid-connect -s 'attributes.\"include.in.token.scope\"=false'",
                    "Create a client scope, with a dotted attribute name in quotes"),
                ExampleSpec("ID=$(kcx create clients -r demo -f client.json -i)", "Create a client from a file and keep its id"),
            ],
            handler: { invocation, context in try runCreate(invocation, context) }),
        CommandSpec(
            ["update"], summary: "Update a resource with PUT",
            discussion: """
                Sends PUT to ENDPOINT. As kcadm: when -s or -d is given without -f, kcx first reads
                the object (GET ENDPOINT), applies -s and -d to it and sends the whole result, so the
                fields not named keep their values. -n/--no-merge sends only what is given; -m/--merge
                also merges -f FILE or -b (objects member by member, arrays and other values
                replaced). With -f and no -m the file is sent as it is. Prints nothing unless -o.

                """ + bodyDiscussion + "\n\n" + outputDiscussion,
            positionals: [endpoint],
            options: [
                targetRealm, set, delete, file, body, query, header, merge, noMerge, output, fields, compressed, compact,
                printHeaders, allowOtherHost,
            ] + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx update clients/$ID -r demo -s enabled=false", "Disable a client, keeping its other settings"),
                ExampleSpec("kcx update realms/demo -s 'displayName=Demo realm'", "Set the realm's display name"),
                ExampleSpec("kcx update clients/$ID -r demo -s 'redirectUris+=https://app.example.com/*'", "Add a redirect URI"),
                ExampleSpec(
                    "kcx update users/$USER/reset-password -r demo -s type=password -s value=$PASS -s temporary=true -n",
                    "Reset a password (-n: the endpoint cannot be read first)"),
            ],
            handler: { invocation, context in try runUpdate(invocation, context) }),
        CommandSpec(
            ["delete"], summary: "Delete a resource with DELETE",
            discussion: """
                Sends DELETE to ENDPOINT and prints nothing on success. A few endpoints take a body
                (removing role mappings takes the list of roles): give it with -f or -b.
                """,
            positionals: [endpoint],
            options: [targetRealm, query, header, file, body, printHeaders, allowOtherHost] + KcadmAuth.specs,
            examples: [
                ExampleSpec("kcx delete clients/$ID -r demo", "Delete a client by id"),
                ExampleSpec(
                    "kcx delete users/$USER/role-mappings/realm -b '[{\"id\":\"'$ROLE'\",\"name\":\"admin\"}]'",
                    "Remove a realm role from a user"),
            ],
            handler: { invocation, context in try runDelete(invocation, context) }),
    ]

    // MARK: Parse step

    /// One -s or -d, in the order given.
    public enum Edit: Sendable {
        case set(SetExpression)
        case delete(JSONPath)
    }

    /// Everything a request command needs, validated, before anything is sent.
    public struct Request: Sendable {
        public var method: String
        public var endpoint: Endpoint
        public var realm: String?
        public var query: [(String, String)]
        public var headers: [(name: String, value: String)] = []
        /// From -f or -b; nil when neither was given.
        public var body: JSON?
        /// -f or -b sent as it is (a Content-Type other than JSON given with -h).
        public var rawBody: [UInt8]?
        public var edits: [Edit] = []
        public var merge: Bool
        public var printIdOnly: Bool
        public var printResult = false
        public var printHeaders = false
        public var output: OutputOptions

        public var sets: [SetExpression] { edits.compactMap { if case .set(let expression) = $0 { expression } else { nil } } }
        public var deletions: [JSONPath] { edits.compactMap { if case .delete(let path) = $0 { path } else { nil } } }
    }

    public static func parse(_ invocation: Invocation, method: String, context: CommandContext) throws(KcxError) -> Request {
        let typed = invocation.positionals[0]
        if typed.isEmpty { throw KcxError.usage("ENDPOINT is empty", hint: "e.g. 'kcx \(invocation.command.name) clients'") }
        let endpoint = try Endpoint.typed(typed)
        var request = Request(
            method: method, endpoint: endpoint, realm: invocation.value("target-realm") ?? nonEmpty(invocation.value("realm")),
            query: [], body: nil,
            merge: invocation.flag("merge"), printIdOnly: invocation.flag("id"), output: OutputOptions())
        request.printResult = method == "GET" || (method != "DELETE" && invocation.flag("output"))
        request.printHeaders = invocation.flag("print-headers")
        if let realm = request.realm, realm.isEmpty { throw KcxError.usage("--target-realm is empty") }
        if let realm = request.realm, URLEncoding.isUnusableSegment(realm) {
            throw KcxError.usage("invalid --target-realm '\(realm)': not a realm name")
        }
        if request.printIdOnly && invocation.flag("output") {
            throw KcxError.usage(
                "options -o and -i exclude each other", hint: "use -i for the new id, -o for the whole new object")
        }
        if invocation.flag("merge") && invocation.flag("no-merge") {
            throw KcxError.usage("options --merge and --no-merge exclude each other")
        }

        for parameter in invocation.all("query") {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                throw KcxError.usage("invalid -q '\(parameter)': expected NAME=VALUE")
            }
            request.query.append((String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...])))
        }
        for parameter in invocation.all("header") {
            guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex else {
                throw KcxError.usage(
                    "invalid -h '\(parameter)': expected NAME=VALUE", hint: "-h sends a request header; --help shows help")
            }
            let name = String(parameter[..<equals])
            let value = String(parameter[parameter.index(after: equals)...])
            // The input is not repeated: a name with CR LF in it would print lines of its making.
            if let bad = name.unicodeScalars.first(where: { !$0.isASCII || !isTokenByte(UInt8($0.value)) }) {
                let what = bad.value < 0x20 || bad.value == 0x7F ? ControlCharacters.name(bad) : "'\(bad)'"
                throw KcxError.usage("invalid -h: the header name contains \(what), which no header name can hold")
            }
            if let scalar = ControlCharacters.firstInHeaderValue(value) {
                throw KcxError.usage(
                    "invalid -h \(name): its value contains a control character (\(ControlCharacters.name(scalar)))")
            }
            request.headers.append((name, value))
        }
        for (option, parameter) in [("offset", "first"), ("limit", "max")] where method == "GET" {
            guard let text = invocation.value(option) else { continue }
            guard let number = Int(text), number >= 0 else {
                throw KcxError.usage("invalid --\(option) '\(text)': expected a whole number, 0 or more")
            }
            request.query.append((parameter, String(number)))
        }

        for (option, value) in invocation.sequence {
            switch option {
            case "set":
                do { request.edits.append(.set(try SetExpression.parse(value))) } catch {
                    throw KcxError.usage("invalid -s \(error)", hint: "use NAME=VALUE (or NAME:=JSON to insist on JSON)")
                }
            case "delete":
                do { request.edits.append(.delete(try JSONPath.parse(value))) } catch {
                    throw KcxError.usage("invalid -d \(error)")
                }
            default:
                break
            }
        }
        // A secret in -s is on argv like --password: say so (`credentials[0].value`, `secret`, `config.keyPassword`).
        let secretKeys = request.sets.compactMap { expression -> String? in
            guard
                case .key(let name)? = expression.path.components.last(where: {
                    if case .key = $0 { return true } else { return false }
                }),
                Redaction.isSecretName(name) || name == "value" || Redaction.json(expression.value) != expression.value
            else { return nil }
            return name
        }
        if let first = secretKeys.first {
            CommandLineSecrets.warn("-s \(first)=…", use: "-f FILE or -f - (standard input) for the body", context)
        }
        if let list = invocation.value("fields") {
            do { request.output.fields = try FieldFilter.parse(list) } catch {
                throw KcxError.usage("invalid --fields \(error)", hint: "e.g. --fields 'id,clientId,protocolMappers(name)'")
            }
        }
        if let format = invocation.value("format") { request.output.format = OutputFormat(rawValue: format) ?? .json }
        request.output.compact = invocation.flag("compact") || invocation.flag("compressed")
        request.output.noQuotes = invocation.flag("noquotes")

        let contentType = request.headers.last { $0.name.lowercased() == "content-type" }?.value
        let raw = contentType.map { !$0.lowercased().hasPrefix("application/json") } ?? false
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
            if raw {
                request.rawBody = bytes
            } else {
                do { request.body = try JSON.parse(bytes) } catch {
                    throw KcxError.usage("\(source) is not valid JSON: \(error)")
                }
            }
        case (nil, let text?):
            if raw {
                request.rawBody = Array(text.utf8)
            } else {
                do { request.body = try JSON.parse(text) } catch { throw KcxError.usage("-b is not valid JSON: \(error)") }
            }
        case (nil, nil):
            break
        }
        if request.rawBody != nil && !request.edits.isEmpty {
            throw KcxError.usage("-s and -d edit JSON, but the body is sent as it is (Content-Type \(contentType ?? ""))")
        }
        if !request.edits.isEmpty, let body = request.body, body.objectValue == nil {
            throw KcxError.usage("-s and -d edit a JSON object, but the body is \(kindName(body))")
        }
        // kcadm's update merges by default when -s or -d is given without -f (-n turns it off).
        if method == "PUT" && invocation.value("file") == nil && invocation.value("body") == nil && !request.edits.isEmpty
            && !invocation.flag("no-merge")
        {
            request.merge = true
        }
        if method != "PUT" { request.merge = false }
        if !request.deletions.isEmpty && request.body == nil && !request.merge {
            throw KcxError.usage("-d removes keys from a body, but there is none", hint: "use -d with -f or -b")
        }
        if !request.merge {
            request.body = try editedBody(request.body, request)
        }
        return request
    }

    /// RFC 9110's token characters, which a header name is made of.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Applies every -s and -d in order to `body` (an empty object when there is none).
    static func editedBody(_ body: JSON?, _ request: Request) throws(KcxError) -> JSON? {
        guard !request.edits.isEmpty else { return body }
        var edited = body ?? .object(JSONObject())
        do {
            for edit in request.edits {
                switch edit {
                case .set(let expression): try edited.apply(expression)
                case .delete(let path): try edited.remove(path)
                }
            }
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
        let response = try client.send(
            method: "GET", endpoint: request.endpoint, realm: request.realm, query: request.query, headers: request.headers)
        printHeaders(response, request, context)
        printBody(response, request.output, context)
        return .ok
    }

    static func runCreate(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let request = try parse(invocation, method: "POST", context: context)
        let client = try openClient(for: request, invocation, context)
        let response = try client.send(
            method: "POST", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body,
            headers: request.headers, rawBody: request.rawBody)
        printHeaders(response, request, context)
        let id = response.header("Location").map(createdId)
        if request.printIdOnly {
            guard let id else {
                throw KcxError(.serverError, "the server sent no Location header, so there is no new id to print")
            }
            context.stdout.write(id + "\n")
            return .ok
        }
        if !request.printResult {
            if let id { context.stderr.write("Created new \(thingName(request.endpoint.encoded)) with id '\(id)'\n") }
            return .ok
        }
        try printResult(response, id: id, request, client, context)
        return .ok
    }

    static func runUpdate(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        var request = try parse(invocation, method: "PUT", context: context)
        let client = try openClient(for: request, invocation, context)
        if request.merge {
            let current = try client.send(
                method: "GET", endpoint: request.endpoint, realm: request.realm, query: request.query, headers: request.headers)
            guard let currentValue = current.json, currentValue.objectValue != nil else {
                throw KcxError(
                    .serverError,
                    "GET \(request.endpoint.readable) did not return a JSON object, so there is nothing to merge into",
                    hint: "send the body as it is with -n/--no-merge")
            }
            let merged = request.body.map { currentValue.merging($0) } ?? currentValue
            request.body = try editedBody(merged, request)
        }
        let response = try client.send(
            method: "PUT", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body,
            headers: request.headers, rawBody: request.rawBody)
        printHeaders(response, request, context)
        if request.printResult { try printResult(response, id: nil, request, client, context) }
        return .ok
    }

    static func runDelete(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let request = try parse(invocation, method: "DELETE", context: context)
        let client = try openClient(for: request, invocation, context)
        let response = try client.send(
            method: "DELETE", endpoint: request.endpoint, realm: request.realm, query: request.query, body: request.body,
            headers: request.headers, rawBody: request.rawBody)
        printHeaders(response, request, context)
        return .ok
    }

    /// -o of create and update, as kcadm: the object is read back (ENDPOINT/ID after a create
    /// that answered with a Location, ENDPOINT after a 204) and printed; any other answer is
    /// printed as it came. clients-initial-access answers with the object itself.
    static func printResult(
        _ response: HTTPResponse, id: String?, _ request: Request, _ client: AdminClient, _ context: CommandContext
    ) throws {
        var shown = response
        if response.status == 204 || id != nil, request.endpoint.encoded != "clients-initial-access" {
            let target: Endpoint = id.map { "\(request.endpoint)/\($0)" } ?? request.endpoint
            shown = try client.send(
                method: "GET", endpoint: target, realm: request.realm, query: id == nil ? request.query : [], headers: [])
        }
        printBody(shown, request.output, context)
    }

    /// -H: the status line and headers, then an empty line, on stdout before the body.
    static func printHeaders(_ response: HTTPResponse, _ request: Request, _ context: CommandContext) {
        guard request.printHeaders else { return }
        var text = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\n"
        for header in response.headers { text += "\(header.name): \(header.value)\n" }
        context.stdout.write(text + "\n")
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        default: return ""
        }
    }

    /// JSON bodies are rendered; anything else (a SAML descriptor, plain text) is passed through.
    ///
    /// Under kcadm.sh the last newline is placed as kcadm places it: kcadm writes JSON (indented,
    /// `-c`, `-F`) and a passed-through body to stdout as they are, without a final newline, and
    /// then, when the last byte written was not a line end, a newline to stderr; CSV lines end on
    /// stdout. Under kcx stdout always ends with the newline (a file gets a whole last line).
    static func printBody(_ response: HTTPResponse, _ output: OutputOptions, _ context: CommandContext) {
        guard !response.body.isEmpty else { return }
        let kcadm = context.kcadmMode
        if let value = response.json {
            let text = output.render(value)
            guard kcadm && output.format == .json else { return context.stdout.write(text) }
            context.stdout.write(String(text.dropLast()))
            context.stderr.write("\n")
        } else {
            let text = response.bodyText
            let endsLine = text.utf8.last == UInt8(ascii: "\n") || text.utf8.last == UInt8(ascii: "\r")
            let shown = kcadm || endsLine ? text : text + "\n"
            // Shown on a terminal with its control characters made visible; piped on as it came.
            if context.stdout.isTerminal { context.stdout.write(shown) } else { context.stdout.writeFormatted(shown) }
            if kcadm && !endsLine { context.stderr.write("\n") }
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
