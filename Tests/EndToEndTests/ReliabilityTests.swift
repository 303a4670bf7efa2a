// The real kcx binary when sessions expire or are revoked mid-run, when several processes share one
// config file, when it is killed mid-apply, when the server drops connections at random points
// (before or after carrying out the request), and when several processes edit one realm at once.
// Each case asserts its outcome and records a row for docs/reliability.md (ReliabilityReport).
import Foundation
import Glibc
import KcxJSON
import Synchronization
import Testing

extension TestKeycloak {
    /// A sandbox for the tests that move the clock or expire every token, which would break the
    /// sessions of other suites on the shared one. Never released: stopping it is left to exit.
    static let isolated: TestKeycloak = {
        do { return try start() } catch { fatalError("cannot start an isolated kcx-sandbox: \(error)") }
    }()
}

extension RealmFixture {
    /// Like `init`, but logged in with --password-file, so that kcx can log in again by itself.
    init(_ keycloak: TestKeycloak, prefix: String, passwordFile: Bool) throws {
        self.keycloak = keycloak
        env = try KcxEnvironment()
        secretDir = env.home.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secretDir, withIntermediateDirectories: true)
        let file = secretDir.appendingPathComponent("admin.pw")
        try Data((keycloak.adminPassword + "\n").utf8).write(to: file)
        let login = try env.kcx([
            "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
            "--password-file", file.path,
        ])
        guard login.status == 0 else { throw HarnessError("kcx login failed: \(login)") }
        realm = try keycloak.createRealm(prefix)
    }

    /// A declarative file of `count` scopes `rel-N`, each with a custom audience mapper, all
    /// assigned to client `app` as defaults; returns its path.
    func scopesFile(count: Int) throws -> String {
        var text = "realms:\n  - realm: \(realm)\n    clientScopes:\n"
        for index in 0..<count {
            text +=
                "      - name: rel-\(index)\n        description: Audience rel-\(index)\n        audienceMappers: [{customAudience: urn:rel-\(index)}]\n"
        }
        text += "    clients:\n      - clientId: app\n        defaultScopes:\n"
        for index in 0..<count { text += "          - rel-\(index)\n" }
        let path = env.home.appendingPathComponent("scopes.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Problems with the realm against `scopesFile(count:)`, read through the admin API: missing or
    /// duplicate scopes, mappers and assignments, and whether `plan` still sees a change. Empty
    /// means the realm is exactly as the file says.
    func scopesFileProblems(count: Int, file: String) throws -> [String] {
        var problems: [String] = []
        let expected = (0..<count).map { "rel-\($0)" }.sorted()
        let (_, scopes) = try keycloak.adminGet("\(realm)/client-scopes")
        let ours = (scopes?.arrayValue ?? []).filter { $0["name"]?.stringValue?.hasPrefix("rel-") == true }
        let names = ours.compactMap { $0["name"]?.stringValue }.sorted()
        if names != expected { problems.append("scopes: \(names.count) of \(count) (\(Set(names).count) distinct)") }
        for scope in ours {
            let mappers = scope["protocolMappers"]?.arrayValue ?? []
            if mappers.count != 1 { problems.append("\(scope["name"]?.stringValue ?? "?"): \(mappers.count) mappers") }
        }
        let assigned = try assignedScopes("app", "default").filter { $0.hasPrefix("rel-") }.sorted()
        if assigned != expected {
            problems.append("app's default scopes: \(assigned.count) of \(count) (\(Set(assigned).count) distinct)")
        }
        let plan = try kcx(["plan", "-f", file, "--detailed-exitcode"])
        if plan.status != 0 { problems.append("plan exit \(plan.status): \(plan.stdout.prefix(300))") }
        return problems
    }
}

/// Lines of a `-v` trace that are token-endpoint requests (logins and refreshes).
func tokenRequests(_ stderr: String, _ keycloak: TestKeycloak) -> Int {
    stderr.split(separator: "\n").filter { $0 == "> POST \(keycloak.baseURL)/realms/master/protocol/openid-connect/token" }.count
}

/// Adds a sandbox fault rule and returns its id; fails the test when the sandbox refuses it.
@discardableResult
func addFault(_ keycloak: TestKeycloak, _ rule: JSON, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let added = try keycloak.request(
        "POST", "/_sandbox/faults", body: Data(rule.serialized().utf8), contentType: "application/json")
    #expect(added.status == 201, "fault rule refused: \(added.text)", sourceLocation: sourceLocation)
    return added.json?["id"]?.stringValue ?? ""
}

/// Removes this test's rules (other tests' rules on a shared sandbox stay) and returns them as
/// they were, with `applied` counts; rules already used up are not among them.
func removeFaults(_ keycloak: TestKeycloak, _ ids: [String]) throws -> [JSON] {
    let rules = try keycloak.request("GET", "/_sandbox/faults").json?.arrayValue ?? []
    for id in ids { _ = try keycloak.request("DELETE", "/_sandbox/faults/\(id)") }
    return rules.filter { ids.contains($0["id"]?.stringValue ?? "") }
}

/// Runs kcx commands at once, each from a thread of its own (DispatchQueue.concurrentPerform would
/// run only as many at a time as there are cores), and returns their results in order.
func runConcurrently(_ fixture: RealmFixture, _ commands: [[String]]) -> [ProcessResult?] {
    final class Results: @unchecked Sendable {
        let lock = NSLock()
        var values: [ProcessResult?]
        init(_ count: Int) { values = Array(repeating: nil, count: count) }
    }
    let results = Results(commands.count)
    let group = DispatchGroup()
    for (index, arguments) in commands.enumerated() {
        group.enter()
        Thread {
            let result = try? fixture.kcx(arguments)
            results.lock.withLock { results.values[index] = result }
            group.leave()
        }.start()
    }
    group.wait()
    return results.lock.withLock { results.values }
}

@Suite struct ReliabilityTests {
    /// Sessions on the isolated sandbox, one test at a time: each moves its clock.
    @Suite(.serialized, .enabled(if: onSandbox, "needs the sandbox's clock and expire-tokens fault"))
    struct Sessions {
        let keycloak = TestKeycloak.isolated

        @Test("every token expires twice during a 40-scope apply with 4 workers: renewed once per expiry, apply succeeds")
        func expiryMidApply() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel", passwordFile: true)
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 40)
            let before = try JSON.parse(Array(Data(contentsOf: fixture.env.configFile)))
            let realmPaths = JSON.string("/admin/realms/\(fixture.realm)/*")
            var ids = [try addFault(keycloak, ["path": realmPaths, "action": "expire-tokens", "skip": 20])]
            ids.append(try addFault(keycloak, ["path": realmPaths, "action": "expire-tokens", "skip": 60]))
            // Counts token-endpoint requests (its `applied`) without -v, whose trace from 4 workers is no help.
            ids.append(
                try addFault(
                    keycloak,
                    [
                        "method": "POST", "path": "/realms/master/protocol/openid-connect/token", "action": "delay",
                        "delaySeconds": 0.001, "count": 1000,
                    ]))

            let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve", "--parallel", "4"])
            let left = try removeFaults(keycloak, ids)
            #expect(applied.status == 0, "\(applied)")
            #expect(left.map { $0["action"]?.stringValue } == ["delay"], "both expiries happened during the apply")
            // Per expiry: the refresh is refused (the session is gone), then one login from the file.
            let logins = left.first?["applied"]?.intValue ?? -1
            #expect(logins == 4, "\(logins) token requests")
            #expect(try fixture.scopesFileProblems(count: 40, file: file) == [])
            let after = try JSON.parse(Array(Data(contentsOf: fixture.env.configFile)))
            #expect(after["profiles"]?.objectValue?.keys == ["default"])
            #expect(after["profiles"]?["default"]?["accessToken"] != before["profiles"]?["default"]?["accessToken"])
            ReliabilityReport.record(
                area: "sessions", fault: "every token and session expired twice during a 40-scope apply (--parallel 4)",
                expected: "one refresh attempt + one login per expiry, exit 0, realm = file",
                observed: "exit \(applied.status), \(logins) token requests, \(left.count - 1) expiries not reached")
        }

        @Test("a revoked session with no stored password source: exit 4 saying how to log in again")
        func revokedWithoutSource() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            _ = try keycloak.request("POST", "/_sandbox/expire-tokens", body: Data("{}".utf8), contentType: "application/json")
            let result = try fixture.kcx(["client-scope", "list", "-r", fixture.realm])
            #expect(result.status == 4)
            #expect(result.stdout == "")
            #expect(
                result.stderr == """
                    error: the session for user \(keycloak.adminUser) at \(keycloak.baseURL) realm master has expired
                    hint: log in again with: kcx config credentials --server \(keycloak.baseURL) --realm master --user \(keycloak.adminUser)

                    """)
            ReliabilityReport.record(
                area: "sessions", fault: "session revoked, password given on stdin at login (no stored source)",
                expected: "exit 4, error naming the session and the login command", observed: "exit \(result.status)")
        }

        @Test("a revoked session whose password file no longer works: one login attempt, then exit 4")
        func reloginRefused() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel", passwordFile: true)
            try Data("wrong-password\n".utf8).write(to: fixture.secretDir.appendingPathComponent("admin.pw"))
            _ = try keycloak.request("POST", "/_sandbox/expire-tokens", body: Data("{}".utf8), contentType: "application/json")
            let result = try fixture.kcx(["client-scope", "list", "-r", fixture.realm, "-v"])
            #expect(result.status == 4)
            #expect(result.stdout == "")
            #expect(tokenRequests(result.stderr, keycloak) == 2, "one refused refresh, one refused login")
            let lastLines = result.stderr.split(separator: "\n").suffix(2).joined(separator: "\n")
            #expect(
                lastLines == """
                    error: POST /realms/master/protocol/openid-connect/token: 400 Invalid user credentials (invalid_grant)
                    hint: check the user name and password
                    """)
            ReliabilityReport.record(
                area: "sessions", fault: "session revoked, stored password file now wrong",
                expected: "one refresh, one login attempt, exit 4 with a hint", observed: "exit \(result.status)")
        }

        @Test("6 kcx processes on one config file with an expired access token: one refresh, all succeed, file intact")
        func concurrentRefreshes() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            // Past the access token's 60 s, within the refresh token's 30 min.
            _ = try keycloak.request(
                "POST", "/_sandbox/clock", body: Data(#"{"advanceSeconds":120}"#.utf8), contentType: "application/json")
            let results = runConcurrently(
                fixture, Array(repeating: ["client-scope", "list", "-r", fixture.realm, "-v"], count: 6))
            for result in results { #expect(result?.status == 0, "\(String(describing: result))") }
            let refreshes = results.map { $0.map { tokenRequests($0.stderr, keycloak) } ?? 0 }.reduce(0, +)
            #expect(refreshes == 1, "\(refreshes) token requests")
            let config = fixture.env.configFile
            let parsed = try JSON.parse(Array(Data(contentsOf: config)))
            #expect(parsed["profiles"]?.objectValue?.keys == ["default"])
            #expect(parsed["profiles"]?["default"]?["accessToken"]?.stringValue?.isEmpty == false)
            let mode = try FileManager.default.attributesOfItem(atPath: config.path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let files = try FileManager.default.contentsOfDirectory(atPath: config.deletingLastPathComponent().path).sorted()
            #expect(files == ["config.json", "config.json.lock"])
            ReliabilityReport.record(
                area: "sessions", fault: "6 processes at once on one config file, access token expired (server clock +120 s)",
                expected: "all exit 0, one refresh, config valid JSON, 0600, one profile, no temp files",
                observed: "\(results.filter { $0?.status == 0 }.count)/6 exit 0, \(refreshes) refresh(es), files \(files)")
        }
    }

    /// Crashes and drops on the shared sandbox (rules scoped to the test's realm).
    @Suite struct Crashes {
        let keycloak = TestKeycloak.shared

        @Test("kcx killed (SIGKILL) at random points of a 40-scope apply, 4 times: the re-run converges without duplicates")
        func killedMidApply() throws {
            let seed = UInt64(ProcessInfo.processInfo.environment["KCX_RELIABILITY_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
            print("killedMidApply: seed \(seed) (KCX_RELIABILITY_SEED=\(seed) replays the kill points)")
            var random = SeededRandom(seed: seed)
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 40)
            var ids: [String] = []
            if onSandbox {
                // 50 ms per write stretches the apply (80 writes, 2 workers) to about 2 s, so the kills land mid-way.
                for method in ["POST", "PUT"] {
                    ids.append(
                        try addFault(
                            keycloak,
                            [
                                "method": .string(method), "path": .string("/admin/realms/\(fixture.realm)/*"), "action": "delay",
                                "delaySeconds": 0.05,
                                "count": 100_000,
                            ]))
                }
            }
            var killPoints: [Int] = []
            for _ in 0..<4 {
                let process = Process()
                process.executableURL = Binaries.kcx
                process.arguments = ["apply", "-f", file, "--auto-approve", "--parallel", "2"]
                process.environment = fixture.env.variables
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                process.standardInput = FileHandle.nullDevice
                let milliseconds = Int(random.next() % 450) + 50
                killPoints.append(milliseconds)
                try process.run()
                Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            if onSandbox { _ = try removeFaults(keycloak, ids) }
            let partial = try fixture.scopesFileProblems(count: 40, file: file)
            let rerun = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
            #expect(rerun.status == 0, "\(rerun)")
            let problems = try fixture.scopesFileProblems(count: 40, file: file)
            #expect(problems == [], "seed \(seed)")
            ReliabilityReport.record(
                area: "crash", fault: "kcx SIGKILLed 4 times during a 40-scope apply (kills at \(killPoints) ms, seed \(seed))",
                expected: "re-run exit 0, realm = file, no duplicate scope, mapper or assignment",
                observed:
                    "before re-run: \(partial.isEmpty ? "already complete" : partial.first!); re-run exit \(rerun.status), \(problems.isEmpty ? "realm = file" : problems.joined(separator: "; "))"
            )
        }

        @Test(
            "connections dropped at random points (before and after the server applied the request): runs may fail, a clean re-run converges",
            .enabled(if: onSandbox, "needs the sandbox's drop faults"))
        func randomDrops() throws {
            let seed = UInt64(ProcessInfo.processInfo.environment["KCX_RELIABILITY_SEED"] ?? "") ?? UInt64.random(in: 1...999_999)
            print("randomDrops: seed \(seed) (KCX_RELIABILITY_SEED=\(seed) replays the drop pattern, up to thread timing)")
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 40)
            let realmPaths = JSON.string("/admin/realms/\(fixture.realm)/*")
            let ids = [
                try addFault(
                    keycloak,
                    [
                        "path": realmPaths, "action": "drop", "apply": true, "probability": 0.05, "seed": .int(Int64(seed)),
                        "count": 100_000,
                    ]),
                try addFault(
                    keycloak,
                    ["path": realmPaths, "action": "drop", "probability": 0.05, "seed": .int(Int64(seed + 1)), "count": 100_000]),
            ]
            var statuses: [Int32] = []
            for retries in ["0", "0", "3"] {
                let run = try fixture.kcx(["apply", "-f", file, "--auto-approve", "--parallel", "4", "--retries", retries])
                statuses.append(run.status)
                #expect([0, 1, 6].contains(run.status), "\(run)")
            }
            let dropped = try removeFaults(keycloak, ids).compactMap { $0["applied"]?.intValue }.reduce(0, +)
            let rerun = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
            #expect(rerun.status == 0, "\(rerun)")
            let problems = try fixture.scopesFileProblems(count: 40, file: file)
            #expect(problems == [], "seed \(seed)")
            ReliabilityReport.record(
                area: "crash",
                fault:
                    "5% of requests dropped after being applied + 5% dropped before, 3 applies (--retries 0, 0, 3; seed \(seed))",
                expected: "each run exits 0 or reports the failure; a clean re-run exits 0, realm = file, no duplicates",
                observed:
                    "\(dropped) drops, runs exit \(statuses.map(String.init).joined(separator: "/")); re-run exit \(rerun.status), \(problems.isEmpty ? "realm = file" : problems.joined(separator: "; "))"
            )
        }
    }

    @Suite struct Concurrency {
        let keycloak = TestKeycloak.shared

        @Test("apply --parallel 8 -v: workers tracing at once give whole lines (stderr was once written unlocked, and crashed)")
        func parallelVerboseApply() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 40)
            let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve", "--parallel", "8", "-v"])
            #expect(applied.status == 0, "\(applied.stderr.suffix(3000))")
            #expect(!applied.stderr.utf8.contains(0), "NUL bytes in the trace")
            let creates = applied.stderr.split(separator: "\n").filter {
                $0 == "> POST \(keycloak.baseURL)/admin/realms/\(fixture.realm)/client-scopes"
            }
            #expect(creates.count == 40)
            #expect(try fixture.scopesFileProblems(count: 40, file: file) == [])
            ReliabilityReport.record(
                area: "concurrency", fault: "apply --parallel 8 -v: 8 workers write the trace at once",
                expected: "exit 0, whole trace lines, realm = file",
                observed: "exit \(applied.status), \(creates.count) scope POST lines")
        }

        @Test(
            "apply's create of a scope another command made meanwhile (409): the file's settings are laid over it in the same run, unmarked",
            .enabled(if: onSandbox, "needs a sandbox fault rule"))
        func applyAfterAConflictingCreate() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 1)
            let ensured = try fixture.kcx([
                "client-scope", "ensure", "rel-0", "--description", "made by hand", "-r", fixture.realm,
            ])
            #expect(ensured.status == 0, "\(ensured)")
            // The plan's one read of the scopes misses it, as if it was made just after: apply's POST gets a 409.
            let rule = try addFault(
                keycloak,
                [
                    "method": "GET", "path": .string("/admin/realms/\(fixture.realm)/client-scopes"), "action": "status",
                    "status": 200, "body": "[]",
                ])
            let applied = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
            _ = try removeFaults(keycloak, [rule])
            #expect(applied.status == 0, "\(applied)")
            #expect(try fixture.scopesFileProblems(count: 1, file: file) == [])
            let (_, scopes) = try keycloak.adminGet("\(fixture.realm)/client-scopes")
            let scope = scopes?.arrayValue?.first { $0["name"]?.stringValue == "rel-0" }
            #expect(scope?["description"]?.stringValue == "Audience rel-0")
            // Not kcx's: --prune must never remove it.
            #expect(scope?["attributes"]?["kcx.managed"] == nil)
            ReliabilityReport.record(
                area: "concurrency",
                fault: "apply's scope POST answered 409: another command made the scope, with another description",
                expected: "exit 0, the file's description laid over it in the same run, not marked kcx.managed",
                observed:
                    "exit \(applied.status), description \(scope?["description"]?.stringValue ?? "none"), kcx.managed \(scope?["attributes"]?["kcx.managed"]?.stringValue ?? "absent")"
            )
        }

        @Test(
            "2 applies, client-scope ensure and 2 audience add on overlapping objects at once: no duplicates, and a re-run converges"
        )
        func processesEditingOneRealm() throws {
            let fixture = try RealmFixture(keycloak, prefix: "rel")
            try fixture.confidentialClient("app")
            let file = try fixture.scopesFile(count: 10)
            let results = runConcurrently(
                fixture,
                [
                    ["apply", "-f", file, "--auto-approve", "--parallel", "4"],
                    ["apply", "-f", file, "--auto-approve"],
                    ["client-scope", "ensure", "rel-3", "--description", "Audience rel-3", "-r", fixture.realm],
                    [
                        "audience", "add", "--custom-audience", "urn:rel-5", "--scope", "rel-5", "--create-scope", "--assign",
                        "app", "--default", "-r", fixture.realm,
                    ],
                    [
                        "audience", "add", "--custom-audience", "urn:rel-7", "--scope", "rel-7", "--create-scope", "-r",
                        fixture.realm,
                    ],
                ])
            for result in results { #expect(result?.status == 0, "\(String(describing: result))") }
            let problems = try fixture.scopesFileProblems(count: 10, file: file)
            let drift = problems.filter { $0.hasPrefix("plan exit") }
            #expect(problems.filter { !$0.hasPrefix("plan exit") } == [], "duplicates or missing objects")
            // A scope another command created first gets the file's settings in the same apply.
            #expect(drift == [])
            let rerun = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
            #expect(rerun.status == 0, "\(rerun)")
            let afterRerun = try fixture.scopesFileProblems(count: 10, file: file)
            #expect(afterRerun == [])
            ReliabilityReport.record(
                area: "concurrency", fault: "2 applies + client-scope ensure + 2 audience add on the same scopes, at once",
                expected:
                    "all exit 0, no duplicates, realm = file at once (a scope another command created first gets the file's settings); a re-run changes nothing",
                observed: "exits \(results.map { $0.map { String($0.status) } ?? "?" }.joined(separator: "/")), "
                    + "\(problems.isEmpty ? "realm = file" : problems.joined(separator: "; ")); "
                    + "re-run exit \(rerun.status), \(afterRerun.isEmpty ? "realm = file" : afterRerun.joined(separator: "; "))")
        }
    }
}

/// SplitMix64: the same seed gives the same kill points on every run and platform.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
