// A plan saved by `kcx plan --out PLAN` and carried out by `kcx apply PLAN`: the changes with the
// exact writes, and per realm a fingerprint of what the live read returned (one digest per object),
// so apply can re-read the same objects and refuse, naming them, when any changed meanwhile.
// Secret values never enter the file: a write holding one stores `${NAME}` of the variable that
// gave it, resolved from the environment when the plan is applied. Format: docs/plan-format.md.
import CCrypto
import KcxJSON

public struct SavedRealmPlan: Sendable, Equatable {
    public var plan: RealmPlan
    /// The reads the plan was computed from (recorded by the live read itself).
    public var reads: LiveReadSpec
    /// Object label (`client-scope api`) -> SHA-256 of its representation as read (secret fields left out).
    public var fingerprint: [(key: String, digest: String)]

    public static func == (lhs: SavedRealmPlan, rhs: SavedRealmPlan) -> Bool {
        lhs.plan == rhs.plan && lhs.reads == rhs.reads
            && lhs.fingerprint.map(\.key) == rhs.fingerprint.map(\.key)
            && lhs.fingerprint.map(\.digest) == rhs.fingerprint.map(\.digest)
    }

    public init(plan: RealmPlan, reads: LiveReadSpec, fingerprint: [(key: String, digest: String)]) {
        self.plan = plan
        self.reads = reads
        self.fingerprint = fingerprint
    }

    /// The plan with what it takes to check it later against the realm it was computed from.
    public init(plan: RealmPlan, live: LiveRealm) {
        self.init(plan: plan, reads: live.readSpec, fingerprint: LiveFingerprint.of(live))
    }

    /// Makes the reads planning made (LiveRealm.read(_:_:), the same requests) and names every object
    /// that differs from the fingerprint; returns the fresh read for the executor.
    public func recheck(_ api: AdminAPI) throws -> (live: LiveRealm, changed: [String]) {
        let live = try LiveRealm.read(api, reads)
        return (live, LiveFingerprint.differences(saved: fingerprint, now: LiveFingerprint.of(live)))
    }
}

public struct SavedPlan: Sendable, Equatable {
    /// The format's version; a reader refuses any other. 2: downscope as one write per client-policies entry.
    public static let formatVersion: Int64 = 2

    public var realms: [SavedRealmPlan]
    /// The server the plan was computed against.
    public var server: String
    /// The declarative file as named on the command line (for messages).
    public var file: String
    public var prune: Bool

    public init(realms: [SavedRealmPlan], server: String, file: String, prune: Bool) {
        self.realms = realms
        self.server = server
        self.file = file
        self.prune = prune
    }

    /// The document to write. Every string of a write holding one of `state`'s secret values stores
    /// the variable instead (`{"kcx:secret": "Bearer ${API_TOKEN}"}`); a secret with no variable behind
    /// it (written in the file, or a `${NAME:-default}` default), or a value under a secret field
    /// name, cannot be stored and is refused.
    public func document(_ state: DesiredState) throws -> JSON {
        let secrets = state.secretValues.filter { !$0.isEmpty }.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
        var realmDocuments: [JSON] = []
        for realm in realms {
            var changes: [JSON] = []
            for change in realm.plan.changes {
                guard case .object(var object) = change.json else { continue }
                object["write"] = try SavedPlan.protecting(
                    change.action.json, secrets: secrets, variables: state.secretVariables, files: state.secretFiles, field: nil,
                    subject: "\(change.kind) '\(change.name)'")
                changes.append(.object(object))
            }
            // The realm's name, the clients read and the objects' labels may hold a secret too (a
            // clientId from a secret-named variable): stored as references like the writes.
            let read: JSON = .object(
                JSONObject([
                    ("realm", .string(realm.plan.realm)),
                    ("reads", realm.reads.json),
                    ("fingerprint", .array(realm.fingerprint.map { ["object": .string($0.key), "sha256": .string($0.digest)] })),
                ]))
            guard
                case .object(var realmDocument) = try SavedPlan.protecting(
                    read, secrets: secrets, variables: state.secretVariables, files: state.secretFiles, field: nil,
                    subject: "the objects the plan read in realm '\(state.redacting(realm.plan.realm))'")
            else { continue }
            realmDocument["changes"] = .array(changes)
            realmDocuments.append(.object(realmDocument))
        }
        return .object(
            JSONObject([
                ("kcxPlan", .int(SavedPlan.formatVersion)), ("kcxVersion", .string(KcxVersion.current)),
                ("server", .string(server)),
                ("file", .string(file)), ("prune", .bool(prune)), ("realms", .array(realmDocuments)),
            ]))
    }

    /// `subject` names where the value is for messages: `client-scope 'api'`, or `the objects the plan read`.
    static func protecting(
        _ value: JSON, secrets: [String], variables: [String: String], files: [String: String] = [:], field: String?,
        subject: String
    ) throws -> JSON {
        switch value {
        case .string(let text):
            // A secret read from a secretFile is stored as that file's path, read again at apply.
            if variables[text] == nil, let path = files[text] { return ["kcx:secretFile": .string(path)] }
            if let template = try template(text, secrets: secrets, variables: variables, subject: subject) {
                return ["kcx:secret": .string(template)]
            }
            if let field, Redaction.isSecretName(field), !text.isEmpty {
                throw KcxError(
                    .usage,
                    "cannot save the plan: the write for \(subject) holds the value of the secret field '\(field)', which a plan file must not store",
                    hint:
                        "apply from the file instead (kcx apply -f FILE), or give that value through a secret-named environment variable"
                )
            }
            return value
        case .array(let items):
            return .array(
                try items.map {
                    try protecting($0, secrets: secrets, variables: variables, files: files, field: field, subject: subject)
                })
        case .object(let object):
            return .object(
                JSONObject(
                    try object.map {
                        (
                            $0.key,
                            try protecting(
                                $0.value, secrets: secrets, variables: variables, files: files, field: $0.key, subject: subject)
                        )
                    }))
        default:
            return value
        }
    }

    /// `text` with each secret as `${NAME}` and every other `${` escaped as `$${`, or nil when it holds no secret.
    static func template(_ text: String, secrets: [String], variables: [String: String], subject: String) throws -> String? {
        guard secrets.contains(where: { text.contains($0) }) else { return nil }
        var result = ""
        var rest = Substring(text)
        outer: while !rest.isEmpty {
            for secret in secrets where rest.hasPrefix(secret) {
                guard let name = variables[secret] else {
                    throw KcxError(
                        .usage,
                        "cannot save the plan: \(subject) holds a secret written in the file (or a ${NAME:-default} default), which a plan file must not store",
                        hint:
                            "give the secret through a secret-named environment variable (${NAME}); the plan stores the reference and apply reads the variable"
                    )
                }
                result += "${\(name)}"
                rest = rest.dropFirst(secret.count)
                continue outer
            }
            if rest.hasPrefix("${") {
                result += "$${"
                rest = rest.dropFirst(2)
            } else {
                result.append(rest.removeFirst())
            }
        }
        return result
    }

    /// Resolves a template written by `template`: `${NAME}` from `environment`, `$${` to `${`.
    static func resolve(_ template: String, environment: [String: String], secrets: inout Set<String>) throws -> String {
        var result = ""
        var rest = Substring(template)
        while !rest.isEmpty {
            if rest.hasPrefix("$${") {
                result += "${"
                rest = rest.dropFirst(3)
            } else if rest.hasPrefix("${"), let end = rest.firstIndex(of: "}") {
                let name = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end])
                guard let value = environment[name], !value.isEmpty else {
                    throw KcxError(
                        .usage, "the saved plan needs the environment variable \(name) (a secret it refers to), which is not set",
                        hint: "set \(name) as it was when the plan was made, then run apply again; nothing was sent")
                }
                secrets.insert(value)
                result += value
                rest = rest[rest.index(after: end)...]
            } else {
                result.append(rest.removeFirst())
            }
        }
        return result
    }

    static func resolving(_ value: JSON, environment: [String: String], secrets: inout Set<String>) throws -> JSON {
        switch value {
        case .object(let object):
            if object.count == 1, let template = object["kcx:secret"]?.stringValue {
                return .string(try resolve(template, environment: environment, secrets: &secrets))
            }
            if object.count == 1, let path = object["kcx:secretFile"]?.stringValue {
                let value = try readSecretFile(path)
                secrets.insert(value)
                return .string(value)
            }
            var result: [(String, JSON)] = []
            for (key, member) in object {
                result.append((key, try resolving(member, environment: environment, secrets: &secrets)))
            }
            return .object(JSONObject(result))
        case .array(let items):
            var result: [JSON] = []
            for item in items { result.append(try resolving(item, environment: environment, secrets: &secrets)) }
            return .array(result)
        default:
            return value
        }
    }

    /// A secret file a saved plan refers to, read as the declarative file reads `secretFile`
    /// (`FileReader.secretFileValue`); unreadable or empty is a usage error before anything is sent.
    static func readSecretFile(_ path: String) throws -> String {
        let hint = "put the file back as it was when the plan was made, then run apply again; nothing was sent"
        let value: String
        do {
            value = try FileReader.secretFileValue(path)
        } catch {
            throw KcxError(
                .usage, "the saved plan needs the secret file \(path), which cannot be read: \(error.reason)", hint: hint)
        }
        guard !value.isEmpty else {
            throw KcxError(.usage, "the saved plan needs the secret file \(path), which is empty", hint: hint)
        }
        return value
    }

    /// Reads a saved plan, resolving its secret references from `environment`; `secrets` gets the
    /// resolved values (for redaction). Every problem is a usage error naming `path`.
    public static func read(_ text: String, path: String, environment: [String: String]) throws -> (
        plan: SavedPlan, secrets: Set<String>
    ) {
        func bad(_ what: String) -> KcxError {
            KcxError(
                .usage, "'\(path)' is not a kcx saved plan: \(what)",
                hint:
                    "a declarative file is applied with -f (\(Shell.kcx("apply", "-f", path))); a saved plan is made by 'kcx plan -f FILE --out PLAN'"
            )
        }
        let document: JSON
        do { document = try JSON.parse(text) } catch { throw bad("\(error)") }
        guard let version = document["kcxPlan"]?.intValue else { throw bad("no kcxPlan version") }
        guard version == formatVersion else {
            throw KcxError(
                .usage, "'\(path)' is a saved plan of format \(version); this kcx reads format \(formatVersion)",
                hint: "make the plan again with this kcx: kcx plan -f FILE --out \(path)")
        }
        guard let server = document["server"]?.stringValue, let file = document["file"]?.stringValue,
            let prune = document["prune"]?.boolValue, let realmDocuments = document["realms"]?.arrayValue
        else { throw bad("server, file, prune or realms missing") }
        var secrets = Set<String>()
        var realms: [SavedRealmPlan] = []
        for stored in realmDocuments {
            guard stored.objectValue != nil else { throw bad("a realm is not an object") }
            var realmDocument = stored
            for key in ["realm", "reads", "fingerprint"] {
                if let value = stored[key] {
                    realmDocument[key] = try resolving(value, environment: environment, secrets: &secrets)
                }
            }
            guard let realm = realmDocument["realm"]?.stringValue, let changeDocuments = realmDocument["changes"]?.arrayValue,
                let reads = realmDocument["reads"].flatMap({ LiveReadSpec(json: $0, realm: realm) }),
                let fingerprint = realmDocument["fingerprint"]?.arrayValue
            else { throw bad("a realm lacks realm, changes, reads or fingerprint") }
            var changes: [PlanChange] = []
            for changeDocument in changeDocuments {
                guard let write = changeDocument["write"] else { throw bad("a change of realm '\(realm)' has no write") }
                let action: PlanAction
                do {
                    action = try PlanAction(json: try resolving(write, environment: environment, secrets: &secrets))
                } catch let error as KcxError {
                    throw error
                } catch {
                    throw bad("in realm '\(realm)': \(error)")
                }
                guard let change = PlanChange(json: changeDocument, action: action) else {
                    throw bad("a change of realm '\(realm)' is incomplete")
                }
                changes.append(change)
            }
            realms.append(
                SavedRealmPlan(
                    plan: RealmPlan(realm: realm, changes: changes), reads: reads,
                    fingerprint: fingerprint.map { ($0["object"]?.stringValue ?? "", $0["sha256"]?.stringValue ?? "") }))
        }
        return (SavedPlan(realms: realms, server: server, file: file, prune: prune), secrets)
    }
}

/// One digest per object a live read returned, named as a person would: `client-scope api`,
/// `client webapp`, `realm default client scopes`, `legacy exchange of api`.
public enum LiveFingerprint {
    public static func of(_ live: LiveRealm) -> [(key: String, digest: String)] {
        var entries: [(String, String)] = []
        var seen: [String: Int] = [:]
        func add(_ key: String, _ value: JSON) {
            // Two objects of one name (possible for scopes) stay apart by their position.
            seen[key, default: 0] += 1
            let label = seen[key] == 1 ? key : "\(key) (#\(seen[key]!))"
            entries.append((label, digest(value)))
        }
        if !live.exists { add("realm (missing)", .bool(false)) }
        if let representation = live.realmRepresentation { add("realm settings", representation) }
        // The executor lays downscope entries over these lists: another change to one makes the plan stale.
        if let profiles = live.clientProfiles { add("client profiles", profiles) }
        if let policies = live.clientPolicies { add("client policies", policies) }
        if let on = live.exchangeEventsRecorded { add("exchange events", .bool(on)) }
        // The executor lays its change over this config: another change to it makes the plan stale.
        if let config = live.exchangeEventsConfig { add("events config", config) }
        for scope in live.clientScopes { add("client-scope \(scope["name"]?.stringValue ?? "?")", scope) }
        for client in live.clients { add("client \(client["clientId"]?.stringValue ?? "?")", client) }
        add("realm default client scopes", .array(live.realmDefaultScopeIDs.sorted().map { .string($0) }))
        add("realm optional client scopes", .array(live.realmOptionalScopeIDs.sorted().map { .string($0) }))
        for (target, state) in live.legacy.sorted(by: { $0.key < $1.key }) {
            add(
                "legacy exchange of \(target)",
                [
                    "permission": state.permissionID.map { .string($0) } ?? .null,
                    "policy": state.policyID.map { .string($0) } ?? .null,
                    "members": .array(state.members.sorted().map { .string($0) }), "attached": .bool(state.attached),
                ])
        }
        return entries
    }

    /// What differs, one line per object: `client-scope api changed`, `... was created`, `... was deleted`.
    public static func differences(saved: [(key: String, digest: String)], now: [(key: String, digest: String)]) -> [String] {
        let current = Dictionary(now.map { ($0.key, $0.digest) }, uniquingKeysWith: { first, _ in first })
        let before = Dictionary(saved.map { ($0.key, $0.digest) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        for (key, digest) in saved {
            guard let now = current[key] else {
                lines.append("\(key) was deleted")
                continue
            }
            if now != digest { lines.append("\(key) changed") }
        }
        for (key, _) in now where before[key] == nil { lines.append("\(key) was created") }
        return lines
    }

    /// SHA-256 (hex) of the value with keys sorted and secret fields left out: a digest of a client
    /// with its secret would let anyone holding the plan test guesses of that secret.
    public static func digest(_ value: JSON) -> String {
        let bytes = canonical(value).serializedBytes()
        var out = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBufferPointer { kcx_digest(256, $0.baseAddress, $0.count, &out) }
        precondition(ok == 1, "libcrypto digest failed")
        let hex = Array("0123456789abcdef")
        return String(out.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] })
    }

    static func canonical(_ value: JSON) -> JSON {
        switch value {
        case .object(let object):
            let members = object.filter { !Redaction.isSecretName($0.key) }.sorted { $0.key < $1.key }
            return .object(JSONObject(members.map { ($0.key, canonical($0.value)) }))
        case .array(let items):
            return .array(items.map(canonical))
        default:
            return value
        }
    }
}

extension PlanChange {
    /// The change as a saved plan holds it (`json`) around its write.
    init?(json: JSON, action: PlanAction) {
        let operations: [String: Operation] = ["create": .create, "update": .update, "delete": .delete]
        guard let verb = json["action"]?.stringValue, let operation = operations[verb], let kind = json["kind"]?.stringValue,
            let name = json["name"]?.stringValue, let group = json["group"]?.stringValue
        else { return nil }
        self.init(
            operation: operation, kind: kind, name: name, group: group,
            details: (json["details"]?.arrayValue ?? []).compactMap(\.stringValue), action: action)
    }
}

extension PlanAction {
    /// The write as a saved plan stores it: `{"type": "createScope", ...}` with the case's fields.
    public var json: JSON {
        func list(_ value: ScopeList?) -> JSON { value.map { .string($0.rawValue) } ?? .null }
        switch self {
        case .createRealm(let name, let body): return ["type": "createRealm", "name": .string(name), "body": body]
        case .updateRealm(let name, let body): return ["type": "updateRealm", "name": .string(name), "body": body]
        case .deleteRealm(let name): return ["type": "deleteRealm", "name": .string(name)]
        case .createClient(let clientId, let body): return ["type": "createClient", "clientId": .string(clientId), "body": body]
        case .updateClientSettings(let clientId, let client, let body):
            return ["type": "updateClientSettings", "clientId": .string(clientId), "clientUUID": .string(client), "body": body]
        case .deleteClient(let clientId, let client):
            return ["type": "deleteClient", "clientId": .string(clientId), "clientUUID": .string(client)]
        case .clientPolicyEntry(let list, let name, let entry):
            return [
                "type": "clientPolicyEntry", "list": .string(list.rawValue), "name": .string(name), "entry": entry ?? .null,
            ]
        case .recordExchangeEvents: return ["type": "recordExchangeEvents"]
        case .createScope(let name, let body): return ["type": "createScope", "name": .string(name), "body": body]
        case .updateScope(let name, let id, let body):
            return ["type": "updateScope", "name": .string(name), "id": .string(id), "body": body]
        case .deleteScope(let name, let id): return ["type": "deleteScope", "name": .string(name), "id": .string(id)]
        case .moveInRealmLists(let scope, let from, let to):
            return ["type": "moveInRealmLists", "scope": .string(scope), "from": list(from), "to": list(to)]
        case .createMapper(let scope, let body, let inline):
            return ["type": "createMapper", "scope": .string(scope), "body": body, "inline": .bool(inline)]
        case .updateMapper(let scope, let id, let body):
            return ["type": "updateMapper", "scope": .string(scope), "id": .string(id), "body": body]
        case .deleteMapper(let scope, let id): return ["type": "deleteMapper", "scope": .string(scope), "id": .string(id)]
        case .deleteClientMapper(let client, let id):
            return ["type": "deleteClientMapper", "clientUUID": .string(client), "id": .string(id)]
        case .createClientMapper(let client, let body):
            return ["type": "createClientMapper", "clientUUID": .string(client), "body": body]
        case .updateClientMapper(let client, let id, let body):
            return ["type": "updateClientMapper", "clientUUID": .string(client), "id": .string(id), "body": body]
        case .unassign(let client, let scope, let from):
            return ["type": "unassign", "clientUUID": .string(client), "scope": .string(scope), "from": list(from)]
        case .assign(let client, let scope, let from, let to):
            return ["type": "assign", "clientUUID": .string(client), "scope": .string(scope), "from": list(from), "to": list(to)]
        case .updateClient(let client, let body): return ["type": "updateClient", "clientUUID": .string(client), "body": body]
        case .legacyExchange(let target, let add, let remove):
            return [
                "type": "legacyExchange", "target": .string(target), "add": .array(add.map { .string($0) }),
                "remove": .array(remove.map { .string($0) }),
            ]
        }
    }

    /// Reads a write stored by `json`; throws naming what is missing or unknown.
    public init(json: JSON) throws {
        struct Missing: Error, CustomStringConvertible { let description: String }
        guard let type = json["type"]?.stringValue else { throw Missing(description: "a write without a type") }
        func string(_ key: String) throws -> String {
            guard let value = json[key]?.stringValue else { throw Missing(description: "write \(type) lacks \(key)") }
            return value
        }
        func body() throws -> JSON {
            guard let value = json["body"], value.objectValue != nil else {
                throw Missing(description: "write \(type) lacks its body")
            }
            return value
        }
        func list(_ key: String) throws -> ScopeList? {
            guard let value = json[key], !value.isNull else { return nil }
            guard let text = value.stringValue, let list = ScopeList(rawValue: text) else {
                throw Missing(description: "write \(type): bad \(key)")
            }
            return list
        }
        func strings(_ key: String) throws -> [String] {
            guard let items = json[key]?.arrayValue else { throw Missing(description: "write \(type) lacks \(key)") }
            return items.compactMap(\.stringValue)
        }
        switch type {
        case "createRealm": self = .createRealm(name: try string("name"), body: try body())
        case "updateRealm": self = .updateRealm(name: try string("name"), body: try body())
        case "deleteRealm": self = .deleteRealm(name: try string("name"))
        case "createClient": self = .createClient(clientId: try string("clientId"), body: try body())
        case "updateClientSettings":
            self = .updateClientSettings(clientId: try string("clientId"), clientUUID: try string("clientUUID"), body: try body())
        case "deleteClient": self = .deleteClient(clientId: try string("clientId"), clientUUID: try string("clientUUID"))
        case "clientPolicyEntry":
            guard let list = ClientPolicyList(rawValue: try string("list")) else {
                throw Missing(description: "write clientPolicyEntry names no list (profiles or policies)")
            }
            // null takes the entry out.
            var entry: JSON? = nil
            if let value = json["entry"], !value.isNull {
                guard value.objectValue != nil else {
                    throw Missing(description: "write clientPolicyEntry: entry is not an object")
                }
                entry = value
            }
            self = .clientPolicyEntry(list: list, name: try string("name"), entry: entry)
        case "recordExchangeEvents": self = .recordExchangeEvents
        case "createScope": self = .createScope(name: try string("name"), body: try body())
        case "updateScope": self = .updateScope(name: try string("name"), id: try string("id"), body: try body())
        case "deleteScope": self = .deleteScope(name: try string("name"), id: try string("id"))
        case "moveInRealmLists": self = .moveInRealmLists(scope: try string("scope"), from: try list("from"), to: try list("to"))
        case "createMapper":
            self = .createMapper(scope: try string("scope"), body: try body(), inline: json["inline"]?.boolValue ?? false)
        case "updateMapper": self = .updateMapper(scope: try string("scope"), id: try string("id"), body: try body())
        case "deleteMapper": self = .deleteMapper(scope: try string("scope"), id: try string("id"))
        case "deleteClientMapper": self = .deleteClientMapper(clientUUID: try string("clientUUID"), id: try string("id"))
        case "createClientMapper": self = .createClientMapper(clientUUID: try string("clientUUID"), body: try body())
        case "updateClientMapper":
            self = .updateClientMapper(clientUUID: try string("clientUUID"), id: try string("id"), body: try body())
        case "unassign":
            guard let from = try list("from") else { throw Missing(description: "write unassign lacks from") }
            self = .unassign(clientUUID: try string("clientUUID"), scope: try string("scope"), from: from)
        case "assign":
            guard let to = try list("to") else { throw Missing(description: "write assign lacks to") }
            self = .assign(clientUUID: try string("clientUUID"), scope: try string("scope"), from: try list("from"), to: to)
        case "updateClient": self = .updateClient(clientUUID: try string("clientUUID"), body: try body())
        case "legacyExchange":
            self = .legacyExchange(target: try string("target"), add: try strings("add"), remove: try strings("remove"))
        default: throw Missing(description: "unknown write type '\(type)'")
        }
    }
}

extension LiveReadSpec {
    /// The reads as a saved plan stores them (`reads`); the realm is stored beside them.
    var json: JSON {
        .object(
            JSONObject([
                ("clients", clients.map { .array($0.map { .string($0) }) } ?? .null),
                ("realmSettings", .bool(realmSettings)), ("prunedRealm", .bool(prunedRealm)),
                ("downscope", .bool(downscope)), ("events", .bool(events)),
                ("legacyTargets", .array(legacyTargets.map { .string($0) })),
                ("createdLegacyTargets", .array(createdLegacyTargets.map { .string($0) })),
            ]))
    }

    init?(json: JSON, realm: String) {
        guard let targets = json["legacyTargets"]?.arrayValue else { return nil }
        let clients = json["clients"]
        guard clients == nil || clients!.isNull || clients!.arrayValue != nil else { return nil }
        self.init(
            realm: realm, clients: clients?.arrayValue?.compactMap(\.stringValue),
            realmSettings: json["realmSettings"]?.boolValue ?? false, prunedRealm: json["prunedRealm"]?.boolValue ?? false)
        downscope = json["downscope"]?.boolValue ?? false
        events = json["events"]?.boolValue ?? false
        legacyTargets = targets.compactMap(\.stringValue)
        createdLegacyTargets = (json["createdLegacyTargets"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
