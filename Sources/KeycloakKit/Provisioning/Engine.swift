// The one convergence engine for imperative commands: a command states a small fragment of the
// desired realm (objects that must exist, as a file would say them, and facts that must not hold,
// which the file format has no words for), the planner diffs it against what this run has read,
// and the executor `apply` uses carries the plan out. A dry run executes the same plan against a
// recorder, so the requests it lists are the ones a real run sends.
import KcxJSON
import Synchronization

/// What one command wants of the realm.
public struct Fragment: Sendable, Equatable {
    /// Objects that must exist, with their settings: the declarative file's own types.
    public var desired: DesiredRealm
    /// Facts that must not hold.
    public var absent: [Absence]

    public init(desired: DesiredRealm, absent: [Absence] = []) {
        self.desired = desired
        self.absent = absent
    }
}

/// A fact a fragment wants gone. The engine's input only: a declarative file says what exists.
public enum Absence: Sendable, Equatable {
    /// The scope in neither of the client's lists.
    case assignment(client: String, scope: String)
    /// No client scope of this name (Keycloak also takes it out of every client and realm list).
    case scope(String)
    /// No audience mapper in the container (a scope by name, a client by clientId) for this
    /// audience and/or with this name.
    case audienceMappers(in: MapperContainer, audience: AudienceValue?, name: String?)
    /// REQUESTER not among those TARGET's kcx exchange policy lets exchange (legacy V1); judged
    /// against the wiring the live realm has read for TARGET (`LiveRealm.readLegacy`).
    case legacyRequester(target: String, requester: String)
}

extension Planner {
    /// The changes that make a fragment true of `live`: the file's checks and diff for what must
    /// exist (never pruning), then a removal per absent fact that holds.
    public static func plan(_ fragment: Fragment, live: LiveRealm) throws -> RealmPlan {
        try check(fragment.desired, against: live)
        var changes = diff(fragment.desired, live, prune: false).changes
        for absence in fragment.absent {
            switch absence {
            case .assignment(let clientId, let scope):
                guard let client = live.client(clientId), let uuid = client["id"]?.stringValue else {
                    throw KcxError(.notFound, "client '\(clientId)' is not a client of realm '\(fragment.desired.realm)'")
                }
                let holds = { (key: String) in client[key]?.arrayValue?.contains(.string(scope)) == true }
                guard
                    let list: ScopeList = holds("defaultClientScopes")
                        ? .default : holds("optionalClientScopes") ? .optional : nil
                else { continue }
                changes.append(
                    PlanChange(
                        operation: .delete, kind: "client-scope-assignment", name: "\(scope) -> \(clientId) (\(list.rawValue))",
                        group: "client \(clientId)", details: [], action: .unassign(clientUUID: uuid, scope: scope, from: list)))
            case .audienceMappers(let container, let audience, let name):
                let mappers: [JSON]
                let delete: (String) -> PlanAction
                switch container {
                case .clientScope(let scope):
                    guard let representation = live.scope(named: scope) else {
                        throw KcxError(.notFound, "client scope '\(scope)' not found in realm '\(fragment.desired.realm)'")
                    }
                    mappers = representation["protocolMappers"]?.arrayValue ?? []
                    delete = { .deleteMapper(scope: scope, id: $0) }
                case .client(let clientId):
                    guard let representation = live.client(clientId), let uuid = representation["id"]?.stringValue else {
                        throw KcxError(.notFound, "client '\(clientId)' is not a client of realm '\(fragment.desired.realm)'")
                    }
                    mappers = representation["protocolMappers"]?.arrayValue ?? []
                    delete = { .deleteClientMapper(clientUUID: uuid, id: $0) }
                }
                for mapper in mappers where audienceMapperMatches(mapper, audience: audience, name: name) {
                    guard let id = mapper["id"]?.stringValue else { continue }
                    changes.append(
                        PlanChange(
                            operation: .delete, kind: "audience-mapper",
                            name: "\(mapper["name"]?.stringValue ?? id) on \(container.label)",
                            group: container.label, details: [], action: delete(id)))
                }
            case .legacyRequester(let target, let requester):
                guard let state = live.legacy[target] else { continue }
                let identities: Set<String> = [requester, live.client(requester)?["id"]?.stringValue ?? requester]
                guard let member = state.members.first(where: identities.contains) else { continue }
                changes.append(
                    PlanChange(
                        operation: state.members.count == 1 ? .delete : .update, kind: "legacy-exchange", name: target,
                        group: "client \(target)",
                        details: ["requesters: - \(requester)"],
                        action: .legacyExchange(target: target, add: [], remove: [member])))
            case .scope(let name):
                guard let id = live.scope(named: name)?["id"]?.stringValue else { continue }
                changes.append(
                    PlanChange(
                        operation: .delete, kind: "client-scope", name: name, group: "client-scope \(name)", details: [],
                        action: .deleteScope(name: name, id: id)))
            }
        }
        return RealmPlan(realm: fragment.desired.realm, changes: changes)
    }
}

extension Writer {
    /// The realm as this run has read it, for the planner: the scope list and the named clients.
    /// `scopes` false: a fragment about clients alone, which needs no scope list.
    func liveRealm(clients: [ClientRef], scopes: Bool = true) throws -> LiveRealm {
        LiveRealm(
            clientScopes: scopes ? try lookup.clientScopes().map(\.representation) : [], clients: clients.map(\.representation),
            realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
    }

    /// Plans the fragment against `live` and runs the plan through `PlanExecutor`, one worker, on
    /// this writer's API (or, in a dry run, a recorder that answers every write without sending
    /// it). Each change carried out is recorded; the first failure is thrown with its exit code.
    /// `kinds` renames a plan's kind of change in the outcome lines, where a command has always
    /// used its own word (`token-exchange` in a plan is `standard-token-exchange` for `enable`).
    @discardableResult
    func converge(_ fragment: Fragment, live: LiveRealm, kinds: [String: String] = [:]) throws -> [PlanChange] {
        let (applied, outcomes) = try execute(fragment, live: live, kinds: kinds)
        for change in outcomes { record(change) }
        return applied
    }

    /// `converge` for a command that says a line per object whether it changed or not: each of
    /// `expected` (an unchanged line) is replaced by the outcome for the same kind and name, and any
    /// other outcome follows.
    func converge(_ fragment: Fragment, live: LiveRealm, expected: [Change]) throws {
        let (_, outcomes) = try execute(fragment, live: live)
        var lines = expected.map { line in outcomes.first { $0.kind == line.kind && $0.name == line.name } ?? line }
        lines += outcomes.filter { !lines.contains($0) }
        for line in lines { record(line) }
    }

    /// `converge` without recording: the changes carried out, in the plan's order, and their
    /// outcome lines (a legacy wiring change stands for the lines of the writes it made), for a
    /// command that places them among lines of its own. On a failure, what was done is recorded.
    func execute(_ fragment: Fragment, live: LiveRealm, kinds: [String: String] = [:]) throws -> (
        applied: [PlanChange], outcomes: [Change]
    ) {
        let plan = try Planner.plan(fragment, live: live)
        guard !plan.changes.isEmpty else { return ([], []) }
        let recorder = RecordingAPI(api, sending: !dryRun)
        // A create another run made first (a 409, then found) is reported as unchanged.
        let foundMade = Mutex<[PlanChange]>([])
        let executor = PlanExecutor(
            realm: realm, live: live, workers: [recorder],
            onResult: { change, result in
                if result == .alreadyDone, change.operation == .create { foundMade.withLock { $0.append(change) } }
            })
        executor.dryRun = dryRun
        executor.lookupCache = cache
        let report = executor.run(plan)
        let legacy = executor.legacyOutcomes.withLock { $0 }
        requests += recorder.recorded + legacy.requests
        // The executor reports in the order it carried changes out (phase by phase); say them in the plan's.
        let applied = plan.changes.filter(report.applied.contains)
        var outcomes: [Change] = []
        var legacyShown = false
        for change in applied {
            if case .legacyExchange = change.action {
                if !legacyShown { outcomes += legacy.changes }
                legacyShown = true
                continue
            }
            if foundMade.withLock({ $0.contains(change) }) {
                outcomes.append(Change(kind: kinds[change.kind] ?? change.kind, name: change.name, outcome: .unchanged))
                continue
            }
            outcomes.append(
                Change(
                    kind: kinds[change.kind] ?? change.kind, name: change.name, outcome: Outcome(change.operation),
                    details: change.details))
        }
        // The error itself (it keeps its hint), else the executor's words.
        if let failure = report.failure {
            for change in outcomes { record(change) }
            if !legacyShown { for change in legacy.changes { record(change) } }
            throw executor.firstError.withLock { $0 } ?? recorder.lastError ?? KcxError(failure.code, failure.message)
        }
        return (applied, outcomes)
    }
}

extension Outcome {
    init(_ operation: PlanChange.Operation) {
        switch operation {
        case .create: self = .created
        case .update: self = .updated
        case .delete: self = .deleted
        }
    }
}

/// Sends reads, and records every write as a dry run shows it; with `sending` false it answers
/// writes itself (204, or 201 naming a placeholder) instead of sending them.
final class RecordingAPI: AdminAPI, @unchecked Sendable {
    let inner: AdminAPI
    let sending: Bool
    private let log = Mutex<[PlannedRequest]>([])
    private let failure = Mutex<KcxError?>(nil)

    init(_ inner: AdminAPI, sending: Bool) {
        self.inner = inner
        self.sending = sending
    }

    var recorded: [PlannedRequest] { log.withLock { $0 } }
    /// The last error a request answered with.
    var lastError: KcxError? { failure.withLock { $0 } }
    var retrying: RetryingTransport? { inner.retrying }

    func displayPath(endpoint: Endpoint, realm: String?) -> String { inner.displayPath(endpoint: endpoint, realm: realm) }

    func send(method: String, endpoint: Endpoint, realm: String?, query: [(String, String)], body: JSON?) throws -> HTTPResponse {
        if method != "GET" { log.withLock { $0.append(PlannedRequest(method: method, endpoint: endpoint.readable, body: body)) } }
        if sending || method == "GET" {
            do {
                return try inner.send(method: method, endpoint: endpoint, realm: realm, query: query, body: body)
            } catch let error as KcxError {
                failure.withLock { $0 = error }
                throw error
            }
        }
        if method == "POST" {
            // A scope created in the same plan is named by a placeholder in the requests that use it.
            let placeholder =
                endpoint.readable == "client-scopes" ? body?["name"]?.stringValue.map { "<new client-scope \($0)>" } : nil
            return HTTPResponse(status: 201, headers: [("Location", "\(endpoint.readable)/\(placeholder ?? "<new>")")], body: [])
        }
        return HTTPResponse(status: 204, headers: [], body: [])
    }
}
