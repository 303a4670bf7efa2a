// The seed's three patterns as declarative files (examples/), each applied with the real kcx to a
// fresh, empty kcx-sandbox (never a shared one: a realm kcx creates there is any other test's
// `--prune` to delete): the realm, its clients (secrets from variables), scopes, exchange
// grants, downscope enforcement and exchange events all come from the file. Real grants and
// exchanges then check aud, azp and scope, a widening exchange is refused, and a second apply
// changes nothing. Also: every unresolved name reported at once, and export round trips.
import Foundation
import KcxJSON
import Testing

/// A sandbox of its own (nothing in it but master) and a logged-in kcx with the example's variables.
struct EmptyServer {
    let keycloak: TestKeycloak
    var env: KcxEnvironment
    let realm: String
    /// Secret variable name -> value, also in kcx's environment.
    let secrets: [String: String]

    init(prefix: String, secretVariables: [String]) throws {
        keycloak = try TestKeycloak.start()
        env = try KcxEnvironment()
        try env.login(keycloak)
        realm = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        var secrets: [String: String] = [:]
        for name in secretVariables { secrets[name] = "s3cret-\(name.lowercased())-" + UUID().uuidString.prefix(8) }
        self.secrets = secrets
        env.extra = secrets
        env.extra["REALM"] = realm
    }

    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
    }

    func kcx(_ arguments: [String]) throws -> ProcessResult { try env.kcx(arguments) }

    /// Runs kcx in the realm and requires success.
    @discardableResult
    func inRealm(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try env.kcx(arguments + ["-r", realm])
        #expect(result.status == 0, "kcx \(arguments.joined(separator: " ")) failed: \(result)", sourceLocation: sourceLocation)
        return result
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = env.home.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func secretFile(_ variable: String) throws -> String { try file("\(variable).secret", secrets[variable]! + "\n") }

    /// A user who can log in with the password grant (the file format has no users), through the admin API.
    func user(_ username: String) throws -> String {
        let password = "pw-" + UUID().uuidString.prefix(12)
        let response = try keycloak.adminSend(
            "POST", "\(realm)/users",
            json: [
                "username": .string(username), "enabled": true, "email": .string("\(username)@example.com"), "firstName": "Alice",
                "lastName": "Test", "emailVerified": true,
                "credentials": [["type": "password", "value": .string(password), "temporary": false]],
            ])
        guard response.status == 201 else { throw HarnessError("creating \(username): \(response.status) \(response.text)") }
        return try file("\(username).pw", password + "\n")
    }

    func client(_ clientId: String) throws -> JSON {
        let (status, json) = try keycloak.adminGet("\(realm)/clients?clientId=\(clientId)&search=false")
        guard status == 200, let first = json?[0] else { throw HarnessError("client \(clientId) not found (\(status))") }
        return first
    }

    func assignedScopes(_ clientId: String, _ list: String) throws -> [String] {
        let id = try client(clientId)["id"]?.stringValue ?? ""
        return try keycloak.adminGet("\(realm)/clients/\(id)/\(list)-client-scopes").json?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        } ?? []
    }

    /// The number of requests the sandbox has answered (its control API).
    func requestCount() throws -> Int {
        let response = try keycloak.request("GET", "/_sandbox/stats")
        return Int(response.json?["requests"]?.intValue ?? -1)
    }

    func claims(_ token: String) throws -> JSON {
        try #require(try inRealm(["token", "decode", "--verify", token]).json?["claims"])
    }

    func stop() { keycloak.stop() }
}

@Suite(.serialized, .enabled(if: onSandbox, "each test starts an empty kcx-sandbox of its own"))
struct DeclarativeRealmTests {
    /// Applies an example to the empty server and requires a second apply to change nothing.
    @discardableResult
    func applyExample(_ server: EmptyServer, _ name: String) throws -> ProcessResult {
        let path = EmptyServer.examples.appendingPathComponent(name).path
        let applied = try server.kcx(["apply", "-f", path, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        for output in [applied.stdout, applied.stderr] {
            for secret in server.secrets.values { #expect(!output.contains(secret), "a client secret was printed") }
        }
        let again = try server.kcx(["apply", "-f", path, "--auto-approve"])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout == "realm \(server.realm):\n  no changes\nNo changes.\n", "\(again)")
        let plan = try server.kcx(["plan", "-f", path, "--detailed-exitcode"])
        #expect(plan.status == 0, "\(plan)")
        return applied
    }

    @Test func frontendToApiFromAnEmptyServer() throws {
        let server = try EmptyServer(prefix: "ex1", secretVariables: ["API_SERVICE_SECRET"])
        defer { server.stop() }
        let path = EmptyServer.examples.appendingPathComponent("frontend-to-api.yaml").path
        let plan = try server.kcx(["plan", "-f", path])
        #expect(plan.status == 0, "\(plan)")
        #expect(
            plan.stdout == """
                realm \(server.realm):
                  realm \(server.realm)
                    + realm \(server.realm)
                        enabled: (none) -> true
                        displayName: (none) -> "Frontend to API"
                        accessTokenLifespan: (none) -> 300
                  client myapp
                    + client myapp
                        clientId: (none) -> "myapp"
                        name: (none) -> "My app"
                        enabled: (none) -> true
                        publicClient: (none) -> true
                        standardFlowEnabled: (none) -> true
                        directAccessGrantsEnabled: (none) -> true
                        redirectUris: (none) -> ["https://app.example.com/*"]
                        webOrigins: (none) -> ["https://app.example.com"]
                    + client-scope-assignment api-access -> myapp (optional)
                  client api-service
                    + client api-service
                        clientId: (none) -> "api-service"
                        description: (none) -> "The API the app calls"
                        enabled: (none) -> true
                        publicClient: (none) -> false
                        serviceAccountsEnabled: (none) -> true
                        standardFlowEnabled: (none) -> false
                        secret: (none) -> <redacted>
                  client-scope api-access
                    + client-scope api-access
                        name: (none) -> "api-access"
                        description: (none) -> "Puts api-service into the aud claim"
                        protocol: (none) -> "openid-connect"
                        attributes.include.in.token.scope: (none) -> "true"
                        attributes.display.on.consent.screen: (none) -> "false"
                    + audience-mapper api-service audience on scope api-access
                        config.included.client.audience: (none) -> "api-service"
                        config.id.token.claim: (none) -> "false"
                        config.access.token.claim: (none) -> "true"
                        config.introspection.token.claim: (none) -> "true"
                        config.lightweight.claim: (none) -> "false"
                Plan: 6 to create, 0 to update, 0 to delete.

                """, "\(plan.stdout)")
        #expect(try server.keycloak.adminGet(server.realm).status == 404, "plan created the realm")
        // The realm is looked up once (404: to be created); nothing of it is read, so no other 404.
        let traced = try server.kcx(["plan", "-f", path, "-v"])
        let answers = traced.stderr.split(separator: "\n").map { $0.drop { $0 == " " } }
        #expect(answers.filter { $0.hasPrefix("< 404") }.count == 1, "\(traced.stderr)")
        #expect(
            answers.filter { $0.hasPrefix("> GET ") && $0.contains("/admin/realms/\(server.realm)") }
                == ["> GET \(server.keycloak.baseURL)/admin/realms/\(server.realm)"], "\(traced.stderr)")

        try applyExample(server, "frontend-to-api.yaml")
        // State through the admin API: the realm (marked as kcx's), the clients, the scope and its assignment.
        let realm = try #require(try server.keycloak.adminGet(server.realm).json)
        #expect(realm["enabled"] == true)
        #expect(realm["displayName"] == "Frontend to API")
        #expect(realm["accessTokenLifespan"] == 300)
        #expect(realm["attributes"]?["kcx.managed"] == "true")
        let app = try server.client("myapp")
        #expect(app["publicClient"] == true)
        #expect(app["redirectUris"] == ["https://app.example.com/*"])
        #expect(app["attributes"]?["kcx.managed"] == "true")
        let api = try server.client("api-service")
        #expect(api["publicClient"] == false)
        #expect(api["secret"]?.stringValue == server.secrets["API_SERVICE_SECRET"])
        #expect(try server.assignedScopes("myapp", "optional").contains("api-access"))

        // Real tokens: without the scope no API audience; with it, aud has api-service.
        let alice = try server.user("alice")
        let without = try server.inRealm([
            "token", "get", "--client", "myapp", "--user", "alice", "--password-file", alice, "--output", "claims",
        ])
        #expect(!audiences(without.json).contains("api-service"))
        let with = try server.inRealm([
            "token", "get", "--client", "myapp", "--user", "alice", "--password-file", alice, "--scope", "api-access", "--output",
            "claims",
        ])
        let claims = try #require(with.json)
        #expect(audiences(claims).contains("api-service"))
        #expect(claims["azp"] == "myapp")
        #expect(scopeWords(claims).contains("api-access"))
        // The API's secret from the variable works for a client-credentials grant.
        let own = try server.inRealm([
            "token", "get", "--client", "api-service", "--secret-file", try server.secretFile("API_SERVICE_SECRET"), "--output",
            "claims",
        ])
        #expect(own.json?["azp"] == "api-service")
        // Widening: the app may not exchange its token for the API's at all.
        let subject = try server.inRealm(["token", "get", "--client", "myapp", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let refused = try server.kcx([
            "token", "exchange", "--client", "myapp", "--subject-token", subject, "--audience", "api-service", "-r", server.realm,
        ])
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("400 Standard token exchange is not enabled for the requested client"), "\(refused)")
    }

    @Test func microservicesFromAnEmptyServer() throws {
        let server = try EmptyServer(
            prefix: "ex2", secretVariables: ["SERVICE_A_SECRET", "SERVICE_B_SECRET", "SERVICE_C_SECRET"])
        defer { server.stop() }
        let applied = try applyExample(server, "microservices.yaml")
        #expect(applied.stderr.hasSuffix("HTTP requests\n"))
        #expect(applied.stdout.hasSuffix("Plan: 11 to create, 0 to update, 0 to delete.\n"), "\(applied.stdout)")
        #expect(try server.client("service-a")["attributes"]?["standard.token.exchange.enabled"] == "true")
        #expect(try server.client("service-c")["attributes"]?["standard.token.exchange.enabled"] == nil)
        #expect(try server.assignedScopes("service-a", "default").contains("service-access"))
        #expect(
            !(try server.assignedScopes("service-a", "default").contains("service-b-audience")),
            "service-access already carries service-b")

        let secretA = try server.secretFile("SERVICE_A_SECRET")
        let subject = try server.inRealm(["token", "get", "--client", "service-a", "--secret-file", secretA]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let subjectClaims = try server.claims(subject)
        #expect(Set(audiences(subjectClaims)).isSuperset(of: ["service-b", "service-c"]))
        #expect(subjectClaims["azp"] == "service-a")
        let exchanged = try server.inRealm([
            "token", "exchange", "--client", "service-a", "--secret-file", secretA, "--subject-token", subject, "--audience",
            "service-b",
            "--output", "claims",
        ])
        let claims = try #require(exchanged.json)
        #expect(audiences(claims) == ["service-b"])
        #expect(claims["azp"] == "service-a")
        #expect(scopeWords(claims).contains("service-access"))
        // service-c has no exchange grant: Keycloak refuses it.
        let refused = try server.kcx([
            "token", "exchange", "--client", "service-c", "--secret-file", try server.secretFile("SERVICE_C_SECRET"),
            "--subject-token", subject,
            "--audience", "service-b", "-r", server.realm,
        ])
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("Standard token exchange is not enabled for the requested client"), "\(refused)")
    }

    @Test func delegatedAccessWithDownscopingFromAnEmptyServer() throws {
        let server = try EmptyServer(prefix: "ex3", secretVariables: ["PRIMARY_SERVICE_SECRET", "DELEGATED_SERVICE_SECRET"])
        defer { server.stop() }
        try applyExample(server, "delegated-access.yaml")
        let realm = try #require(try server.keycloak.adminGet(server.realm).json)
        #expect(realm["ssoSessionIdleTimeout"] == 1800)
        #expect(realm["ssoSessionMaxLifespan"] == 36000)
        #expect(
            try server.inRealm(["token-exchange", "downscope", "status"]).stdout == "downscope: on for every token exchange\n")
        let events = try #require(try server.keycloak.adminGet("\(server.realm)/events/config").json)
        #expect(events["eventsEnabled"] == true)
        #expect(try server.assignedScopes("portal", "default").contains("primary-service-audience"), "subjectClient")
        #expect(try server.assignedScopes("primary-service", "default").contains("delegated-service-audience"))

        let alice = try server.user("alice")
        let secret = try server.secretFile("PRIMARY_SERVICE_SECRET")
        let subject = try server.inRealm(["token", "get", "--client", "portal", "--user", "alice", "--password-file", alice])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let subjectClaims = try server.claims(subject)
        #expect(audiences(subjectClaims).contains("primary-service"))
        #expect(subjectClaims["azp"] == "portal")
        func exchange(scope: String?) throws -> ProcessResult {
            var arguments = [
                "token", "exchange", "--client", "primary-service", "--secret-file", secret, "--subject-token", subject,
                "--audience", "delegated-service", "--output", "claims",
            ]
            if let scope { arguments += ["--scope", scope] }
            return try server.kcx(arguments + ["-r", server.realm])
        }
        let exchanged = try exchange(scope: nil)
        #expect(exchanged.status == 0, "\(exchanged)")
        let claims = try #require(exchanged.json)
        #expect(audiences(claims) == ["delegated-service"])
        #expect(claims["azp"] == "primary-service")
        #expect(claims["sub"] == subjectClaims["sub"], "the exchanged token still speaks for alice")
        #expect(scopeWords(claims).isSuperset(of: ["profile", "email"]))
        #expect(!scopeWords(claims).contains("phone"))
        // Widening: phone is an optional scope of primary-service, not in alice's token; downscope refuses it.
        let refused = try exchange(scope: "phone")
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("Scopes [phone] not present in the initial access token"), "\(refused)")
        // Both exchanges were recorded.
        let audit = try server.inRealm([
            "token-exchange", "audit", "--client", "primary-service", "--since", "1h", "--output", "json",
        ])
        #expect(audit.json?["exchanges"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" } == ["refused", "allowed"])
    }

    /// Legacy (V1) exchange to a client the same file creates, in a realm it creates: the wiring
    /// follows the clients, and a second apply changes nothing.
    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func legacyExchangeBetweenClientsTheFileCreates() throws {
        // A sandbox of its own: a realm kcx creates on a shared one would be another test's to --prune.
        let keycloak = try TestKeycloak.start(extraArguments: ["--features", "token-exchange,admin-fine-grained-authz:v1"])
        defer { keycloak.stop() }
        var env = try KcxEnvironment()
        try env.login(keycloak)
        let realm = "legacy-\(UUID().uuidString.prefix(8).lowercased())"
        env.extra = ["GW_SECRET": "gw-" + UUID().uuidString, "API_SECRET": "api-" + UUID().uuidString]
        let path = env.home.appendingPathComponent("legacy.yaml").path
        try Data(
            """
            realms:
              - realm: \(realm)
                enabled: true
                clients:
                  - {clientId: gateway, enabled: true, publicClient: false, secret: "${GW_SECRET}", serviceAccountsEnabled: true}
                  - {clientId: api, enabled: true, publicClient: false, secret: "${API_SECRET}"}
                allow:
                  - {from: gateway, to: api, mode: legacy}
            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        let applied = try env.kcx(["apply", "-f", path, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(
            applied.stdout.contains(
                "    + legacy-exchange api\n        management permissions: off -> on\n        requesters: + gateway\n"),
            "\(applied.stdout)")
        let again = try env.kcx(["plan", "-f", path, "--detailed-exitcode"])
        #expect(again.status == 0, "\(again)")
        // The policy names gateway: a real V1 exchange works.
        let secretFile = env.home.appendingPathComponent("gw.secret").path
        try Data((env.extra["GW_SECRET"]! + "\n").utf8).write(to: URL(fileURLWithPath: secretFile))
        let subject = try env.kcx(["token", "get", "--client", "gateway", "--secret-file", secretFile, "-r", realm]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let exchanged = try env.kcx([
            "token", "exchange", "--client", "gateway", "--secret-file", secretFile, "--subject-token", subject, "--audience",
            "api",
            "--requested-token-type", "access_token", "--output", "claims", "-r", realm,
        ])
        #expect(exchanged.status == 0, "\(exchanged)")
        #expect(audiences(exchanged.json).contains("api"))
        #expect(exchanged.json?["azp"] == "gateway")
    }

    /// --prune deletes only the clients and realms kcx created (marked kcx.managed), never hand-made ones.
    @Test func pruneDeletesOnlyTheClientsAndRealmsKcxCreated() throws {
        let server = try EmptyServer(prefix: "prune", secretVariables: [])
        defer { server.stop() }
        let byHand = try server.keycloak.createRealm("byhand")
        let gone = "\(server.realm)-gone"
        let two = try server.file(
            "two.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
                clients:
                  - {clientId: kept, enabled: true}
                  - {clientId: dropped, enabled: true}
              - realm: \(gone)
                enabled: true
            """)
        let created = try server.kcx(["apply", "-f", two, "--auto-approve"])
        #expect(created.status == 0, "\(created)")
        let handMade = try server.keycloak.adminSend("POST", "\(server.realm)/clients", json: ["clientId": "hand-made"])
        #expect(handMade.status == 201)
        // What `realm ensure` and `client ensure` make is not kcx's to prune: they go through the
        // same engine, without the mark.
        let ensured = "\(server.realm)-ensured"
        #expect(try server.kcx(["realm", "ensure", ensured]).status == 0)
        let byCommand = try server.kcx(["client", "ensure", "by-command", "--public", "-r", server.realm])
        #expect(byCommand.status == 0, "\(byCommand)")
        let one = try server.file(
            "one.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
                clients:
                  - {clientId: kept, enabled: true}
            """)
        // Without --prune nothing goes.
        #expect(try server.kcx(["plan", "-f", one, "--detailed-exitcode"]).status == 0)
        let plan = try server.kcx(["plan", "-f", one, "--prune"])
        #expect(plan.status == 0, "\(plan)")
        #expect(
            plan.stdout == """
                realm \(server.realm):
                  client dropped
                    - client dropped
                        created by kcx, no longer in the file
                realm \(gone):
                  realm \(gone)
                    - realm \(gone)
                        created by kcx, not in the file: deleted with everything in it
                Plan: 0 to create, 0 to update, 2 to delete.

                """, "\(plan.stdout)")
        let pruned = try server.kcx(["apply", "-f", one, "--prune", "--auto-approve"])
        #expect(pruned.status == 0, "\(pruned)")
        #expect(try server.keycloak.adminGet(gone).status == 404)
        #expect(try server.keycloak.adminGet(byHand).status == 200)
        #expect(try server.keycloak.adminGet("master").status == 200)
        let clients =
            try server.keycloak.adminGet("\(server.realm)/clients").json?.arrayValue?.compactMap { $0["clientId"]?.stringValue }
            ?? []
        #expect(clients.contains("kept") && clients.contains("hand-made") && !clients.contains("dropped"), "\(clients)")
        #expect(clients.contains("by-command"), "\(clients)")
        let ensuredRealm = try server.keycloak.adminGet(ensured)
        #expect(ensuredRealm.status == 200)
        #expect(ensuredRealm.json?["enabled"] == true)
        #expect(ensuredRealm.json?["attributes"]?["kcx.managed"] == nil, "\(ensuredRealm)")
        let client = try server.keycloak.adminGet("\(server.realm)/clients?clientId=by-command").json?[0]
        #expect(client?["publicClient"] == true)
        #expect(client?["attributes"]?["kcx.managed"] == nil, "\(String(describing: client))")
        #expect(try server.kcx(["plan", "-f", one, "--prune", "--detailed-exitcode"]).status == 0)
    }

    /// Item 7: export writes every field (a placeholder variable for each secret, never the secret),
    /// export then plan shows no changes, and the export of a realm built from a file builds the
    /// same realm again: its copy exports to the same file, and the example plans no changes against it.
    @Test func aRealmBuiltFromAFileExportsBackToAnEquivalentFile() throws {
        let server = try EmptyServer(prefix: "rt", secretVariables: ["PRIMARY_SERVICE_SECRET", "DELEGATED_SERVICE_SECRET"])
        defer { server.stop() }
        try applyExample(server, "delegated-access.yaml")
        var bare = server.env
        bare.extra = [:]
        for format in ["yaml", "json"] {
            let exported = try server.inRealm(["export", "--format", format])
            for secret in server.secrets.values { #expect(!exported.stdout.contains(secret), "export wrote a secret") }
            #expect(exported.stdout.contains("${PRIMARY_SERVICE_SECRET:-}"), "\(exported.stdout)")
            let file = try server.file("export.\(format)", exported.stdout)
            // With the secrets' variables (compared, equal) and without them (left as they are).
            for env in [server.env, bare] {
                let plan = try env.kcx(["plan", "-f", file, "--detailed-exitcode"])
                #expect(plan.status == 0, "\(format): \(plan)\n\(exported.stdout)")
                #expect(plan.stdout == "realm \(server.realm):\n  no changes\nNo changes.\n")
            }
        }
        let yaml = try server.inRealm(["export"]).stdout
        #expect(yaml.contains("  downscope: true\n  exchangeEvents: true\n"), "\(yaml)")
        #expect(yaml.contains("  accessTokenLifespan: 300\n"), "\(yaml)")
        #expect(yaml.contains("    redirectUris:\n    - \"https://portal.example.com/*\"\n"), "\(yaml)")
        let copy = "\(server.realm)-copy"
        let copyFile = try server.file("copy.yaml", yaml.replacing("realm: \(server.realm)\n", with: "realm: \(copy)\n"))
        let built = try server.kcx(["apply", "-f", copyFile, "--auto-approve"])
        #expect(built.status == 0, "\(built)")
        #expect(built.stdout.contains("    + realm \(copy)\n"))
        let copied = try server.kcx(["export", "-r", copy])
        #expect(copied.stdout.replacing("realm: \(copy)\n", with: "realm: \(server.realm)\n") == yaml)
        var againstCopy = server.env
        againstCopy.extra["REALM"] = copy
        let plan = try againstCopy.kcx([
            "plan", "-f", EmptyServer.examples.appendingPathComponent("delegated-access.yaml").path, "--detailed-exitcode",
        ])
        #expect(plan.status == 0, "\(plan)")
    }

    /// Item 3: every name that does not resolve, in every realm, in one error with file:line:col;
    /// exit 3; nothing written (the server's state and its count of requests show it).
    @Test func everyUnresolvedNameIsReportedAtOnceAndNothingIsSent() throws {
        let server = try EmptyServer(prefix: "refs", secretVariables: [])
        defer { server.stop() }
        let existing = try server.keycloak.createRealm("refsok")
        let path = try server.file(
            "refs.yaml",
            """
            realms:
              - realm: \(existing)
                clientScopes:
                  - name: api-access
                    audienceMappers:
                      - audience: ghost-api
                clients:
                  - clientId: webapp
                    enabled: true
                    defaultScopes: [api-access, no-such-scope]
                  - clientId: missing-client
                    defaultScopes: [api-access]
                allow:
                  - {from: webapp, to: ghost-target, subjectClient: ghost-portal}
              - realm: no-such-realm
                clients:
                  - clientId: anything
            """)
        let before = try server.keycloak.adminGet("\(existing)/clients").json
        let start = try server.requestCount()
        let plan = try server.kcx(["apply", "-f", path, "--auto-approve", "-v"])
        let requests = try server.requestCount() - start
        #expect(plan.status == 3, "\(plan)")
        #expect(plan.stdout == "")
        let errors = plan.stderr.split(separator: "\n").drop { !$0.hasPrefix("error:") }.map(String.init)
        #expect(
            errors == [
                "error: 6 names in the file do not resolve; nothing was changed:",
                "  \(path):6:23: realms[0].clientScopes[0].audienceMappers[0].audience: client 'ghost-api' (audience of mapper 'ghost-api audience' on scope 'api-access') is not a client of realm '\(existing)' nor declared in the file",
                "  \(path):10:37: realms[0].clients[0].defaultScopes[1]: scope 'no-such-scope' assigned to client 'webapp' is neither in the file nor in realm '\(existing)'",
                "  \(path):11:19: realms[0].clients[1].clientId: client 'missing-client' is not a client of realm '\(existing)' nor declared in the file",
                "  \(path):14:28: realms[0].allow[0].to: client 'ghost-target' (target of an allow pair) is not a client of realm '\(existing)' nor declared in the file",
                "  \(path):14:57: realms[0].allow[0].subjectClient: client 'ghost-portal' (subject client of an allow pair) is not a client of realm '\(existing)' nor declared in the file",
                "  \(path):15:12: realms[1].realm: realm 'no-such-realm' does not exist (give a realm setting such as enabled: true to create it)",
                "hint: declare a client in the file (with a setting such as enabled: true) to have kcx create it, or correct the name",
            ], "\(plan.stderr)")
        // Only reads: no write in the -v trace, and the realm is as it was.
        let requestLines = plan.stderr.split(separator: "\n").map { $0.drop { $0 == " " } }.filter {
            $0.hasPrefix("> ") && $0.contains("/admin/")
        }
        #expect(requestLines.contains { $0.hasPrefix("> GET ") }, "the -v trace shows the reads: \(plan.stderr)")
        let writes = requestLines.filter { !$0.hasPrefix("> GET ") && $0.contains(" http") }
        #expect(writes.isEmpty, "\(writes)")
        // The token, the features, each realm's reads (one look-up per named client): reads only, and few.
        #expect(requests > 0 && requests < 20, "\(requests) requests")
        #expect(try server.keycloak.adminGet("\(existing)/clients").json == before)
        #expect(try server.keycloak.adminGet("no-such-realm").status == 404)
    }
}
