// Small realm-setup endpoints: realm keys metadata, the cache-clearing calls, a client's installation
// (`keycloak-oidc-keycloak-json`) and certificates, and the email actions a sandbox cannot send.
//
// Source (read, not copied): keycloak/keycloak services/.../resources/admin/KeyResource.java,
// RealmAdminResource.java (clear-realm-cache, clear-user-cache, clear-keys-cache: manage-realm, 204),
// ClientResource.java (getInstallationProvider: 404 `Unknown Provider`), ClientAttributeCertificateResource.java
// (`certificates/{attr}`: `<attr>.certificate` and `<attr>.kid`; upload-certificate with
// `keystoreFormat=Certificate PEM`), UserResource.java (executeActionsEmail, sendVerifyEmail: an
// EmailException is 500 `Failed to send execute actions email: …` / `Failed to send verify email: …`),
// KeycloakOIDCClientInstallation.java (Keycloak 26).
import Foundation
import KcxJSON
import LoopbackHTTP

enum RealmExtrasRoutes {
    // MARK: keys

    /// `GET /keys` (view-realm): KeysMetadataRepresentation. The RSA signing and encryption keys are the
    /// realm's real ones (`certs` publishes them); the HS512 and AES keys Keycloak also generates are
    /// listed with stable kids but do not exist in the sandbox (nothing it issues uses them).
    static func keys(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.isEmpty else { return AdminResponse.notFound }
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewRealm else { return AdminResponse.forbidden }
        let keyring = call.context.keys
        let published = keyring.publishedKeys(realm: call.realmName)
        return call.update { realm in
            var ids = realm.extensions["keyProviders"]?.objectValue ?? JSONObject()
            func stable(_ name: String) -> String {
                if let existing = ids[name]?.stringValue { return existing }
                let id = SandboxStore.newId()
                ids[name] = .string(id)
                return id
            }
            var active = JSONObject()
            var list: [JSONObject] = []
            for (algorithm, type, use) in [("HS512", "OCT", "SIG"), ("AES", "OCT", "ENC")] {
                let kid = stable("kid-\(algorithm)")
                active[algorithm] = .string(kid)
                list.append(
                    JSONObject([
                        ("providerId", .string(stable("provider-\(algorithm)"))), ("providerPriority", 100),
                        ("kid", .string(kid)),
                        ("status", "ACTIVE"), ("type", .string(type)), ("algorithm", .string(algorithm)), ("use", .string(use)),
                    ]))
            }
            for key in published {
                let jwk = key.jwk
                let algorithm = jwk["alg"]?.stringValue ?? "RS256"
                active[algorithm] = .string(key.kid)
                list.append(
                    JSONObject([
                        ("providerId", .string(stable("provider-\(algorithm)"))), ("providerPriority", 100),
                        ("kid", .string(key.kid)),
                        ("status", "ACTIVE"), ("type", "RSA"), ("algorithm", .string(algorithm)),
                        ("publicKey", .string(Data(key.publicKeyDER).base64EncodedString())),
                        ("certificate", .string(Data(key.certificateDER).base64EncodedString())),
                        ("use", .string(jwk["use"]?.stringValue == "enc" ? "ENC" : "SIG")),
                    ]))
            }
            realm.extensions["keyProviders"] = .object(ids)
            return AdminResponse.json(JSONObject([("active", .object(active)), ("keys", .array(list.map { .object($0) }))]))
        }
    }

    // MARK: caches

    /// `POST /clear-realm-cache|clear-user-cache|clear-keys-cache` (manage-realm): nothing to clear, 204.
    static func clearCache(_ call: AdminCall, _ tail: [String]) -> ServerResponse {
        guard tail.isEmpty else { return AdminResponse.notFound }
        guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageRealm else { return AdminResponse.forbidden }
        return AdminResponse.noContent
    }

    // MARK: client installation and certificates

    /// `GET /clients/{id}/installation/providers/{providerId}` (view-clients).
    static func installation(_ call: AdminCall, _ clientId: String, _ tail: [String]) -> ServerResponse {
        guard tail.count == 2, tail[0] == "providers" else { return AdminResponse.notFound }
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewClients else { return AdminResponse.forbidden }
        guard tail[1] == "keycloak-oidc-keycloak-json" else { return AdminResponse.error(404, "Unknown Provider") }
        return call.read { realm in
            guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            var out = JSONObject([
                ("realm", .string(realm.name)), ("auth-server-url", .string(call.context.baseURL + "/")),
                ("ssl-required", .string(realm.representation["sslRequired"]?.stringValue ?? "external")),
                ("resource", .string(client.clientId)),
            ])
            if client.publicClient { out["public-client"] = true }
            if client.bearerOnly { out["bearer-only"] = true }
            if !client.publicClient && !client.bearerOnly {
                out["credentials"] = .object(JSONObject([("secret", .string(client.secret ?? ""))]))
            }
            out["confidential-port"] = 0
            return AdminResponse.json(out)
        }
    }

    /// `GET /clients/{id}/certificates/{attr}` and `POST …/upload-certificate` (a PEM certificate).
    static func certificates(_ call: AdminCall, _ clientId: String, _ tail: [String]) -> ServerResponse {
        guard let attribute = tail.first else { return AdminResponse.notFound }
        let certificateKey = "\(attribute).certificate"
        if tail.count == 1 {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewClients else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let client = realm.client(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
                var out = JSONObject()
                if let certificate = client.attribute(certificateKey) { out["certificate"] = .string(certificate) }
                if let kid = client.attribute("\(attribute).kid") { out["kid"] = .string(kid) }
                return AdminResponse.json(out)
            }
        }
        guard tail.count == 2, tail[1] == "upload-certificate" else { return AdminResponse.notFound }
        guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageClients else { return AdminResponse.forbidden }
        let parts = Multipart.fields(call.request)
        guard parts["keystoreFormat"] == "Certificate PEM", let pem = parts["file"] else {
            return AdminResponse.errorMessage(400, "The sandbox reads only keystoreFormat=Certificate PEM")
        }
        let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard !body.isEmpty, Data(base64Encoded: String(body)) != nil else {
            return AdminResponse.errorMessage(400, "Invalid certificate")
        }
        return call.update { realm in
            guard let index = realm.clientIndex(id: clientId) else { return AdminResponse.error(404, "Could not find client") }
            var attributes = realm.clients[index].fields["attributes"]?.objectValue ?? JSONObject()
            attributes[certificateKey] = .string(String(body))
            attributes["\(attribute).kid"] = nil
            realm.clients[index].fields["attributes"] = .object(attributes)
            return AdminResponse.json(JSONObject([("certificate", .string(String(body)))]))
        }
    }

    // MARK: email actions

    /// `PUT /users/{id}/execute-actions-email` and `/send-verify-email`: Keycloak's checks, then the
    /// answer of a server without a working SMTP setup (the sandbox sends no email).
    static func email(_ call: AdminCall, _ userId: String, verify: Bool) -> ServerResponse {
        guard call.method == "PUT" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        return call.read { realm in
            guard let user = realm.user(id: userId) else { return AdminResponse.error(404, "User not found") }
            guard user.email != nil else { return AdminResponse.errorMessage(400, "User email missing") }
            guard user.enabled else { return AdminResponse.errorMessage(400, "User is disabled") }
            let what = verify ? "verify email" : "execute actions email"
            return AdminResponse.errorMessage(500, "Failed to send \(what): the sandbox sends no email")
        }
    }
}

/// The simple fields of a `multipart/form-data` body (name → text value).
enum Multipart {
    static func fields(_ request: ServerRequest) -> [String: String] {
        guard let type = request.header("Content-Type"), let range = type.range(of: "boundary=") else { return [:] }
        var boundary = String(type[range.upperBound...])
        if let end = boundary.firstIndex(of: ";") { boundary = String(boundary[..<end]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let text = String(decoding: request.body, as: UTF8.self)
        var out: [String: String] = [:]
        for part in text.components(separatedBy: "--" + boundary) {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            let head = part[..<split.lowerBound]
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let rest = head[nameRange.upperBound...]
            guard let close = rest.firstIndex(of: "\"") else { continue }
            var value = String(part[split.upperBound...])
            if value.hasSuffix("\r\n") { value.removeLast() }  // one Character
            out[String(rest[..<close])] = value
        }
        return out
    }
}
