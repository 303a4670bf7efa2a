// What an idempotent operation did (or, in a dry run, would do): one outcome per object, the
// field-level differences, and the write requests sent or planned. Operations never print.
import KcxJSON

public enum Outcome: String, Sendable, Equatable {
    case created, updated, unchanged, deleted
}

/// One object's result, e.g. `client-scope api-access: created`.
public struct Change: Sendable, Equatable {
    /// The kind of object, in the CLI's words: `client-scope`, `audience-mapper`, `client-scope-assignment`…
    public let kind: String
    /// How the user names it: `api-access`, `api-access -> myapp (default)`.
    public let name: String
    public let outcome: Outcome
    /// Human-readable differences, e.g. `description: "old" -> "new"`.
    public let details: [String]

    public init(kind: String, name: String, outcome: Outcome, details: [String] = []) {
        self.kind = kind
        self.name = name
        self.outcome = outcome
        self.details = details
    }

    public var json: JSON {
        var object = JSONObject([("kind", .string(kind)), ("name", .string(name)), ("outcome", .string(outcome.rawValue))])
        if !details.isEmpty { object["details"] = .array(details.map { .string($0) }) }
        return .object(object)
    }
}

/// A write kcx sent or, in a dry run, would send, as it is shown: the body redacted exactly as `-v`
/// redacts it, since dry runs end up in CI logs.
public struct PlannedRequest: Sendable, Equatable {
    public let method: String
    public let endpoint: String
    public let body: JSON?

    init(method: String, endpoint: String, body: JSON?) {
        self.method = method
        self.endpoint = endpoint
        self.body = body.map(Redaction.json)
    }

    public var description: String {
        if let body { return "\(method) \(endpoint) \(body.serialized())" }
        return "\(method) \(endpoint)"
    }
}

/// One command's run: its look-ups (each object read once), its outcome lines and, in a dry run,
/// the requests it would send. Its writes are the engine's (`converge`/`execute`: the planner and
/// `PlanExecutor`), recorded rather than sent when `dryRun` is set. Reads always go to the server,
/// so a dry run shows exactly what a real run would change now.
public final class Writer {
    public let api: AdminAPI
    public let realm: String
    public let dryRun: Bool
    public internal(set) var requests: [PlannedRequest] = []
    public private(set) var changes: [Change] = []
    /// realm-management's authorization server path, looked up once per run.
    var authorizationServerEndpoint: Endpoint?
    /// Every client and the scope list this run has read, kept true after its own writes.
    public let cache: LookupCache

    public init(api: AdminAPI, realm: String, dryRun: Bool, cache: LookupCache = LookupCache()) {
        self.api = api
        self.realm = realm
        self.dryRun = dryRun
        self.cache = cache
    }

    /// Look-ups through this run's cache: each object is read once.
    public var lookup: Lookup { Lookup(api: api, realm: realm, cache: cache) }

    func record(_ change: Change) { changes.append(change) }
}

/// Describes how `current` differs from `desired` for the keys `desired` names (nested objects
/// compared key by key, so attributes kcx does not manage are left out of the diff).
/// A secret field (one of Redaction's names: a mapper's `secret`, a `password`, and everything
/// under it) or a value holding one of `secrets` shows only that it changes: `<redacted>` for both sides.
func differences(current: JSON?, desired: JSON, path: String = "", hiding secrets: Set<String> = [], secretField: Bool = false)
    -> [String]
{
    switch desired {
    case .object(let wanted):
        var lines: [String] = []
        for (key, value) in wanted {
            let nested = path.isEmpty ? key : "\(path).\(key)"
            lines += differences(
                current: current?[key], desired: value, path: nested, hiding: secrets,
                secretField: secretField || Redaction.isSecretName(key))
        }
        return lines
    default:
        if let current, current == desired { return [] }
        if secretField || (desired.stringValue.map { text in secrets.contains { text.contains($0) } } ?? false) {
            return ["\(path): \(current == nil ? "(none)" : Redaction.placeholder) -> \(Redaction.placeholder)"]
        }
        return ["\(path): \(current?.serialized() ?? "(none)") -> \(desired.serialized())"]
    }
}

/// `current` with every member of `desired` laid over it, recursively for objects.
func overlay(_ current: JSON, with desired: JSON) -> JSON {
    guard case .object(var base) = current, case .object(let changes) = desired else { return desired }
    for (key, value) in changes {
        if let existing = base[key], case .object = existing, case .object = value {
            base[key] = overlay(existing, with: value)
        } else {
            base[key] = value
        }
    }
    return .object(base)
}
