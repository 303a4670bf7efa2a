// kcx as a drop-in for kcadm.sh, run as real processes against the sandbox: the same command lines
// under the name kcx and through a `kcadm.sh -> kcx` symbolic link, with the realm's state read
// back through the admin API. The rules tested come from reading kcadm's source (AbstractRequestCmd,
// ReflectionUtil, ReturnFields, OutputUtil, BaseAuthOptionsCmd, BaseConfigCredentialsCmd).
import Foundation
import KcxJSON
import Testing

/// A kcx environment with a `kcadm.sh` symbolic link to the built kcx on its PATH.
struct KcadmShell {
    let env: KcxEnvironment
    let bin: URL

    init() throws {
        self.init(env: try KcxEnvironment())
    }

    /// The link in `env`'s home (made once; later shells on the same home reuse it).
    init(env: KcxEnvironment) {
        self.env = env
        bin = env.home.appendingPathComponent("bin")
        try? FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try? FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("kcadm.sh"), withDestinationURL: Binaries.kcx)
    }

    var kcadm: URL { bin.appendingPathComponent("kcadm.sh") }

    /// Runs the program under `name` ("kcx" or "kcadm.sh").
    func run(_ name: String, _ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try runProcess(name == "kcx" ? Binaries.kcx : kcadm, arguments, environment: env.variables, stdin: stdin)
    }

    /// Runs a bash script with kcadm.sh on the PATH.
    func script(_ text: String, variables: [String: String]) throws -> ProcessResult {
        var environment = env.variables
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        for (key, value) in variables { environment[key] = value }
        return try runProcess(URL(fileURLWithPath: "/bin/bash"), ["-c", text], environment: environment)
    }
}

@Suite(.serialized) struct KcadmDropInTests {
    @Test(arguments: ["kcx", "kcadm.sh"])
    func requestLanguageAsKcadm(_ name: String) throws {
        let keycloak = TestKeycloak.shared
        let shell = try KcadmShell()
        let realm = try keycloak.createRealm("kcadm")
        @discardableResult
        func ok(_ arguments: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
            -> ProcessResult
        {
            let result = try shell.run(name, arguments, stdin: stdin)
            #expect(result.status == 0, "\(name) \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
            return result
        }

        // The password from redirected standard input, and kcadm's line on stderr (kcx's own under kcx).
        let login = try ok(
            ["config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser],
            stdin: keycloak.adminPassword + "\n")
        let expectedLogin =
            name == "kcx"
            ? "Logged in to \(keycloak.baseURL) realm master as \(keycloak.adminUser) (profile default)\n"
            : "Logging into \(keycloak.baseURL) as user \(keycloak.adminUser) of realm master\n"
        #expect(login.stderr.hasSuffix(expectedLogin), "\(login)")
        if name == "kcadm.sh" { #expect(login.stderr == expectedLogin, "no warning lines under kcadm.sh") }

        // -s VALUE is JSON when it is JSON: an array, booleans, a number; else a string.
        let created = try ok([
            "create", "clients", "-r", realm, "-s", "clientId=myapp", "-s", "enabled=true", "-s", "publicClient=false",
            "-s", #"redirectUris=["http://localhost:8980/myapp/*"]"#, "-s", "description=007", "-s",
            "attributes.\"pkce.code.challenge.method\"=S256",
            "-s", "nodeReRegistrationTimeout=30", "-i",
        ])
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(created.stderr == "")
        let stored = try #require(keycloak.adminGet("\(realm)/clients/\(id)").json)
        #expect(stored["redirectUris"] == ["http://localhost:8980/myapp/*"])
        #expect(stored["publicClient"] == false)
        #expect(stored["enabled"] == true)
        #expect(stored["description"] == "007")
        #expect(stored["nodeReRegistrationTimeout"] == 30)
        #expect(stored["attributes"]?["pkce.code.challenge.method"] == "S256")

        // update -s merges into the server's object: the other fields keep their values.
        let updated = try ok([
            "update", "clients/\(id)", "-r", realm, "-s", "description=merged", "-s",
            "redirectUris+=http://localhost:8980/other/*",
        ])
        #expect(updated.stdout == "" && updated.stderr == "")
        let merged = try #require(keycloak.adminGet("\(realm)/clients/\(id)").json)
        #expect(merged["description"] == "merged")
        #expect(merged["redirectUris"] == ["http://localhost:8980/myapp/*", "http://localhost:8980/other/*"])
        #expect(merged["publicClient"] == false)
        #expect(merged["attributes"]?["pkce.code.challenge.method"] == "S256")

        // JSON's last newline: on stdout under kcx; under kcadm.sh on stderr, as kcadm writes it
        // (the JSON itself to stdout, then a newline to stderr since the last byte was no line end).
        let stdoutEnd = name == "kcx" ? "\n" : ""
        let stderrEnd = name == "kcx" ? "" : "\n"

        // -o prints the object read back, -F selects with kcadm's grammar, -c on one line.
        let output = try ok(["update", "clients/\(id)", "-r", realm, "-s", "enabled=false", "-o", "-F", "clientId,enabled", "-c"])
        #expect(output.stdout == #"{"clientId":"myapp","enabled":false}"# + stdoutEnd)
        #expect(output.stderr == stderrEnd)
        let template = try ok(["get", "clients/\(id)", "-r", realm, "-F", "*(*),-id,-protocolMappers", "-c"])
        let templateJSON = try #require(template.json)
        #expect(templateJSON["id"] == nil && templateJSON["protocolMappers"] == nil)
        #expect(templateJSON["clientId"] == "myapp")
        #expect(templateJSON["attributes"]?["pkce.code.challenge.method"] == "S256", "*(*) shows attributes' members")

        // kcadm's CSV: values only, quoted; --noquotes for scripts.
        let csv = try ok(["get", "clients", "-r", realm, "-q", "clientId=myapp", "-F", "id,clientId", "--format", "csv"])
        #expect(csv.stdout == "\"\(id)\",\"myapp\"\n")
        #expect(csv.stderr == "", "CSV lines end on stdout under both names")
        let bare = try ok(["get", "clients", "-r", realm, "-q", "clientId=myapp", "-F", "id", "--format", "csv", "--noquotes"])
        #expect(bare.stdout == id + "\n")

        // Indented as kcadm prints it.
        let pretty = try ok(["get", "clients/\(id)", "-r", realm, "-F", "clientId,redirectUris"])
        #expect(
            pretty.stdout
                == "{\n  \"clientId\" : \"myapp\",\n  \"redirectUris\" : [ \"http://localhost:8980/myapp/*\", \"http://localhost:8980/other/*\" ]\n}"
                + stdoutEnd)
        #expect(pretty.stderr == stderrEnd)

        // -H prints the status line and headers first; -h sends a header.
        let headers = try ok(["get", "clients/\(id)", "-r", realm, "-H", "-F", "clientId", "-c", "-h", "X-Request-Id=kcadm-test"])
        #expect(headers.stdout.hasPrefix("HTTP/1.1 200 OK\n"), "\(headers)")
        #expect(headers.stdout.hasSuffix("\n\n{\"clientId\":\"myapp\"}" + stdoutEnd), "\(headers)")
        #expect(headers.stderr == stderrEnd)

        // -d on the merged object, in order with -s: [a, b] -> [a, x] -> [x].
        try ok([
            "update", "clients/\(id)", "-r", realm, "-s", "redirectUris[1]=http://x/*", "-d", "redirectUris[0]", "-s",
            "attributes.extra=1",
        ])
        let deleted = try #require(keycloak.adminGet("\(realm)/clients/\(id)").json)
        #expect(deleted["redirectUris"] == ["http://x/*"])
        #expect(deleted["attributes"]?["extra"] == "1")

        // Errors: exit 1 under kcadm.sh, kcx's own code under kcx, and nothing sent.
        let bad = try shell.run(name, ["get", "clients", "-r", realm, "-q", "clientId"])
        #expect(bad.status == (name == "kcx" ? 2 : 1))
        #expect(bad.stderr == "error: invalid -q 'clientId': expected NAME=VALUE\n")
        let missing = try shell.run(name, ["get", "clients/nope", "-r", realm])
        #expect(missing.status == (name == "kcx" ? 3 : 1), "\(missing)")

        // One-shot credentials on the command, nothing stored (--no-config).
        let other = try KcadmShell()
        let oneShot = try other.run(
            name,
            [
                "get", "clients", "-r", realm, "-q", "clientId=myapp", "-F", "clientId", "--format", "csv", "--no-config",
                "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser, "--password",
                keycloak.adminPassword,
            ])
        #expect(oneShot.status == 0, "\(oneShot)")
        #expect(oneShot.stdout == "\"myapp\"\n")
        #expect(oneShot.stderr.contains("Logging into \(keycloak.baseURL) as user \(keycloak.adminUser) of realm master\n"))
        if name == "kcadm.sh" {
            #expect(oneShot.stderr == "Logging into \(keycloak.baseURL) as user \(keycloak.adminUser) of realm master\n")
        }
        #expect(!FileManager.default.fileExists(atPath: other.env.configFile.path))
    }

    /// A provisioning script written as kcadm's documentation writes one, run unchanged through a
    /// `kcadm.sh -> kcx` link, then the realm is checked through the admin API.
    @Test(
        .enabled(
            if: onSandbox, "the V1 exchange permission needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func provisioningScriptRunsUnchanged() throws {
        let keycloak = try #require(TestKeycloak.legacy)
        let shell = try KcadmShell()
        let realm = "kcadm-script-" + UUID().uuidString.prefix(8).lowercased()
        let script = #"""
            set -euo pipefail
            kcadm.sh config credentials --server "$KC_URL" --realm master --user "$KC_ADMIN" --password "$KC_ADMIN_PASSWORD"

            kcadm.sh create realms -s realm="$REALM" -s enabled=true -s displayName="Demo realm"

            CID=$(kcadm.sh create clients -r "$REALM" -s clientId=myapp -s enabled=true -s publicClient=false \
                -s 'redirectUris=["http://localhost:8980/myapp/*"]' -s 'webOrigins=["+"]' -s secret=myapp-secret -i)
            APIID=$(kcadm.sh create clients -r "$REALM" -s clientId=api -s enabled=true -s bearerOnly=false -s publicClient=false -i)

            kcadm.sh create roles -r "$REALM" -s name=user -s 'description=Regular user'
            kcadm.sh create clients/$APIID/roles -r "$REALM" -s name=reader

            USERID=$(kcadm.sh create users -r "$REALM" -s username=alice -s enabled=true -s email=alice@example.com -i)
            kcadm.sh set-password -r "$REALM" --username alice --new-password alice-pw
            kcadm.sh add-roles -r "$REALM" --uusername alice --rolename user
            kcadm.sh add-roles -r "$REALM" --uusername alice --cclientid api --rolename reader

            # Groups as the Server Administration Guide writes them: a group, a subgroup, a member, role mappings.
            GID=$(kcadm.sh create groups -r "$REALM" -s name=staff -i)
            SUBID=$(kcadm.sh create groups/$GID/children -r "$REALM" -s name=ops -i)
            kcadm.sh update users/$USERID/groups/$SUBID -r "$REALM" -s realm="$REALM" -s userId=$USERID -s groupId=$SUBID -n
            kcadm.sh add-roles -r "$REALM" --gname staff --rolename user
            kcadm.sh add-roles -r "$REALM" --gpath /staff/ops --cclientid api --rolename reader
            kcadm.sh get-roles -r "$REALM" --gpath /staff/ops --cclientid api --effective -F name --format csv --noquotes

            SCOPEID=$(kcadm.sh create client-scopes -r "$REALM" -s name=api-audience -s protocol=openid-connect \
                -s 'attributes."include.in.token.scope"=false' -i)
            kcadm.sh create client-scopes/$SCOPEID/protocol-mappers/models -r "$REALM" -s name=api-audience \
                -s protocol=openid-connect -s protocolMapper=oidc-audience-mapper \
                -s 'config."included.client.audience"=api' -s 'config."access.token.claim"=true' -s 'config."id.token.claim"=false'
            kcadm.sh update clients/$CID/default-client-scopes/$SCOPEID -r "$REALM"

            # Token exchange V1: myapp may exchange tokens for api.
            kcadm.sh update clients/$APIID/management/permissions -r "$REALM" -s enabled=true
            PERMID=$(kcadm.sh get clients/$APIID/management/permissions -r "$REALM" -F 'scopePermissions(token-exchange)' --format csv --noquotes)
            RMID=$(kcadm.sh get clients -r "$REALM" -q clientId=realm-management -F id --format csv --noquotes)
            kcadm.sh create clients/$RMID/authz/resource-server/policy/client -r "$REALM" -s name=myapp-exchange \
                -s 'clients=["'$CID'"]' -s logic=POSITIVE
            POLID=$(kcadm.sh get clients/$RMID/authz/resource-server/policy/search -r "$REALM" -q name=myapp-exchange \
                -F id --format csv --noquotes)
            kcadm.sh update clients/$RMID/authz/resource-server/permission/scope/$PERMID -r "$REALM" -s 'policies=["'$POLID'"]'
            echo "done $CID"
            """#
        let result = try shell.script(
            script,
            variables: [
                "KC_URL": keycloak.baseURL, "KC_ADMIN": keycloak.adminUser, "KC_ADMIN_PASSWORD": keycloak.adminPassword,
                "REALM": realm,
            ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("reader\ndone "), "\(result)")

        // The realm, read back through the admin API.
        #expect(try keycloak.adminGet(realm).json?["displayName"] == "Demo realm")
        let myapp = try #require(keycloak.adminGet("\(realm)/clients?clientId=myapp").json?[0])
        #expect(myapp["redirectUris"] == ["http://localhost:8980/myapp/*"])
        #expect(myapp["webOrigins"] == ["+"])
        #expect(myapp["publicClient"] == false)
        let myappId = try #require(myapp["id"]?.stringValue)
        let api = try #require(keycloak.adminGet("\(realm)/clients?clientId=api").json?[0])
        let apiId = try #require(api["id"]?.stringValue)
        let alice = try #require(keycloak.adminGet("\(realm)/users?username=alice").json?[0])
        let aliceId = try #require(alice["id"]?.stringValue)
        let realmRoles = keycloak.adminGetOrNil("\(realm)/users/\(aliceId)/role-mappings/realm")?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(realmRoles?.contains("user") == true)
        let clientRoles = keycloak.adminGetOrNil("\(realm)/users/\(aliceId)/role-mappings/clients/\(apiId)")?.arrayValue?
            .compactMap {
                $0["name"]?.stringValue
            }
        #expect(clientRoles == ["reader"])
        // The groups: staff/ops, alice a member of ops, staff maps user, ops maps api's reader.
        let staff = try #require(keycloak.adminGet("\(realm)/group-by-path/staff").json)
        let staffId = try #require(staff["id"]?.stringValue)
        let ops = try #require(keycloak.adminGet("\(realm)/group-by-path/staff/ops").json)
        let opsId = try #require(ops["id"]?.stringValue)
        #expect(ops["parentId"]?.stringValue == staffId)
        let memberOf = keycloak.adminGetOrNil("\(realm)/users/\(aliceId)/groups")?.arrayValue?.compactMap {
            $0["path"]?.stringValue
        }
        #expect(memberOf == ["/staff/ops"])
        let staffRoles = keycloak.adminGetOrNil("\(realm)/groups/\(staffId)/role-mappings/realm")?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(staffRoles == ["user"])
        let opsRoles = keycloak.adminGetOrNil("\(realm)/groups/\(opsId)/role-mappings/clients/\(apiId)")?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(opsRoles == ["reader"])
        // alice's password works: a password grant on admin-cli of the new realm.
        let token = try keycloak.request(
            "POST", "/realms/\(realm)/protocol/openid-connect/token",
            body: Data("grant_type=password&client_id=admin-cli&username=alice&password=alice-pw".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(token.status == 200, "\(token.text)")
        let scopes = keycloak.adminGetOrNil("\(realm)/clients/\(myappId)/default-client-scopes")?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(scopes?.contains("api-audience") == true)
        let scope = try #require(
            keycloak.adminGet("\(realm)/client-scopes").json?.arrayValue?.first { $0["name"] == "api-audience" })
        #expect(scope["attributes"]?["include.in.token.scope"] == "false")
        #expect(scope["protocolMappers"]?[0]?["config"]?["included.client.audience"] == "api")
        // The V1 permission names the policy, which lists myapp.
        let permissions = try #require(keycloak.adminGet("\(realm)/clients/\(apiId)/management/permissions").json)
        #expect(permissions["enabled"] == true)
        let permissionId = try #require(permissions["scopePermissions"]?["token-exchange"]?.stringValue)
        let rm = try #require(keycloak.adminGet("\(realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue)
        let policies = keycloak.adminGetOrNil(
            "\(realm)/clients/\(rm)/authz/resource-server/permission/scope/\(permissionId)/associatedPolicies")
        #expect(
            policies?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["myapp-exchange"], "\(String(describing: policies))")
    }
}

@Suite(.serialized) struct KcadmRoleCommandTests {
    /// get-roles, add-roles, remove-roles and set-password as kcadm's scripts call them, through the
    /// kcadm.sh link; the mappings and the password are checked through the admin API and a login.
    @Test func rolesAndPasswordsAsKcadm() throws {
        let keycloak = TestKeycloak.shared
        let shell = try KcadmShell()
        let realm = try keycloak.createRealm("kcroles")
        @discardableResult
        func ok(_ arguments: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
            -> ProcessResult
        {
            let result = try shell.run("kcadm.sh", arguments + ["-r", realm], stdin: stdin)
            #expect(result.status == 0, "kcadm.sh \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
            return result
        }
        _ = try shell.run(
            "kcadm.sh",
            ["config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser],
            stdin: keycloak.adminPassword + "\n")
        try ok(["create", "roles", "-s", "name=user"])
        try ok(["create", "roles", "-s", "name=auditor"])
        let apiId = try ok(["create", "clients", "-s", "clientId=api", "-i"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        try ok(["create", "clients/\(apiId)/roles", "-s", "name=reader"])
        let aliceId = try ok(["create", "users", "-s", "username=alice", "-s", "enabled=true", "-i"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        try ok(["add-roles", "--uusername", "alice", "--rolename", "user", "--rolename", "auditor"])
        try ok(["add-roles", "--uid", aliceId, "--cclientid", "api", "--rolename", "reader"])
        func realmRoles() -> [String] {
            // Every user also has the realm's default-roles-REALM.
            (keycloak.adminGetOrNil("\(realm)/users/\(aliceId)/role-mappings/realm")?.arrayValue ?? []).compactMap {
                $0["name"]?.stringValue
            }
            .filter { !$0.hasPrefix("default-roles-") }.sorted()
        }
        #expect(realmRoles() == ["auditor", "user"])
        let clientRoles = keycloak.adminGetOrNil("\(realm)/users/\(aliceId)/role-mappings/clients/\(apiId)")?.arrayValue?
            .compactMap {
                $0["name"]?.stringValue
            }
        #expect(clientRoles == ["reader"])

        let listed = try ok(["get-roles", "--uusername", "alice", "-F", "name", "--format", "csv", "--noquotes"])
        #expect(listed.stdout.split(separator: "\n").sorted() == ["auditor", "default-roles-\(realm)", "user"])
        let clientListed = try ok(["get-roles", "--uusername", "alice", "--cclientid", "api", "-F", "name", "-c"])
        // get-roles is kcadm's get: the JSON's newline follows on stderr.
        #expect(clientListed.stdout == #"[{"name":"reader"}]"# && clientListed.stderr == "\n")
        let one = try ok(["get-roles", "--rolename", "user", "-F", "name", "-c"])
        #expect(one.stdout == #"{"name":"user"}"# && one.stderr == "\n")

        try ok(["remove-roles", "--uusername", "alice", "--rolename", "auditor"])
        #expect(realmRoles() == ["user"])

        let unknown = try shell.run("kcadm.sh", ["add-roles", "--uusername", "alice", "--rolename", "nope", "-r", realm])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: role not found for name: nope\n")
        let nobody = try shell.run("kcadm.sh", ["add-roles", "--uusername", "bob", "--rolename", "user", "-r", realm])
        #expect(nobody.status == 1)
        #expect(nobody.stderr == "error: user not found for username: bob\n")

        // set-password from standard input, then a login with it.
        try ok(["set-password", "--username", "alice"], stdin: "alice-pw-1\n")
        let token = try keycloak.request(
            "POST", "/realms/\(realm)/protocol/openid-connect/token",
            body: Data("grant_type=password&client_id=admin-cli&username=alice&password=alice-pw-1".utf8),
            contentType: "application/x-www-form-urlencoded")
        #expect(token.status == 200, "\(token.text)")
    }
}

extension TestKeycloak {
    /// The JSON of a 200 answer, else nil.
    func adminGetOrNil(_ path: String) -> JSON? {
        guard let (status, json) = try? adminGet(path), status == 200 else { return nil }
        return json
    }
}
