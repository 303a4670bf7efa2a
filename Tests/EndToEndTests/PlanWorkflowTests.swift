// The plan-in-review / apply-on-merge workflow against the sandbox: a saved plan applies exactly its
// writes, a stale one is refused naming what changed, apply --dry-run prints what plan prints, the
// plan is on the terminal before the question, a cancelled apply exits 10 and Ctrl-C exits 130.
import Foundation
import KcxJSON
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct PlanWorkflowTests {
    let keycloak = TestKeycloak.shared

    func write(_ fixture: RealmFixture, _ text: String, name: String = "realm.yaml") throws -> String {
        let path = fixture.env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func sampleFile(_ realm: String, description: String = "Audience for api") -> String {
        """
        realms:
          - realm: \(realm)
            clientScopes:
              - name: api-access
                description: \(description)
                realmDefault: optional
                audienceMappers:
                  - audience: api
            clients:
              - clientId: app
                defaultScopes: [api-access]
            allow:
              - from: gateway
                to: api
        """
    }

    func setUp(_ fixture: RealmFixture) throws -> String {
        try fixture.confidentialClient("app")
        try fixture.confidentialClient("api")
        try fixture.confidentialClient("gateway")
        return try write(fixture, sampleFile(fixture.realm))
    }

    @Test func aSavedPlanAppliesExactlyItsWritesNotTheFileAsItIsNow() throws {
        let fixture = try RealmFixture(keycloak, prefix: "saved")
        let file = try setUp(fixture)
        let planPath = fixture.env.home.appendingPathComponent("realm.plan").path
        let shown = try fixture.kcx(["plan", "-f", file])
        let saved = try fixture.kcx(["plan", "-f", file, "--out", planPath, "--detailed-exitcode"])
        #expect(saved.status == 8, "\(saved)")
        #expect(saved.stdout == shown.stdout)
        #expect(
            saved.stderr.hasSuffix("Saved the plan to \(planPath); apply exactly it with: kcx apply \(planPath)\n"), "\(saved)")
        let attributes = try FileManager.default.attributesOfItem(atPath: planPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let document = try JSON.parse(String(contentsOfFile: planPath, encoding: .utf8))
        #expect(document["kcxPlan"] == 2)
        #expect(document["server"]?.stringValue == keycloak.baseURL)
        #expect(document["file"]?.stringValue == file)
        #expect(document["realms"]?[0]?["changes"]?.arrayValue?.count == 8)
        #expect(document["realms"]?[0]?["changes"]?[0]?["write"]?["type"] == "createScope")
        let fingerprint = try #require(document["realms"]?[0]?["fingerprint"]?.arrayValue)
        let objects = fingerprint.compactMap { $0["object"]?.stringValue }
        #expect(objects.contains("client app") && objects.contains("realm default client scopes"), "\(objects)")
        #expect(fingerprint.allSatisfy { $0["sha256"]?.stringValue?.count == 64 })

        // The file changes after review: the saved plan still makes the reviewed writes.
        try Data(sampleFile(fixture.realm, description: "Changed after review").utf8).write(to: URL(fileURLWithPath: file))
        let applied = try fixture.kcx(["apply", planPath, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stdout == shown.stdout)
        #expect(applied.stderr.contains("Apply complete: 7 created, 1 updated, 0 deleted;"), "\(applied)")
        #expect(try fixture.clientScope("api-access")?["description"] == "Audience for api")
        #expect(try fixture.assignedScopes("app", "default").contains("api-access"))
        // Against the reviewed file the realm has converged; the edited file differs in one field.
        try Data(sampleFile(fixture.realm).utf8).write(to: URL(fileURLWithPath: file))
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func aStalePlanIsRefusedNamingWhatChangedAndChangesNothing() throws {
        let fixture = try RealmFixture(keycloak, prefix: "stale")
        let file = try setUp(fixture)
        let planPath = fixture.env.home.appendingPathComponent("realm.plan").path
        #expect(try fixture.kcx(["plan", "-f", file, "--out", planPath]).status == 0)
        // Someone changes the realm between review and merge.
        let app = try fixture.client("app")
        var changed = app
        changed["description"] = "edited in the console"
        #expect(
            try keycloak.adminSend("PUT", "\(fixture.realm)/clients/\(app["id"]?.stringValue ?? "")", json: changed).status == 204
        )
        #expect(
            try keycloak.adminSend(
                "POST", "\(fixture.realm)/client-scopes", json: ["name": "intruder", "protocol": "openid-connect"]
            ).status == 201)
        let before = try fixture.snapshot()

        let refused = try fixture.kcx(["apply", planPath, "--auto-approve"])
        #expect(refused.status == 9, "\(refused)")
        #expect(refused.stdout == "")
        #expect(
            refused.stderr == """
                error: the realm changed since the plan was made, so the plan may no longer be right; nothing was changed
                    realm \(fixture.realm): client app changed
                    realm \(fixture.realm): client-scope intruder was created
                hint: make the plan again and review it: kcx plan -f \(file) --out \(planPath)

                """)
        #expect(try fixture.snapshot() == before)
        // --dry-run checks the same way.
        #expect(try fixture.kcx(["apply", planPath, "--dry-run"]).status == 9)
        // A new plan from the realm as it is now applies.
        #expect(try fixture.kcx(["plan", "-f", file, "--out", planPath]).status == 0)
        #expect(try fixture.kcx(["apply", planPath, "--auto-approve"]).status == 0)
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func applyDryRunPrintsWhatPlanPrintsAndWritesNothing() throws {
        let fixture = try RealmFixture(keycloak, prefix: "dry")
        let file = try setUp(fixture)
        let before = try fixture.snapshot()
        for extra in [[], ["--output", "json"], ["--output", "markdown"]] {
            let plan = try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"] + extra)
            let dry = try fixture.kcx(["apply", "-f", file, "--dry-run", "--detailed-exitcode"] + extra)
            #expect(plan.status == 8)
            #expect(dry.status == 8, "\(dry)")
            #expect(dry.stdout == plan.stdout)
            #expect(dry.stderr == plan.stderr)
            // Without --detailed-exitcode, success is 0 as for plan.
            #expect(try fixture.kcx(["apply", "-f", file, "--dry-run"] + extra).status == 0)
        }
        // No terminal and no --auto-approve: a dry run asks nothing, so it is not refused.
        #expect(try fixture.snapshot() == before)
        let savedPath = fixture.env.home.appendingPathComponent("p.plan").path
        #expect(try fixture.kcx(["plan", "-f", file, "--out", savedPath]).status == 0)
        let dryPlan = try fixture.kcx(["apply", savedPath, "--dry-run", "--detailed-exitcode"])
        #expect(dryPlan.status == 8)
        #expect(dryPlan.stdout == (try fixture.kcx(["plan", "-f", file])).stdout)
        #expect(try fixture.snapshot() == before)
    }

    @Test func markdownIsACompactTableForAPullRequest() throws {
        let fixture = try RealmFixture(keycloak, prefix: "md")
        let file = try setUp(fixture)
        let result = try fixture.kcx(["plan", "-f", file, "--output", "markdown"])
        #expect(result.status == 0, "\(result)")
        // Rendered, `-&gt;` is `->` and `\~` is `~`.
        #expect(
            result.stdout == """
                ### kcx plan

                **\(fixture.realm)**: 7 to create, 1 to update, 0 to delete

                | | Kind | Name | Details |
                |---|---|---|---|
                | + create | client-scope | api-access | name: (none) -&gt; "api-access"<br>description: (none) -&gt; "Audience for api"<br>protocol: (none) -&gt; "openid-connect"<br>attributes.include.in.token.scope: (none) -&gt; "true"<br>attributes.display.on.consent.screen: (none) -&gt; "false" |
                | + create | realm-default-scope | api-access | realm list: none -&gt; optional |
                | + create | audience-mapper | api audience on scope api-access | config.included.client.audience: (none) -&gt; "api"<br>config.id.token.claim: (none) -&gt; "false"<br>config.access.token.claim: (none) -&gt; "true"<br>config.introspection.token.claim: (none) -&gt; "true"<br>config.lightweight.claim: (none) -&gt; "false" |
                | + create | client-scope | api-audience | name: (none) -&gt; "api-audience"<br>description: (none) -&gt; "Puts api into the aud claim (managed by kcx)"<br>protocol: (none) -&gt; "openid-connect"<br>attributes.include.in.token.scope: (none) -&gt; "false"<br>attributes.display.on.consent.screen: (none) -&gt; "false" |
                | + create | audience-mapper | api audience on scope api-audience | config.included.client.audience: (none) -&gt; "api"<br>config.id.token.claim: (none) -&gt; "false"<br>config.access.token.claim: (none) -&gt; "true"<br>config.introspection.token.claim: (none) -&gt; "true"<br>config.lightweight.claim: (none) -&gt; "false" |
                | + create | client-scope-assignment | api-access -&gt; app (default) |  |
                | + create | client-scope-assignment | api-audience -&gt; gateway (default) |  |
                | \\~ update | token-exchange | gateway | attributes.standard.token.exchange.enabled: "false" -&gt; "true" |

                **Plan: 7 to create, 1 to update, 0 to delete.**

                """)
    }

    // MARK: the question, a cancelled apply, Ctrl-C

    /// Waits until the sandbox no longer lists fault rule `id` (it has taken its one request).
    func waitUntilUsed(_ id: String) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let rules = try keycloak.request("GET", "/_sandbox/faults").json?.arrayValue ?? []
            if !rules.contains(where: { $0["id"]?.stringValue == id }) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("fault rule \(id) was never used")
    }

    /// Holds the realm's first client-scope create for 3 s; returns the rule's id.
    func holdFirstScopeCreate(_ fixture: RealmFixture) throws -> String {
        let rule: JSON = [
            "method": "POST", "path": .string("/admin/realms/\(fixture.realm)/client-scopes"), "count": 1,
            "action": "delay", "delaySeconds": 3,
        ]
        let added = try keycloak.request(
            "POST", "/_sandbox/faults", body: Data(rule.serialized().utf8), contentType: "application/json")
        #expect(added.status == 201)
        return try #require(added.json?["id"]?.stringValue)
    }

    /// Runs kcx in a new session whose controlling terminal is a pseudo-terminal (stdin, stdout and
    /// stderr all on it), as a person at a terminal does; `respond` gets what is on screen so far
    /// and returns what to type next, or nil to wait for more output.
    func onTerminal(_ fixture: RealmFixture, _ arguments: [String], respond: (String) -> String?) throws -> (
        status: Int32, screen: String
    ) {
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        #expect(ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0)
        #expect(ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0)
        let terminal = try #require(FileHandle(forUpdatingAtPath: "/dev/pts/\(number)"))
        let process = Process()
        // setsid --ctty: a new session with this terminal as its controlling one (kcx asks on /dev/tty).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        // env --default-signal: the test runner may ignore SIGINT, and kcx keeps an ignored SIGINT ignored.
        process.arguments = ["--ctty", "--wait", "/usr/bin/env", "--default-signal=INT", Binaries.kcx.path] + arguments
        process.environment = fixture.env.variables
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
        try terminal.close()
        var screen = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        var answered = 0
        while true {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 30_000)
            if ready <= 0 { break }
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }  // EIO: every process has closed the terminal
            screen += String(decoding: buffer.prefix(count), as: UTF8.self)
            if answered < 1, let reply = respond(screen) {
                answered += 1
                _ = reply.withCString { Glibc.write(master, $0, strlen($0)) }
            }
        }
        process.waitUntilExit()
        return (process.terminationStatus, screen)
    }

    @Test func thePlanIsOnTheTerminalBeforeTheQuestionAndACancelExits10() throws {
        let fixture = try RealmFixture(keycloak, prefix: "ask")
        let file = try setUp(fixture)
        let before = try fixture.snapshot()
        let question = "Apply these changes? Only 'yes' is accepted: "
        var seenBeforeQuestion = ""
        let (status, screen) = try onTerminal(fixture, ["apply", "-f", file]) { screen in
            guard let range = screen.range(of: question) else { return nil }
            seenBeforeQuestion = String(screen[..<range.lowerBound])
            return "no\n"
        }
        #expect(status == 10, "\(screen)")
        // The whole plan, summary line included, came before the question (a small plan used to
        // stay in stdout's buffer until the answer).
        #expect(seenBeforeQuestion.contains("realm \(fixture.realm):\r\n"), "\(screen)")
        #expect(seenBeforeQuestion.contains("Plan: 7 to create, 1 to update, 0 to delete.\r\n"), "\(screen)")
        #expect(screen.hasSuffix("no\r\napply cancelled: nothing was changed\r\n"), "\(screen)")
        #expect(try fixture.snapshot() == before)

        let (yes, applied) = try onTerminal(fixture, ["apply", "-f", file]) { $0.contains(question) ? "yes\n" : nil }
        #expect(yes == 0, "\(applied)")
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test(.enabled(if: onSandbox, "a slow write needs the sandbox's fault injection"))
    func ctrlCDuringApplyFinishesTheWriteInFlightSaysWhatWasAppliedAndExits130() throws {
        let fixture = try RealmFixture(keycloak, prefix: "sigint")
        let file = try setUp(fixture)
        // The first scope create is held for 3 s: Ctrl-C arrives while it is in flight.
        let ruleID = try holdFirstScopeCreate(fixture)

        let process = Process()
        // Through env --default-signal: the test runner may ignore SIGINT, and an ignored signal stays
        // ignored across exec (kcx keeps it ignored, as for nohup).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--default-signal=INT", Binaries.kcx.path, "apply", "-f", file, "--auto-approve", "--parallel", "1"]
        process.environment = fixture.env.variables
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errData = Data()
        nonisolated(unsafe) var outData = Data()
        let done = DispatchSemaphore(value: 0)
        Thread {
            errData = errPipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        Thread {
            outData = outPipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        // Wait until the sandbox holds the request (the rule is used up), then press Ctrl-C.
        try waitUntilUsed(ruleID)
        process.interrupt()
        done.wait()
        done.wait()
        process.waitUntilExit()
        let stderr = String(decoding: errData, as: UTF8.self)
        #expect(process.terminationStatus == 130, "\(stderr)")
        #expect(process.terminationReason == .exit, "kcx died of the signal instead of stopping: \(stderr)")
        let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "+ \(fixture.realm): client-scope api-access: done", "\(stderr)")
        #expect(stderr.contains("\ninterrupted: applied 1 of 8 changes; not applied:\n"), "\(stderr)")
        #expect(
            stderr.hasSuffix(
                "    ~ token-exchange gateway\nhint: run apply again: it converges from the realm's current state\n"), "\(stderr)"
        )
        #expect(lines.filter { $0.hasPrefix("    ") }.count == 7, "\(stderr)")
        #expect(!String(decoding: outData, as: UTF8.self).isEmpty)
        // The write in flight was finished; nothing after it was sent.
        #expect(try fixture.clientScope("api-access") != nil)
        #expect(try fixture.assignedScopes("app", "default").contains("api-access") == false)
        // Running apply again converges.
        let rerun = try fixture.kcx(["apply", "-f", file, "--auto-approve"])
        #expect(rerun.status == 0, "\(rerun)")
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }
}

extension PlanWorkflowTests {
    @Test func savedPlansThatCannotBeAppliedAreRefusedBeforeAnyWrite() throws {
        let fixture = try RealmFixture(keycloak, prefix: "badplan")
        let file = try setUp(fixture)
        let before = try fixture.snapshot()
        // The declarative file given where a saved plan goes.
        let mixedUp = try fixture.kcx(["apply", file, "--auto-approve"])
        #expect(mixedUp.status == 2, "\(mixedUp)")
        #expect(mixedUp.stderr.hasPrefix("error: '\(file)' is not a kcx saved plan: "), "\(mixedUp)")
        #expect(
            mixedUp.stderr.hasSuffix(
                "hint: a declarative file is applied with -f (kcx apply -f \(file)); a saved plan is made by 'kcx plan -f FILE --out PLAN'\n"
            ), "\(mixedUp)")
        let missing = try fixture.kcx(["apply", "/nonexistent/p.plan", "--auto-approve"])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("error: cannot read the saved plan '/nonexistent/p.plan': "), "\(missing)")
        // --out where nothing can be written.
        let unwritable = try fixture.kcx(["plan", "-f", file, "--out", "/nonexistent/dir/p.plan"])
        #expect(unwritable.status == 2)
        #expect(unwritable.stdout == "")
        #expect(unwritable.stderr.hasPrefix("error: cannot write --out '/nonexistent/dir/p.plan': "), "\(unwritable)")
        // A plan made against another server.
        let planPath = fixture.env.home.appendingPathComponent("p.plan").path
        #expect(try fixture.kcx(["plan", "-f", file, "--out", planPath]).status == 0)
        let text = try String(contentsOfFile: planPath, encoding: .utf8)
        try Data(
            text.replacingOccurrences(of: "\"server\": \"\(keycloak.baseURL)\"", with: "\"server\": \"https://other.example\"")
                .utf8
        )
        .write(to: URL(fileURLWithPath: planPath))
        let elsewhere = try fixture.kcx(["apply", planPath, "--auto-approve"])
        #expect(elsewhere.status == 9, "\(elsewhere)")
        #expect(
            elsewhere.stderr == """
                error: the plan was made against https://other.example, not \(keycloak.baseURL); nothing was changed
                hint: apply it with a session on the server it was made for, or make a plan for this one: kcx plan -f \(file) --out \(planPath)

                """)
        #expect(try fixture.snapshot() == before)
    }
}

extension PlanWorkflowTests {
    @Test(.enabled(if: onSandbox, "a slow write needs the sandbox's fault injection"))
    func ctrlCTypedOnTheTerminalDuringApply() throws {
        let fixture = try RealmFixture(keycloak, prefix: "ctrlc")
        let file = try setUp(fixture)
        let ruleID = try holdFirstScopeCreate(fixture)
        var planOnScreen = false
        let (status, screen) = try onTerminal(fixture, ["apply", "-f", file, "--auto-approve", "--parallel", "1"]) { screen in
            // The plan reaches the screen before the first write (stdout is flushed), then ^C.
            guard screen.contains("Plan: 7 to create, 1 to update, 0 to delete.\r\n") else { return nil }
            planOnScreen = true
            try? waitUntilUsed(ruleID)
            return "\u{03}"
        }
        #expect(planOnScreen, "\(screen)")
        #expect(status == 130, "\(screen)")
        #expect(screen.contains("\u{1B}[K[1/8] + client-scope api-access"), "\(screen)")
        #expect(screen.contains("\r\ninterrupted: applied 1 of 8 changes; not applied:\r\n"), "\(screen)")
        #expect(
            screen.hasSuffix(
                "    ~ token-exchange gateway\r\nhint: run apply again: it converges from the realm's current state\r\n"),
            "\(screen)")
        #expect(try fixture.clientScope("api-access") != nil)
        #expect(try fixture.kcx(["apply", "-f", file, "--auto-approve"]).status == 0)
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }
}

extension PlanWorkflowTests {
    @Test(.enabled(if: onSandbox, "fault injection needs the sandbox control API"))
    func aSavedPlanThatFailsPartWaySaysHowToConverge() throws {
        let fixture = try RealmFixture(keycloak, prefix: "savedfail")
        let file = try setUp(fixture)
        let planPath = fixture.env.home.appendingPathComponent("p.plan").path
        #expect(try fixture.kcx(["plan", "-f", file, "--out", planPath]).status == 0)
        let rule: JSON = [
            "method": "PUT", "path": .string("/admin/realms/\(fixture.realm)/clients/*/default-client-scopes/*"), "count": 1,
            "action": "status", "status": 403, "body": "{\"error\":\"unknown_error\"}", "contentType": "application/json",
        ]
        #expect(
            try keycloak.request("POST", "/_sandbox/faults", body: Data(rule.serialized().utf8), contentType: "application/json")
                .status == 201)
        let failed = try fixture.kcx(["apply", planPath, "--auto-approve", "--parallel", "1"])
        #expect(failed.status == 4, "\(failed)")
        #expect(failed.stderr.contains("applied 5 of 8 changes; not applied:\n"), "\(failed)")
        #expect(
            failed.stderr.hasSuffix(
                """
                hint: fix the cause and plan again (kcx plan -f \(file) --out \(planPath)) and apply the new plan, or run kcx apply -f \(file); \
                either converges (this plan is partly applied now, so it would be refused as stale)

                """), "\(failed)")
        // As the hint says: the same plan again is stale, the file converges.
        #expect(try fixture.kcx(["apply", planPath, "--auto-approve"]).status == 9)
        #expect(try fixture.kcx(["apply", "-f", file, "--auto-approve"]).status == 0)
        #expect(try fixture.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }
}
