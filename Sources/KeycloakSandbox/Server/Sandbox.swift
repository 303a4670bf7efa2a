// The sandbox as one object: loads state, bootstraps master, dispatches each request (control API, fault
// rules, serverinfo, OIDC, admin, Keycloak's 404) and journals every change before answering.
import Foundation
import KcxJSON
import LoopbackHTTP

public struct SandboxStartError: Error, Equatable, CustomStringConvertible {
    public var description: String
    /// What to do about it, when the error knows better than the generic start-up hint.
    public var hint: String?
    public init(_ description: String, hint: String? = nil) {
        self.description = description
        self.hint = hint
    }
}

public final class Sandbox: @unchecked Sendable {
    public let options: SandboxOptions
    public let context: SandboxContext
    public let faults = FaultRuleSet()
    /// True when start-up created the master realm and its admin; false when the state file already held it
    /// (then the admin password options were not used).
    public let createdMasterRealm: Bool
    /// Realm names imported at start, and those skipped because they already existed (as Keycloak's import does).
    public private(set) var importedRealms: [String] = []
    public private(set) var skippedImports: [String] = []

    private let stateFile: StateFile?
    private let journal: StateJournalFile?
    /// The store and key generation the state file plus journal hold (guarded by `persistLock`).
    private var persisted = StoreState()
    private var persistedKeysGeneration = -1
    private let lock = NSLock()
    private let persistLock = NSLock()
    private var server: LoopbackHTTPServer?
    private var handledRequests = 0
    private var persistFailures = 0
    private let startedAt: Double

    public init(options: SandboxOptions, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 })
        throws(SandboxStartError)
    {
        _ = Sandbox.adminAuthenticationWired
        self.options = options
        let context = SandboxContext(store: SandboxStore(), features: options.features, clock: clock)
        self.context = context
        startedAt = clock()
        stateFile = options.stateFile.map(StateFile.init(path:))
        journal = options.stateFile.map(StateJournalFile.init(statePath:))

        if let stateFile, let journal {
            do {
                if let saved = try stateFile.load() { try Sandbox.restore(saved, into: context) }
                try Sandbox.replay(try journal.batches(), into: context)
            } catch let error as StateFileError {
                throw SandboxStartError(error.description)
            } catch {
                throw SandboxStartError("state file '\(stateFile.path)' cannot be restored: \(error)")
            }
        }
        let needsMaster = context.store.read { $0.master == nil }
        if needsMaster {
            let now = context.now()
            context.store.withLock {
                $0.bootstrapMaster(adminUsername: options.adminUsername, adminPassword: options.adminPassword, now: now)
            }
        }
        createdMasterRealm = needsMaster
        try importRealms(options.importFiles)
        if stateFile != nil { try saveState() }
    }

    /// Admin authorization (H3's AdminAuth) trusts exactly the tokens the OIDC side verifies: signature,
    /// expiry, live session, existing user. Set once per process (a static initialiser runs once).
    private static let adminAuthenticationWired: Void = {
        AdminAuth.tokenVerifier = { token, context in
            verifyAccessToken(token, context: context).map { AdminCaller(realmName: $0.realmName, userId: $0.userId) }
        }
    }()

    /// Binds and starts serving; returns the base URL (also set as the context's, for `iss` and `Location`).
    @discardableResult
    public func start() throws(SandboxStartError) -> String {
        let server = LoopbackHTTPServer(
            host: options.host, port: options.port, allowNonLoopback: options.allowNonLoopback, limits: options.limits
        ) { [weak self] request in
            guard let self else { return .respond(ServerResponse(status: 503)) }
            return self.handle(request)
        }
        do {
            try server.start()
        } catch LoopbackHTTPError.nonLoopbackHost(let host) {
            // No TLS, a control API and a known admin: reachable from other machines only when asked for.
            throw SandboxStartError(
                "refusing to bind to non-loopback address '\(host)' (pass --allow-non-loopback to permit it)",
                hint: "use --host 127.0.0.1 or ::1, or add --allow-non-loopback if other machines must reach this sandbox")
        } catch let error as LoopbackHTTPError {
            throw SandboxStartError(error.description)
        } catch {
            throw SandboxStartError("\(error)")
        }
        context.baseURL = server.baseURL
        lock.withLock { self.server = server }
        return server.baseURL
    }

    /// A dropped sandbox stops listening (its server threads would otherwise keep the port).
    deinit { stop() }

    public func stop() {
        let server = lock.withLock { () -> LoopbackHTTPServer? in
            defer { self.server = nil }
            return self.server
        }
        server?.stop()
    }

    /// Stops serving and folds the journal into the state file (SIGTERM, SIGINT).
    public func shutdown() throws(SandboxStartError) {
        stop()
        try saveState()
    }

    /// Answers one request; the HTTP server calls this, and tests may call it directly.
    public func handle(_ request: ServerRequest) -> ServerAction {
        lock.withLock { handledRequests += 1 }
        if options.controlEnabled && (request.path == "/_sandbox" || request.path.hasPrefix("/_sandbox/")) {
            guard Sandbox.isLoopback(request.remoteAddress) else {
                return .respond(ControlRoutes.error(403, "the control API answers loopback clients only"))
            }
            if let refusal = ControlRoutes.refusal(request) { return .respond(refusal) }
            return .respond(ControlRoutes.handle(request, self))
        }
        if let action = faults.consume(method: request.method, path: request.path) {
            switch action {
            case .status(let status, let body, let contentType):
                return .respond(ServerResponse(status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8)))
            case .delay(let seconds, let status, let body, let contentType):
                // The real request still takes effect: a slow server that a client times out on has done the work.
                let response =
                    status.map {
                        ServerResponse(status: $0, headers: [("Content-Type", contentType)], body: Array(body.utf8))
                    } ?? route(request)
                return .respondAfter(seconds: seconds, response)
            case .drop:
                return .dropConnection
            case .dropAfterApplying:
                _ = route(request)
                return .dropConnection
            case .expireTokens:
                expireAllTokensAndSessions()
                return .respond(route(request))
            }
        }
        return .respond(route(request))
    }

    /// Routes a request to the emulation and persists the state when it changed something.
    func route(_ request: ServerRequest) -> ServerResponse {
        let response =
            ServerInfoRoute.handle(request, context) ?? PublicRealm.handle(request, context) ?? OIDCRoutes.handle(
                request, context)
            ?? AdminRoutes.handle(request, context) ?? Sandbox.notFound
        if stateFile != nil && Sandbox.mayMutate(request.method) && response.status < 400 {
            do {
                try persistChanges()
            } catch {
                // The answer already reflects the change; report the failure through stats and stderr.
                lock.withLock { persistFailures += 1 }
                FileHandle.standardError.write(Data("kcx-sandbox: \(error.description)\n".utf8))
            }
        }
        return response
    }

    /// JAX-RS's answer for a path no resource matches, at the server root (admin-api.md §10.2).
    static let notFound = ServerResponse(
        status: 404, headers: [("Content-Type", "application/json")],
        body: Array(#"{"error":"Unable to find matching target resource method"}"#.utf8))

    static func mayMutate(_ method: String) -> Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    // MARK: Statistics for the control API

    public var handledRequestCount: Int { lock.withLock { handledRequests } }
    public var persistFailureCount: Int { lock.withLock { persistFailures } }
    public var acceptedConnectionCount: Int { lock.withLock { server?.acceptedConnectionCount ?? 0 } }
    public var openConnectionCount: Int { lock.withLock { server?.openConnectionCount ?? 0 } }
    public var uptimeSeconds: Double { context.now() - context.clockOffset - startedAt }

    /// Makes every issued token and session invalid at once: ends all sessions and moves the clock past every
    /// lifetime Keycloak allows by default (SSO max 10 h, offline idle 30 days), so even session-less
    /// client-credentials tokens expire.
    public func expireAllTokensAndSessions() {
        context.store.withLock { state in
            for index in state.realms.indices { state.realms[index].sessions.removeAll() }
        }
        context.advanceClock(by: Sandbox.expiryClockShift)
        if stateFile != nil { try? persistChanges() }
    }

    /// One year, more than any default token or session lifetime.
    public static let expiryClockShift: Double = 365 * 24 * 3600

    // MARK: Persistence

    /// `{"kcxSandboxState":1,"store":…,"keys":…}`.
    func snapshot() -> JSON { snapshot(store: context.store.read { $0 }) }

    func snapshot(store: StoreState) -> JSON {
        .object(
            JSONObject([("kcxSandboxState", 1), ("store", SandboxStore.snapshot(of: store)), ("keys", context.keys.snapshot())]))
    }

    static func restore(_ saved: JSON, into context: SandboxContext) throws {
        guard saved["kcxSandboxState"]?.intValue == 1, let store = saved["store"], let keys = saved["keys"] else {
            throw SandboxStartError("it is not a kcx-sandbox state file (version 1)")
        }
        try context.store.restore(store)
        try context.keys.restore(keys)
    }

    /// Compaction: writes the whole state to the state file (atomically) and deletes the journal it now
    /// contains. Serialised with journal appends, so a later state never loses to an earlier one.
    func saveState() throws(SandboxStartError) {
        guard let stateFile, let journal else { return }
        persistLock.lock()
        defer { persistLock.unlock() }
        let current = context.store.read { $0 }
        let generation = context.keys.generation
        do {
            try stateFile.save(snapshot(store: current))
        } catch {
            throw SandboxStartError(error.description)
        }
        journal.remove()
        persisted = current
        persistedKeysGeneration = generation
    }

    /// Journals what changed since the last write (the changed entities, and the keys when new ones
    /// were made) and returns once it is on disk: an answer is sent only after its change is durable.
    /// Concurrent writers share the work: whoever gets the lock first journals every change made so far.
    func persistChanges() throws(SandboxStartError) {
        guard let journal else { return }
        persistLock.lock()
        defer { persistLock.unlock() }
        let current = context.store.read { $0 }
        let generation = context.keys.generation
        var records = StoreJournal.records(from: persisted, to: current)
        if generation != persistedKeysGeneration {
            records.append(.object(JSONObject([("op", "keys"), ("value", context.keys.snapshot())])))
        }
        if records.isEmpty { return }
        do {
            try journal.append(records)
        } catch {
            throw SandboxStartError(error.description)
        }
        persisted = current
        persistedKeysGeneration = generation
    }

    /// Applies the journal's batches, in order, over the restored state file.
    static func replay(_ batches: [[JSON]], into context: SandboxContext) throws {
        guard !batches.isEmpty else { return }
        var state = context.store.read { $0 }
        for batch in batches {
            for record in batch {
                if record["op"]?.stringValue == "keys" {
                    try context.keys.restore(record["value"] ?? .null)
                } else {
                    try StoreJournal.apply(record, to: &state)
                }
            }
        }
        context.store.withLock { $0 = state }
    }

    private func importRealms(_ files: [String]) throws(SandboxStartError) {
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw SandboxStartError("cannot read import file '\(file)'")
            }
            let json: JSON
            do {
                json = try JSON.parse([UInt8](data))
            } catch {
                throw SandboxStartError("import file '\(file)' is not valid JSON: \(error.description)")
            }
            guard let body = json.objectValue else {
                throw SandboxStartError("import file '\(file)' does not hold a realm representation (a JSON object)")
            }
            switch context.store.importRealms([body], now: context.now()).first {
            case .created(let name):
                importedRealms.append(name)
            case .conflict:
                // Keycloak's --import-realm skips a realm that exists already (e.g. loaded from --state).
                skippedImports.append(body["realm"]?.stringValue ?? "")
            case .invalid(let message):
                throw SandboxStartError("import file '\(file)' was refused: \(message)")
            case nil:
                throw SandboxStartError("import file '\(file)' was not imported")
            }
        }
    }
}
