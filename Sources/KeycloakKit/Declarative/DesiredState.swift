// The typed desired state a declarative file describes, read from YAML/JSON with every value's
// position kept, and validated completely (keys, types, names, ${VAR}s) before any request.
import KcxJSON

/// A validation error pointing into the file: `file:line:column: field: message`.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let field: String
    public let message: String

    public var description: String { "\(file):\(line):\(column): \(field): \(message)" }
}

public struct DesiredAudienceMapper: Sendable, Equatable {
    public var name: String
    public var audience: AudienceValue
    public var settings: AudienceMapperSettings
}

/// A protocol mapper given by its Keycloak representation (minus id); config values are strings,
/// as Keycloak stores them.
public struct DesiredProtocolMapper: Sendable, Equatable {
    public var name: String
    public var protocolMapper: String
    public var protocol_: String
    public var config: JSONObject

    public init(name: String, protocolMapper: String, protocol_: String = "openid-connect", config: JSONObject = JSONObject()) {
        self.name = name
        self.protocolMapper = protocolMapper
        self.protocol_ = protocol_
        self.config = config
    }
}

public struct DesiredClientScope: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var protocol_: String
    public var includeInTokenScope: Bool
    public var realmDefault: RealmDefaultPlacement?
    public var audienceMappers: [DesiredAudienceMapper]
    /// Mappers other than audience mappers, matched by name.
    public var protocolMappers: [DesiredProtocolMapper] = []
    /// Whether a scope this creates is marked as kcx's (`--prune` removes such a scope once no file
    /// declares it). A file's scopes are; an imperative command's are not, as they never were.
    public var marksManaged = true
    /// An imperative command's settings, each nil left as it is (`client-scope ensure`, `audience
    /// add --create-scope`): used instead of description, protocol_ and includeInTokenScope.
    public var givenSettings: ClientScopeSettings? = nil
}

/// Legacy (V1) token exchange to a target client: the requesters its kcx client policy must name.
public struct DesiredLegacyExchange: Sendable, Equatable {
    public var allowedRequesters: [String]
    /// `file:line:column: field`, for the error when the server lacks the V1 features.
    public var location: String

    public init(allowedRequesters: [String], location: String) {
        self.allowedRequesters = allowedRequesters
        self.location = location
    }

    /// Where it was written is not part of what it says.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.allowedRequesters == rhs.allowedRequesters }
}

public struct DesiredClient: Sendable, Equatable {
    public var clientId: String
    public var defaultScopes: [String]
    public var optionalScopes: [String]
    /// nil = leave the switch as it is.
    public var standardExchange: Bool?
    public var allowRefresh: Bool?
    /// Legacy exchange TO this client; nil = leave it as it is.
    public var legacyExchange: DesiredLegacyExchange? = nil
    /// The ClientRepresentation fields the file gives (`DesiredClient.settingKeys`), as Keycloak
    /// writes them; fields it omits are left alone. Giving any of them (or `attributes` or `secret`)
    /// declares the client: it is created when missing.
    public var settings = JSONObject()
    /// Attributes the file gives, as strings; others stay.
    public var attributes = JSONObject()
    /// The confidential client's secret (from a variable or a file; never shown, never exported).
    public var secret: String? = nil
    /// Export: write the secret's placeholder variable (the client is confidential).
    public var exportsSecretPlaceholder = false
    /// Audience mappers on the client itself (`kcx audience add --client`; the file has no words for them).
    public var audienceMappers: [DesiredAudienceMapper] = []
    /// Whether a client this creates is marked as kcx's (`--prune` removes such a client once no file
    /// declares it). A file's clients are; `kcx client ensure`'s are not.
    public var marksManaged = true

    public init(
        clientId: String, defaultScopes: [String], optionalScopes: [String], standardExchange: Bool? = nil,
        allowRefresh: Bool? = nil,
        legacyExchange: DesiredLegacyExchange? = nil
    ) {
        self.clientId = clientId
        self.defaultScopes = defaultScopes
        self.optionalScopes = optionalScopes
        self.standardExchange = standardExchange
        self.allowRefresh = allowRefresh
        self.legacyExchange = legacyExchange
    }

    /// Boolean and string-list ClientRepresentation fields the file may give, and the strings.
    public static let booleanKeys = [
        "enabled", "publicClient", "serviceAccountsEnabled", "standardFlowEnabled", "directAccessGrantsEnabled",
    ]
    public static let stringKeys = ["name", "description"]
    public static let listKeys = ["redirectUris", "webOrigins"]

    /// Whether the file declares the client (gives a setting): then it is created when missing.
    /// An entry with only assignments and exchange switches names a client that must exist.
    public var declaresClient: Bool { !settings.isEmpty || !attributes.isEmpty || secret != nil }
}

/// Realm settings the file gives (RealmRepresentation fields); those it omits are left alone.
public struct DesiredRealmSettings: Sendable, Equatable {
    public var values = JSONObject()

    /// Whether a realm this creates is marked as kcx's (`--prune` deletes such a realm once no file
    /// names it). A file's realms are; `kcx realm ensure`'s are not.
    public var marksManaged = true

    public init(values: JSONObject = JSONObject()) { self.values = values }

    public static let booleanKeys = ["enabled"]
    public static let stringKeys = ["displayName"]
    /// Seconds; the ones that bound what a token exchange can hand out.
    public static let integerKeys = ["accessTokenLifespan", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan"]
    public static var keys: [String] { booleanKeys + stringKeys + integerKeys }

    /// Giving any setting declares the realm: it is created when missing.
    public var declaresRealm: Bool { !values.isEmpty }
}

/// A name the file uses that must resolve (a client or a scope), and where: reported, all at once,
/// when it does not.
public struct FileReference: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case client, scope }
    public var kind: Kind
    public var name: String
    /// `file:line:column: field`.
    public var location: String
    /// What the name is for, e.g. `audience of mapper 'x' on scope 'y'`.
    public var role: String
}

/// Where things were written: not part of what the file says (always equal).
public struct SourceReferences: Sendable, Equatable {
    public var items: [FileReference] = []
    /// `file:line:column: field` of the realm's name.
    public var realm: String = ""

    public init() {}

    public static func == (lhs: Self, rhs: Self) -> Bool { true }
}

public struct ExchangePair: Sendable, Equatable {
    public var from: String
    public var to: String
    /// As `kcx token-exchange allow --mode`: auto picks standard when the server has it, else legacy.
    public var mode: ExchangeMode = .auto
    /// `file:line:column: field` of the pair, for errors found against the server.
    public var location: String = ""
    /// As `kcx token-exchange allow --subject-client`: the client whose users' tokens REQUESTER
    /// will exchange (their tokens then carry REQUESTER in `aud`).
    public var subjectClient: String? = nil

    /// Where it was written is not part of what it says.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.mode == rhs.mode && lhs.subjectClient == rhs.subjectClient
    }
}

public struct DesiredRealm: Sendable, Equatable {
    public var realm: String
    public var clientScopes: [DesiredClientScope]
    public var clients: [DesiredClient]
    public var allow: [ExchangePair]
    /// Realm settings; giving any creates the realm when it is missing.
    public var settings = DesiredRealmSettings()
    /// Downscope enforcement for every token exchange (as `kcx token-exchange downscope enable` /
    /// `disable`); nil = leave it as it is.
    public var downscope: Bool? = nil
    /// With `downscope` true: only requesters holding the marker scope (`downscope enable --client`);
    /// a file always means every requester.
    public var downscopeMarkedOnly = false
    /// true: store exchange events (as `kcx token-exchange audit --enable`); nil or false: leave
    /// the realm's event settings as they are (kcx never switches recording off).
    public var exchangeEvents: Bool? = nil
    /// The names the file uses, with where they were written.
    public var references = SourceReferences()

    public init(realm: String, clientScopes: [DesiredClientScope] = [], clients: [DesiredClient] = [], allow: [ExchangePair] = [])
    {
        self.realm = realm
        self.clientScopes = clientScopes
        self.clients = clients
        self.allow = allow
    }
}

public struct DesiredState: Sendable, Equatable {
    public var realms: [DesiredRealm]
    /// What plan and apply must never show: the values of secret-named variables (`${API_TOKEN}`,
    /// see `FileReader.isSecretVariable`) and every value given to a secret field (a mapper config
    /// key Redaction treats as secret). Output shows `<redacted>` in their place.
    public var secretValues: Set<String> { didSet { redactionForms = FileReader.redactionForms(secretValues) } }
    /// What `redacting` looks for, worked out once (every line plan and apply print goes through it).
    private var redactionForms: [String]
    /// Secret value -> the environment variable it came from (a saved plan stores `${NAME}` instead).
    public var secretVariables: [String: String] = [:]
    /// Secret value -> the absolute path of the `secretFile` it was read from (a saved plan stores the path).
    public var secretFiles: [String: String] = [:]

    public init(realms: [DesiredRealm], secretValues: Set<String> = []) {
        self.realms = realms
        self.secretValues = secretValues
        redactionForms = FileReader.redactionForms(secretValues)
    }

    /// `text` with every secret value of the file replaced by `<redacted>` (longest first, so a
    /// value that contains another is hidden whole).
    public func redacting(_ text: String) -> String { FileReader.redact(text, forms: redactionForms) }

    /// Parses and validates a whole file; `environment` supplies `${VAR}` values.
    public static func parse(_ text: String, file: String, environment: [String: String]) throws(FileError) -> DesiredState {
        let root: YAMLNode?
        do {
            root = try YAML.parse(text)
        } catch {
            throw FileError(file: file, line: error.line, column: error.column, field: "(syntax)", message: error.message)
        }
        guard let root else { throw FileError(file: file, line: 1, column: 1, field: "(file)", message: "the file is empty") }
        let reader = FileReader(file: file, environment: environment)
        var state = try reader.state(root)
        state.secretValues = reader.secrets.values
        state.secretVariables = reader.secrets.variables
        state.secretFiles = reader.secrets.files
        return state
    }
}

/// The secret values met while reading, so far (errors raised while reading hide them too).
final class SecretValues {
    var values = Set<String>()
    /// Value -> the variable that gave it (not a `${NAME:-default}` default).
    var variables: [String: String] = [:]
    /// Value -> the absolute path of the secretFile that held it.
    var files: [String: String] = [:]

    func insert(_ value: String) { if !value.isEmpty { values.insert(value) } }
}

/// Walks the node tree, checking every key and type and naming the field on error.
struct FileReader {
    /// What a `secretFile` holds: its text without the trailing line ends (empty when that is all
    /// it holds). A saved plan reads the file again the same way at apply.
    static func secretFileValue(_ path: String) throws(FileSystemError) -> String {
        var value = String(decoding: try FileSystem.readFile(path, limit: .secret), as: UTF8.self)
        while value.hasSuffix("\n") || value.hasSuffix("\r") { value.removeLast() }
        return value
    }

    let file: String
    let environment: [String: String]
    let secrets = SecretValues()

    func location(_ node: YAMLNode, _ field: String) -> String { "\(file):\(node.line):\(node.column): \(field)" }

    func fail(_ node: YAMLNode, _ field: String, _ message: String) -> FileError {
        // The top level has no field path; name it as the empty-file error does (found by fuzzing).
        FileError(
            file: file, line: node.line, column: node.column, field: field.isEmpty ? "(file)" : field,
            message: FileReader.redact(message, forms: FileReader.redactionForms(secrets.values)))
    }

    /// A variable whose name says it holds a secret (case-insensitive substring): its value is never shown.
    static func isSecretVariable(_ name: some StringProtocol) -> Bool {
        let upper = name.uppercased()
        return ["PASSWORD", "SECRET", "TOKEN", "KEY", "CREDENTIAL"].contains { upper.contains($0) }
    }

    /// Each secret as it is and as it reads inside a JSON string (a request body in a -v trace),
    /// longest first, so a secret holding another is hidden whole.
    static func redactionForms(_ secrets: Set<String>) -> [String] {
        var forms = Set<String>()
        for secret in secrets where !secret.isEmpty {
            forms.insert(secret)
            forms.insert(String(JSON.string(secret).serialized().dropFirst().dropLast()))
        }
        return forms.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// `text` with each of `forms` replaced by `<redacted>`.
    static func redact(_ text: String, forms: [String]) -> String {
        var result = text
        for form in forms where result.contains(form) {
            result = result.replacing(form, with: Redaction.placeholder)
        }
        return result
    }

    /// A mapping's entries, refusing keys outside `allowed` (the YAML reader already refuses duplicate keys).
    func mapping(_ node: YAMLNode, _ field: String, allowed: [String]) throws(FileError) -> [String: YAMLNode] {
        guard case .mapping(let entries) = node.value else { throw fail(node, field, "expected a mapping") }
        var result: [String: YAMLNode] = [:]
        for entry in entries {
            let key = entry.key.scalarText ?? ""
            let path = field.isEmpty ? key : "\(field).\(key)"
            guard allowed.contains(key) else {
                throw fail(entry.key, path, "unknown key (expected one of: \(allowed.joined(separator: ", ")))")
            }
            result[key] = entry.value
        }
        return result
    }

    func sequence(_ node: YAMLNode, _ field: String) throws(FileError) -> [YAMLNode] {
        guard case .sequence(let items) = node.value else { throw fail(node, field, "expected a list") }
        return items
    }

    /// A scalar's text with `${VAR}` and `${VAR:-default}` replaced, once: a value or default is
    /// not scanned again. `$${` is a literal `${` (how export writes server strings, so they read
    /// back as they are). A missing variable is an error.
    func string(_ node: YAMLNode, _ field: String) throws(FileError) -> String {
        guard case .scalar(let text, _) = node.value else { throw fail(node, field, "expected a string") }
        return try substitute(text, node, field)
    }

    func substitute(_ text: String, _ node: YAMLNode, _ field: String) throws(FileError) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = FileReader.find("${", in: rest) {
            if start > rest.startIndex, rest[rest.index(before: start)] == "$" {
                // `$${`: the escape, a literal `${` (its first `$` dropped).
                result += rest[..<rest.index(before: start)]
                result += "${"
                rest = rest[rest.index(start, offsetBy: 2)...]
                continue
            }
            result += rest[..<start]
            let open = rest.index(start, offsetBy: 2)
            guard let end = rest[open...].firstIndex(of: "}") else {
                throw fail(node, field, "unclosed '${' in '\(text)' (write $${ for a literal ${)")
            }
            let expression = rest[open..<end]
            var name = expression
            var fallback: Substring?
            if let dash = FileReader.find(":-", in: expression) {
                name = expression[..<dash]
                fallback = expression[expression.index(dash, offsetBy: 2)...]
            }
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else {
                throw fail(node, field, "'${\(expression)}' is not a variable name (write $${ for a literal ${)")
            }
            let value: Substring
            if let set = environment[String(name)], !(fallback != nil && set.isEmpty) {
                value = Substring(set)
            } else if let fallback {
                value = fallback
            } else {
                throw fail(node, field, "environment variable \(name) is not set (write ${\(name):-default} for a default)")
            }
            if FileReader.isSecretVariable(name) {
                secrets.insert(String(value))
                if environment[String(name)] == String(value), !value.isEmpty { secrets.variables[String(value)] = String(name) }
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// Where a two-character marker starts (FoundationEssentials has no `range(of:)` on substrings).
    static func find(_ marker: String, in text: Substring) -> Substring.Index? {
        let pair = Array(marker)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(after: index)
            if text[index] == pair[0], next < text.endIndex, text[next] == pair[1] { return index }
            index = next
        }
        return nil
    }

    func bool(_ node: YAMLNode, _ field: String) throws(FileError) -> Bool {
        switch try string(node, field) {
        case "true": return true
        case "false": return false
        default: throw fail(node, field, "expected true or false")
        }
    }

    func name(_ node: YAMLNode, _ field: String) throws(FileError) -> String {
        let text = try string(node, field)
        if text.isEmpty { throw fail(node, field, "must not be empty") }
        for scalar in text.unicodeScalars
        where scalar == " " || scalar == "\"" || scalar == "\\" || !scalar.isASCII || scalar.value < 0x21 {
            throw fail(
                node, field,
                "'\(text)' contains '\(scalar)', which Keycloak does not allow (no spaces, quotes, backslashes or non-ASCII)")
        }
        return text
    }

    func names(_ node: YAMLNode, _ field: String) throws(FileError) -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        for (index, item) in try sequence(node, field).enumerated() {
            let value = try name(item, "\(field)[\(index)]")
            if !seen.insert(value).inserted { throw fail(item, "\(field)[\(index)]", "'\(value)' is listed twice") }
            result.append(value)
        }
        return result
    }

    func state(_ root: YAMLNode) throws(FileError) -> DesiredState {
        let top = try mapping(root, "", allowed: ["realms"])
        guard let realmsNode = top["realms"] else { throw fail(root, "realms", "required: the list of realms") }
        var realms: [DesiredRealm] = []
        for (index, node) in try sequence(realmsNode, "realms").enumerated() {
            let realm = try self.realm(node, "realms[\(index)]")
            if realms.contains(where: { $0.realm == realm.realm }) {
                throw fail(node, "realms[\(index)].realm", "realm '\(realm.realm)' is declared twice")
            }
            realms.append(realm)
        }
        return DesiredState(realms: realms)
    }

    func realm(_ node: YAMLNode, _ field: String) throws(FileError) -> DesiredRealm {
        let keys = try mapping(
            node, field,
            allowed: ["realm"] + DesiredRealmSettings.keys + ["downscope", "exchangeEvents", "clientScopes", "clients", "allow"])
        guard let realmNode = keys["realm"] else { throw fail(node, "\(field).realm", "required: the realm's name") }
        var result = DesiredRealm(realm: try name(realmNode, "\(field).realm"))
        result.references.realm = location(realmNode, "\(field).realm")
        for key in DesiredRealmSettings.keys {
            guard let value = keys[key] else { continue }
            let path = "\(field).\(key)"
            if DesiredRealmSettings.booleanKeys.contains(key) {
                result.settings.values[key] = .bool(try bool(value, path))
            } else if DesiredRealmSettings.integerKeys.contains(key) {
                result.settings.values[key] = .int(Int64(try seconds(value, path)))
            } else {
                result.settings.values[key] = .string(try string(value, path))
            }
        }
        if let node = keys["downscope"] { result.downscope = try bool(node, "\(field).downscope") }
        if let node = keys["exchangeEvents"] { result.exchangeEvents = try bool(node, "\(field).exchangeEvents") }
        func reference(_ kind: FileReference.Kind, _ name: String, _ node: YAMLNode, _ path: String, _ role: String) {
            result.references.items.append(FileReference(kind: kind, name: name, location: location(node, path), role: role))
        }
        // Sets, not scans: a file of thousands of scopes stays linear.
        var scopeNames = Set<String>()
        var clientIds = Set<String>()
        if let scopes = keys["clientScopes"] {
            for (index, item) in try sequence(scopes, "\(field).clientScopes").enumerated() {
                let path = "\(field).clientScopes[\(index)]"
                let scope = try clientScope(item, path)
                if !scopeNames.insert(scope.name).inserted {
                    throw fail(item, "\(path).name", "client scope '\(scope.name)' is declared twice")
                }
                for (position, mapper) in scope.audienceMappers.enumerated() {
                    guard case .client(let clientId) = mapper.audience else { continue }
                    let mapperNode = try sequence(try mapping(item, path, allowed: Self.scopeKeys)["audienceMappers"]!, "")[
                        position]
                    let audienceNode = try mapping(mapperNode, "", allowed: Self.audienceMapperKeys)["audience"] ?? mapperNode
                    reference(
                        .client, clientId, audienceNode, "\(path).audienceMappers[\(position)].audience",
                        "audience of mapper '\(mapper.name)' on scope '\(scope.name)'")
                }
                result.clientScopes.append(scope)
            }
        }
        if let clients = keys["clients"] {
            for (index, item) in try sequence(clients, "\(field).clients").enumerated() {
                let path = "\(field).clients[\(index)]"
                let client = try self.client(item, path)
                if !clientIds.insert(client.clientId).inserted {
                    throw fail(item, "\(path).clientId", "client '\(client.clientId)' is declared twice")
                }
                let entry = try mapping(item, path, allowed: Self.clientKeys)
                if !client.declaresClient, let node = entry["clientId"] {
                    reference(.client, client.clientId, node, "\(path).clientId", "client")
                }
                for list in ["defaultScopes", "optionalScopes"] {
                    guard let listNode = entry[list] else { continue }
                    for (position, scopeNode) in try sequence(listNode, "").enumerated() {
                        let scopeName = try string(scopeNode, "")
                        reference(
                            .scope, scopeName, scopeNode, "\(path).\(list)[\(position)]",
                            "assigned to client '\(client.clientId)'")
                    }
                }
                if let legacyNode = entry["legacyExchange"],
                    let requesters = try mapping(legacyNode, "", allowed: ["allowedRequesters"])["allowedRequesters"]
                {
                    for (position, requesterNode) in try sequence(requesters, "").enumerated() {
                        reference(
                            .client, try string(requesterNode, ""), requesterNode,
                            "\(path).legacyExchange.allowedRequesters[\(position)]",
                            "legacy exchange requester of '\(client.clientId)'")
                    }
                }
                result.clients.append(client)
            }
        }
        if let pairs = keys["allow"] {
            for (index, item) in try sequence(pairs, "\(field).allow").enumerated() {
                let path = "\(field).allow[\(index)]"
                let pair = try mapping(item, path, allowed: ["from", "to", "subjectClient", "mode"])
                guard let from = pair["from"] else { throw fail(item, "\(path).from", "required: the requesting client") }
                guard let to = pair["to"] else { throw fail(item, "\(path).to", "required: the target client") }
                var exchange = ExchangePair(
                    from: try name(from, "\(path).from"), to: try name(to, "\(path).to"), location: location(item, path))
                reference(.client, exchange.from, from, "\(path).from", "requester of an allow pair")
                reference(.client, exchange.to, to, "\(path).to", "target of an allow pair")
                if let node = pair["subjectClient"] {
                    let subject = try name(node, "\(path).subjectClient")
                    exchange.subjectClient = subject
                    reference(.client, subject, node, "\(path).subjectClient", "subject client of an allow pair")
                }
                if let node = pair["mode"] {
                    let text = try string(node, "\(path).mode")
                    guard let mode = ExchangeMode(rawValue: text) else {
                        throw fail(node, "\(path).mode", "expected auto, standard or legacy, not '\(text)'")
                    }
                    exchange.mode = mode
                }
                result.allow.append(exchange)
            }
        }
        return result
    }

    static let scopeKeys = [
        "name", "description", "protocol", "includeInTokenScope", "realmDefault", "audienceMappers", "protocolMappers",
    ]
    static let audienceMapperKeys = [
        "name", "audience", "customAudience", "accessToken", "idToken", "introspection", "lightweight",
    ]
    static let clientKeys =
        ["clientId"] + DesiredClient.stringKeys + DesiredClient.booleanKeys + ["secret", "secretFile"] + DesiredClient.listKeys
        + ["attributes", "defaultScopes", "optionalScopes", "standardExchange", "allowRefresh", "legacyExchange"]

    /// A whole number of seconds, 0 or more (Keycloak's lifespans).
    func seconds(_ node: YAMLNode, _ field: String) throws(FileError) -> Int {
        let text = try string(node, field)
        guard let value = Int(text), value >= 0, value <= Int(Int32.max) else {
            throw fail(node, field, "expected a number of seconds (0 or more), not '\(text)'")
        }
        return value
    }

    func clientScope(_ node: YAMLNode, _ field: String) throws(FileError) -> DesiredClientScope {
        let keys = try mapping(node, field, allowed: Self.scopeKeys)
        guard let nameNode = keys["name"] else { throw fail(node, "\(field).name", "required: the scope's name") }
        var scope = DesiredClientScope(
            name: try name(nameNode, "\(field).name"), description: nil, protocol_: "openid-connect", includeInTokenScope: true,
            realmDefault: nil, audienceMappers: [])
        if let node = keys["description"] { scope.description = try string(node, "\(field).description") }
        if let node = keys["protocol"] {
            scope.protocol_ = try string(node, "\(field).protocol")
            guard ["openid-connect", "saml"].contains(scope.protocol_) else {
                throw fail(node, "\(field).protocol", "expected openid-connect or saml, not '\(scope.protocol_)'")
            }
        }
        if let node = keys["includeInTokenScope"] { scope.includeInTokenScope = try bool(node, "\(field).includeInTokenScope") }
        if let node = keys["realmDefault"] {
            let text = try string(node, "\(field).realmDefault")
            guard let placement = RealmDefaultPlacement(rawValue: text) else {
                throw fail(node, "\(field).realmDefault", "expected default, optional or none, not '\(text)'")
            }
            scope.realmDefault = placement
        }
        // Sets, not scans: a scope of thousands of mappers stays linear.
        var mapperNames = Set<String>()
        if let mappers = keys["audienceMappers"] {
            for (index, item) in try sequence(mappers, "\(field).audienceMappers").enumerated() {
                let mapper = try audienceMapper(item, "\(field).audienceMappers[\(index)]")
                if !mapperNames.insert(mapper.name).inserted {
                    throw fail(item, "\(field).audienceMappers[\(index)].name", "mapper '\(mapper.name)' is declared twice")
                }
                scope.audienceMappers.append(mapper)
            }
        }
        if let mappers = keys["protocolMappers"] {
            for (index, item) in try sequence(mappers, "\(field).protocolMappers").enumerated() {
                let path = "\(field).protocolMappers[\(index)]"
                let mapper = try protocolMapper(item, path, scopeProtocol: scope.protocol_)
                if !mapperNames.insert(mapper.name).inserted {
                    throw fail(item, "\(path).name", "mapper '\(mapper.name)' is declared twice")
                }
                scope.protocolMappers.append(mapper)
            }
        }
        return scope
    }

    func protocolMapper(_ node: YAMLNode, _ field: String, scopeProtocol: String) throws(FileError) -> DesiredProtocolMapper {
        let keys = try mapping(node, field, allowed: ["name", "protocolMapper", "protocol", "config"])
        guard let nameNode = keys["name"] else { throw fail(node, "\(field).name", "required: the mapper's name") }
        guard let typeNode = keys["protocolMapper"] else {
            throw fail(node, "\(field).protocolMapper", "required: the mapper type, e.g. oidc-hardcoded-claim-mapper")
        }
        let mapperName = try string(nameNode, "\(field).name")
        if mapperName.isEmpty { throw fail(nameNode, "\(field).name", "must not be empty") }
        let type = try string(typeNode, "\(field).protocolMapper")
        if type.isEmpty { throw fail(typeNode, "\(field).protocolMapper", "must not be empty") }
        if type == audienceMapperType {
            throw fail(typeNode, "\(field).protocolMapper", "audience mappers go under audienceMappers")
        }
        var mapper = DesiredProtocolMapper(name: mapperName, protocolMapper: type, protocol_: scopeProtocol)
        if let node = keys["protocol"] { mapper.protocol_ = try string(node, "\(field).protocol") }
        if let configNode = keys["config"] {
            guard case .mapping(let entries) = configNode.value else {
                throw fail(configNode, "\(field).config", "expected a mapping")
            }
            for entry in entries {
                let key = entry.key.scalarText ?? ""
                // Keycloak keeps every config value as a string, so true and 5 are "true" and "5".
                // A secret field's value is never shown, whether written out or from a variable; nor
                // is its text as written when an error quotes it (`unclosed '${' in '...'`).
                let secret = Redaction.isSecretName(key)
                let value: String
                do {
                    value = try string(entry.value, "\(field).config.\(key)")
                } catch {
                    guard secret, let written = entry.value.scalarText else { throw error }
                    throw FileError(
                        file: error.file, line: error.line, column: error.column, field: error.field,
                        message: FileReader.redact(error.message, forms: FileReader.redactionForms([written])))
                }
                if secret { secrets.insert(value) }
                mapper.config[key] = .string(value)
            }
        }
        return mapper
    }

    func audienceMapper(_ node: YAMLNode, _ field: String) throws(FileError) -> DesiredAudienceMapper {
        let keys = try mapping(node, field, allowed: Self.audienceMapperKeys)
        let audience: AudienceValue
        switch (keys["audience"], keys["customAudience"]) {
        case (let client?, nil): audience = .client(try name(client, "\(field).audience"))
        case (nil, let custom?):
            let value = try string(custom, "\(field).customAudience")
            if value.isEmpty { throw fail(custom, "\(field).customAudience", "must not be empty") }
            audience = .custom(value)
        case (_?, let custom?):
            throw fail(custom, "\(field).customAudience", "give either audience (a client) or customAudience, not both")
        case (nil, nil): throw fail(node, "\(field).audience", "required: audience (a clientId) or customAudience")
        }
        var settings = AudienceMapperSettings()
        if let node = keys["accessToken"] { settings.accessToken = try bool(node, "\(field).accessToken") }
        if let node = keys["idToken"] { settings.idToken = try bool(node, "\(field).idToken") }
        if let node = keys["introspection"] { settings.introspection = try bool(node, "\(field).introspection") }
        if let node = keys["lightweight"] { settings.lightweight = try bool(node, "\(field).lightweight") }
        let mapperName =
            try keys["name"].map { node throws(FileError) in try string(node, "\(field).name") } ?? "\(audience.value) audience"
        if mapperName.isEmpty { throw fail(keys["name"]!, "\(field).name", "must not be empty") }
        settings.mapperName = mapperName
        return DesiredAudienceMapper(name: mapperName, audience: audience, settings: settings)
    }

    func client(_ node: YAMLNode, _ field: String) throws(FileError) -> DesiredClient {
        let keys = try mapping(node, field, allowed: Self.clientKeys)
        guard let idNode = keys["clientId"] else { throw fail(node, "\(field).clientId", "required: the client's clientId") }
        var client = DesiredClient(clientId: try name(idNode, "\(field).clientId"), defaultScopes: [], optionalScopes: [])
        for key in DesiredClient.stringKeys {
            if let value = keys[key] { client.settings[key] = .string(try string(value, "\(field).\(key)")) }
        }
        for key in DesiredClient.booleanKeys {
            if let value = keys[key] { client.settings[key] = .bool(try bool(value, "\(field).\(key)")) }
        }
        for key in DesiredClient.listKeys {
            guard let value = keys[key] else { continue }
            var items: [JSON] = []
            for (index, item) in try sequence(value, "\(field).\(key)").enumerated() {
                items.append(.string(try string(item, "\(field).\(key)[\(index)]")))
            }
            client.settings[key] = .array(items)
        }
        if let node = keys["attributes"] {
            guard case .mapping(let entries) = node.value else { throw fail(node, "\(field).attributes", "expected a mapping") }
            for entry in entries {
                let key = entry.key.scalarText ?? ""
                let path = "\(field).attributes.\(key)"
                if [managedAttribute, standardExchangeAttribute, exchangeRefreshAttribute].contains(key) {
                    throw fail(
                        entry.key, path,
                        key == managedAttribute
                            ? "kcx sets this attribute itself on what it creates"
                            : "give it as \(key == standardExchangeAttribute ? "standardExchange" : "allowRefresh")")
                }
                // Keycloak keeps attributes as strings: true and 5 are "true" and "5".
                let value = try string(entry.value, path)
                if Redaction.isSecretName(key) { secrets.insert(value) }
                client.attributes[key] = .string(value)
            }
        }
        switch (keys["secret"], keys["secretFile"]) {
        case (let node?, nil):
            // Only from a variable: a secret written into the file would end up in version control.
            guard case .scalar(let written, _) = node.value, written.hasPrefix("${"), written.hasSuffix("}"),
                FileReader.find("${", in: Substring(written).dropFirst()) == nil
            else {
                throw fail(
                    node, "\(field).secret",
                    "give the secret as a variable (${VAR}) or with secretFile, never written into the file")
            }
            // Empty (export's `${WEBAPP_SECRET:-}` while the variable is unset): the secret is left as it is.
            let value = try string(node, "\(field).secret")
            if !value.isEmpty {
                secrets.insert(value)
                // Whatever the variable is called, a saved plan stores it by name (SavedPlan.template).
                let name = String(written.dropFirst(2).dropLast().prefix { $0 != ":" })
                if environment[name] == value { secrets.variables[value] = name }
                client.secret = value
            }
        case (nil, let node?):
            let path = try string(node, "\(field).secretFile")
            let value: String
            do {
                value = try FileReader.secretFileValue(path)
            } catch {
                throw fail(node, "\(field).secretFile", "cannot read '\(path)': \(error.reason)")
            }
            if value.isEmpty { throw fail(node, "\(field).secretFile", "'\(path)' is empty") }
            secrets.insert(value)
            secrets.files[value] = FileSystem.absolutePath(path)
            client.secret = value
        case (_?, let node?): throw fail(node, "\(field).secretFile", "give either secret or secretFile, not both")
        case (nil, nil): break
        }
        if client.secret != nil, client.settings["publicClient"] == .bool(true) {
            throw fail(
                keys["secret"] ?? keys["secretFile"]!, "\(field).\(keys["secret"] != nil ? "secret" : "secretFile")",
                "a public client has no secret")
        }
        if let node = keys["defaultScopes"] { client.defaultScopes = try names(node, "\(field).defaultScopes") }
        if let node = keys["optionalScopes"] {
            client.optionalScopes = try names(node, "\(field).optionalScopes")
            let defaults = Set(client.defaultScopes)
            for (index, scope) in client.optionalScopes.enumerated() where defaults.contains(scope) {
                throw fail(
                    try sequence(node, "")[index], "\(field).optionalScopes[\(index)]", "'\(scope)' is also in defaultScopes")
            }
        }
        if let node = keys["standardExchange"] { client.standardExchange = try bool(node, "\(field).standardExchange") }
        if let node = keys["allowRefresh"] { client.allowRefresh = try bool(node, "\(field).allowRefresh") }
        if let node = keys["legacyExchange"] {
            let path = "\(field).legacyExchange"
            let legacy = try mapping(node, path, allowed: ["allowedRequesters"])
            guard let requesters = legacy["allowedRequesters"] else {
                throw fail(
                    node, "\(path).allowedRequesters", "required: the clients allowed to exchange tokens for \(client.clientId)")
            }
            client.legacyExchange = DesiredLegacyExchange(
                allowedRequesters: try names(requesters, "\(path).allowedRequesters"), location: location(node, path))
        }
        return client
    }
}
