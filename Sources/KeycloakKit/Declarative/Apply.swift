// Carries out a plan in dependency order, each phase's writes spread over a bounded number of
// workers (each with its own connection); the first failure stops further writes.
import KcxJSON
import Synchronization

/// How one change went.
public enum ChangeResult: Sendable, Equatable {
    case applied
    /// Someone else made it first (409 on create, 404 on delete): the state is as wanted.
    case alreadyDone
    /// The message, and the exit code kcx gives that failure anywhere else (4 for a 403, 6 for the network...).
    case failed(String, code: ExitCode)
}

public struct ApplyReport: Sendable {
    public var applied: [PlanChange] = []
    public var failure: (change: PlanChange, message: String, code: ExitCode)?
    /// Changes never attempted because an earlier one failed or `shouldStop` said so.
    public var notApplied: [PlanChange] = []
    /// True when `shouldStop` ended the run early (Ctrl-C); the writes in flight were finished.
    public var interrupted = false
}

public final class PlanExecutor: @unchecked Sendable {
    let realm: String
    let apis: [APIBox]
    /// Scope name -> id, seeded from the live realm and filled in as scopes are created.
    let scopeIDs: Mutex<[String: String]>
    /// Scopes this run created with their mappers inline (those mappers need no request of their own).
    let createdWithMappers = Mutex(Set<String>())
    /// A client the plan meant to create with one id that turned out to exist under another (another
    /// run made it meanwhile): planned id -> its real id, for the changes that name it.
    let clientAliases = Mutex([String: String]())
    let onResult: @Sendable (PlanChange, ChangeResult) -> Void
    /// The events config the plan was made from (read with `exchangeEvents`), so recording exchange
    /// events lays its change over what was read instead of reading it again.
    let eventsConfig: JSON?
    /// The client-policies lists the plan was made from, each replaced by what this run PUT.
    let clientPolicyDocuments: Mutex<[ClientPolicyList: JSON]>
    /// Asked before each write is started; true stops the run after the writes in flight (Ctrl-C).
    public var shouldStop: @Sendable () -> Bool = { false }
    /// A command's own run (`Writer.converge`): the legacy wiring, carried out by the writes the
    /// legacy commands have always made, records rather than sends them when `dryRun` is set, and
    /// looks clients up through the command's cache (one worker, so it is not shared across threads).
    var dryRun = false
    var lookupCache: LookupCache?
    /// The per-object outcomes and (in a dry run) the writes of the legacy wiring, which one plan
    /// change stands for: a command reports these instead of the change.
    let legacyOutcomes = Mutex<(changes: [Change], requests: [PlannedRequest])>(([], []))

    /// One API per worker, so each has its own connection; `onResult` is called from worker
    /// threads, one call at a time.
    public init(
        realm: String, live: LiveRealm, workers: [AdminAPI], onResult: @escaping @Sendable (PlanChange, ChangeResult) -> Void
    ) {
        precondition(!workers.isEmpty, "a plan needs at least one worker")
        self.realm = realm
        apis = workers.map(APIBox.init)
        var ids: [String: String] = [:]
        for scope in live.clientScopes {
            if let name = scope["name"]?.stringValue, let id = scope["id"]?.stringValue { ids[name] = id }
        }
        scopeIDs = Mutex(ids)
        eventsConfig = live.exchangeEventsConfig
        var documents: [ClientPolicyList: JSON] = [:]
        documents[.profiles] = live.clientProfiles
        documents[.policies] = live.clientPolicies
        clientPolicyDocuments = Mutex(documents)
        self.onResult = onResult
    }

    public func run(_ plan: RealmPlan) -> ApplyReport {
        let report = Mutex(ApplyReport())
        let phases = Dictionary(grouping: plan.changes, by: \.action.phase).sorted { $0.key < $1.key }.map(\.value)
        let reportLock = Mutex(())
        for (phaseIndex, changes) in phases.enumerated() {
            let next = Mutex(0)
            let stop = Mutex(false)
            // A thread per worker, so --parallel N keeps N requests in flight whatever the core count.
            Workers.run(min(apis.count, changes.count)) { worker in
                let api = self.apis[worker].api
                while true {
                    let index: Int? = next.withLock { value in
                        guard !stop.withLock({ $0 }), value < changes.count else { return nil }
                        if self.shouldStop() {
                            stop.withLock { $0 = true }
                            return nil
                        }
                        value += 1
                        return value - 1
                    }
                    guard let index else { return }
                    let change = changes[index]
                    let result = self.perform(change.action, api)
                    reportLock.withLock { _ in
                        report.withLock { report in
                            if case .failed(let message, let code) = result {
                                if report.failure == nil {
                                    report.failure = (change, message, code)
                                } else {
                                    report.notApplied.append(change)
                                }
                            } else {
                                report.applied.append(change)
                            }
                        }
                        self.onResult(change, result)
                    }
                    if case .failed = result { stop.withLock { $0 = true } }
                }
            }
            let interrupted = report.withLock { $0.failure == nil } && stop.withLock { $0 }
            if interrupted { report.withLock { $0.interrupted = true } }
            let failed = report.withLock { $0.failure != nil }
            if failed || interrupted {
                // Workers take changes in order, so those from `next` on were never reached.
                let reached = next.withLock { $0 }
                report.withLock { report in
                    report.notApplied += changes[reached...]
                    for later in phases.dropFirst(phaseIndex + 1) { report.notApplied += later }
                }
                break
            }
        }
        return report.withLock { $0 }
    }

    final class APIBox: @unchecked Sendable {
        let api: AdminAPI
        init(_ api: AdminAPI) { self.api = api }
    }

    func scopeID(_ name: String, _ api: AdminAPI) throws -> String {
        if let id = scopeIDs.withLock({ $0[name] }) { return id }
        try rereadScopes(api)
        guard let id = scopeIDs.withLock({ $0[name] }) else {
            throw KcxError(.notFound, "client scope '\(name)' not found in realm '\(realm)'")
        }
        return id
    }

    func rereadScopes(_ api: AdminAPI) throws {
        let scopes = try api.getArray("client-scopes", realm: realm)
        scopeIDs.withLock { ids in
            for scope in scopes {
                if let name = scope["name"]?.stringValue, let id = scope["id"]?.stringValue { ids[name] = id }
            }
        }
    }

    /// The first error a change failed with, whole (its hint too), for a command to throw.
    let firstError = Mutex<KcxError?>(nil)

    func perform(_ action: PlanAction, _ api: AdminAPI) -> ChangeResult {
        do {
            return try execute(action, api)
        } catch let error as KcxError {
            firstError.withLock { if $0 == nil { $0 = error } }
            return .failed(error.message, code: error.code)
        } catch {
            return .failed("\(error)", code: .serverError)
        }
    }

    func send(_ api: AdminAPI, _ method: String, _ endpoint: Endpoint, _ body: JSON? = nil) throws -> HTTPResponse {
        try api.send(method: method, endpoint: endpoint, realm: realm, query: [], body: body)
    }

    /// A write whose 409 (create) or 404 (delete) means another run already got there.
    /// POSTs a protocol mapper to `endpoint` (a scope's or a client's mappers). A lost answer or a
    /// 409 is settled by looking the mapper up by name: never two of one name.
    func createMapperOnce(_ endpoint: Endpoint, _ body: JSON, _ api: AdminAPI) throws -> ChangeResult {
        let name = body["name"]?.stringValue
        let find = { () throws -> String? in
            try api.getArray(endpoint, realm: self.realm).first { $0["name"]?.stringValue == name }?["id"]?.stringValue
        }
        switch try api.createOnce(endpoint, realm: realm, body: body, find: find) {
        case .created, .recovered: return .applied
        case .existing: return .alreadyDone
        }
    }

    func tolerating(_ code: ExitCode, _ write: () throws -> Void) throws -> ChangeResult {
        do {
            try write()
            return .applied
        } catch let error as KcxError where error.code == code {
            return .alreadyDone
        }
    }

    /// Lays the file's settings over a scope that existed when kcx meant to create it, without
    /// marking it as kcx's (prune must never remove what another tool made).
    func settleExistingScope(_ id: String, body: JSON, _ api: AdminAPI) throws -> ChangeResult {
        var wanted = body
        wanted["protocolMappers"] = nil
        wanted["attributes"]?[managedAttribute] = nil
        var current = try api.get("client-scopes/\(id)", realm: realm)
        current["protocolMappers"] = nil
        let settled = overlay(current, with: wanted)
        if settled == current { return .alreadyDone }
        _ = try send(api, "PUT", "client-scopes/\(id)", settled)
        return .applied
    }

    /// Lays one entry's change over the list as the plan read it (as this run last wrote it), every
    /// other entry kept, and PUTs the list: Keycloak replaces a client-policies list whole.
    func putClientPolicyEntry(_ list: ClientPolicyList, name: String, entry: JSON?, _ api: AdminAPI) throws -> ChangeResult {
        let document = try clientPolicyDocuments.withLock { $0[list] } ?? api.get(list.endpoint, realm: realm)
        var items = entries(document, list)
        let index = items.firstIndex { $0["name"]?.stringValue == name }
        switch (index, entry) {
        case (nil, nil): return .alreadyDone
        case (let index?, nil): items.remove(at: index)
        case (let index?, let entry?):
            if items[index] == entry { return .alreadyDone }
            items[index] = entry
        case (nil, let entry?): items.append(entry)
        }
        var updated = document
        updated[list.rawValue] = .array(items)
        _ = try send(api, "PUT", list.endpoint, updated)
        clientPolicyDocuments.withLock { $0[list] = updated }
        return .applied
    }

    /// The client's real id: the plan's, unless the client turned out to exist under another.
    func clientUUID(_ planned: String) -> String { clientAliases.withLock { $0[planned] } ?? planned }

    /// Re-reads the client and PUTs it with `body` laid over it (Keycloak merges attributes key by key).
    func updateClient(_ id: String, _ body: JSON, _ api: AdminAPI) throws {
        let current = try api.get("clients/\(id)", realm: realm)
        _ = try send(api, "PUT", "clients/\(id)", overlay(current, with: body))
    }

    func execute(_ action: PlanAction, _ api: AdminAPI) throws -> ChangeResult {
        switch action {
        case .createRealm(let name, let body):
            // A lost answer or a 409 is settled by looking the realm up: made meanwhile is as wanted.
            let find = { () throws -> String? in try api.getIfExists("realms/\(name)", realm: name).map { _ in name } }
            switch try api.createOnce("realms", realm: nil, body: body, find: find) {
            case .created, .recovered: return .applied
            case .existing: return .alreadyDone
            }
        case .deleteRealm(let name):
            return try tolerating(.notFound) {
                _ = try api.send(method: "DELETE", endpoint: "realms/\(name)", realm: nil, query: [], body: nil)
            }
        case .updateRealm(let name, let body):
            _ = try api.send(method: "PUT", endpoint: "realms/\(name)", realm: nil, query: [], body: body)
            return .applied
        case .createClient(let clientId, let body):
            let find = { () throws -> String? in
                try api.getArray("clients", realm: self.realm, query: [("clientId", clientId), ("search", "false")])
                    .first { $0["clientId"]?.stringValue == clientId }?["id"]?.stringValue
            }
            let planned = body["id"]?.stringValue ?? ""
            switch try api.createOnce("clients", realm: realm, body: body, find: find) {
            case .created: return .applied
            case .recovered(let id), .existing(let id):
                if id != planned { clientAliases.withLock { $0[planned] = id } }
                if id == planned { return .applied }
                // Made by someone else meanwhile: bring it to the file's settings, without marking it as kcx's.
                var wanted = body
                wanted["id"] = nil
                wanted["attributes"]?[managedAttribute] = nil
                try updateClient(id, wanted, api)
                return .applied
            }
        case .updateClientSettings(_, let client, let body):
            try updateClient(clientUUID(client), body, api)
            return .applied
        case .deleteClient(_, let client):
            return try tolerating(.notFound) { _ = try send(api, "DELETE", "clients/\(client)") }
        case .clientPolicyEntry(let list, let name, let entry):
            return try putClientPolicyEntry(list, name: name, entry: entry, api)
        case .recordExchangeEvents:
            // Laid over the config the plan read (PUT overwrites eventsEnabled and eventsExpiration
            // even when absent, so the whole object goes back).
            let config = try eventsConfig ?? api.get("events/config", realm: realm)
            guard let (body, _) = exchangeEventsUpdate(config) else { return .alreadyDone }
            _ = try send(api, "PUT", "events/config", body)
            return .applied
        case .createScope(let name, let body):
            // A lost answer or a 409 is settled by looking the scope up: never two scopes of one name.
            let find = { () throws -> String? in
                try self.rereadScopes(api)
                return self.scopeIDs.withLock { $0[name] }
            }
            switch try api.createOnce("client-scopes", realm: realm, body: body, find: find) {
            case .created(let response):
                guard let id = createdID(from: response) else {
                    throw KcxError(
                        .serverError,
                        "POST client-scopes: the server did not say where it created the object (no Location header)")
                }
                scopeIDs.withLock { $0[name] = id }
                createdWithMappers.withLock { _ = $0.insert(name) }
                return .applied
            case .recovered(let id):
                // Found after a lost answer: maybe ours, maybe another run's, so its settings are checked
                // and its mappers are written on their own (a 409 for one already there is fine).
                _ = try settleExistingScope(id, body: body, api)
                return .applied
            case .existing(let id):
                // Another command made it first, maybe with other settings (audience add's has no
                // description): bring them to the file's now rather than on the next run.
                return try settleExistingScope(id, body: body, api)
            }
        case .updateScope(_, let id, let body):
            _ = try send(api, "PUT", "client-scopes/\(id)", body)
            return .applied
        case .deleteScope(_, let id):
            return try tolerating(.notFound) { _ = try send(api, "DELETE", "client-scopes/\(id)") }
        case .moveInRealmLists(let scope, let from, let to):
            let id = try scopeID(scope, api)
            if let from { _ = try tolerating(.notFound) { _ = try send(api, "DELETE", "\(from.realmEndpoint)/\(id)") } }
            if let to { return try tolerating(.conflict) { _ = try send(api, "PUT", "\(to.realmEndpoint)/\(id)") } }
            return .applied
        case .createMapper(let scope, let body, let inline):
            if inline, createdWithMappers.withLock({ $0.contains(scope) }) { return .applied }
            let id = try scopeID(scope, api)
            return try createMapperOnce("client-scopes/\(id)/protocol-mappers/models", body, api)
        case .updateMapper(let scope, let mapperID, let body):
            let id = try scopeID(scope, api)
            _ = try send(api, "PUT", "client-scopes/\(id)/protocol-mappers/models/\(mapperID)", body)
            return .applied
        case .deleteMapper(let scope, let mapperID):
            let id = try scopeID(scope, api)
            return try tolerating(.notFound) {
                _ = try send(api, "DELETE", "client-scopes/\(id)/protocol-mappers/models/\(mapperID)")
            }
        case .assign(let planned, let scope, let from, let to):
            let client = clientUUID(planned)
            let id = try scopeID(scope, api)
            // Keycloak ignores a PUT into the other list while the scope is in one, so remove it first.
            if let from {
                _ = try tolerating(.notFound) { _ = try send(api, "DELETE", "clients/\(client)/\(from.clientEndpoint)/\(id)") }
            }
            return try tolerating(.conflict) { _ = try send(api, "PUT", "clients/\(client)/\(to.clientEndpoint)/\(id)") }
        case .createClientMapper(let planned, let body):
            return try createMapperOnce("clients/\(clientUUID(planned))/protocol-mappers/models", body, api)
        case .updateClientMapper(let client, let mapperID, let body):
            _ = try send(api, "PUT", "clients/\(clientUUID(client))/protocol-mappers/models/\(mapperID)", body)
            return .applied
        case .deleteClientMapper(let client, let mapperID):
            return try tolerating(.notFound) {
                _ = try send(api, "DELETE", "clients/\(client)/protocol-mappers/models/\(mapperID)")
            }
        case .unassign(let client, let scope, let from):
            let id = try scopeID(scope, api)
            return try tolerating(.notFound) { _ = try send(api, "DELETE", "clients/\(client)/\(from.clientEndpoint)/\(id)") }
        case .updateClient(let client, let body):
            // Re-read so the PUT carries the client as it is now; Keycloak merges attributes key by key.
            try updateClient(clientUUID(client), body, api)
            return .applied
        case .legacyExchange(let targetName, let add, let remove):
            // The same writes as `kcx token-exchange allow/deny --mode legacy` always made.
            let writer = Writer(api: api, realm: realm, dryRun: dryRun, cache: lookupCache ?? LookupCache())
            defer {
                legacyOutcomes.withLock {
                    $0.changes += writer.changes; if dryRun { $0.requests += writer.requests }
                }
            }
            let target = try writer.lookup.requireClient(targetName)
            for requester in add {
                try writer.allowLegacyExchange(requester: try writer.lookup.requireClient(requester), target: target)
            }
            for member in remove {
                let requester = try writer.lookup.client(member) ?? ClientRef(id: member, clientId: member, representation: [:])
                try writer.denyLegacyExchange(requester: requester, target: target)
            }
            return .applied
        }
    }
}

/// Counts the HTTP requests sent through it (for the plan/apply summaries); thread-safe.
public final class CountingTransport: HTTPTransport, @unchecked Sendable {
    let inner: HTTPTransport
    let counter: RequestCounter

    public init(wrapping inner: HTTPTransport, counter: RequestCounter) {
        self.inner = inner
        self.counter = counter
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        counter.increment()
        return try inner.send(request)
    }
}

public final class RequestCounter: Sendable {
    let count = Mutex(0)
    public init() {}
    public func increment() { count.withLock { $0 += 1 } }
    public var value: Int { count.withLock { $0 } }
}

/// Serialises a token provider shared by several workers (TokenManager refreshes and re-logs in
/// by mutating its session, which is not safe from two threads at once).
public final class SerializedTokenProvider: AccessTokenProvider, @unchecked Sendable {
    let inner: AccessTokenProvider
    let lock = Mutex(())

    public init(_ inner: AccessTokenProvider) { self.inner = inner }

    public func accessToken() throws -> String { try lock.withLock { _ in try inner.accessToken() } }
    public func renewAfterRejection(of rejected: String) throws -> String? {
        try lock.withLock { _ in try inner.renewAfterRejection(of: rejected) }
    }
    public var reloginHint: String? { inner.reloginHint }
}
