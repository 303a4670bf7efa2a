// Realm-setup endpoints python-keycloak's suite found missing: identity providers and their mappers,
// role lookups (users/groups of a role, composites by container), users' sub-resources (count, `q=`,
// credentials, logout, sessions, profile, email actions), realm keys, cache clears, client installation
// and certificates, partial import of roles/users/groups, the public realm document and the authz
// policy sub-resources of the V1 exchange setup. Each cites the Keycloak resource it follows.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

private func lastSegment(_ location: String) -> String { String(location.split(separator: "/").last ?? "") }

@Suite struct AdminRealmSetupTests {
    // IdentityProvidersResource / IdentityProviderResource.
    @Test func identityProvidersAndMappers() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let base = "/admin/realms/demo/identity-provider/instances"
        let created = harness.send(
            "POST", base, json: #"{"providerId":"github","alias":"github","config":{"clientId":"test","clientSecret":"s3cr3t"}}"#)
        #expect(created.status == 201)
        #expect(created.location == "http://127.0.0.1:8080\(base)/github")
        #expect(created.body.isEmpty)

        let invalid = harness.send("POST", base, json: #"{"providerId":"does-not-exist","alias":"something"}"#)
        #expect(invalid.status == 400)
        #expect(invalid.bodyText == #"{"errorMessage":"Invalid identity provider id [does-not-exist]"}"#)
        let duplicate = harness.send("POST", base, json: #"{"providerId":"github","alias":"github"}"#)
        #expect(duplicate.status == 409)
        #expect(duplicate.bodyText == #"{"errorMessage":"Identity Provider github already exists"}"#)

        // The secret reads back masked; sending the mask back keeps it.
        let read = harness.send("GET", "\(base)/github").bodyJSON
        #expect(read["config"]?["clientSecret"]?.stringValue == "**********")
        #expect(read["config"]?["clientId"]?.stringValue == "test")
        #expect(read["enabled"]?.boolValue == true)
        #expect(read["firstBrokerLoginFlowAlias"]?.stringValue == "first broker login")
        #expect(harness.send("PUT", "\(base)/github", json: read.serialized()).status == 204)
        let stored = IdentityProviderRoutes.providers(harness.realm("demo"))
        #expect(stored.first?["config"]?["clientSecret"]?.stringValue == "s3cr3t")
        let list = harness.send("GET", base).bodyText
        #expect(!list.contains("s3cr3t"))

        let missing = harness.send("GET", "\(base)/does-not-exist")
        #expect(missing.status == 404)
        #expect(missing.bodyText == #"{"error":"HTTP 404 Not Found"}"#)

        let mapper = harness.send(
            "POST", "\(base)/github/mappers",
            json: #"{"identityProviderAlias":"github","identityProviderMapper":"github-user-attribute-mapper","name":"test"}"#)
        #expect(mapper.status == 201)
        let mappers = harness.send("GET", "\(base)/github/mappers").bodyJSON.arrayValue ?? []
        #expect(mappers.count == 1)
        #expect(mappers.first?["id"]?.stringValue == lastSegment(mapper.location))
        #expect(harness.send("POST", "\(base)/does-no-texist/mappers", json: "{}").status == 404)

        #expect(harness.send("DELETE", "\(base)/github").status == 204)
        #expect(IdentityProviderRoutes.providers(harness.realm("demo")).isEmpty)
        #expect(IdentityProviderRoutes.mappers(harness.realm("demo")).isEmpty)
        #expect(harness.send("DELETE", "\(base)/github").status == 404)
    }

    // Reads need view-identity-providers (or view-realm), writes manage-identity-providers (or manage-realm).
    @Test func identityProviderRolesChecked() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let management = harness.realm("demo").client(clientId: "realm-management")!
        func caller(_ name: String, _ role: String) -> AdminCaller {
            let id = lastSegment(
                harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"\#(name)","enabled":true}"#).location)
            let body = #"[{"id":"\#(management.role(name: role)!.id)"}]"#
            #expect(
                harness.send("POST", "/admin/realms/demo/users/\(id)/role-mappings/clients/\(management.id)", json: body).status
                    == 204)
            return AdminCaller(realmName: "demo", userId: id)
        }
        let viewer = caller("viewer", "view-identity-providers")
        let users = caller("users", "manage-users")
        let base = "/admin/realms/demo/identity-provider/instances"
        let body = #"{"providerId":"oidc","alias":"corp"}"#
        #expect(harness.send("POST", base, json: body, as: viewer).status == 403)
        #expect(harness.send("GET", base, as: users).status == 403)
        #expect(IdentityProviderRoutes.providers(harness.realm("demo")).isEmpty)
        #expect(harness.send("POST", base, json: body).status == 201)
        #expect(harness.send("GET", "\(base)/corp", as: viewer).status == 200)
        #expect(harness.send("DELETE", "\(base)/corp", as: viewer).status == 403)
        #expect(IdentityProviderRoutes.providers(harness.realm("demo")).count == 1)
    }

    // RoleContainerResource: users/groups in a role, composites by container; 404 `Could not find role`.
    @Test func roleLookupsByNameAndById() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        #expect(
            harness.send("POST", "/admin/realms/demo/roles", json: #"{"name":"parent","attributes":{"a":["1"]}}"#).status == 201)
        let offline = harness.realm("demo").realmRole(name: "offline_access")!
        #expect(
            harness.send("POST", "/admin/realms/demo/roles/parent/composites", json: #"[{"id":"\#(offline.id)"}]"#).status == 204)
        let user = lastSegment(harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"bob"}"#).location)
        #expect(
            harness.send("POST", "/admin/realms/demo/users/\(user)/role-mappings/realm", json: #"[{"id":"\#(offline.id)"}]"#)
                .status == 204)

        let members = harness.send("GET", "/admin/realms/demo/roles/offline_access/users").bodyJSON.arrayValue ?? []
        #expect(members.map { $0["username"]?.stringValue } == ["bob"])
        for path in ["/roles/nope", "/roles/nope/users", "/roles/nope/groups", "/roles/nope/composites/realm"] {
            let response = harness.send("GET", "/admin/realms/demo\(path)")
            #expect(response.status == 404)
            #expect(response.bodyText == #"{"error":"Could not find role"}"#)
        }
        let parentId = harness.realm("demo").realmRole(name: "parent")!.id
        let realmComposites =
            harness.send("GET", "/admin/realms/demo/roles-by-id/\(parentId)/composites/realm").bodyJSON.arrayValue ?? []
        #expect(realmComposites.map { $0["name"]?.stringValue } == ["offline_access"])
        let byIdMissing = harness.send("GET", "/admin/realms/demo/roles-by-id/nope/composites/realm")
        #expect(byIdMissing.bodyText == #"{"error":"Could not find role with id"}"#)

        // briefRepresentation=false lists attributes; the default leaves them out.
        let brief = harness.send("GET", "/admin/realms/demo/roles?search=parent").bodyJSON[0]
        #expect(brief?["attributes"] == nil)
        let full = harness.send("GET", "/admin/realms/demo/roles?search=parent&briefRepresentation=false").bodyJSON[0]
        #expect(full?["attributes"]?.serialized() == #"{"a":["1"]}"#)

        // ClientRoleMappingsResource: an unknown client is `Client not found` for users.
        let badClient = harness.send("GET", "/admin/realms/demo/users/\(user)/role-mappings/clients/bad/composite")
        #expect(badClient.status == 404)
        #expect(badClient.bodyText == #"{"error":"Client not found"}"#)
    }

    // UsersResource.getUsersCount, search with `q=`; UserResource credentials, logout, consents, profile.
    @Test func userSubresources() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let bob = lastSegment(
            harness.send(
                "POST", "/admin/realms/demo/users",
                json:
                    #"{"username":"bob","email":"bob@example.test","enabled":true,"attributes":{"dept":["Sales"]},"credentials":[{"type":"password","value":"pw-123"}]}"#
            ).location)
        _ = harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"carol"}"#)
        #expect(harness.send("GET", "/admin/realms/demo/users/count").bodyText == "2")
        #expect(harness.send("GET", "/admin/realms/demo/users/count?username=notpresent").bodyText == "0")
        let bySales = harness.send("GET", "/admin/realms/demo/users?q=dept:sales").bodyJSON.arrayValue ?? []
        #expect(bySales.map { $0["username"]?.stringValue } == ["bob"])
        let briefList = harness.send("GET", "/admin/realms/demo/users?briefRepresentation=true&username=bob").bodyJSON[0]
        #expect(briefList?["attributes"] == nil)

        let credentials = harness.send("GET", "/admin/realms/demo/users/\(bob)/credentials").bodyJSON.arrayValue ?? []
        #expect(credentials.count == 1)
        #expect(credentials.first?["type"]?.stringValue == "password")
        #expect(credentials.first?["secretData"] == nil)
        #expect(!harness.send("GET", "/admin/realms/demo/users/\(bob)/credentials").bodyText.contains("pw-123"))
        let wrong = harness.send("DELETE", "/admin/realms/demo/users/\(bob)/credentials/does-not-exist")
        #expect(wrong.status == 404)
        #expect(wrong.bodyText == #"{"error":"Credential not found"}"#)
        let credentialId = credentials.first?["id"]?.stringValue ?? ""
        #expect(harness.send("DELETE", "/admin/realms/demo/users/\(bob)/credentials/\(credentialId)").status == 204)
        #expect(harness.realm("demo").user(id: bob)?.password == nil)

        #expect(harness.send("POST", "/admin/realms/demo/users/\(bob)/logout").status == 204)
        #expect(harness.send("POST", "/admin/realms/demo/users/nope/logout").bodyText == #"{"error":"User not found"}"#)
        #expect(harness.send("GET", "/admin/realms/demo/users/\(bob)/consents").bodyText == "[]")
        #expect(harness.send("GET", "/admin/realms/demo/users/\(bob)/sessions").bodyText == "[]")

        let email = harness.send("PUT", "/admin/realms/demo/users/\(bob)/execute-actions-email", json: "[]")
        #expect(email.status == 500)
        #expect(email.bodyText == #"{"errorMessage":"Failed to send execute actions email: the sandbox sends no email"}"#)

        let profile = harness.send("GET", "/admin/realms/demo/users/profile").bodyJSON
        #expect(
            profile["attributes"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                "username", "email", "firstName", "lastName",
            ])
        var updated = profile.objectValue!
        updated["attributes"] = .array((profile["attributes"]?.arrayValue ?? []) + [["name": "surname", "multivalued": false]])
        let put = harness.send("PUT", "/admin/realms/demo/users/profile", json: JSON.object(updated).serialized())
        #expect(put.status == 200)
        #expect(put.bodyJSON["attributes"]?.arrayValue?.last?["name"]?.stringValue == "surname")
        #expect(harness.send("GET", "/admin/realms/demo/users/profile").bodyJSON["attributes"]?.arrayValue?.count == 5)
    }

    // UserResource federated identities: links to providers that do not exist are kept but not listed.
    @Test func federatedIdentityLinks() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let user = lastSegment(harness.send("POST", "/admin/realms/demo/users", json: #"{"username":"bob"}"#).location)
        let link = #"{"userId":"42","userName":"bob-gh"}"#
        #expect(harness.send("POST", "/admin/realms/demo/users/\(user)/federated-identity/github", json: link).status == 204)
        let again = harness.send("POST", "/admin/realms/demo/users/\(user)/federated-identity/github", json: link)
        #expect(again.status == 409)
        #expect(again.bodyText == #"{"errorMessage":"User is already linked with provider"}"#)
        #expect(harness.send("GET", "/admin/realms/demo/users/\(user)/federated-identity").bodyText == "[]")
        #expect(
            harness.send(
                "POST", "/admin/realms/demo/identity-provider/instances", json: #"{"providerId":"github","alias":"github"}"#
            ).status == 201)
        #expect(
            harness.send("GET", "/admin/realms/demo/users/\(user)/federated-identity").bodyText
                == #"[{"identityProvider":"github","userId":"42","userName":"bob-gh"}]"#)
        #expect(harness.send("DELETE", "/admin/realms/demo/users/\(user)/federated-identity/github").status == 204)
        let gone = harness.send("DELETE", "/admin/realms/demo/users/\(user)/federated-identity/github")
        #expect(gone.status == 404)
        #expect(gone.bodyText == #"{"error":"Link not found"}"#)
        #expect(
            harness.send("GET", "/admin/realms/demo/users/nope/federated-identity").bodyText == #"{"error":"User not found"}"#)
    }

    // KeyResource, RealmAdminResource cache clears, ClientResource installation, certificates.
    @Test func keysCachesInstallationAndCertificates() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let keys = harness.send("GET", "/admin/realms/demo/keys").bodyJSON
        #expect(Set(keys["active"]?.objectValue?.keys ?? []) == ["HS512", "AES", "RS256", "RSA-OAEP"])
        let rs256 = keys["keys"]?.arrayValue?.first { $0["algorithm"]?.stringValue == "RS256" }
        #expect(rs256?["kid"]?.stringValue == harness.context.keys.signingKey(realm: "demo").kid)
        #expect(harness.send("GET", "/admin/realms/demo/keys").bodyJSON["active"]?["HS512"] == keys["active"]?["HS512"])
        for cache in ["clear-realm-cache", "clear-user-cache", "clear-keys-cache"] {
            #expect(harness.send("POST", "/admin/realms/demo/\(cache)").status == 204)
        }

        let client = harness.createClient("demo", #"{"clientId":"app","secret":"app-secret"}"#)
        let unknown = harness.send("GET", "/admin/realms/demo/clients/\(client)/installation/providers/bad")
        #expect(unknown.status == 404)
        #expect(unknown.bodyText == #"{"error":"Unknown Provider"}"#)
        let installation = harness.send(
            "GET", "/admin/realms/demo/clients/\(client)/installation/providers/keycloak-oidc-keycloak-json"
        ).bodyJSON
        #expect(
            Set(installation.objectValue?.keys ?? []) == [
                "realm", "auth-server-url", "ssl-required", "resource", "credentials", "confidential-port",
            ])
        #expect(installation["credentials"]?["secret"]?.stringValue == "app-secret")

        #expect(harness.send("GET", "/admin/realms/demo/clients/\(client)/certificates/jwt.credential").bodyText == "{}")
        #expect(
            harness.send("GET", "/admin/realms/demo/clients/blah/certificates/blah").bodyText
                == #"{"error":"Could not find client"}"#)
        let certificate = Data(harness.context.keys.signingKey(realm: "demo").certificateDER).base64EncodedString()
        let pem = "-----BEGIN CERTIFICATE-----\n\(certificate)\n-----END CERTIFICATE-----"
        let boundary = "xyz"
        let body =
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"keystoreFormat\"\r\n\r\nCertificate PEM\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\(pem)\r\n--\(boundary)--\r\n"
        let upload = harness.send(
            "POST", "/admin/realms/demo/clients/\(client)/certificates/jwt.credential/upload-certificate", json: body,
            contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(upload.status == 200)
        #expect(upload.bodyJSON["certificate"]?.stringValue == certificate)
        #expect(harness.realm("demo").client(id: client)?.attribute("jwt.credential.certificate") == certificate)
    }

    // Partial import of realm roles and users (admin-api.md §9.1): added, then skipped, then overwritten.
    @Test func partialImportRolesAndUsers() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let payload =
            #"{"ifResourceExists":"SKIP","roles":{"realm":[{"name":"imported"}]},"users":[{"username":"u1","email":"u1@example.test"}],"groups":[{"name":"g"}]}"#
        let added = harness.send("POST", "/admin/realms/demo/partialImport", json: payload).bodyJSON
        #expect(added["added"]?.intValue == 3)
        let skipped = harness.send("POST", "/admin/realms/demo/partialImport", json: payload).bodyJSON
        #expect(skipped["skipped"]?.intValue == 3)
        let overwrite = payload.replacingOccurrences(of: "SKIP", with: "OVERWRITE")
        #expect(harness.send("POST", "/admin/realms/demo/partialImport", json: overwrite).bodyJSON["overwritten"]?.intValue == 3)
        let fail = harness.send(
            "POST", "/admin/realms/demo/partialImport", json: payload.replacingOccurrences(of: "SKIP", with: "FAIL"))
        #expect(fail.status == 409)
        #expect(fail.bodyText == #"{"errorMessage":"Realm role 'imported' already exists."}"#)
        let realm = harness.realm("demo")
        #expect(realm.users.filter { $0.username == "u1" }.count == 1)
        #expect(realm.groups.map(\.name) == ["g"])
    }

    // PublicRealmResource: `GET /realms/{realm}` with the realm's RS256 public key.
    @Test func publicRealmInformation() {
        let harness = AdminHarness()
        harness.createRealm("demo")
        let request = ServerRequest(method: "GET", target: "/realms/demo", path: "/realms/demo", query: [], headers: [], body: [])
        let response = PublicRealm.handle(request, harness.context)
        #expect(response?.status == 200)
        let body = response?.bodyJSON ?? .null
        #expect(body["realm"]?.stringValue == "demo")
        #expect(body["token-service"]?.stringValue == "http://127.0.0.1:8080/realms/demo/protocol/openid-connect")
        let key = harness.context.keys.signingKey(realm: "demo")
        #expect(body["public_key"]?.stringValue == Data(key.publicKeyDER).base64EncodedString())
        let missing = ServerRequest(method: "GET", target: "/realms/nope", path: "/realms/nope", query: [], headers: [], body: [])
        #expect(PublicRealm.handle(missing, harness.context)?.bodyText == #"{"error":"Realm does not exist"}"#)
        let deeper = ServerRequest(
            method: "GET", target: "/realms/demo/x", path: "/realms/demo/x", query: [], headers: [], body: [])
        #expect(PublicRealm.handle(deeper, harness.context) == nil)
    }

    // PolicyResourceService: scopes, resources, associated and dependent policies of a permission.
    @Test func authzPolicySubresourcesForTheV1ExchangeSetup() {
        let base = AdminHarness()
        let context = SandboxContext(
            store: base.context.store, features: try! FeatureSet(featuresOption: "admin-fine-grained-authz:v1,token-exchange:v1"),
            baseURL: "http://127.0.0.1:8080", clock: { 1_700_000_000 })
        let harness = AdminHarness(context: context, admin: base.admin)
        harness.createRealm("demo")
        let source = harness.createClient("demo", #"{"clientId":"source-client"}"#)
        let target = harness.createClient("demo", #"{"clientId":"target-client"}"#)
        let management = harness.realm("demo").client(clientId: "realm-management")!.id
        let permissions = harness.send(
            "PUT", "/admin/realms/demo/clients/\(target)/management/permissions", json: #"{"enabled":true}"#
        ).bodyJSON
        let permission = permissions["scopePermissions"]?["token-exchange"]?.stringValue ?? ""
        let authz = "/admin/realms/demo/clients/\(management)/authz/resource-server"

        let scopes = harness.send("GET", "\(authz)/policy/\(permission)/scopes").bodyJSON.arrayValue ?? []
        #expect(scopes.map { $0["name"]?.stringValue } == ["token-exchange"])
        let resources = harness.send("GET", "\(authz)/policy/\(permission)/resources").bodyJSON.arrayValue ?? []
        #expect(resources.map { $0["name"]?.stringValue } == ["client.resource.\(target)"])
        #expect(resources.first?["_id"] != nil)

        let policy = harness.send(
            "POST", "\(authz)/policy/client",
            json: #"{"type":"client","logic":"POSITIVE","decisionStrategy":"UNANIMOUS","name":"p","clients":["\#(source)"]}"#)
        #expect(policy.status == 201)
        let policyId = policy.bodyJSON["id"]?.stringValue ?? ""
        let typed = harness.send("GET", "\(authz)/policy/client").bodyJSON.arrayValue ?? []
        #expect(typed.first?["clients"]?.serialized() == #"["\#(source)"]"#)
        let update =
            #"{"id":"\#(permission)","name":"token-exchange.permission.client.\#(target)","type":"scope","policies":["\#(policyId)"]}"#
        #expect(harness.send("PUT", "\(authz)/permission/scope/\(permission)", json: update).status == 201)
        let associated = harness.send("GET", "\(authz)/policy/\(permission)/associatedPolicies").bodyJSON.arrayValue ?? []
        #expect(associated.map { $0["id"]?.stringValue } == [policyId])
        let dependents = harness.send("GET", "\(authz)/policy/\(policyId)/dependentPolicies").bodyJSON.arrayValue ?? []
        #expect(dependents.map { $0["id"]?.stringValue } == [permission])
        #expect(harness.send("GET", "\(authz)/policy/nope/scopes").status == 404)

        let created = harness.send(
            "POST", "\(authz)/permission/scope",
            json: #"{"name":"test-permission","type":"scope","scopes":["token-exchange"],"policies":["\#(policyId)"]}"#)
        #expect(created.status == 201)
        #expect(created.bodyJSON["name"]?.stringValue == "test-permission")
        let wrongClient = harness.send(
            "POST", "/admin/realms/demo/clients/realm_management_id/authz/resource-server/permission/scope", json: "{}")
        #expect(wrongClient.bodyText == #"{"error":"Could not find client"}"#)
    }
}
