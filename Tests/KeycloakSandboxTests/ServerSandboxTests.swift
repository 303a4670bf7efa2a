// The Sandbox facade: Keycloak's root 404 (admin-api.md §10.2), the control API and fault rules
// (docs/sandbox.md "Control API"), persistence to --state, start-up over real sockets.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

/// A request as the HTTP server would hand it to the sandbox.
func sandboxRequest(
    _ method: String, _ target: String, body: String? = nil, contentType: String? = "application/json",
    remoteAddress: String = "127.0.0.1"
) -> ServerRequest {
    let path = String(target.prefix { $0 != "?" })
    var headers: [(name: String, value: String)] = [("Host", "localhost")]
    if body != nil, let contentType { headers.append(("Content-Type", contentType)) }
    return ServerRequest(
        method: method, target: target, path: path, query: [], headers: headers, body: Array((body ?? "").utf8),
        remoteAddress: remoteAddress)
}

/// The response of an action that must be an immediate answer.
func immediate(_ action: ServerAction, sourceLocation: SourceLocation = #_sourceLocation) -> ServerResponse? {
    guard case .respond(let response) = action else {
        Issue.record("expected an immediate response, got \(action)", sourceLocation: sourceLocation)
        return nil
    }
    return response
}

extension ServerResponse {
    var answerText: String { String(decoding: body, as: UTF8.self) }
    func answerHeader(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

func makeSandbox(control: Bool = true, stateFile: String? = nil) throws -> Sandbox {
    var options = SandboxOptions(adminPassword: "test-password")
    options.controlEnabled = control
    options.stateFile = stateFile
    return try Sandbox(options: options)
}

@Suite struct ServerSandboxTests {
    // admin-api.md §10.2: a path matching nothing at the server root.
    @Test func answersKeycloaksRootNotFound() throws {
        let sandbox = try makeSandbox()
        let response = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/no/such/thing"))))
        #expect(response.status == 404)
        #expect(response.answerText == #"{"error":"Unable to find matching target resource method"}"#)
        #expect(response.headers.map(\.name) == ["Content-Type"])
        #expect(response.answerHeader("Content-Type") == "application/json")
    }

    // admin-api.md §1.2: serverinfo needs an admin bearer token.
    @Test func serverInfoNeedsAToken() throws {
        let sandbox = try makeSandbox()
        let response = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/admin/serverinfo"))))
        #expect(response.status == 401)
        #expect(response.answerText == #"{"error":"HTTP 401 Unauthorized"}"#)
    }

    @Test func bootstrapsMasterWithTheConfiguredAdmin() throws {
        var options = SandboxOptions(adminPassword: "pw")
        options.adminUsername = "boss"
        let sandbox = try Sandbox(options: options)
        #expect(sandbox.createdMasterRealm)
        let names = sandbox.context.store.read { state in state.master?.users.map(\.username) }
        #expect(names == ["boss"])
    }

    @Test func refusesAnUnreadableImport() {
        var options = SandboxOptions(adminPassword: "pw")
        options.importFiles = ["/nonexistent/realm.json"]
        #expect(throws: SandboxStartError("cannot read import file '/nonexistent/realm.json'")) { try Sandbox(options: options) }
    }
}

@Suite struct ControlRouteTests {
    @Test func addsListsAndAppliesAStatusRule() throws {
        let sandbox = try makeSandbox()
        let created = try #require(
            immediate(
                sandbox.handle(
                    sandboxRequest(
                        "POST", "/_sandbox/faults",
                        body:
                            #"{"method":"GET","path":"/flaky/*","count":2,"action":"status","status":503,"body":"{\"error\":\"down\"}"}"#
                    ))))
        #expect(created.status == 201)
        #expect(created.answerHeader("Location") == "http://127.0.0.1:8080/_sandbox/faults/fault-1")
        #expect(
            created.answerText
                == #"{"id":"fault-1","method":"GET","path":"/flaky/*","action":"status","status":503,"body":"{\"error\":\"down\"}","contentType":"application/json","remaining":2,"applied":0}"#
        )

        for _ in 0..<2 {
            let failed = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/flaky/x"))))
            #expect(failed.status == 503)
            #expect(failed.answerText == #"{"error":"down"}"#)
            #expect(failed.answerHeader("Content-Type") == "application/json")
        }
        let after = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/flaky/x"))))
        #expect(after.status == 404)

        let list = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/_sandbox/faults"))))
        #expect(list.answerText == "[]")
        let stats = try #require(immediate(sandbox.handle(sandboxRequest("GET", "/_sandbox/stats"))))
        #expect(
            stats.answerText
                == #"{"requests":6,"acceptedConnections":0,"faultsApplied":2,"activeFaultRules":0,"stateWriteFailures":0,"clockOffsetSeconds":0.0}"#
        )
    }

    @Test func delayAndDropRulesBecomeServerActions() throws {
        let sandbox = try makeSandbox()
        _ = sandbox.handle(
            sandboxRequest("POST", "/_sandbox/faults", body: #"{"path":"/slow","action":"delay","delaySeconds":2}"#))
        _ = sandbox.handle(sandboxRequest("POST", "/_sandbox/faults", body: #"{"path":"/gone","action":"drop"}"#))
        guard case .respondAfter(let seconds, let response) = sandbox.handle(sandboxRequest("GET", "/slow")) else {
            Issue.record("expected a delayed answer")
            return
        }
        #expect(seconds == 2)
        #expect(response.status == 404)  // the real answer, late
        guard case .dropConnection = sandbox.handle(sandboxRequest("PUT", "/gone")) else {
            Issue.record("expected a dropped connection")
            return
        }
    }

    @Test func dropAfterApplyingCarriesOutTheWriteAndExpireTokensRevokesTheRequestsToken() throws {
        let sandbox = try makeSandbox()
        func withToken(_ method: String, _ path: String, _ token: String, body: String? = nil) -> ServerRequest {
            var request = sandboxRequest(method, path, body: body)
            request.headers.append(("Authorization", "Bearer \(token)"))
            return request
        }
        let login = try #require(
            immediate(
                sandbox.handle(
                    sandboxRequest(
                        "POST", "/realms/master/protocol/openid-connect/token",
                        body: "grant_type=password&client_id=admin-cli&username=admin&password=test-password",
                        contentType: "application/x-www-form-urlencoded"))))
        let token = try #require(try JSON.parse(login.body)["access_token"]?.stringValue)

        _ = sandbox.handle(
            sandboxRequest(
                "POST", "/_sandbox/faults", body: #"{"method":"POST","path":"/admin/realms","action":"drop","apply":true}"#))
        guard
            case .dropConnection = sandbox.handle(
                withToken("POST", "/admin/realms", token, body: #"{"realm":"kept","enabled":true}"#))
        else {
            Issue.record("expected a dropped connection")
            return
        }
        // The answer was lost, the write was not.
        #expect(immediate(sandbox.handle(withToken("GET", "/admin/realms/kept", token)))?.status == 200)

        _ = sandbox.handle(
            sandboxRequest(
                "POST", "/_sandbox/faults", body: #"{"method":"GET","path":"/admin/realms/*","action":"expire-tokens","skip":1}"#)
        )
        #expect(immediate(sandbox.handle(withToken("GET", "/admin/realms/kept", token)))?.status == 200)  // skipped
        let revoked = try #require(immediate(sandbox.handle(withToken("GET", "/admin/realms/kept", token))))
        #expect(revoked.status == 401)
        #expect(sandbox.context.clockOffset == Sandbox.expiryClockShift)
        #expect(sandbox.faults.all.isEmpty)
    }

    @Test func removesRules() throws {
        let sandbox = try makeSandbox()
        _ = sandbox.handle(sandboxRequest("POST", "/_sandbox/faults", body: #"{"path":"/a","action":"drop"}"#))
        _ = sandbox.handle(sandboxRequest("POST", "/_sandbox/faults", body: #"{"path":"/b","action":"drop"}"#))
        #expect(immediate(sandbox.handle(sandboxRequest("DELETE", "/_sandbox/faults/fault-1")))?.status == 204)
        let missing = immediate(sandbox.handle(sandboxRequest("DELETE", "/_sandbox/faults/fault-1")))
        #expect(missing?.status == 404)
        #expect(missing?.answerText == #"{"error":"no fault rule 'fault-1'"}"#)
        #expect(sandbox.faults.all.map(\.id) == ["fault-2"])
        #expect(immediate(sandbox.handle(sandboxRequest("DELETE", "/_sandbox/faults")))?.status == 204)
        #expect(sandbox.faults.all.isEmpty)
    }

    @Test func refusesBadControlRequests() throws {
        let sandbox = try makeSandbox()
        let badRule = immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/faults", body: #"{"path":"/a"}"#)))
        #expect(badRule?.status == 400)
        #expect(
            badRule?.answerText
                == #"{"error":"invalid fault rule: \"action\" must be one of \"status\", \"delay\", \"drop\", \"expire-tokens\""}"#
        )
        let badJSON = immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/faults", body: "{")))
        #expect(badJSON?.status == 400)
        #expect(badJSON?.answerText.hasPrefix(#"{"error":"invalid JSON: "#) == true)
        let form = immediate(
            sandbox.handle(
                sandboxRequest("POST", "/_sandbox/faults", body: "a=b", contentType: "application/x-www-form-urlencoded")))
        #expect(form?.status == 415)
        #expect(form?.answerText == #"{"error":"send the body as Content-Type: application/json"}"#)
        let wrongMethod = immediate(sandbox.handle(sandboxRequest("PUT", "/_sandbox/stats")))
        #expect(wrongMethod?.status == 405)
        #expect(wrongMethod?.answerText == #"{"error":"method PUT not allowed on /_sandbox/stats"}"#)
        let unknown = immediate(sandbox.handle(sandboxRequest("GET", "/_sandbox/nope")))
        #expect(unknown?.status == 404)
        #expect(unknown?.answerText == #"{"error":"no control endpoint /_sandbox/nope (see docs/sandbox.md)"}"#)
        let backwards = immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/clock", body: #"{"advanceSeconds":-5}"#)))
        #expect(backwards?.status == 400)
        #expect(sandbox.context.clockOffset == 0)
    }

    @Test func isHiddenWithoutControlAndRefusesRemotePeers() throws {
        let off = try makeSandbox(control: false)
        let hidden = immediate(off.handle(sandboxRequest("GET", "/_sandbox/stats")))
        #expect(hidden?.status == 404)
        #expect(hidden?.answerText == #"{"error":"Unable to find matching target resource method"}"#)

        let on = try makeSandbox()
        let remote = immediate(on.handle(sandboxRequest("GET", "/_sandbox/stats", remoteAddress: "10.1.2.3")))
        #expect(remote?.status == 403)
        #expect(remote?.answerText == #"{"error":"the control API answers loopback clients only"}"#)
        #expect(immediate(on.handle(sandboxRequest("GET", "/_sandbox/stats", remoteAddress: "::1")))?.status == 200)
    }

    @Test func movesTheClockForward() throws {
        let sandbox = try makeSandbox()
        let before = sandbox.context.now()
        let response = try #require(
            immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/clock", body: #"{"advanceSeconds":600}"#))))
        #expect(response.status == 200)
        #expect(try JSON.parse(response.body)["offsetSeconds"] == .double(600))
        #expect(sandbox.context.clockOffset == 600)
        #expect(sandbox.context.now() - before >= 600)
    }

    @Test func expiresEveryTokenAndSession() throws {
        let sandbox = try makeSandbox()
        sandbox.context.store.withLock { state in
            let index = state.realmIndex(named: "master")!
            state.realms[index].sessions.append(UserSession(id: "s1", userId: "u", clientId: "c", started: 0, lastRefresh: 0))
        }
        let response = try #require(immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/expire-tokens"))))
        #expect(response.status == 200)
        #expect(sandbox.context.clockOffset == 365 * 24 * 3600)
        #expect(sandbox.context.store.read { $0.realms.allSatisfy { $0.sessions.isEmpty } })
    }
}

@Suite struct ServerPersistenceTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "kcx-sandbox-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesTheStateAtStartAndRestoresIt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try makeSandbox(stateFile: path)
        #expect(first.createdMasterRealm)
        let saved = try JSON.parse([UInt8](try #require(FileManager.default.contents(atPath: path))))
        #expect(saved["kcxSandboxState"] == 1)
        #expect(saved["store"]?["realms"]?[0]?["name"] == "master")

        // A change, persisted, survives a restart; the master realm is not created again.
        first.context.store.withLock { state in
            let index = state.realmIndex(named: "master")!
            state.realms[index].representation["displayName"] = "Persisted"
        }
        try first.saveState()
        let masterId = first.context.store.read { $0.master?.id }
        let second = try makeSandbox(stateFile: path)
        #expect(!second.createdMasterRealm)
        #expect(second.context.store.read { $0.master?.id } == masterId)
        #expect(second.context.store.read { $0.master?.representation["displayName"] } == "Persisted")
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["state.json"])
    }

    @Test func refusesACorruptStateFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try makeSandbox(stateFile: path)
            Issue.record("a corrupt state file was accepted")
        } catch {
            #expect(String(describing: error).hasPrefix("state file '\(path)' is not valid JSON: "))
        }
        try Data(#"{"something":"else"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(
            throws: SandboxStartError("state file '\(path)' cannot be restored: it is not a kcx-sandbox state file (version 1)")
        ) {
            try makeSandbox(stateFile: path)
        }
    }
}

@Suite struct ServerStartTests {
    @Test func servesOverHTTPAndDropsOnAFaultRule() throws {
        let sandbox = try makeSandbox()
        let baseURL = try sandbox.start()
        defer { sandbox.stop() }
        let port = try #require(UInt16(baseURL.split(separator: ":").last ?? ""))
        #expect(baseURL == "http://127.0.0.1:\(port)")
        #expect(sandbox.context.baseURL == baseURL)

        let client = try RawHTTPClient(port: port)
        client.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.bodyText == #"{"error":"Unable to find matching target resource method"}"#)

        let rule = #"{"path":"/nothing","action":"drop"}"#
        client.send(
            "POST /_sandbox/faults HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\nContent-Length: \(rule.utf8.count)\r\n\r\n\(rule)"
        )
        #expect(try client.readResponse().status == 201)
        client.send("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readAll().isEmpty)

        let second = try RawHTTPClient(port: port)
        second.send("GET /_sandbox/stats HTTP/1.1\r\nHost: localhost:\(port)\r\n\r\n")
        let stats = try JSON.parse(try second.readResponse().body)
        #expect(stats["acceptedConnections"] == 2)
        #expect(stats["faultsApplied"] == 1)
    }

    @Test func refusesToBindBeyondLoopback() throws {
        var options = SandboxOptions(adminPassword: "pw")
        options.host = "0.0.0.0"
        let sandbox = try Sandbox(options: options)
        #expect(
            throws: SandboxStartError(
                "refusing to bind to non-loopback address '0.0.0.0' (pass --allow-non-loopback to permit it)",
                hint: "use --host 127.0.0.1 or ::1, or add --allow-non-loopback if other machines must reach this sandbox")
        ) {
            try sandbox.start()
        }
    }
}
