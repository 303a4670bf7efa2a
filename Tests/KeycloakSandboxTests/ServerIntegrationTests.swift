// The facade with real tokens: serverinfo (token-exchange.md §3), admin auth through verified tokens
// (admin-api.md §1.2), persistence of changes and keys, --import, and expiring every token at once.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@testable import KeycloakSandbox

/// A password-grant token from `realm` for `username` via `admin-cli` (admin-api.md §1.1).
func passwordToken(_ sandbox: Sandbox, realm: String = "master", username: String = "admin", password: String = "test-password")
    throws -> String
{
    let form = "grant_type=password&client_id=admin-cli&username=\(username)&password=\(password)"
    let response = try #require(
        immediate(
            sandbox.handle(
                sandboxRequest(
                    "POST", "/realms/\(realm)/protocol/openid-connect/token", body: form,
                    contentType: "application/x-www-form-urlencoded"))))
    #expect(response.status == 200, "token request answered \(response.status): \(response.answerText)")
    return try #require(try JSON.parse(response.body)["access_token"]?.stringValue)
}

func authorized(_ method: String, _ target: String, token: String, body: String? = nil) -> ServerRequest {
    var request = sandboxRequest(method, target, body: body)
    request.headers.append(("Authorization", "Bearer \(token)"))
    return request
}

private func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "kcx-sandbox-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct ServerInfoTests {
    // token-exchange.md §3: serverinfo reports enum names, types and enabled flags.
    @Test func reportsKeycloak26DefaultFeatures() throws {
        let sandbox = try makeSandbox()
        let token = try passwordToken(sandbox)
        let response = try #require(immediate(sandbox.handle(authorized("GET", "/admin/serverinfo", token: token))))
        #expect(response.status == 200)
        #expect(response.answerHeader("Content-Type") == "application/json;charset=UTF-8")
        #expect(response.answerHeader("Cache-Control") == "no-cache")
        let info = try JSON.parse(response.body)
        #expect(info.objectValue?.keys == ["systemInfo", "profileInfo", "features", "protocolMapperTypes"])
        #expect(info["systemInfo"]?["version"] == "26.7.1")
        let features = info["features"]?.arrayValue ?? []
        func enabled(_ name: String) -> Bool? { features.first { $0["name"]?.stringValue == name }?["enabled"]?.boolValue }
        #expect(enabled("TOKEN_EXCHANGE_STANDARD_V2") == true)
        #expect(enabled("ADMIN_FINE_GRAINED_AUTHZ_V2") == true)
        #expect(enabled("TOKEN_EXCHANGE") == false)
        #expect(enabled("ADMIN_FINE_GRAINED_AUTHZ") == false)
        let disabled = info["profileInfo"]?["disabledFeatures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(disabled.contains("TOKEN_EXCHANGE"))
    }

    // ServerInfoRepresentation.protocolMapperTypes, as ServerInfoAdminResource lists each mapper factory
    // (ProtocolMapperTypeRepresentation): the audience mappers, with the properties their source declares
    // (AudienceProtocolMapper's static block, AudienceResolveProtocolMapper's, and
    // OIDCAttributeMapperHelper.addIncludeInTokensConfig for the include-in-token switches).
    @Test func listsTheAudienceMapperTypes() throws {
        let sandbox = try makeSandbox()
        let token = try passwordToken(sandbox)
        let response = try #require(immediate(sandbox.handle(authorized("GET", "/admin/serverinfo", token: token))))
        let info = try JSON.parse(response.body)
        let types = info["protocolMapperTypes"]?["openid-connect"]?.arrayValue ?? []
        #expect(
            types.compactMap { $0["id"]?.stringValue } == [
                "oidc-audience-mapper", "oidc-audience-resolve-mapper", "oidc-usermodel-attribute-mapper",
            ])
        let audience = try #require(types.first)
        #expect(audience.objectValue?.keys == ["id", "name", "category", "helpText", "priority", "properties"])
        #expect(audience["name"] == "Audience")
        #expect(audience["category"] == "Token mapper")
        #expect(audience["helpText"] == "Add specified audience to the audience (aud) field of token")
        #expect(audience["priority"] == 0)
        let properties = audience["properties"]?.arrayValue ?? []
        #expect(
            properties.compactMap { $0["name"]?.stringValue } == [
                "included.client.audience", "included.custom.audience", "id.token.claim", "access.token.claim",
                "lightweight.claim",
                "introspection.token.claim",
            ])
        #expect(
            String(decoding: properties[0].serializedBytes(), as: UTF8.self)
                == #"{"name":"included.client.audience","label":"included.client.audience.label","helpText":"included.client.audience.tooltip","type":"ClientList","secret":false,"required":false,"readOnly":false}"#
        )
        #expect(properties[2]["defaultValue"] == "false")
        #expect(properties[3]["defaultValue"] == "true")
        let resolve = types[1]
        #expect(resolve["priority"] == 30)
        #expect(
            resolve["properties"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == [
                "access.token.claim", "lightweight.claim", "introspection.token.claim",
            ])
        // UserAttributeMapper (its static block; OIDCAttributeMapperHelper.addAttributeConfig; ProtocolMapperUtils labels).
        let attribute = types[2]
        let attributeProperties = attribute["properties"]?.arrayValue ?? []
        #expect(
            attributeProperties.compactMap { $0["name"]?.stringValue } == [
                "user.attribute", "claim.name", "jsonType.label", "id.token.claim", "access.token.claim", "lightweight.claim",
                "userinfo.token.claim", "introspection.token.claim", "multivalued", "aggregate.attrs",
            ])
        #expect(
            String(decoding: attributeProperties[2].serializedBytes(), as: UTF8.self)
                == #"{"name":"jsonType.label","label":"jsonType.label","helpText":"jsonType.tooltip","type":"List","options":["String","long","int","boolean","JSON"],"secret":false,"required":false,"readOnly":false}"#
        )
        #expect(attributeProperties[1]["required"] == true)
        // Every mapper type listed is one the mapper routes accept.
        for type in types { #expect(MapperRoutes.providers.contains(type["id"]?.stringValue ?? "")) }
    }

    // token-exchange.md §2.1: `--features token-exchange,admin-fine-grained-authz:v1` is the legacy mode.
    @Test func reportsLegacyMode() throws {
        var options = SandboxOptions(adminPassword: "test-password")
        options.features = try FeatureSet(featuresOption: "token-exchange,admin-fine-grained-authz:v1")
        let sandbox = try Sandbox(options: options)
        let token = try passwordToken(sandbox)
        let info = try JSON.parse(
            try #require(immediate(sandbox.handle(authorized("GET", "/admin/serverinfo", token: token)))).body)
        let features = info["features"]?.arrayValue ?? []
        func enabled(_ name: String) -> Bool? { features.first { $0["name"]?.stringValue == name }?["enabled"]?.boolValue }
        #expect(enabled("TOKEN_EXCHANGE") == true)
        #expect(enabled("ADMIN_FINE_GRAINED_AUTHZ") == true)
        #expect(enabled("ADMIN_FINE_GRAINED_AUTHZ_V2") == false)
        let disabled = info["profileInfo"]?["disabledFeatures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(disabled.contains("ADMIN_FINE_GRAINED_AUTHZ_V2"))
        #expect(!disabled.contains("TOKEN_EXCHANGE"))
    }

    // admin-api.md §1.2: a valid token without any admin role is refused with 403.
    @Test func refusesACallerWithoutAdminRoles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let realmFile = directory + "/demo.json"
        try Data(
            #"{"realm":"demo","enabled":true,"users":[{"username":"plain","enabled":true,"credentials":[{"type":"password","value":"pw"}]}]}"#
                .utf8
        )
        .write(to: URL(fileURLWithPath: realmFile))
        var options = SandboxOptions(adminPassword: "test-password")
        options.importFiles = [realmFile]
        let sandbox = try Sandbox(options: options)
        #expect(sandbox.importedRealms == ["demo"])
        let token = try passwordToken(sandbox, realm: "demo", username: "plain", password: "pw")
        let response = try #require(immediate(sandbox.handle(authorized("GET", "/admin/serverinfo", token: token))))
        #expect(response.status == 403)
        #expect(response.answerText == #"{"error":"HTTP 403 Forbidden"}"#)
    }
}

@Suite struct ServerTokenLifecycleTests {
    // docs/sandbox.md "Control API": expire-tokens invalidates every token at once.
    @Test func expireTokensMakesAWorkingTokenFail() throws {
        let sandbox = try makeSandbox()
        let token = try passwordToken(sandbox)
        #expect(immediate(sandbox.handle(authorized("GET", "/admin/realms/master", token: token)))?.status == 200)
        #expect(immediate(sandbox.handle(sandboxRequest("POST", "/_sandbox/expire-tokens")))?.status == 200)
        let after = immediate(sandbox.handle(authorized("GET", "/admin/realms/master", token: token)))
        #expect(after?.status == 401)
        #expect(after?.answerText == #"{"error":"HTTP 401 Unauthorized"}"#)
        // A new login works with the moved clock.
        let fresh = try passwordToken(sandbox)
        #expect(immediate(sandbox.handle(authorized("GET", "/admin/realms/master", token: fresh)))?.status == 200)
    }

    @Test func persistsAdminChangesKeysAndSessionsAcrossRestarts() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/state.json"
        let first = try makeSandbox(stateFile: path)
        let token = try passwordToken(first)
        let created = immediate(
            first.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"kept","enabled":true}"#)))
        #expect(created?.status == 201)
        // A refused change is not written (and does not need to be).
        let refused = immediate(
            first.handle(authorized("POST", "/admin/realms", token: token, body: #"{"realm":"kept","enabled":true}"#)))
        #expect(refused?.status == 409)

        let second = try makeSandbox(stateFile: path)
        #expect(second.context.store.read { $0.realm(named: "kept") != nil })
        // The same token still verifies: signing keys and the session were persisted too.
        #expect(immediate(second.handle(authorized("GET", "/admin/realms/kept", token: token)))?.status == 200)
    }

    @Test func skipsAnImportOfAnExistingRealm() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let realmFile = directory + "/r.json"
        try Data(#"{"realm":"imported","enabled":true}"#.utf8).write(to: URL(fileURLWithPath: realmFile))
        var options = SandboxOptions(adminPassword: "test-password")
        options.importFiles = [realmFile]
        options.stateFile = directory + "/state.json"
        let first = try Sandbox(options: options)
        #expect(first.importedRealms == ["imported"])
        #expect(first.skippedImports.isEmpty)
        let second = try Sandbox(options: options)
        #expect(second.importedRealms.isEmpty)
        #expect(second.skippedImports == ["imported"])

        try Data(#"["not a realm"]"#.utf8).write(to: URL(fileURLWithPath: realmFile))
        options.stateFile = nil
        #expect(throws: SandboxStartError("import file '\(realmFile)' does not hold a realm representation (a JSON object)")) {
            try Sandbox(options: options)
        }
    }
}
