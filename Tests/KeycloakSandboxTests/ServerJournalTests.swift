// `--state FILE` persistence: acknowledged writes go to FILE.journal (the changed entities only, fsynced
// before the answer), start-up and shutdown fold the journal into FILE. A kill -9 loses no acknowledged
// write (docs/sandbox.md "Persistence").
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

#if canImport(Glibc)
    import Glibc
#endif

private func journalDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "kcx-sandbox-journal-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func lines(_ path: String) -> [String] {
    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self).split(separator: "\n").map(String.init)
}

@Suite struct ServerJournalTests {
    @Test func journalsWritesAndFoldsThemIntoTheStateFileAtStart() throws {
        let directory = try journalDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try makeSandbox(stateFile: path)
        let before = try #require(FileManager.default.contents(atPath: path))
        let token = try passwordToken(first)
        #expect(
            immediate(
                first.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"journaled","enabled":true}"#)))?
                .status == 201)
        let scope = immediate(
            first.handle(
                authorized(
                    "POST", "/admin/realms/journaled/client-scopes", token: token,
                    body: #"{"name":"s1","protocol":"openid-connect"}"#)))
        #expect(scope?.status == 201)

        // The state file is not rewritten per write; the journal holds one line per write batch.
        #expect(FileManager.default.contents(atPath: path) == before)
        let journal = lines(path + ".journal")
        #expect(journal.count == 3)  // the login (session, keys), the realm, the scope
        let last = try JSON.parse(Array(journal[2].utf8))
        #expect(last["records"]?.arrayValue?.count == 1)
        #expect(last["records"]?[0]?["op"] == "put")
        #expect(last["records"]?[0]?["kind"] == "clientScopes")
        #expect(last["records"]?[0]?["value"]?["name"] == "s1")

        // A second start (the first never shut down) replays it, then folds it into the state file.
        let second = try makeSandbox(stateFile: path)
        #expect(second.context.store.read { $0.realm(named: "journaled")?.clientScope(name: "s1") != nil })
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
        let saved = try JSON.parse([UInt8](try #require(FileManager.default.contents(atPath: path))))
        #expect(saved["store"]?["realms"]?.arrayValue?.contains { $0["name"] == "journaled" } == true)
        // The token of the first process still verifies: keys and session were journaled.
        #expect(immediate(second.handle(authorized("GET", "/admin/realms/journaled", token: token)))?.status == 200)
    }

    @Test func shutdownFoldsTheJournal() throws {
        let directory = try journalDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let sandbox = try makeSandbox(stateFile: path)
        let token = try passwordToken(sandbox)
        #expect(
            immediate(sandbox.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"folded"}"#)))?.status
                == 201)
        #expect(FileManager.default.fileExists(atPath: path + ".journal"))
        try sandbox.shutdown()
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["state.json"])
        let saved = try JSON.parse([UInt8](try #require(FileManager.default.contents(atPath: path))))
        #expect(saved["store"]?["realms"]?.arrayValue?.contains { $0["name"] == "folded" } == true)
    }

    // A journal that cannot be written does not fail the request (it took effect); the failure is
    // counted, and the change goes to disk with the next append that works.
    @Test func aFailedAppendIsCountedAndCaughtUpLater() throws {
        let directory = try journalDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let sandbox = try makeSandbox(stateFile: path)
        // Start-up folded the journal away; a directory in its place makes the next append fail.
        try FileManager.default.createDirectory(atPath: path + ".journal", withIntermediateDirectories: false)
        let token = try passwordToken(sandbox)
        #expect(sandbox.persistFailureCount == 1)
        #expect(
            immediate(sandbox.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"late"}"#)))?.status
                == 201)
        #expect(sandbox.persistFailureCount == 2)
        try FileManager.default.removeItem(atPath: path + ".journal")
        #expect(
            immediate(sandbox.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"later"}"#)))?.status
                == 201)
        #expect(sandbox.persistFailureCount == 2)
        let restarted = try makeSandbox(stateFile: path)
        #expect(restarted.context.store.read { $0.realm(named: "late") != nil && $0.realm(named: "later") != nil })
        #expect(immediate(restarted.handle(authorized("GET", "/admin/realms/late", token: token)))?.status == 200)
    }

    // A write the process died in the middle of has no newline yet: it was never acknowledged and is
    // dropped; a damaged line before the end is corruption and refuses the start.
    @Test func dropsATornLastLineAndRefusesACorruptOne() throws {
        let directory = try journalDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try makeSandbox(stateFile: path)
        let token = try passwordToken(first)
        #expect(
            immediate(first.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"kept"}"#)))?.status == 201)
        let journal = try #require(FileManager.default.contents(atPath: path + ".journal"))

        try (journal + Data(#"{"records":[{"op":"deleteRealm","#.utf8)).write(to: URL(fileURLWithPath: path + ".journal"))
        let second = try makeSandbox(stateFile: path)
        #expect(second.context.store.read { $0.realm(named: "kept") != nil })

        try (Data("garbage\n".utf8) + journal).write(to: URL(fileURLWithPath: path + ".journal"))
        #expect(throws: SandboxStartError("state journal '\(path).journal' line 1 is not a journal record")) {
            try makeSandbox(stateFile: path)
        }
    }

    // One write among many costs its own entity: the records name the one changed scope, not the realm.
    @Test func recordsOnlyTheChangedEntities() throws {
        let harness = AdminHarness()
        harness.createRealm("demo")
        for index in 0..<50 {
            #expect(
                harness.send(
                    "POST", "/admin/realms/demo/client-scopes", json: #"{"name":"s\#(index)","protocol":"openid-connect"}"#
                ).status == 201)
        }
        let before = harness.context.store.read { $0 }
        let scope = harness.realm("demo").clientScope(name: "s7")!
        #expect(
            harness.send("PUT", "/admin/realms/demo/client-scopes/\(scope.id)", json: #"{"name":"s7","description":"changed"}"#)
                .status == 204)
        let after = harness.context.store.read { $0 }
        let records = StoreJournal.records(from: before, to: after)
        #expect(records.count == 1)
        #expect(records.first?["op"] == "put")
        #expect(records.first?["value"]?["description"] == "changed")

        // Replaying the records over the old state gives the new one, and so does replaying them twice.
        var replayed = before
        for record in records + records { try StoreJournal.apply(record, to: &replayed) }
        #expect(replayed.realm(named: "demo")?.clientScopes == after.realm(named: "demo")?.clientScopes)

        // A deletion and a new realm.
        #expect(harness.send("DELETE", "/admin/realms/demo/client-scopes/\(scope.id)").status == 204)
        harness.createRealm("other")
        let last = harness.context.store.read { $0 }
        let more = StoreJournal.records(from: after, to: last)
        // In demo, the one deletion; the new realm whole; master's own changes (its new admin client).
        let demoId = last.realm(named: "demo")!.id
        let masterId = last.master!.id
        #expect(more.filter { $0["realm"]?.stringValue == demoId }.compactMap { $0["op"]?.stringValue } == ["delete"])
        #expect(more.filter { $0["op"] == "putRealm" }.compactMap { $0["value"]?["name"]?.stringValue } == ["other"])
        #expect(more.allSatisfy { $0["op"] == "putRealm" || [demoId, masterId].contains($0["realm"]?.stringValue ?? "") })
        var again = after
        for record in more { try StoreJournal.apply(record, to: &again) }
        #expect(again.realms.map(\.name) == last.realms.map(\.name))
        #expect(again.realm(named: "demo")?.clientScopes == last.realm(named: "demo")?.clientScopes)
        #expect(again.realm(named: "other")?.clients == last.realm(named: "other")?.clients)
        #expect(again.master?.clients == last.master?.clients)
        #expect(again.master?.roles == last.master?.roles)
    }
}

/// The real binary, killed with SIGKILL in the middle of its life: every write it acknowledged is there
/// after a restart with the same state file.
@Suite struct ServerCrashSafetyTests {
    struct Client {
        let port: UInt16
        func send(
            _ method: String, _ path: String, body: String = "", contentType: String = "application/json", token: String? = nil
        ) throws -> RawResponse {
            let connection = try RawHTTPClient(port: port)
            var head =
                "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
            if !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
            if let token { head += "Authorization: Bearer \(token)\r\n" }
            connection.send(head + "\r\n" + body)
            return try connection.readResponse(timeout: 30)
        }

        func login() throws -> String {
            let response = try send(
                "POST", "/realms/master/protocol/openid-connect/token",
                body: "grant_type=password&client_id=admin-cli&username=admin&password=admin-pw",
                contentType: "application/x-www-form-urlencoded")
            #expect(response.status == 200)
            return try JSON.parse(response.body)["access_token"]?.stringValue ?? ""
        }
    }

    @Test func killMinusNineLosesNoAcknowledgedWrite() throws {
        let directory = try journalDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let (process, url) = try SandboxBinary.start(["--state", path])
        var killed = false
        defer { if !killed { SandboxBinary.kill(process) } }
        let client = Client(port: try #require(UInt16(url.split(separator: ":").last ?? "")))
        let token = try client.login()
        #expect(
            try client.send("POST", "/admin/realms", body: #"{"realm":"crash","enabled":"true"}"#, token: token).status == 201)

        // Four writers at once, so journal appends of concurrent requests are exercised too.
        let acknowledged = LockedNames()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for index in 0..<25 {
                let name = "scope-\(worker)-\(index)"
                guard
                    let response = try? client.send(
                        "POST", "/admin/realms/crash/client-scopes", body: #"{"name":"\#(name)","protocol":"openid-connect"}"#,
                        token: token),
                    response.status == 201, let id = response.header("Location")?.split(separator: "/").last
                else { continue }
                acknowledged.set(name, String(id))
            }
        }
        #expect(acknowledged.all.count == 100)
        let deleted = try #require(acknowledged.all["scope-0-0"])
        #expect(try client.send("DELETE", "/admin/realms/crash/client-scopes/\(deleted)", token: token).status == 204)
        #expect(
            try client.send("PUT", "/admin/realms/crash", body: #"{"displayName":"After the crash"}"#, token: token).status == 204
        )

        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        killed = true
        // Nothing of it reached the state file itself: only the journal has it.
        let stateText = String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        #expect(!stateText.contains("scope-1-1"))
        #expect(FileManager.default.fileExists(atPath: path + ".journal"))

        // Same port: the issuer (and so the old token's `iss`) names it.
        let (restarted, restartedURL) = try SandboxBinary.start(["--state", path, "--port", String(client.port)])
        defer { SandboxBinary.kill(restarted) }
        #expect(restartedURL == url)
        let again = Client(port: client.port)
        // The old token still works: keys and the session were journaled with the writes.
        let realm = try again.send("GET", "/admin/realms/crash", token: token)
        #expect(realm.status == 200)
        let realmJSON = try JSON.parse(realm.body)
        #expect(realmJSON["displayName"] == "After the crash")
        #expect(realmJSON["enabled"] == true)
        let scopes = try JSON.parse(try again.send("GET", "/admin/realms/crash/client-scopes", token: token).body)
        let stored = Dictionary(
            (scopes.arrayValue ?? []).compactMap { scope in
                scope["name"]?.stringValue.map { ($0, scope["id"]?.stringValue ?? "") }
            },
            uniquingKeysWith: { first, _ in first })
        var expected = acknowledged.all
        expected["scope-0-0"] = nil
        for (name, id) in expected { #expect(stored[name] == id, "\(name)") }
        #expect(stored["scope-0-0"] == nil)
        // The restart folded the journal into the state file.
        #expect(!FileManager.default.fileExists(atPath: path + ".journal"))
    }
}

/// Names of acknowledged writes, filled by concurrent writers.
private final class LockedNames: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String: String] = [:]
    func set(_ name: String, _ id: String) { lock.withLock { names[name] = id } }
    var all: [String: String] { lock.withLock { names } }
}
