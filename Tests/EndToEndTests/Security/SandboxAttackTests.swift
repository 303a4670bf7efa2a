// Attacks on kcx-sandbox itself, against the real binary: a realm admin holding only manage-clients
// tries to make itself realm-admin (Keycloak refuses; so must the sandbox), and a web page on the same
// machine tries to drive the control API (form post, foreign Origin, rebound Host name).
import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import KcxJSON
import Testing

@Suite struct SandboxAttackTests {
    let keycloak = TestKeycloak.shared
    static let forbidden = #"{"error":"HTTP 403 Forbidden"}"#

    /// A realm with user `mallory` holding only realm-management's manage-clients, logged in through
    /// admin-cli in that realm.
    struct Escalation {
        let realm: String
        let managementId: String
        let manageClients: JSON
        let realmAdmin: JSON
        let malloryId: String
        let password = "Mallory-" + UUID().uuidString

        init(_ keycloak: TestKeycloak) throws {
            realm = try keycloak.createRealm("grant")
            let user: JSON = [
                "username": "mallory", "enabled": true, "email": "mallory@example.com", "emailVerified": true,
                "firstName": "Mal", "lastName": "Lory",
                "credentials": [["type": "password", "value": .string(password), "temporary": false]],
            ]
            let created = try keycloak.adminSend("POST", "\(realm)/users", json: user)
            guard created.status == 201, let location = created.headers["location"] else {
                throw HarnessError("creating mallory: \(created.status) \(created.text)")
            }
            malloryId = String(location.split(separator: "/").last ?? "")
            let realm = realm
            let managementId =
                try keycloak.adminGet("\(realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue ?? ""
            self.managementId = managementId
            func brief(_ name: String) throws -> JSON {
                let role = try keycloak.adminGet("\(realm)/clients/\(managementId)/roles/\(name)").json
                return ["id": role?["id"] ?? .null, "name": .string(name)]
            }
            manageClients = try brief("manage-clients")
            realmAdmin = try brief("realm-admin")
            let mapped = try keycloak.adminSend(
                "POST", "\(realm)/users/\(malloryId)/role-mappings/clients/\(managementId)", json: [manageClients])
            guard mapped.status == 204 else { throw HarnessError("mapping manage-clients: \(mapped.status) \(mapped.text)") }
        }

        /// A fresh password-grant token for mallory from admin-cli in the realm.
        func token(_ keycloak: TestKeycloak) throws -> String {
            let form = "grant_type=password&client_id=admin-cli&username=mallory&password=\(formEncode(password))"
            let response = try keycloak.request(
                "POST", "/realms/\(realm)/protocol/openid-connect/token", body: Data(form.utf8),
                contentType: "application/x-www-form-urlencoded")
            guard response.status == 200, let token = response.json?["access_token"]?.stringValue else {
                throw HarnessError("mallory's login failed: \(response.status) \(response.text)")
            }
            return token
        }

        func send(_ keycloak: TestKeycloak, _ method: String, _ path: String, _ token: String, json: JSON? = nil) throws
            -> TestKeycloak.HTTPResult
        {
            try keycloak.request(
                method, "/admin/realms/\(realm)" + (path.isEmpty ? "" : "/\(path)"), bearer: token,
                body: json.map { Data($0.serialized().utf8) },
                contentType: json == nil ? nil : "application/json")
        }

        /// Role names under `path`, read by the master admin.
        func names(_ keycloak: TestKeycloak, _ path: String) throws -> Set<String> {
            Set(try keycloak.adminGet("\(realm)/\(path)").json?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        }
    }

    @Test(
        "manage-clients only: realm-admin as a composite (by name, by id, of its own role) or mapped to itself is 403 and changes nothing"
    )
    func manageClientsCannotBecomeRealmAdmin() throws {
        let attack = try Escalation(keycloak)
        let token = try attack.token(keycloak)
        // The token works for what manage-clients allows, and not beyond.
        #expect(try attack.send(keycloak, "GET", "clients?clientId=account", token).status == 200)
        #expect(try attack.send(keycloak, "GET", "users", token).text == Self.forbidden)

        let manageClientsId = attack.manageClients["id"]?.stringValue ?? ""
        let byName = try attack.send(
            keycloak, "POST", "clients/\(attack.managementId)/roles/manage-clients/composites", token, json: [attack.realmAdmin])
        #expect(byName.status == 403)
        #expect(byName.text == Self.forbidden)
        let byId = try attack.send(
            keycloak, "POST", "roles-by-id/\(manageClientsId)/composites", token, json: [attack.realmAdmin])
        #expect(byId.status == 403)
        #expect(byId.text == Self.forbidden)

        // A role of a client mallory creates herself.
        let app = try attack.send(keycloak, "POST", "clients", token, json: ["clientId": "mallory-app"])
        #expect(app.status == 201)
        let appId = String(app.headers["location"]?.split(separator: "/").last ?? "")
        #expect(try attack.send(keycloak, "POST", "clients/\(appId)/roles", token, json: ["name": "boss"]).status == 201)
        let ownRole = try attack.send(
            keycloak, "POST", "clients/\(appId)/roles/boss/composites", token, json: [attack.realmAdmin])
        #expect(ownRole.status == 403)
        #expect(ownRole.text == Self.forbidden)

        let selfMapping = try attack.send(
            keycloak, "POST", "users/\(attack.malloryId)/role-mappings/clients/\(attack.managementId)", token,
            json: [attack.realmAdmin])
        #expect(selfMapping.status == 403)
        #expect(selfMapping.text == Self.forbidden)

        // The master admin sees no trace; a fresh token still cannot read users or rewrite the realm.
        #expect(try attack.names(keycloak, "clients/\(attack.managementId)/roles/manage-clients/composites").isEmpty)
        #expect(try attack.names(keycloak, "clients/\(appId)/roles/boss/composites").isEmpty)
        #expect(
            try attack.names(keycloak, "users/\(attack.malloryId)/role-mappings/clients/\(attack.managementId)/composite") == [
                "manage-clients"
            ])
        let fresh = try attack.token(keycloak)
        #expect(try attack.send(keycloak, "GET", "users", fresh).text == Self.forbidden)
        #expect(try attack.send(keycloak, "PUT", "", fresh, json: ["displayName": "owned"]).text == Self.forbidden)
    }

    @Test("manage-clients only: realm-admin in a client's scope mappings is allowed, as in Keycloak, and grants nothing")
    func scopeMappingRealmAdminGrantsNothing() throws {
        let attack = try Escalation(keycloak)
        let token = try attack.token(keycloak)
        let app = try attack.send(keycloak, "POST", "clients", token, json: ["clientId": "mallory-scoped"])
        let appId = String(app.headers["location"]?.split(separator: "/").last ?? "")
        // Keycloak's canMapClientScope is manage-clients alone: a scope mapping only lets roles the
        // user already holds into this client's tokens.
        let scoped = try attack.send(
            keycloak, "POST", "clients/\(appId)/scope-mappings/clients/\(attack.managementId)", token, json: [attack.realmAdmin])
        #expect(scoped.status == 204)
        #expect(try attack.names(keycloak, "clients/\(appId)/scope-mappings/clients/\(attack.managementId)") == ["realm-admin"])
        #expect(
            try attack.names(keycloak, "users/\(attack.malloryId)/role-mappings/clients/\(attack.managementId)/composite") == [
                "manage-clients"
            ])
        let fresh = try attack.token(keycloak)
        #expect(try attack.send(keycloak, "GET", "users", fresh).text == Self.forbidden)
        #expect(try attack.send(keycloak, "PUT", "", fresh, json: ["displayName": "owned"]).text == Self.forbidden)
    }
}

/// The control API from a web page's point of view, against a sandbox process of its own (its clock
/// must not be moved by other tests).
@Suite(.enabled(if: onSandbox, "the control API is the sandbox's own"))
struct SandboxControlAttackTests {
    /// The clock offset, read through the control API as a legitimate client does.
    func offset(_ sandbox: TestKeycloak) throws -> Double? {
        try sandbox.request("GET", "/_sandbox/clock").json?["offsetSeconds"]?.doubleValue
    }

    @Test("a page's form post (urlencoded, text/plain) to /_sandbox/expire-tokens is 415 and expires nothing")
    func formPostIsRefused() throws {
        let sandbox = try TestKeycloak.start()
        defer { sandbox.stop() }
        for type in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"] {
            let response = try sandbox.request("POST", "/_sandbox/expire-tokens", body: Data("a=b".utf8), contentType: type)
            #expect(response.status == 415, "\(type)")
            #expect(response.text == #"{"error":"send the body as Content-Type: application/json"}"#, "\(type)")
        }
        #expect(try offset(sandbox) == 0)
        #expect(try sandbox.adminGet("master").status == 200)  // the admin's token is still good
    }

    @Test("a cross-origin request (Origin header, even body-less) to the control API is 403 and changes nothing")
    func crossOriginIsRefused() throws {
        let sandbox = try TestKeycloak.start()
        defer { sandbox.stop() }
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/expire-tokens")!)
        request.httpMethod = "POST"
        request.setValue("http://evil.example", forHTTPHeaderField: "Origin")
        let response = try send(request)
        #expect(response.status == 403)
        #expect(response.text == #"{"error":"the control API refuses requests from web pages (Origin header)"}"#)
        #expect(try offset(sandbox) == 0)
    }

    @Test("a DNS-rebound page (Host: its own name) is 403 on the control API; the Keycloak API still answers")
    func reboundHostIsRefused() throws {
        let sandbox = try TestKeycloak.start()
        defer { sandbox.stop() }
        let port = sandbox.baseURL.split(separator: ":").last.map(String.init) ?? ""
        var request = URLRequest(url: URL(string: sandbox.baseURL + "/_sandbox/expire-tokens")!)
        request.httpMethod = "POST"
        request.setValue("rebound.example:\(port)", forHTTPHeaderField: "Host")
        let response = try send(request)
        #expect(response.status == 403)
        #expect(
            response.text
                == #"{"error":"the control API answers requests addressed to 127.0.0.1, localhost or [::1] only (Host header)"}"#)
        #expect(try offset(sandbox) == 0)
        var discovery = URLRequest(url: URL(string: sandbox.baseURL + "/realms/master/.well-known/openid-configuration")!)
        discovery.setValue("rebound.example:\(port)", forHTTPHeaderField: "Host")
        #expect(try send(discovery).status == 200)
    }

    /// Sends a prepared request (the harness's `request` sets no Origin or Host).
    func send(_ request: URLRequest) throws -> (status: Int, text: String) {
        nonisolated(unsafe) var result: Result<(Int, String), Error> = .failure(HarnessError("no response"))
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                result = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                result = .success((http.statusCode, String(decoding: data ?? Data(), as: UTF8.self)))
            }
            done.signal()
        }.resume()
        done.wait()
        let (status, text) = try result.get()
        return (status, text)
    }
}
