// A bootstrapped store and request helpers for the OIDC tests: realms, clients and users are set up
// through the store's own factories, requests go through OIDCRoutes in-process.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

/// The clock every OIDC test starts from; `advance` moves it.
let oidcTestEpoch: Double = 1_800_000_000

final class OIDCFixture: @unchecked Sendable {
    let context: SandboxContext
    static let baseURL = "http://127.0.0.1:8080"
    static let adminPassword = "admin-password"

    init(features: FeatureSet = .keycloakDefaults) {
        let store = SandboxStore()
        store.withLock { state in
            state.bootstrapMaster(adminPassword: OIDCFixture.adminPassword, now: oidcTestEpoch)
            let index = state.createRealm(name: "demo", id: nil, now: oidcTestEpoch)
            state.realms[index].representation["enabled"] = true
        }
        context = SandboxContext(store: store, features: features, baseURL: OIDCFixture.baseURL, clock: { oidcTestEpoch })
    }

    func advance(_ seconds: Double) { context.advanceClock(by: seconds) }

    var now: Double { context.now() }

    func issuer(_ realm: String = "demo") -> String { OIDCFixture.baseURL + "/realms/" + realm }

    /// Creates a client as the admin API would (`ClientFactory.create`) and returns its UUID.
    @discardableResult
    func addClient(_ body: JSON, realm: String = "demo") -> String {
        context.store.withLock { state in
            let index = state.realmIndex(named: realm)!
            return try! ClientFactory.create(body.objectValue!, in: &state.realms[index], now: oidcTestEpoch)
        }
    }

    /// Creates a user with a password and the realm's default roles plus `roles` (realm role names
    /// or `client/role`), and returns its id.
    @discardableResult
    func addUser(
        _ username: String, password: String = "secret", realm: String = "demo", roles: [String] = [],
        configure: (inout User) -> Void = { _ in }
    ) -> String {
        context.store.withLock { state in
            let index = state.realmIndex(named: realm)!
            var user = User(id: SandboxStore.newId(), username: username, createdTimestamp: Int64(oidcTestEpoch * 1000))
            user.setPassword(password, temporary: false, now: oidcTestEpoch)
            let realmValue = state.realms[index]
            user.roleIds = [realmValue.realmRole(name: "default-roles-\(realm)")!.id]
            for role in roles {
                let parts = role.split(separator: "/").map(String.init)
                let found =
                    parts.count == 2
                    ? realmValue.client(clientId: parts[0])!.role(name: parts[1])! : realmValue.realmRole(name: role)!
                user.roleIds.append(found.id)
            }
            configure(&user)
            state.realms[index].users.append(user)
            return user.id
        }
    }

    func updateRealm(_ realm: String = "demo", _ change: (inout Realm) -> Void) {
        context.store.withLock { state in change(&state.realms[state.realmIndex(named: realm)!]) }
    }

    func updateClient(_ clientId: String, realm: String = "demo", _ change: (inout Client) -> Void) {
        updateRealm(realm) { realm in change(&realm.clients[realm.clients.firstIndex { $0.clientId == clientId }!]) }
    }

    /// Adds a client role to `clientId` and returns the role's id.
    @discardableResult
    func addClientRole(_ clientId: String, _ name: String, realm: String = "demo") -> String {
        var id = ""
        updateClient(clientId, realm: realm) { client in
            let role = Role(id: SandboxStore.newId(), name: name, clientRole: true, containerId: client.id)
            id = role.id
            client.roles.append(role)
        }
        return id
    }

    func clientSecret(_ clientId: String, realm: String = "demo") -> String {
        context.store.read { $0.realm(named: realm)!.client(clientId: clientId)!.secret! }
    }

    func request(
        _ method: String, _ path: String, form: [(String, String)] = [], headers: [(name: String, value: String)] = []
    ) -> ServerResponse {
        let body = form.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        let request = ServerRequest(
            method: method, target: path, path: path, query: [],
            headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: Array(body.utf8))
        guard let response = OIDCRoutes.handle(request, context) else {
            Issue.record("OIDCRoutes did not handle \(method) \(path)")
            return ServerResponse(status: 0)
        }
        return response
    }

    func token(_ form: [(String, String)], realm: String = "demo", headers: [(name: String, value: String)] = [])
        -> ServerResponse
    {
        request("POST", "/realms/\(realm)/protocol/openid-connect/token", form: form, headers: headers)
    }

    /// A password-grant token response body (fails the test when not 200).
    func passwordLogin(
        _ username: String, password: String = "secret", clientId: String, secret: String? = nil, scope: String? = nil,
        realm: String = "demo"
    ) -> JSONObject {
        var form = [("grant_type", "password"), ("client_id", clientId), ("username", username), ("password", password)]
        if let secret { form.append(("client_secret", secret)) }
        if let scope { form.append(("scope", scope)) }
        let response = token(form, realm: realm)
        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        return response.jsonObject
    }

    private func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

extension ServerResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSON { (try? JSON.parse(body)) ?? .null }
    var jsonObject: JSONObject { json.objectValue ?? JSONObject() }
    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
    func header(_ name: String) -> String? { headerValues(name).first }
}

/// The claims of a compact JWT (no verification; tests verify separately where it matters).
func jwtClaims(_ token: String?) -> JSONObject {
    guard let token, let decoded = SandboxJWT.decode(token) else { return JSONObject() }
    return decoded.claims
}

func jwtHeader(_ token: String?) -> JSONObject {
    guard let token, let decoded = SandboxJWT.decode(token) else { return JSONObject() }
    return decoded.header
}
