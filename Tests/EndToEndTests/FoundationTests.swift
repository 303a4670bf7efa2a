// The foundation with the real binary: logging in (password, client credentials), refreshing and
// logging in again, kcadm-style requests with every option, exit codes, redaction, TLS.
import Foundation
import KcxJSON
import Testing

/// A realm with its own administrator (realm-admin of realm-management), so session lifetimes can
/// be shortened without touching the master realm.
struct AdminRealm {
    let keycloak: TestKeycloak
    let realm: String
    let username = "ops"
    let password = "ops-" + UUID().uuidString.prefix(12)

    init(_ keycloak: TestKeycloak, settings: JSON = [:]) throws {
        self.keycloak = keycloak
        realm = try keycloak.createRealm("sess")
        if case .object(let object) = settings, !object.isEmpty {
            let response = try keycloak.adminSend("PUT", realm, json: settings)
            guard response.status == 204 else { throw HarnessError("realm settings: \(response.status) \(response.text)") }
        }
        let user: JSON = [
            "username": .string(username), "enabled": true, "email": "ops@example.com", "firstName": "Ops", "lastName": "Team",
            "emailVerified": true,
            "credentials": [["type": "password", "value": .string(password), "temporary": false]],
        ]
        let created = try keycloak.adminSend("POST", "\(realm)/users", json: user)
        guard created.status == 201, let userID = created.headers["location"]?.split(separator: "/").last.map(String.init) else {
            throw HarnessError("user: \(created.status) \(created.text)")
        }
        try grantRealmAdmin(toUser: userID)
    }

    func realmManagementID() throws -> String {
        let (_, list) = try keycloak.adminGet("\(realm)/clients?clientId=realm-management")
        guard let id = list?[0]?["id"]?.stringValue else { throw HarnessError("no realm-management client") }
        return id
    }

    func grantRealmAdmin(toUser userID: String) throws {
        let management = try realmManagementID()
        let (_, role) = try keycloak.adminGet("\(realm)/clients/\(management)/roles/realm-admin")
        guard let role else { throw HarnessError("no realm-admin role") }
        let response = try keycloak.adminSend(
            "POST", "\(realm)/users/\(userID)/role-mappings/clients/\(management)", json: [role])
        guard response.status == 204 else { throw HarnessError("role mapping: \(response.status) \(response.text)") }
    }

    /// A confidential client whose service account is realm-admin; returns its secret.
    func serviceAccountClient(_ clientId: String) throws -> String {
        let secret = "sa-" + UUID().uuidString
        let created = try keycloak.adminSend(
            "POST", "\(realm)/clients",
            json: [
                "clientId": .string(clientId), "publicClient": false, "serviceAccountsEnabled": true, "secret": .string(secret),
                "protocol": "openid-connect",
            ])
        guard created.status == 201, let id = created.headers["location"]?.split(separator: "/").last.map(String.init) else {
            throw HarnessError("client: \(created.status) \(created.text)")
        }
        let (_, account) = try keycloak.adminGet("\(realm)/clients/\(id)/service-account-user")
        try grantRealmAdmin(toUser: try #require(account?["id"]?.stringValue))
        return secret
    }

    func login(_ env: KcxEnvironment, extra: [String] = []) throws -> ProcessResult {
        try env.kcx(
            ["config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--user", username, "--password-stdin"]
                + extra,
            stdin: password + "\n")
    }
}

@Suite(.serialized) struct LoginTests {
    @Test func passwordLoginStoresA0600SessionWithoutThePassword() throws {
        let admin = try AdminRealm(.shared)
        let env = try KcxEnvironment()
        let login = try admin.login(env)
        #expect(login.status == 0, "\(login)")
        #expect(login.stderr == "Logged in to \(admin.keycloak.baseURL) realm \(admin.realm) as ops (profile default)\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: env.configFile.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let stored = try String(contentsOf: env.configFile, encoding: .utf8)
        #expect(!stored.contains(admin.password))

        let status = try env.kcx(["config", "status"])
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains(admin.realm) && status.stdout.contains("ops"))
        let token = try #require(
            try JSON.parse(stored)["profiles"]?["default"]?["accessToken"]?.stringValue, "stored session: \(stored)")
        #expect(!status.stdout.contains(token) && !status.stderr.contains(token), "status never prints tokens")

        let clients = try env.kcx([
            "get", "clients", "-q", "clientId=admin-cli", "--fields", "clientId,publicClient", "--format", "csv",
        ])
        #expect(clients.status == 0, "\(clients)")
        #expect(clients.stdout == "\"admin-cli\",true\n", "kcadm's CSV: values only, strings quoted")
    }

    @Test func clientCredentialsLoginWorksFromASecretFile() throws {
        let admin = try AdminRealm(.shared)
        let secret = try admin.serviceAccountClient("provisioner")
        let env = try KcxEnvironment()
        let secretFile = env.home.appendingPathComponent("secret")
        try Data((secret + "\n").utf8).write(to: secretFile)
        let login = try env.kcx([
            "config", "credentials", "--server", admin.keycloak.baseURL, "--realm", admin.realm, "--client", "provisioner",
            "--secret-file", secretFile.path,
        ])
        #expect(login.status == 0, "\(login)")
        let realm = try env.kcx(["get", "realms/\(admin.realm)", "--fields", "realm,enabled", "--compact"])
        #expect(realm.status == 0, "\(realm)")
        #expect(realm.stdout == #"{"realm":"\#(admin.realm)","enabled":true}"# + "\n")
    }

    @Test func wrongPasswordExitsFourAndStoresNothing() throws {
        let admin = try AdminRealm(.shared)
        let env = try KcxEnvironment()
        let result = try env.kcx(
            [
                "config", "credentials", "--server", admin.keycloak.baseURL, "--realm", admin.realm, "--user", "ops",
                "--password-stdin",
            ], stdin: "wrong\n")
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.contains("Invalid user credentials"))
        #expect(!FileManager.default.fileExists(atPath: env.configFile.path))
    }

    @Test func refreshesAnAccessTokenAboutToExpire() throws {
        // Tokens that live 5 s are always inside kcx's 10 s safety margin: every command refreshes first.
        let admin = try AdminRealm(.shared, settings: ["accessTokenLifespan": 5])
        let env = try KcxEnvironment()
        #expect(try admin.login(env).status == 0)
        let before = try JSON.parse(String(contentsOf: env.configFile, encoding: .utf8))["profiles"]?["default"]?["accessToken"]
        let result = try env.kcx(["-v", "get", "realms/\(admin.realm)", "--fields", "realm"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("> POST \(admin.keycloak.baseURL)/realms/\(admin.realm)/protocol/openid-connect/token"))
        #expect(result.stderr.contains("refresh_token=<redacted>"))
        let after = try JSON.parse(String(contentsOf: env.configFile, encoding: .utf8))["profiles"]?["default"]?["accessToken"]
        #expect(before != after, "the refreshed token was stored")
    }

    @Test func logsInAgainFromTheEnvironmentWhenTheRefreshTokenHasExpired() throws {
        let admin = try AdminRealm(
            .shared, settings: ["ssoSessionIdleTimeout": 2, "ssoSessionMaxLifespan": 2, "accessTokenLifespan": 2])
        var env = try KcxEnvironment()
        env.extra["KCX_PASSWORD"] = admin.password
        let login = try env.kcx([
            "config", "credentials", "--server", admin.keycloak.baseURL, "--realm", admin.realm, "--user", "ops",
        ])
        #expect(login.status == 0, "\(login)")
        Thread.sleep(forTimeInterval: 3.5)
        let result = try env.kcx(["-v", "get", "realms/\(admin.realm)", "--fields", "realm"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("grant_type=password"), "kcx logged in again: \(result.stderr)")
        #expect(!result.stderr.contains(admin.password), "the password never appears in the trace")

        // Without the credential source there is no way back: exit 4 and a hint to log in.
        Thread.sleep(forTimeInterval: 3.5)
        env.extra["KCX_PASSWORD"] = nil
        let stale = try env.kcx(["get", "realms/\(admin.realm)"])
        #expect(stale.status == 4, "\(stale)")
        #expect(stale.stderr.contains("hint:") && stale.stderr.contains("kcx config credentials"))
    }
}

@Suite(.serialized) struct RequestCommandTests {
    @Test func createGetUpdateDeleteWithKcadmOptions() throws {
        let fixture = try RealmFixture(.shared, prefix: "req")
        // -s string vs := JSON, quoted dotted keys, -i prints the new id.
        let created = try fixture.inRealm([
            "create", "clients", "-s", "clientId=web", "-s", "description=007", "-s", "publicClient:=true",
            "-s", #"attributes."pkce.code.challenge.method"=S256"#, "-i",
        ])
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 36, "\(created)")
        let stored = try fixture.client("web")
        #expect(stored["id"]?.stringValue == id)
        #expect(stored["description"] == "007", "key=value is always a string")
        #expect(stored["publicClient"] == true)
        #expect(stored["attributes"]?["pkce.code.challenge.method"] == "S256")

        // -f - from stdin, then --fields with a nested selection.
        let body =
            #"{"clientId":"api","publicClient":false,"protocolMappers":[{"name":"hc","protocol":"openid-connect","protocolMapper":"oidc-hardcoded-claim-mapper","config":{"claim.name":"team","claim.value":"core"}}]}"#
        try fixture.inRealm(["create", "clients", "-f", "-"], stdin: body)
        let fields = try fixture.inRealm([
            "get", "clients", "-q", "clientId=api", "--fields", "clientId,protocolMappers(name)", "--compact",
        ])
        #expect(fields.stdout == #"[{"clientId":"api","protocolMappers":[{"name":"hc"}]}]"# + "\n")

        // update -m merges into what is there; update with -b replaces what it names.
        try fixture.inRealm([
            "update", "clients/\(id)", "-m", "-s", "description=merged", "-s", "attributes.\"post.logout.redirect.uris\"=+",
        ])
        let merged = try fixture.client("web")
        #expect(merged["description"] == "merged")
        #expect(merged["publicClient"] == true, "merge kept the other members")

        // --offset/--limit page through, --format table aligns.
        let page = try fixture.inRealm([
            "get", "clients", "--fields", "clientId", "--offset", "0", "--limit", "2", "--format", "csv",
        ])
        #expect(page.stdout.split(separator: "\n").count == 2, "two rows and no header, as kcadm prints CSV: \(page.stdout)")
        let table = try fixture.inRealm([
            "get", "clients", "-q", "clientId=web", "--fields", "clientId,description", "--format", "table",
        ])
        #expect(table.stdout.hasPrefix("clientId  description\nweb       merged\n"), "\(table.stdout)")

        // delete prints nothing and the client is gone.
        let deleted = try fixture.inRealm(["delete", "clients/\(id)"])
        #expect(deleted.stdout.isEmpty)
        #expect(try fixture.keycloak.adminGet("\(fixture.realm)/clients/\(id)").status == 404)
    }

    @Test func everyExitCodeHasItsCause() throws {
        let fixture = try RealmFixture(.shared, prefix: "codes")
        let realm = fixture.realm
        // 2: usage, nothing sent.
        let usage = try fixture.kcx(["get", "clients", "--formt", "csv", "-r", realm])
        #expect(usage.status == 2)
        #expect(usage.stderr.contains("--formt") && usage.stderr.contains("--format"), "did-you-mean: \(usage.stderr)")
        let badSet = try fixture.kcx(["create", "clients", "-s", "novalue", "-r", realm])
        #expect(badSet.status == 2, "\(badSet)")
        // 3: not found.
        let missing = try fixture.kcx(["get", "clients/00000000-0000-0000-0000-000000000000", "-r", realm])
        #expect(missing.status == 3, "\(missing)")
        #expect(
            missing.stderr.hasPrefix(
                "error: GET /admin/realms/\(realm)/clients/00000000-0000-0000-0000-000000000000: 404 Could not find client"))
        // 5: conflict.
        try fixture.inRealm(["create", "clients", "-s", "clientId=dup"])
        let duplicate = try fixture.kcx(["create", "clients", "-s", "clientId=dup", "-r", realm])
        #expect(duplicate.status == 5, "\(duplicate)")
        #expect(duplicate.stderr.contains("Client dup already exists"))
        // 1: a server error that is none of the above (400 for a bad representation).
        let invalid = try fixture.kcx(["create", "clients", "-s", "clientId=x", "-s", "noSuchField=1", "-r", realm])
        #expect(invalid.status == 1, "\(invalid)")
        #expect(invalid.stderr.contains("400"))
        // 4: a token the server does not accept.
        var env = fixture.env
        env.extra["KCX_SERVER"] = fixture.keycloak.baseURL
        env.extra["KCX_REALM"] = realm
        let unauthorized = try env.kcx(["get", "clients", "--token", "not-a-token"])
        #expect(unauthorized.status == 4, "\(unauthorized)")
        // 6: nothing listens there.
        env.extra["KCX_SERVER"] = "http://127.0.0.1:1"
        let refused = try env.kcx(["get", "clients", "--token", "x"])
        #expect(refused.status == 6, "\(refused)")
        #expect(refused.stderr.contains("hint:"))
        // 0 for the list itself.
        #expect(try fixture.kcx(["get", "clients", "-r", realm, "--fields", "clientId"]).status == 0)
    }

    @Test func verboseTraceRedactsEverySecret() throws {
        let admin = try AdminRealm(.shared)
        let env = try KcxEnvironment()
        let login = try admin.login(env, extra: ["-v"])
        #expect(login.status == 0, "\(login)")
        #expect(!login.stderr.contains(admin.password))
        #expect(login.stderr.contains("password=<redacted>"))
        let stored = try JSON.parse(String(contentsOf: env.configFile, encoding: .utf8))["profiles"]?["default"]
        let access = try #require(stored?["accessToken"]?.stringValue)
        let refresh = try #require(stored?["refreshToken"]?.stringValue)
        #expect(!login.stderr.contains(access) && !login.stderr.contains(refresh), "tokens in the login response are redacted")
        let get = try env.kcx(["-v", "get", "clients", "--fields", "clientId"])
        #expect(get.status == 0)
        #expect(get.stderr.contains("Authorization: Bearer <redacted>"))
        #expect(!get.stderr.contains(access))
    }

    @Test func insecureWarnsAndTLSFailsWithoutIt() throws {
        var env = try KcxEnvironment()
        // kcx-sandbox speaks plain HTTP, so https:// to it fails the TLS handshake: exit 6.
        let https = TestKeycloak.shared.baseURL.replacingOccurrences(of: "http://", with: "https://")
        env.extra["KCX_SERVER"] = https
        env.extra["KCX_REALM"] = "master"
        let failed = try env.kcx(["get", "clients", "--token", "x"])
        #expect(failed.status == 6, "\(failed)")
        let insecure = try env.kcx(["get", "clients", "--token", "x", "--insecure"])
        #expect(insecure.stderr.contains("warning: TLS certificate verification is disabled (--insecure)"))
    }
}
