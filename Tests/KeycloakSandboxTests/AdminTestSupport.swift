// Helpers for the admin REST tests: a bootstrapped store, in-process requests as the master admin
// (or another caller), and response accessors.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

struct AdminHarness {
    let context: SandboxContext
    let admin: AdminCaller

    init() {
        let store = SandboxStore()
        store.withLock { $0.bootstrapMaster(adminPassword: "s3cret-admin", now: 1_700_000_000) }
        context = SandboxContext(store: store, baseURL: "http://127.0.0.1:8080", clock: { 1_700_000_000 })
        let adminId = store.read { $0.master!.user(username: "admin")!.id }
        admin = AdminCaller(realmName: "master", userId: adminId)
    }

    /// Sends a request as `caller` (the master admin by default) straight to the admin router.
    func send(
        _ method: String, _ target: String, json: String? = nil, contentType: String? = "application/json",
        as caller: AdminCaller? = nil
    ) -> ServerResponse {
        let parts = target.split(separator: "?", maxSplits: 1)
        let path = String(parts[0])
        var query: [(name: String, value: String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                query.append((kv[0], kv.count > 1 ? kv[1] : ""))
            }
        }
        var headers: [(name: String, value: String)] = []
        if json != nil, let contentType { headers.append(("Content-Type", contentType)) }
        let request = ServerRequest(
            method: method, target: target, path: path, query: query, headers: headers, body: Array((json ?? "").utf8))
        return AdminRoutes.handle(request, context, caller: caller ?? admin)
    }

    /// Creates a realm through the API and returns nothing; expects 201.
    func createRealm(_ name: String, enabled: Bool = true) {
        let response = send("POST", "/admin/realms", json: #"{"realm":"\#(name)","enabled":\#(enabled)}"#)
        #expect(response.status == 201)
    }

    /// Creates a client and returns its id (from Location).
    func createClient(_ realm: String, _ json: String) -> String {
        let response = send("POST", "/admin/realms/\(realm)/clients", json: json)
        #expect(response.status == 201)
        return response.location.split(separator: "/").last.map(String.init) ?? ""
    }

    func realm(_ name: String) -> Realm { context.store.read { $0.realm(named: name)! } }
}

extension ServerResponse {
    var bodyText: String { String(decoding: body, as: UTF8.self) }
    var bodyJSON: JSON { (try? JSON.parse(body)) ?? .null }
    func firstHeader(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    var location: String { firstHeader("Location") ?? "" }
}
