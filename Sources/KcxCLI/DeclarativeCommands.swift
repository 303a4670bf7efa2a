// `kcx plan`, `kcx apply`, `kcx export`: converge realms to a declarative file read from the live
// server (no state file), and write a realm's current configuration in that file's format.
import KcxJSON
import KeycloakKit

public enum DeclarativeCommands {
    static let file = OptionSpec(
        "file", short: "f", value: "FILE", "The declarative file, YAML or JSON ('-' for standard input)", completion: .file)
    static let prune = OptionSpec(
        "prune",
        "Also delete what kcx created that the file no longer declares (marked scopes, mappers on them, members of kcx's legacy exchange policies)"
    )
    static let output = OptionSpec(
        "output", short: "o", value: "FORMAT",
        "text (default), json (schema: docs/plan-format.md) or markdown (a table for a pull-request comment), on stdout",
        completion: .choices(["text", "json", "markdown"]))
    static let detailedExitcode = OptionSpec("detailed-exitcode", "Exit 8 when there are changes, 0 when there are none")

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["plan"], summary: "Show how realms differ from a declarative file, changing nothing",
            discussion: """
                Reads each realm of the file with a handful of list requests (client scopes with their mappers, \
                clients, the realm's two default lists) and prints the changes apply would make: + create, \
                ~ update, - delete, grouped by object. Assignments are additive: scopes and mappers the file does \
                not mention are left alone, except with --prune. The file is validated completely (file:line:column) \
                before any request. Exit codes: 0 success; with --detailed-exitcode 0 means no changes and 8 \
                changes present; 2 a bad file; others as for every command. With --out PLAN the plan is also saved \
                (JSON, mode 0600, with a fingerprint of what was read) for 'kcx apply PLAN'; a secret the file takes \
                from a secret-named variable is saved as ${NAME}, and apply reads that variable again. \
                See docs/file-format.md, docs/plan-format.md and docs/guides/ci.md.
                """,
            options: [
                file, prune, output, detailedExitcode,
                OptionSpec("out", value: "PLAN", "Also save the plan to this file, for 'kcx apply PLAN'", completion: .file),
            ],
            examples: [
                ExampleSpec("kcx plan -f realm.yaml", "What apply would change"),
                ExampleSpec(
                    "kcx plan -f realm.yaml --detailed-exitcode --output json", "For CI: the plan as JSON, exit 8 on drift"),
                ExampleSpec(
                    "kcx plan -f realm.yaml --out realm.plan --output markdown > plan.md",
                    "Save the plan for apply, and a table for the pull request"),
            ],
            handler: plan),
        CommandSpec(
            ["apply"], summary: "Converge realms to a declarative file, or apply a saved plan",
            discussion: """
                Shows the plan, asks for confirmation on a terminal (refuses without one unless --auto-approve), \
                then applies in dependency order: scopes, mappers and realm lists, assignments, exchange settings, \
                deletions. Each phase runs on up to --parallel connections. A failure stops further writes, \
                lists what was applied and what was not, and exits with the failing request's code (4 for a 403, \
                5 for a 409, 6 for the network); running apply again converges. Scopes kcx creates carry the \
                attribute kcx.managed=true, which is what --prune goes by. \
                Given a saved plan (kcx plan --out PLAN), apply re-reads the objects the plan was computed from and \
                makes exactly the plan's writes; when any of them changed since, it names them and exits 9 without \
                writing. Answering the question with anything but 'yes' exits 10; Ctrl-C while applying finishes the \
                writes in flight, says how many changes were applied and exits 130 (running apply again converges). \
                --dry-run prints what 'kcx plan' prints and writes nothing.
                """,
            positionals: [
                PositionalSpec(
                    "PLAN", "A plan saved by 'kcx plan --out PLAN' (instead of --file)", optional: true, completion: .file)
            ],
            options: [
                file, prune, OptionSpec("auto-approve", "Apply without asking"),
                OptionSpec("parallel", value: "N", "Writes in flight at once (default 4, 1-32)"),
                OptionSpec(
                    "output", short: "o", value: "FORMAT",
                    "text (default: the plan on stdout, progress on stderr) or json (one document on stdout: the plan and what was applied); with --dry-run also markdown",
                    completion: .choices(["text", "json", "markdown"])),
                OptionSpec("dry-run", "Print the plan as 'kcx plan' does and change nothing"),
                OptionSpec("detailed-exitcode", "With --dry-run: exit 8 when there are changes, 0 when there are none"),
            ],
            examples: [
                ExampleSpec("kcx apply -f realm.yaml --auto-approve", "Converge without asking (CI)"),
                ExampleSpec("kcx apply realm.plan --auto-approve", "Apply exactly the plan reviewed in the pull request"),
                ExampleSpec(
                    "kcx apply -f realm.yaml --prune --parallel 8", "Also remove what kcx created earlier and the file dropped"),
            ],
            handler: apply),
        CommandSpec(
            ["export"], summary: "Write a realm's audience and token-exchange configuration as a declarative file",
            discussion: """
                Exports client scopes that carry audience mappers or were created by kcx, and per client its \
                assignments of those scopes and its standard token-exchange switches (built-in clients only when \
                named with --client). 'kcx plan' on the result shows no changes.
                """,
            options: [
                ProvisioningOptions.targetRealm,
                // The name the declarative design uses (`kcx export --realm R`), beside kcx's usual -r.
                OptionSpec("realm", value: "REALM", "Same as -r/--target-realm"),
                SharedOptions.client("Only this client", repeatable: true),
                SharedOptions.output(["yaml", "json"], "yaml (default) or json", aliases: ["format"]),
            ],
            examples: [
                ExampleSpec("kcx export -r myrealm > realm.yaml", "Start a file from what is there"),
                ExampleSpec("kcx export --realm myrealm --client webapp -o json", "One client's part, as JSON"),
            ],
            handler: export),
    ]

    /// Reads and validates the file before any request is sent.
    static func desiredState(_ path: String, _ context: CommandContext) throws -> DesiredState {
        let bytes: [UInt8]
        do {
            bytes = path == "-" ? try context.stdin.readAll(limit: .data) : try FileSystem.readFile(path, limit: .data)
        } catch {
            throw KcxError.usage("cannot read \(path == "-" ? "standard input (--file -)" : "--file '\(path)'"): \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KcxError.usage("--file '\(path)' is not UTF-8 text")
        }
        do {
            return try DesiredState.parse(text, file: path == "-" ? "<stdin>" : path, environment: context.environment)
        } catch {
            throw KcxError.usage(error.description)
        }
    }

    /// The admin client with every request counted, and a way to open one more client per worker.
    struct CountedSession {
        let client: AdminClient
        let counter = RequestCounter()
        let makeWorkerClient: () -> AdminClient

        init(_ invocation: Invocation, _ context: CommandContext) throws {
            let counter = self.counter
            let counting = CommandContext(
                stdout: context.stdout, stderr: context.stderr, stdin: context.stdin, environment: context.environment,
                makeTransport: { CountingTransport(wrapping: context.makeTransport($0), counter: counter) }, now: context.now)
            let (client, options) = try openAdminConnection(invocation, counting)
            self.client = client
            let shared = SerializedTokenProvider(client.tokens)
            // Like SessionSettings.transport (retries, -v trace), without repeating the --insecure warning per worker.
            let retries = try SessionSettings.retryPolicy(invocation, context)
            makeWorkerClient = {
                let transport = SessionSettings.decorate(counting.makeTransport(options), invocation, context, retries: retries)
                return AdminClient(server: client.server, realm: client.realm, transport: transport, tokens: shared)
            }
        }
    }

    struct Planned {
        let plans: [RealmPlan]
        let lives: [LiveRealm]
        var changeCount: Int { plans.reduce(0) { $0 + $1.changes.count } }
    }

    static func makePlans(_ state: DesiredState, _ session: CountedSession, prune: Bool) throws -> Planned {
        var plans: [RealmPlan] = []
        var lives: [LiveRealm] = []
        // Names that do not resolve, in every realm, reported together before any write.
        var unresolved = UnresolvedReferences(problems: [])
        for realm in state.realms {
            do {
                let (plan, live) = try Planner.plan(realm, api: session.client, prune: prune, secrets: state.secretValues)
                plans.append(plan.hiding(state))
                lives.append(live)
            } catch let error as UnresolvedReferences {
                unresolved.problems += error.problems
            } catch var error as KcxError {
                // Its message may name what the file gave (a clientId from a secret variable).
                error.message = state.redacting(error.message)
                error.hint = error.hint.map { state.redacting($0) }
                throw error
            }
        }
        if !unresolved.problems.isEmpty {
            var error = unresolved.kcxError
            error.message = state.redacting(error.message)
            throw error
        }
        if prune {
            // Realms kcx created that the file no longer names (never master, never the session's own).
            for plan in try Planner.prunedRealms(state, api: session.client, keep: [session.client.realm]) {
                plans.append(plan.hiding(state))
                // Read as a saved plan will check it: the realm's representation (its kcx mark).
                lives.append(try LiveRealm.read(session.client, LiveReadSpec(realm: plan.realm, prunedRealm: true)))
            }
        }
        return Planned(plans: plans, lives: lives)
    }

    static func counts(_ plans: [RealmPlan]) -> (create: Int, update: Int, delete: Int) {
        let all = plans.flatMap(\.changes)
        return (
            all.filter { $0.operation == .create }.count, all.filter { $0.operation == .update }.count,
            all.filter { $0.operation == .delete }.count
        )
    }

    /// Colours only on a terminal, and never with NO_COLOR set (https://no-color.org).
    static func colour(_ context: CommandContext) -> Bool {
        context.stdout.isTerminal && (context.environment["NO_COLOR"] ?? "").isEmpty
    }

    static func symbol(_ operation: PlanChange.Operation, colour: Bool) -> String {
        guard colour else { return operation.rawValue }
        switch operation {
        case .create: return "\u{1B}[32m+\u{1B}[0m"
        case .update: return "\u{1B}[33m~\u{1B}[0m"
        case .delete: return "\u{1B}[31m-\u{1B}[0m"
        }
    }

    /// The plan for people; written with `writeFormatted`, so every server value is escaped here
    /// and only the colour codes stay active.
    static func renderText(_ plans: [RealmPlan], colour: Bool) -> String {
        func line(_ text: String) -> String { TerminalText.escape(text, newlines: false) }
        var out = ""
        for plan in plans {
            out += line("realm \(plan.realm):") + "\n"
            if plan.changes.isEmpty { out += "  no changes\n" }
            // One pass into groups (in order of first appearance): scanning the list of groups, or
            // the changes once per group, made 16,000 scopes take seconds (quadratic).
            var groups: [String] = []
            var members: [String: [PlanChange]] = [:]
            for change in plan.changes {
                if members[change.group] == nil { groups.append(change.group) }
                members[change.group, default: []].append(change)
            }
            for group in groups {
                out += line("  \(group)") + "\n"
                for change in members[group] ?? [] {
                    out += "    \(symbol(change.operation, colour: colour)) " + line("\(change.kind) \(change.name)") + "\n"
                    for detail in change.details { out += line("        \(detail)") + "\n" }
                }
            }
        }
        return out + summaryLine(plans) + "\n"
    }

    /// The context plan and apply run in once the secrets are known: everything they print, -v
    /// traces included, passes through the redaction of `secrets` (the file's `secretValues`, or the
    /// values a saved plan's references resolved to); it sits under the new context's SafeSink, so
    /// colours written with writeFormatted stay colours.
    static func redacting(_ context: CommandContext, _ secrets: Set<String>) -> CommandContext {
        guard !secrets.isEmpty else { return context }
        let state = DesiredState(realms: [], secretValues: secrets)
        return CommandContext(
            stdout: RedactingSink(context.stdout.base, state), stderr: RedactingSink(context.stderr.base, state),
            stdin: context.stdin,
            environment: context.environment, makeTransport: context.makeTransport, now: context.now)
    }

    /// Writes the plan as `format` asks: what `kcx plan` prints (and `apply --dry-run`).
    static func show(_ plans: [RealmPlan], _ format: PlanFormat, requests: Int, _ context: CommandContext) {
        switch format {
        case .json: context.stdout.write(planJSON(plans, requests: requests).serialized(.pretty) + "\n")
        case .markdown: context.stdout.write(renderMarkdown(plans))
        case .text:
            context.stdout.writeFormatted(renderText(plans, colour: colour(context)))
            context.stderr.write("\(requests) HTTP requests\n")
        }
    }

    static func plan(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try PlanOptions(invocation)
        let state = try desiredState(options.file, context)
        let context = redacting(context, state.secretValues)
        let session = try CountedSession(invocation, context)
        let planned = try makePlans(state, session, prune: options.prune)
        if let out = options.out {
            try save(planned, state, to: out, file: options.file, prune: options.prune, server: session.client.server)
        }
        show(planned.plans, options.format, requests: session.counter.value, context)
        if let out = options.out {
            context.stderr.write("Saved the plan to \(out); apply exactly it with: \(Shell.kcx("apply", out))\n")
        }
        return options.detailedExitcode && planned.changeCount > 0 ? .changesPresent : .ok
    }

    /// Writes the saved plan atomically, mode 0600; refused (nothing written) when a secret would be stored.
    static func save(_ planned: Planned, _ state: DesiredState, to path: String, file: String, prune: Bool, server: String) throws
    {
        let realms = zip(planned.plans, planned.lives).map { SavedRealmPlan(plan: $0, live: $1) }
        let saved = SavedPlan(realms: realms, server: server, file: file == "-" ? "<stdin>" : file, prune: prune)
        let document = try saved.document(state)
        do {
            try FileSystem.writeAtomically(Array((document.serialized(.pretty) + "\n").utf8), to: path)
        } catch {
            throw KcxError.usage("cannot write --out '\(path)': \(error.reason)")
        }
    }

    static func apply(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ApplyOptions(invocation)
        switch options.source {
        case .file(let path):
            let state = try desiredState(path, context)
            let context = redacting(context, state.secretValues)
            if !options.dryRun {
                try requireConfirmation(options, context, fix: "review 'kcx plan -f FILE', then run apply with --auto-approve")
            }
            let session = try CountedSession(invocation, context)
            let planned = try makePlans(state, session, prune: options.prune)
            if options.dryRun {
                show(planned.plans, options.format, requests: session.counter.value, context)
                return options.detailedExitcode && planned.changeCount > 0 ? .changesPresent : .ok
            }
            return try execute(
                planned, options, session, context, again: "run apply again: it converges from the realm's current state")
        case .saved(let path):
            let (saved, secrets) = try readSavedPlan(path, context)
            let context = redacting(context, secrets)
            if !options.dryRun {
                try requireConfirmation(options, context, fix: "review the plan, then run apply with --auto-approve")
            }
            let session = try CountedSession(invocation, context)
            guard session.client.server == saved.server else {
                context.diagnostic(
                    .error, "the plan was made against \(saved.server), not \(session.client.server); nothing was changed")
                context.diagnostic(
                    .hint,
                    "apply it with a session on the server it was made for, or make a plan for this one: \(Shell.kcx("plan", "-f", saved.file, "--out", path))"
                )
                return .stalePlan
            }
            var lives: [LiveRealm] = []
            var changed: [String] = []
            for realm in saved.realms {
                let (live, differences) = try realm.recheck(session.client)
                lives.append(live)
                changed += differences.map { "realm \(realm.plan.realm): \($0)" }
            }
            guard changed.isEmpty else {
                context.diagnostic(
                    .error, "the realm changed since the plan was made, so the plan may no longer be right; nothing was changed")
                for line in changed { context.stderr.write("    \(line)\n") }
                context.diagnostic(
                    .hint, "make the plan again and review it: \(Shell.kcx("plan", "-f", saved.file, "--out", path))")
                return .stalePlan
            }
            let planned = Planned(plans: saved.realms.map(\.plan), lives: lives)
            if options.dryRun {
                show(planned.plans, options.format, requests: session.counter.value, context)
                return options.detailedExitcode && planned.changeCount > 0 ? .changesPresent : .ok
            }
            return try execute(
                planned, options, session, context,
                again:
                    "plan again (\(Shell.kcx("plan", "-f", saved.file, "--out", path))) and apply the new plan, or run \(Shell.kcx("apply", "-f", saved.file)); "
                    + "either converges (this plan is partly applied now, so it would be refused as stale)")
        }
    }

    /// Refuses before any request when nobody can confirm.
    static func requireConfirmation(_ options: ApplyOptions, _ context: CommandContext, fix: String) throws {
        if !options.autoApprove, !context.stdin.isTerminal {
            throw KcxError.usage("apply needs confirmation and standard input is not a terminal", hint: fix)
        }
    }

    static func readSavedPlan(_ path: String, _ context: CommandContext) throws -> (SavedPlan, Set<String>) {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, limit: .data)
        } catch {
            throw KcxError.usage("cannot read the saved plan '\(path)': \(error.reason)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KcxError.usage("the saved plan '\(path)' is not UTF-8 text")
        }
        return try SavedPlan.read(text, path: path, environment: context.environment)
    }

    /// Shows the plan, asks (unless --auto-approve), then writes; `again` says how to finish after
    /// a failure or Ctrl-C.
    static func execute(
        _ planned: Planned, _ options: ApplyOptions, _ session: CountedSession, _ context: CommandContext, again: String
    ) throws -> ExitCode {
        let json = options.format == .json
        /// With -o json, one document at the end: the plan, then what was and was not applied.
        func document(applied: Int, notApplied: [PlanChange], failure: JSON?, interrupted: Bool = false) -> String {
            guard case .object(var object) = planJSON(planned.plans, requests: session.counter.value) else { return "" }
            object["applied"] = .int(Int64(applied))
            object["notApplied"] = .array(notApplied.map(\.json))
            object["failure"] = failure ?? .null
            if interrupted { object["interrupted"] = true }
            return JSON.object(object).serialized(.pretty) + "\n"
        }
        if !json { context.stdout.writeFormatted(renderText(planned.plans, colour: colour(context))) }
        guard planned.changeCount > 0 else {
            if json { context.stdout.write(document(applied: 0, notApplied: [], failure: nil)) }
            context.stderr.write("\(session.counter.value) HTTP requests\n")
            return .ok
        }
        if !options.autoApprove {
            // The plan is flushed to the screen before the question (StandardInput.readLine).
            let answer = context.stdin.readLine(prompt: "Apply these changes? Only 'yes' is accepted: ")
            guard answer == "yes" else {
                context.stderr.write("apply cancelled: nothing was changed\n")
                return .cancelled
            }
        }
        // The plan is on screen before the first write's progress line (stdout is buffered).
        context.stdout.flush()
        let progress = ApplyProgress(context: context, total: planned.changeCount)
        var applied = 0
        let workers: [AdminAPI] = (0..<min(options.parallel, planned.changeCount)).map { _ in session.makeWorkerClient() }
        ApplyInterrupt.install()
        defer { ApplyInterrupt.remove() }
        for (plan, live) in zip(planned.plans, planned.lives) {
            let executor = PlanExecutor(
                realm: plan.realm, live: live, workers: workers,
                onResult: { change, result in progress.report(realm: plan.realm, change, result) })
            executor.shouldStop = { ApplyInterrupt.wasRequested }
            let report = executor.run(plan)
            applied += report.applied.count
            let later = planned.plans.drop { $0.realm != plan.realm }.dropFirst().flatMap(\.changes)
            if report.interrupted || (report.failure == nil && ApplyInterrupt.wasRequested && !later.isEmpty) {
                progress.finish()
                let notApplied = report.notApplied + later
                if json {
                    context.stdout.write(document(applied: applied, notApplied: notApplied, failure: nil, interrupted: true))
                }
                context.stderr.write("interrupted: applied \(applied) of \(planned.changeCount) changes; not applied:\n")
                for change in notApplied {
                    context.stderr.write("    \(change.operation.rawValue) \(change.kind) \(change.name)\n")
                }
                context.diagnostic(.hint, again)
                return .interrupted
            }
            if let failure = report.failure {
                progress.finish()
                if json {
                    context.stdout.write(
                        document(
                            applied: applied, notApplied: [failure.change] + report.notApplied + later,
                            failure: [
                                "realm": .string(plan.realm), "change": failure.change.json, "message": .string(failure.message),
                            ]))
                }
                context.diagnostic(.error, "\(plan.realm): \(failure.change.kind) \(failure.change.name): \(failure.message)")
                context.stderr.write("applied \(applied) of \(planned.changeCount) changes; not applied:\n")
                for change in [failure.change] + report.notApplied + later {
                    context.stderr.write("    \(change.operation.rawValue) \(change.kind) \(change.name)\n")
                }
                context.diagnostic(.hint, "fix the cause and \(again)")
                // The failing request's own exit code (4 for a 403, 5 for a 409, 6 for the network...).
                return failure.code == .ok ? .serverError : failure.code
            }
        }
        progress.finish()
        if json { context.stdout.write(document(applied: applied, notApplied: [], failure: nil)) }
        let (create, update, delete) = counts(planned.plans)
        context.stderr.write(
            "Apply complete: \(create) created, \(update) updated, \(delete) deleted; \(session.counter.value) HTTP requests\n")
        return .ok
    }

    static func export(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try ExportOptions(invocation)
        let session = try CountedSession(invocation, context)
        let realm = options.realm ?? session.client.realm
        let live = try Exporter.readLive(session.client, realm: realm)
        let legacy = try Exporter.legacyRequesters(session.client, realm: realm, live)
        let state = DesiredState(realms: [try Exporter.desiredRealm(realm, live, clients: options.clients, legacy: legacy)])
        context.stdout.write(options.format == .json ? state.json.serialized(.pretty) + "\n" : YAMLWriter.render(state.json))
        return .ok
    }
}

/// A sink that hides the file's secret values from everything written through it.
final class RedactingSink: TextSink {
    let sink: TextSink
    let state: DesiredState

    init(_ sink: TextSink, _ state: DesiredState) {
        self.sink = sink
        self.state = state
    }

    func write(_ text: String) { sink.write(state.redacting(text)) }
    func flush() { sink.flush() }
    var isTerminal: Bool { sink.isTerminal }
}

/// Apply's progress: one rewritten line on a terminal, one line per change otherwise (stderr).
final class ApplyProgress: @unchecked Sendable {
    let context: CommandContext
    let total: Int
    var done = 0

    init(context: CommandContext, total: Int) {
        self.context = context
        self.total = total
    }

    /// Called serialised by the executor.
    func report(realm: String, _ change: PlanChange, _ result: ChangeResult) {
        done += 1
        if context.stderr.isTerminal {
            context.stderr.writeFormatted(
                "\r\u{1B}[K"
                    + TerminalText.escape(
                        "[\(done)/\(total)] \(change.operation.rawValue) \(change.kind) \(change.name)", newlines: false))
            return
        }
        let status: String
        switch result {
        case .applied: status = "done"
        case .alreadyDone: status = "already done"
        case .failed: status = "failed"
        }
        context.stderr.write("\(change.operation.rawValue) \(realm): \(change.kind) \(change.name): \(status)\n")
    }

    func finish() {
        if context.stderr.isTerminal, done > 0 { context.stderr.write("\n") }
    }
}
