// A user's sub-resources besides role mappings and reset-password (UserRoutes): credentials, sessions,
// logout, consents, and `/users/count`.
//
// Source (read, not copied): keycloak/keycloak services/.../resources/admin/UserResource.java and
// UsersResource.java (Keycloak 26): credentials need view-users (list) / manage-users (delete), a
// credential id that is not the user's is 404 `Credential not found`; `logout` (manage-users) ends
// every session of the user and sets `notBefore`; `consents` lists granted client consents (the
// sandbox has none, so offline tokens and consents are always an empty list); `count` takes the
// search parameters of the user list.
import KcxJSON
import LoopbackHTTP

enum UserSubresources {
    /// `GET /users/{id}/credentials`: the stored password as a CredentialRepresentation without its secret.
    static func credentials(_ call: AdminCall, _ userId: String, _ tail: [String]) -> ServerResponse {
        if tail.isEmpty {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in
                guard let user = realm.user(id: userId) else { return AdminResponse.error(404, "User not found") }
                guard let password = user.password else { return AdminResponse.json([JSONObject]()) }
                let data = JSONObject([
                    ("hashIterations", .int(Int64(password.iterations))), ("algorithm", "pbkdf2-sha256"),
                    ("additionalParameters", .object(JSONObject())),
                ])
                return AdminResponse.json([
                    JSONObject([
                        ("id", .string(password.id)), ("type", "password"), ("createdDate", .int(password.createdDate)),
                        ("credentialData", .string(JSON.object(data).serialized())),
                    ])
                ])
            }
        }
        let credentialId = tail[0]
        guard tail.count == 1 else { return AdminResponse.notFound }
        guard call.method == "DELETE" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        return call.update { realm in
            guard let index = realm.users.firstIndex(where: { $0.id == userId }) else {
                return AdminResponse.error(404, "User not found")
            }
            guard realm.users[index].password?.id == credentialId else { return AdminResponse.error(404, "Credential not found") }
            realm.users[index].password = nil
            return AdminResponse.noContent
        }
    }

    /// `GET /users/{id}/sessions`: UserSessionRepresentation for each live session of the user.
    static func sessions(_ call: AdminCall, _ userId: String) -> ServerResponse {
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewUsers else { return AdminResponse.forbidden }
        return call.read { realm in
            guard let user = realm.user(id: userId) else { return AdminResponse.error(404, "User not found") }
            let list = realm.sessions.filter { $0.userId == userId }.map { session -> JSONObject in
                var clients = JSONObject()
                if let client = realm.client(id: session.clientId) { clients[client.id] = .string(client.clientId) }
                return JSONObject([
                    ("id", .string(session.id)), ("username", .string(user.username)), ("userId", .string(user.id)),
                    ("ipAddress", "127.0.0.1"), ("start", .int(Int64(session.started * 1000))),
                    ("lastAccess", .int(Int64(session.lastRefresh * 1000))), ("rememberMe", false), ("clients", .object(clients)),
                    ("transientUser", false),
                ])
            }
            return AdminResponse.json(list)
        }
    }

    /// `POST /users/{id}/logout`: ends the user's sessions and revokes earlier tokens (`notBefore` = now).
    static func logout(_ call: AdminCall, _ userId: String) -> ServerResponse {
        guard call.method == "POST" else { return AdminResponse.methodNotAllowed }
        guard call.rights.manageUsers else { return AdminResponse.forbidden }
        let now = Int64(call.now)
        return call.update { realm in
            guard let index = realm.users.firstIndex(where: { $0.id == userId }) else {
                return AdminResponse.error(404, "User not found")
            }
            realm.sessions.removeAll { $0.userId == userId }
            realm.users[index].notBefore = now
            return AdminResponse.noContent
        }
    }

    /// `GET /users/{id}/consents` and `/offline-sessions/{clientId}`: always empty in the sandbox.
    static func consents(_ call: AdminCall, _ userId: String) -> ServerResponse {
        guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
        guard call.rights.viewUsers else { return AdminResponse.forbidden }
        return AdminResponse.json([JSONObject]())
    }
}

/// `GET|PUT /users/profile` (UserProfileResource): the realm's user-profile configuration, stored and
/// returned as given (Keycloak 26's default when never set). GET needs any admin role, PUT
/// manage-realm; the sandbox does not validate users against it.
enum UserProfileConfig {
    static let key = "userProfile"

    static var defaultConfig: JSONObject {
        func attribute(_ name: String, required: Bool, validations: JSONObject) -> JSON {
            var out = JSONObject([
                ("name", .string(name)), ("displayName", .string("${\(name)}")), ("validations", .object(validations)),
            ])
            if required { out["required"] = ["roles": ["user"]] }
            out["permissions"] = ["view": ["admin", "user"], "edit": ["admin", "user"]]
            out["multivalued"] = false
            return .object(out)
        }
        let nameChecks: JSON = ["length": ["max": 255], "person-name-prohibited-characters": [:]]
        return JSONObject([
            (
                "attributes",
                .array([
                    attribute(
                        "username", required: false,
                        validations: JSONObject([
                            ("length", ["min": 3, "max": 255]), ("username-prohibited-characters", [:]),
                            ("up-username-not-idn-homograph", [:]),
                        ])),
                    attribute("email", required: true, validations: JSONObject([("email", [:]), ("length", ["max": 255])])),
                    attribute("firstName", required: true, validations: nameChecks.objectValue ?? JSONObject()),
                    attribute("lastName", required: true, validations: nameChecks.objectValue ?? JSONObject()),
                ])
            ),
            (
                "groups",
                [
                    [
                        "name": "user-metadata", "displayHeader": "User metadata",
                        "displayDescription": "Attributes, which refer to user metadata",
                    ]
                ]
            ),
        ])
    }

    static func route(_ call: AdminCall) -> ServerResponse {
        switch call.method {
        case "GET":
            guard call.rights.isAdmin else { return AdminResponse.forbidden }
            return call.read { realm in AdminResponse.json(realm.extensions[key]?.objectValue ?? defaultConfig) }
        case "PUT":
            guard call.rights.manageRealm else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("UPConfig", schema: nil) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            guard let attributes = body["attributes"]?.arrayValue,
                attributes.allSatisfy({ !($0["name"]?.stringValue ?? "").isEmpty })
            else { return AdminResponse.errorMessage(400, "Attribute name must be set") }
            return call.update { realm in
                realm.extensions[key] = .object(body)
                return AdminResponse.json(body)
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}

/// `/users/{id}/federated-identity[/{provider}]` (UserResource: getFederatedIdentity,
/// addFederatedIdentity, removeFederatedIdentity): links are stored per user in the realm's
/// extensions; the list shows only links whose identity provider exists (Keycloak walks the realm's
/// providers); adding a second link to one provider is 409 `User is already linked with provider`,
/// removing a link that does not exist 404 `Link not found`.
enum FederatedIdentities {
    static let key = "federatedIdentities"

    static func route(_ call: AdminCall, _ userId: String, _ tail: [String]) -> ServerResponse {
        func links(_ realm: Realm) -> [JSONObject] { realm.extensions[key]?[userId]?.arrayValue?.compactMap(\.objectValue) ?? [] }
        func store(_ list: [JSONObject], _ realm: inout Realm) {
            var all = realm.extensions[key]?.objectValue ?? JSONObject()
            all[userId] = list.isEmpty ? nil : .array(list.map { .object($0) })
            realm.extensions[key] = all.isEmpty ? nil : .object(all)
        }
        guard let provider = tail.first else {
            guard call.method == "GET" else { return AdminResponse.methodNotAllowed }
            guard call.rights.viewUsers else { return AdminResponse.forbidden }
            return call.read { realm in
                let aliases = Set(IdentityProviderRoutes.providers(realm).compactMap { $0["alias"]?.stringValue })
                return AdminResponse.json(links(realm).filter { aliases.contains($0["identityProvider"]?.stringValue ?? "") })
            }
        }
        guard tail.count == 1 else { return AdminResponse.notFound }
        switch call.method {
        case "POST":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            let body: JSONObject
            switch call.jsonObject("FederatedIdentityRepresentation", schema: nil) {
            case .success(let value): body = value
            case .failure(let error): return error.response
            }
            return call.update { realm in
                var list = links(realm)
                if list.contains(where: { $0["identityProvider"]?.stringValue == provider }) {
                    return AdminResponse.errorMessage(409, "User is already linked with provider")
                }
                list.append(
                    JSONObject([
                        ("identityProvider", .string(provider)), ("userId", body["userId"] ?? .null),
                        ("userName", body["userName"] ?? .null),
                    ]))
                store(list, &realm)
                return AdminResponse.noContent
            }
        case "DELETE":
            guard call.rights.manageUsers else { return AdminResponse.forbidden }
            return call.update { realm in
                var list = links(realm)
                guard list.contains(where: { $0["identityProvider"]?.stringValue == provider }) else {
                    return AdminResponse.error(404, "Link not found")
                }
                list.removeAll { $0["identityProvider"]?.stringValue == provider }
                store(list, &realm)
                return AdminResponse.noContent
            }
        default: return AdminResponse.methodNotAllowed
        }
    }
}
