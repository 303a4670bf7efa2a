// The attacker the security tests play: a realm's delegated administrator holding only
// realm-management's manage-clients, who creates objects with any id, name or string it likes
// through the admin API with its own token; and a loopback server that records what reaches it.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

struct DelegatedAdmin {
    let keycloak: TestKeycloak
    let realm: String
    let token: String

    /// A user of `realm` with only the given realm-management roles, logged in through admin-cli.
    init(_ keycloak: TestKeycloak, realm: String, roles: [String] = ["manage-clients"]) throws {
        self.keycloak = keycloak
        self.realm = realm
        let username = "tenant-admin-\(UUID().uuidString.prefix(6).lowercased())"
        let password = "pw-" + UUID().uuidString
        let created = try keycloak.adminSend(
            "POST", "\(realm)/users",
            json: [
                "username": .string(username), "enabled": true, "email": .string("\(username)@example.com"),
                "firstName": "Tenant",
                "lastName": "Admin", "emailVerified": true,
                "credentials": [["type": "password", "value": .string(password), "temporary": false]],
            ])
        guard created.status == 201, let location = created.headers["location"], let userID = location.split(separator: "/").last
        else { throw HarnessError("creating the delegated admin: \(created.status) \(created.text)") }
        let management = try keycloak.adminGet("\(realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue ?? ""
        var granted: [JSON] = []
        for role in roles {
            guard let rep = try keycloak.adminGet("\(realm)/clients/\(management)/roles/\(role)").json else {
                throw HarnessError("no realm-management role \(role)")
            }
            granted.append(rep)
        }
        let mapped = try keycloak.adminSend(
            "POST", "\(realm)/users/\(userID)/role-mappings/clients/\(management)", json: .array(granted))
        guard mapped.status == 204 else { throw HarnessError("granting \(roles): \(mapped.status) \(mapped.text)") }
        let form = "grant_type=password&client_id=admin-cli&username=\(formEncode(username))&password=\(formEncode(password))"
        let response = try keycloak.request(
            "POST", "/realms/\(realm)/protocol/openid-connect/token", body: Data(form.utf8),
            contentType: "application/x-www-form-urlencoded")
        guard response.status == 200, let token = response.json?["access_token"]?.stringValue else {
            throw HarnessError("delegated admin login: \(response.status) \(response.text)")
        }
        self.token = token
    }

    /// A request relative to /admin/realms/{realm}/ with the delegated admin's token.
    @discardableResult
    func send(_ method: String, _ path: String, json: JSON? = nil) throws -> TestKeycloak.HTTPResult {
        try keycloak.request(
            method, "/admin/realms/\(realm)/\(path)", bearer: token, body: json.map { Data($0.serialized().utf8) },
            contentType: json == nil ? nil : "application/json")
    }

    /// Creates a client scope with the id and name the attacker chose; fails the test when refused.
    func clientScope(id: String, name: String, extra: [(String, JSON)] = []) throws {
        var body = JSONObject([("id", .string(id)), ("name", .string(name)), ("protocol", "openid-connect")])
        for (key, value) in extra { body[key] = value }
        let result = try send("POST", "client-scopes", json: .object(body))
        guard result.status == 201 else { throw HarnessError("hostile scope \(name): \(result.status) \(result.text)") }
    }
}

/// A loopback server that answers every request with `response` and records what reached it.
final class RecordingServer: @unchecked Sendable {
    private let server: LoopbackHTTPServer
    private let lock = NSLock()
    private var received: [ServerRequest] = []
    var baseURL: String { server.baseURL }

    init(status: Int = 200, json: String = "{}") throws {
        let box = Box()
        server = LoopbackHTTPServer { request in
            box.owner?.record(request)
            return .respond(
                ServerResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(json.utf8)))
        }
        try server.start()
        box.owner = self
    }

    private final class Box: @unchecked Sendable { weak var owner: RecordingServer? }
    private func record(_ request: ServerRequest) { lock.withLock { received.append(request) } }
    var requests: [ServerRequest] { lock.withLock { received } }
    func stop() { server.stop() }
    deinit { server.stop() }
}

/// The realm's representation and client-scope names, to prove that another realm was not touched.
func realmState(_ keycloak: TestKeycloak, _ realm: String) throws -> JSON {
    let rep = try keycloak.adminGet(realm)
    let scopes =
        try keycloak.adminGet("\(realm)/client-scopes").json?.arrayValue?.compactMap { $0["name"]?.stringValue }.sorted() ?? []
    return ["status": .int(Int64(rep.status)), "realm": rep.json ?? .null, "scopes": .array(scopes.map { .string($0) })]
}
