// Secrets never leak: every command in kcx's table runs with --verbose against a prepared realm and no
// password, client secret or token shows up in its output or the config file beyond what is listed
// here; secrets on argv and --insecure warn; the config file's mode; Authorization never follows a redirect.
import Foundation
import KcxCLI
import KcxJSON
import LoopbackHTTP
import Testing

/// One way to run a command for the secrets walk.
struct SecretsRecipe {
    /// The command's path in the table, e.g. "token get".
    let command: String
    let arguments: () throws -> [String]
    var stdin: (() -> String)?
    /// Why this command prints a token it obtained on stdout (nil: it must print none).
    var printsNewToken: String?
    /// Why this command prints the confidential client's secret on stdout (nil: it must not).
    var printsClientSecret: String?
    /// Sends nothing to the server, so there is no trace to show.
    var offline = false

    init(
        _ command: String, stdin: (() -> String)? = nil, printsNewToken: String? = nil, printsClientSecret: String? = nil,
        offline: Bool = false, _ arguments: @escaping () throws -> [String]
    ) {
        self.command = command
        self.arguments = arguments
        self.stdin = stdin
        self.printsNewToken = printsNewToken
        self.printsClientSecret = printsClientSecret
        self.offline = offline
    }
}

/// The secrets of one test realm and every spelling of them that could reach a log.
struct KnownSecrets {
    var adminPassword: String
    var clientSecret: String
    var userPassword: String
    /// Every token seen so far: the session's (from the config file) and those commands printed.
    var tokens: Set<String> = []

    static let clientIds = ["svc", "admin-cli", "webapp"]

    /// Secret spellings by name, for messages that say which one leaked.
    func forms(includingClientSecret: Bool = true) -> [(name: String, text: String)] {
        var named: [(String, String)] = [("user password", userPassword)]
        // A real Keycloak's admin password may be a word such as "admin" that output rightly contains; the
        // sandbox's is a random "pw-<UUID>". Only a distinctive one can be looked for.
        if adminPassword.count >= 12 { named.append(("admin password", adminPassword)) }
        if includingClientSecret { named.append(("client secret", clientSecret)) }
        var result: [(name: String, text: String)] = []
        for (name, secret) in named {
            for (form, text) in Self.encodings(of: secret) { result.append(("\(name) (\(form))", text)) }
        }
        for token in tokens {
            result.append(("token \(token.prefix(12))…", token))
            // A cut or partly masked token must not leave its signature visible either.
            if let signature = token.split(separator: ".").last, signature.count >= 16 {
                result.append(("signature of token \(token.prefix(12))…", String(signature)))
            }
        }
        return result
    }

    /// Raw, form-encoded (+ and %20, upper and lower hex), JSON-escaped, Base64 alone and as HTTP Basic credentials.
    static func encodings(of secret: String) -> [(String, String)] {
        let percent = percentEncode(secret)
        var forms: [(String, String)] = [
            ("raw", secret), ("percent-encoded", percent), ("form-encoded", percent.replacingOccurrences(of: "%20", with: "+")),
            ("percent-encoded, lower-case hex", lowerHex(percent)),
            ("JSON-escaped", secret.replacingOccurrences(of: "/", with: "\\/")),
            ("Base64", Data(secret.utf8).base64EncodedString()),
            ("Base64URL", base64URL(Data(secret.utf8))),
        ]
        for client in clientIds {
            forms.append(("Basic credentials of \(client)", Data("\(client):\(secret)".utf8).base64EncodedString()))
            forms.append(
                ("Basic credentials of \(client), form-encoded first", Data("\(client):\(percent)".utf8).base64EncodedString()))
        }
        return forms.filter { !$0.1.isEmpty }
    }

    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func lowerHex(_ encoded: String) -> String {
        var result = ""
        var pending = 0
        for character in encoded {
            if character == "%" {
                pending = 2
                result.append(character)
            } else if pending > 0 {
                pending -= 1
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Strings shaped like a JWT (`eyJ…`.`…`.`…`), wherever they appear in `text`.
func jwtLikeStrings(in text: String) -> [String] {
    let bytes = Array(text.utf8)
    func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
            || byte == 0x5F || byte == 0x2E
    }
    var found: [String] = []
    var index = 0
    while index + 3 <= bytes.count {
        if bytes[index] == UInt8(ascii: "e"), bytes[index + 1] == UInt8(ascii: "y"), bytes[index + 2] == UInt8(ascii: "J") {
            var end = index
            while end < bytes.count, isTokenByte(bytes[end]) { end += 1 }
            let candidate = String(decoding: bytes[index..<end], as: UTF8.self)
            let parts = candidate.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count >= 3, parts[0].count >= 8, parts[1].count >= 8 { found.append(candidate) }
            index = max(end, index + 1)
        } else {
            index += 1
        }
    }
    return found
}

@Suite(.serialized) struct SecretsEveryCommandTests {
    let keycloak = TestKeycloak.shared
    static let insecureWarning = "warning: TLS certificate verification is disabled (--insecure)\n"

    /// Commands that send no request: --insecure has nothing to act on there, so they do not warn.
    /// (`__complete` does send requests, but prints nothing but names: no trace, no warning, by design.)
    static let commandsWithoutRequests: Set<String> = [
        "config status", "completion", "help", "__generate-docs", "token decode", "config profiles", "version", "__complete",
        "config truststore",
    ]

    @Test func everyCommandWithVerboseShowsNoSecret() throws {
        // Characters that change under form encoding, Base64 and JSON, so each spelling differs from the raw one.
        let suffix = UUID().uuidString.prefix(8)
        var secrets = KnownSecrets(
            adminPassword: keycloak.adminPassword, clientSecret: "s3c r+t/=&é-\(suffix)", userPassword: "pw +/&=ü-\(suffix)")
        if onSandbox {
            #expect(secrets.forms().contains { $0.name == "admin password (raw)" }, "the sandbox's admin password is looked for")
        }

        let fixture = try RealmFixture(keycloak, prefix: "secrets")
        let realm = fixture.realm
        var env = fixture.env
        // The session logs in with its password from the environment (so kcx records that source, not the password).
        env.extra["KCX_PASSWORD"] = keycloak.adminPassword
        let relogin = try env.kcx([
            "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
        ])
        #expect(relogin.status == 0, "\(relogin)")

        // The realm: a confidential client with the known secret whose tokens carry itself and api, a public
        // client, a user with the known password, and standard exchange from svc to api.
        try fixture.inRealm([
            "create", "clients", "-s", "clientId=svc", "-s", "publicClient:=false", "-s", "serviceAccountsEnabled:=true",
            "-s", "directAccessGrantsEnabled:=true", "-s", "secret=\(secrets.clientSecret)",
        ])
        try fixture.inRealm(["create", "clients", "-s", "clientId=api", "-s", "publicClient:=false"])
        try fixture.publicClient("webapp")
        let credentials = #"[{"type":"password","value":"\#(secrets.userPassword)","temporary":false}]"#
        try fixture.inRealm([
            "create", "users", "-s", "username=alice", "-s", "enabled:=true", "-s", "email=alice@example.com",
            "-s", "firstName=Alice", "-s", "lastName=Test", "-s", "emailVerified:=true", "-s", "credentials:=\(credentials)",
        ])
        try fixture.inRealm(["client-scope", "ensure", "mesh"])
        try fixture.inRealm(["audience", "add", "--audience", "svc", "--scope", "mesh"])
        try fixture.inRealm(["audience", "add", "--audience", "api", "--scope", "mesh"])
        try fixture.inRealm(["client-scope", "assign", "mesh", "--client", "svc", "--default"])
        try fixture.inRealm(["token-exchange", "allow", "--from", "svc", "--to", "api", "--mode", "standard"])
        let secretFile = try fixture.secretFile("svc.secret", secrets.clientSecret)
        let passwordFile = try fixture.secretFile("alice.pw", secrets.userPassword)
        let declarativeFile = env.home.appendingPathComponent("realm.yaml")
        try Data(
            """
            realms:
              - realm: \(realm)
                clientScopes:
                  - name: declared
                    audienceMappers:
                      - audience: api
            """.utf8
        ).write(to: declarativeFile)
        let docsDirectory = env.home.appendingPathComponent("docs-out").path
        let pemFile = env.home.appendingPathComponent("ca.pem").path
        try Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: pemFile))

        // Tokens printed by one recipe and fed to the next through standard input.
        final class Handoff: @unchecked Sendable { var token = "" }
        let handoff = Handoff()
        func scopeId(_ name: String) throws -> String {
            let scopes = try keycloak.adminGet("\(realm)/client-scopes").json?.arrayValue ?? []
            guard let id = scopes.first(where: { $0["name"]?.stringValue == name })?["id"]?.stringValue else {
                throw HarnessError("no client scope \(name)")
            }
            return id
        }
        let r = ["-r", realm]
        let printsToken =
            "token get/exchange exist to print the new access token on stdout (the default --output token), for piping"
        let recipes: [SecretsRecipe] = [
            SecretsRecipe("config status", offline: true) { ["config", "status"] },
            SecretsRecipe(
                "get",
                printsClientSecret:
                    "get prints the admin API's answer as is, and a confidential client's representation holds its secret (kcadm does the same); --fields leaves it out"
            ) { ["get", "clients"] + r },
            SecretsRecipe("create") { ["create", "client-scopes", "-s", "name=scratch", "-s", "protocol=openid-connect"] + r },
            SecretsRecipe("update") {
                [
                    "update", "client-scopes/\(try scopeId("scratch"))", "-s", "name=scratch", "-s", "protocol=openid-connect",
                    "-s",
                    "description=changed",
                ] + r
            },
            SecretsRecipe("delete") { ["delete", "client-scopes/\(try scopeId("scratch"))"] + r },
            SecretsRecipe("client-scope ensure") { ["client-scope", "ensure", "api-access"] + r },
            SecretsRecipe("client-scope list") { ["client-scope", "list"] + r },
            SecretsRecipe("client-scope get") { ["client-scope", "get", "mesh"] + r },
            SecretsRecipe("client-scope assign") {
                ["client-scope", "assign", "api-access", "--client", "webapp", "--optional"] + r
            },
            SecretsRecipe("audience add") { ["audience", "add", "--audience", "api", "--scope", "api-access"] + r },
            SecretsRecipe("audience list") { ["audience", "list", "--scope", "api-access"] + r },
            SecretsRecipe("audience check") {
                ["audience", "check", "--client", "webapp", "--audience", "api", "--scope", "api-access", "--user", "alice"] + r
            },
            SecretsRecipe("audience remove") { ["audience", "remove", "--audience", "api", "--scope", "api-access"] + r },
            SecretsRecipe("client-scope unassign") { ["client-scope", "unassign", "api-access", "--client", "webapp"] + r },
            SecretsRecipe("client-scope delete") { ["client-scope", "delete", "api-access"] + r },
            SecretsRecipe("token-exchange enable") { ["token-exchange", "enable", "--client", "svc"] + r },
            SecretsRecipe("token-exchange allow") {
                ["token-exchange", "allow", "--from", "svc", "--to", "api", "--mode", "standard"] + r
            },
            SecretsRecipe("token-exchange check") {
                ["token-exchange", "check", "--from", "svc", "--to", "api", "--live", "--secret-file", secretFile] + r
            },
            SecretsRecipe("token-exchange status") { ["token-exchange", "status"] + r },
            SecretsRecipe("token-exchange downscope enable") { ["token-exchange", "downscope", "enable"] + r },
            SecretsRecipe("token-exchange downscope status") { ["token-exchange", "downscope", "status"] + r },
            SecretsRecipe("token-exchange downscope disable") { ["token-exchange", "downscope", "disable"] + r },
            SecretsRecipe("token-exchange audit") { ["token-exchange", "audit", "--enable"] + r },
            SecretsRecipe("doctor") { ["doctor"] + r },
            SecretsRecipe("graph") { ["graph"] + r },
            SecretsRecipe("export") { ["export"] + r },
            SecretsRecipe("plan") { ["plan", "-f", declarativeFile.path] },
            SecretsRecipe("apply") { ["apply", "-f", declarativeFile.path, "--auto-approve"] },
            SecretsRecipe("token get", printsNewToken: printsToken) {
                ["token", "get", "--client", "svc", "--secret-file", secretFile] + r
            },
            SecretsRecipe("token get", printsNewToken: printsToken) {
                ["token", "get", "--client", "webapp", "--user", "alice", "--password-file", passwordFile] + r
            },
            SecretsRecipe("token get", printsNewToken: printsToken) {
                ["token", "get", "--client", "svc", "--secret-file", secretFile] + r
            },
            SecretsRecipe("token exchange", stdin: { handoff.token + "\n" }, printsNewToken: printsToken) {
                [
                    "token", "exchange", "--client", "svc", "--secret-file", secretFile, "--subject-token", "-", "--audience",
                    "api",
                ] + r
            },
            SecretsRecipe("token introspect", stdin: { handoff.token + "\n" }) {
                ["token", "introspect", "--client", "svc", "--secret-file", secretFile] + r
            },
            SecretsRecipe("token decode", stdin: { handoff.token + "\n" }, offline: true) { ["token", "decode"] },
            // Switch off first: with it on, another scope of svc may still reach api, and deny would say so (exit 7).
            SecretsRecipe("token-exchange disable") { ["token-exchange", "disable", "--client", "svc"] + r },
            SecretsRecipe("token-exchange deny") { ["token-exchange", "deny", "--from", "svc", "--to", "api"] + r },
            SecretsRecipe("client id") { ["client", "id", "svc"] + r },
            SecretsRecipe(
                "client secret",
                printsClientSecret:
                    "client secret exists to print the secret on stdout (or write it with --out), for --secret-file"
            ) { ["client", "secret", "svc"] + r },
            SecretsRecipe("client secret") {
                ["client", "secret", "svc", "--out", env.home.appendingPathComponent("svc-copy.secret").path] + r
            },
            // Its PUT sends the whole representation, secret included: the trace must redact it.
            SecretsRecipe("client ensure") {
                ["client", "ensure", "svc", "--confidential", "--redirect-uri", "https://svc.example.com/*"] + r
            },
            SecretsRecipe("realm ensure") { ["realm", "ensure", realm] },
            SecretsRecipe("config profiles", offline: true) { ["config", "profiles"] },
            SecretsRecipe("version", offline: true) { ["version"] },
            SecretsRecipe("__complete", offline: true) { ["__complete", "clients", "--", "-r", realm] },
            SecretsRecipe("completion", offline: true) { ["completion", "bash"] },
            SecretsRecipe("help", offline: true) { ["help", "token", "get"] },
            SecretsRecipe("__generate-docs", offline: true) { ["__generate-docs", "--output", docsDirectory] },
            SecretsRecipe("config credentials", stdin: { keycloak.adminPassword + "\n" }) {
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser,
                    "--password-stdin", "--profile", "second",
                ]
            },
            SecretsRecipe("config credentials") {
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--client", "svc", "--secret-file",
                    secretFile,
                    "--profile", "service",
                ]
            },
            SecretsRecipe("get-roles") { ["get-roles", "--uusername", "alice"] + r },
            SecretsRecipe("add-roles") { ["add-roles", "--uusername", "alice", "--rolename", "offline_access"] + r },
            SecretsRecipe("remove-roles") { ["remove-roles", "--uusername", "alice", "--rolename", "offline_access"] + r },
            SecretsRecipe("set-password", stdin: { secrets.userPassword + "\n" }) {
                ["set-password", "--username", "alice"] + r
            },
            SecretsRecipe("config truststore", offline: true) { ["config", "truststore", pemFile, "--profile", "second"] },
            SecretsRecipe("config logout") { ["config", "logout", "--profile", "second"] },
        ]

        // The walk covers the table: a new command fails here until it has a recipe.
        let commandNames = Set(CommandTable.all.map(\.name))
        let recipeNames = Set(recipes.map(\.command))
        #expect(
            commandNames.subtracting(recipeNames).isEmpty,
            "commands without a recipe: \(commandNames.subtracting(recipeNames).sorted())")
        #expect(
            recipeNames.subtracting(commandNames).isEmpty,
            "recipes for commands not in the table: \(recipeNames.subtracting(commandNames).sorted())")

        func recordSessionTokens() throws {
            guard let data = FileManager.default.contents(atPath: env.configFile.path) else { return }
            let text = String(decoding: data, as: UTF8.self)
            // The config holds the sessions' own tokens, under the token members and nowhere else.
            var stored: [String] = []
            func collect(_ value: JSON) {
                switch value {
                case .object(let object):
                    for (key, member) in object {
                        if key == "accessToken" || key == "refreshToken", let token = member.stringValue {
                            stored.append(token)
                        } else {
                            collect(member)
                        }
                    }
                case .array(let elements): elements.forEach(collect)
                default: break
                }
            }
            collect(try JSON.parse(text))
            let jwtsOutsideTokenMembers = Set(jwtLikeStrings(in: text)).subtracting(stored)
            #expect(
                jwtsOutsideTokenMembers.isEmpty,
                "tokens outside accessToken/refreshToken in the config file: \(jwtsOutsideTokenMembers)")
            secrets.tokens.formUnion(stored)
            for (name, form) in secrets.forms(includingClientSecret: true)
            where !name.hasPrefix("token") && !name.hasPrefix("signature") {
                #expect(!text.contains(form), "the config file holds the \(name)")
            }
        }
        try recordSessionTokens()

        for recipe in recipes {
            let arguments = try recipe.arguments() + ["--verbose", "--insecure"]
            let shown = "kcx " + arguments.joined(separator: " ")
            let result = try env.kcx(arguments, stdin: recipe.stdin?())
            #expect(result.status == 0, "\(shown): \(result)")
            if !recipe.offline {
                #expect(result.stderr.contains("\n> ") && result.stderr.contains("\n< "), "\(shown) printed no trace: \(result)")
            }
            // Every command that may send a request warns, once, about --insecure.
            let warnings = result.stderr.components(separatedBy: Self.insecureWarning).count - 1
            #expect(
                warnings == (Self.commandsWithoutRequests.contains(recipe.command) ? 0 : 1),
                "\(shown): \(warnings) --insecure warnings")

            var stdout = result.stdout
            if recipe.printsNewToken != nil {
                let token = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(jwtLikeStrings(in: stdout) == [token], "\(shown) should print the new token alone: \(result)")
                #expect(!secrets.tokens.contains(token), "\(shown) printed a token seen before")
                handoff.token = token
                stdout = ""
            }
            let outputs = [("stdout", stdout), ("stderr", result.stderr)]
            for (stream, text) in outputs {
                let jwts = jwtLikeStrings(in: text)
                #expect(jwts.isEmpty, "\(shown) shows a token on \(stream): \(jwts.map { $0.prefix(20) })")
                let allowSecret = stream == "stdout" && recipe.printsClientSecret != nil
                for (name, form) in secrets.forms(includingClientSecret: !allowSecret) {
                    #expect(!text.contains(form), "\(shown) shows the \(name) on \(stream)")
                }
            }
            if recipe.printsClientSecret != nil {
                #expect(stdout.contains(secrets.clientSecret), "\(shown): the listed exception no longer applies; remove it")
            }
            if recipe.printsNewToken != nil { secrets.tokens.insert(handoff.token) }
            try recordSessionTokens()
        }
    }
}

@Suite struct SecretsDetectorTests {
    // The walk above is only as good as its detectors: they must find what they look for.
    @Test func findsTokensInsideOtherText() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz"
        #expect(jwtLikeStrings(in: "> Authorization: Bearer \(token)\n") == [token])
        #expect(jwtLikeStrings(in: #"{"access_token":"\#(token)","x":1}"#) == [token])
        #expect(jwtLikeStrings(in: "subject_token=\(token)&audience=api") == [token])
        #expect(jwtLikeStrings(in: "eyJ alone, eyJabc.def and Bearer <redacted>").isEmpty)
    }

    @Test func spellsASecretEveryWayItCouldBeSent() {
        let forms = Dictionary(KnownSecrets.encodings(of: "a b+/é"), uniquingKeysWith: { first, _ in first })
        #expect(forms["raw"] == "a b+/é")
        #expect(forms["percent-encoded"] == "a%20b%2B%2F%C3%A9")
        #expect(forms["form-encoded"] == "a+b%2B%2F%C3%A9")
        #expect(forms["percent-encoded, lower-case hex"] == "a%20b%2b%2f%c3%a9")
        #expect(forms["JSON-escaped"] == "a b+\\/é")
        #expect(forms["Base64"] == "YSBiKy/DqQ==")
        #expect(forms["Base64URL"] == "YSBiKy_DqQ")
        #expect(forms["Basic credentials of svc"] == Data("svc:a b+/é".utf8).base64EncodedString())
    }
}

@Suite(.serialized) struct SecretsOnTheCommandLineTests {
    let keycloak = TestKeycloak.shared

    /// Placeholders of options and arguments whose value is a secret.
    static let secretPlaceholders: Set<String> = ["PASSWORD", "SECRET", "TOKEN"]

    static func warning(_ given: String, use alternatives: String) -> String {
        "warning: \(given) on the command line is visible to other users and kept in shell history; use \(alternatives)\n"
    }

    @Test func everySecretGivenOnArgvWarnsAndIsNotEchoed() throws {
        let fixture = try RealmFixture(keycloak, prefix: "argv")
        let r = ["-r", fixture.realm]
        let secret = "argv-secret-" + UUID().uuidString.prefix(8)
        try fixture.inRealm([
            "create", "clients", "-s", "clientId=svc", "-s", "publicClient:=false", "-s", "serviceAccountsEnabled:=true",
            "-s", "secret=\(secret)",
        ])
        try fixture.inRealm(["create", "clients", "-s", "clientId=api", "-s", "publicClient:=false"])
        try fixture.publicClient("webapp")
        // svc's tokens carry svc and api, so standard exchange from svc to api works.
        try fixture.inRealm(["client-scope", "ensure", "mesh"])
        try fixture.inRealm(["audience", "add", "--audience", "svc", "--scope", "mesh"])
        try fixture.inRealm(["audience", "add", "--audience", "api", "--scope", "mesh"])
        try fixture.inRealm(["client-scope", "assign", "mesh", "--client", "svc", "--default"])
        try fixture.inRealm(["token-exchange", "allow", "--from", "svc", "--to", "api", "--mode", "standard"])
        let password = try String(contentsOfFile: try fixture.user("alice"), encoding: .utf8).trimmingCharacters(in: .newlines)
        let token = try fixture.inRealm([
            "token", "get", "--client", "svc", "--secret-file", try fixture.secretFile("svc", secret),
        ]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let adminToken = try keycloak.adminToken()
        var tokenEnvironment = fixture.env
        tokenEnvironment.extra["KCX_SERVER"] = keycloak.baseURL
        tokenEnvironment.extra["KCX_REALM"] = fixture.realm

        // kcadm's one-time credentials on the request commands: a realm admin (ops) and a service
        // account that is realm-admin (sa) of a realm of their own.
        let admin = try AdminRealm(keycloak)
        let saSecret = try admin.serviceAccountClient("sa")
        let asOps = [
            "--no-config", "--server", keycloak.baseURL, "--realm", admin.realm, "--user", admin.username, "--password",
            admin.password,
        ]
        let asSA = ["--no-config", "--server", keycloak.baseURL, "--realm", admin.realm, "--client", "sa", "--secret", saSecret]
        // And a signed-JWT service account (kcadm's --keystore), realm-admin too: --storepass on argv,
        // or the store password from KC_CLI_STORE_PASSWORD and --keypass on argv.
        let keys = try TestKeystore(in: fixture.env.home, name: "jwtsa", alias: "jwtsa", storePassword: "ks-tp-secret")
        let jwtClient = try keycloak.signedJWTClient("jwtsa", realm: admin.realm, certificate: keys.certificateBase64)
        let jwtAccount = try #require(
            keycloak.adminGet("\(admin.realm)/clients/\(jwtClient)/service-account-user").json?["id"]?.stringValue)
        try admin.grantRealmAdmin(toUser: jwtAccount)
        let asJWT = [
            "--no-config", "--server", keycloak.baseURL, "--realm", admin.realm, "--client", "jwtsa", "--keystore",
            keys.keystore.path,
        ]
        let asJWTStore = asJWT + ["--storepass", "ks-tp-secret"]
        let asJWTKey = asJWT + ["--keypass", "ks-tp-secret"]
        var keyEnv = fixture.env
        keyEnv.extra["KC_CLI_STORE_PASSWORD"] = "ks-tp-secret"
        let storeWarning = Self.warning("--storepass", use: "--storepass - (a prompt) or KC_CLI_STORE_PASSWORD")
        let keyWarning = Self.warning("--keypass", use: "--keypass - (a prompt) or KC_CLI_KEY_PASSWORD")
        let victim = try keycloak.adminSend("POST", "\(admin.realm)/users", json: ["username": "victim", "enabled": true])
        #expect(victim.status == 201)
        let pem = fixture.env.home.appendingPathComponent("ca.pem").path
        try Data("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8).write(to: URL(fileURLWithPath: pem))
        let passwordWarning = Self.warning("--password", use: "KCX_PASSWORD or standard input")
        let secretWarning = Self.warning("--secret", use: "KCX_CLIENT_SECRET or standard input")
        // A PEM --truststore with a --trustpass, as kcadm scripts give them (unused on http://, still warned about).
        let trust = ["--truststore", pem, "--trustpass", "tp-secret"]
        let trustWarning = Self.warning("--trustpass", use: "--trustpass - (a prompt) or KC_CLI_TRUSTSTORE_PASSWORD")

        // One case per secret-taking option or argument; the table walk below requires each to be here.
        let cases: [(key: String, env: KcxEnvironment, arguments: [String], stdin: String?, warning: String)] = [
            ("get --password", fixture.env, ["get", "clients", "-F", "clientId"] + asOps, nil, passwordWarning),
            ("create --password", fixture.env, ["create", "roles", "-s", "name=argv-1"] + asOps, nil, passwordWarning),
            ("update --password", fixture.env, ["update", "roles/argv-1", "-s", "description=x"] + asOps, nil, passwordWarning),
            ("delete --password", fixture.env, ["delete", "roles/argv-1"] + asOps, nil, passwordWarning),
            ("get --secret", fixture.env, ["get", "clients", "-F", "clientId"] + asSA, nil, secretWarning),
            ("create --secret", fixture.env, ["create", "roles", "-s", "name=argv-2"] + asSA, nil, secretWarning),
            ("update --secret", fixture.env, ["update", "roles/argv-2", "-s", "description=x"] + asSA, nil, secretWarning),
            ("delete --secret", fixture.env, ["delete", "roles/argv-2"] + asSA, nil, secretWarning),
            ("get-roles --password", fixture.env, ["get-roles"] + asOps, nil, passwordWarning),
            ("get-roles --secret", fixture.env, ["get-roles"] + asSA, nil, secretWarning),
            (
                "add-roles --password", fixture.env,
                ["add-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asOps, nil,
                passwordWarning
            ),
            (
                "remove-roles --password", fixture.env,
                ["remove-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asOps,
                nil, passwordWarning
            ),
            (
                "add-roles --secret", fixture.env,
                ["add-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asSA, nil,
                secretWarning
            ),
            (
                "remove-roles --secret", fixture.env,
                ["remove-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asSA, nil,
                secretWarning
            ),
            (
                "set-password --password", fixture.env, ["set-password", "--username", "victim"] + asOps, "victim-pw-1\n",
                passwordWarning
            ),
            (
                "set-password --secret", fixture.env, ["set-password", "--username", "victim"] + asSA, "victim-pw-2\n",
                secretWarning
            ),
            (
                "set-password --new-password", fixture.env,
                ["set-password", "--username", "alice", "--new-password", password] + r, nil,
                Self.warning("--new-password", use: "standard input (set-password ... < FILE)")
            ),
            (
                "config credentials --trustpass", fixture.env,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", fixture.realm, "--client", "svc",
                    "--secret-file",
                    try fixture.secretFile("svc4", secret), "--truststore", pem, "--trustpass", "tp-secret", "--profile", "p3",
                ], nil,
                Self.warning("--trustpass", use: "--trustpass - (a prompt) or KC_CLI_TRUSTSTORE_PASSWORD")
            ),
            ("get --trustpass", fixture.env, ["get", "clients", "-F", "clientId"] + trust + r, nil, trustWarning),
            ("create --trustpass", fixture.env, ["create", "roles", "-s", "name=argv-3"] + trust + r, nil, trustWarning),
            (
                "update --trustpass", fixture.env, ["update", "roles/argv-3", "-s", "description=x"] + trust + r, nil,
                trustWarning
            ),
            ("delete --trustpass", fixture.env, ["delete", "roles/argv-3"] + trust + r, nil, trustWarning),
            ("get-roles --trustpass", fixture.env, ["get-roles"] + trust + r, nil, trustWarning),
            (
                "add-roles --trustpass", fixture.env,
                ["add-roles", "--uusername", "alice", "--rolename", "offline_access"] + trust + r, nil,
                trustWarning
            ),
            (
                "remove-roles --trustpass", fixture.env,
                ["remove-roles", "--uusername", "alice", "--rolename", "offline_access"] + trust + r,
                nil, trustWarning
            ),
            (
                "set-password --trustpass", fixture.env, ["set-password", "-r", admin.realm, "--username", "victim"] + trust,
                "victim-pw-3\n",
                trustWarning
            ),
            (
                "config truststore --trustpass", fixture.env,
                ["config", "truststore", pem, "--trustpass", "tp-secret", "--profile", "p3"], nil,
                Self.warning("--trustpass", use: "--trustpass - (a prompt) or KC_CLI_TRUSTSTORE_PASSWORD")
            ),
            (
                "config credentials --password", fixture.env,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", fixture.realm, "--user", "alice",
                    "--client", "webapp",
                    "--password", password, "--profile", "p1",
                ], nil,
                Self.warning("--password", use: "--password-stdin, --password-file or KCX_PASSWORD")
            ),
            (
                "config credentials --secret", fixture.env,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", fixture.realm, "--client", "svc",
                    "--secret", secret,
                    "--profile", "p2",
                ], nil,
                Self.warning("--secret", use: "--secret-stdin, --secret-file or KCX_CLIENT_SECRET")
            ),
            ("get --storepass", fixture.env, ["get", "clients", "-F", "clientId"] + asJWTStore, nil, storeWarning),
            ("get --keypass", keyEnv, ["get", "clients", "-F", "clientId"] + asJWTKey, nil, keyWarning),
            ("create --storepass", fixture.env, ["create", "roles", "-s", "name=argv-4"] + asJWTStore, nil, storeWarning),
            ("create --keypass", keyEnv, ["create", "roles", "-s", "name=argv-5"] + asJWTKey, nil, keyWarning),
            (
                "update --storepass", fixture.env, ["update", "roles/argv-4", "-s", "description=x"] + asJWTStore, nil,
                storeWarning
            ),
            ("update --keypass", keyEnv, ["update", "roles/argv-5", "-s", "description=x"] + asJWTKey, nil, keyWarning),
            ("delete --storepass", fixture.env, ["delete", "roles/argv-4"] + asJWTStore, nil, storeWarning),
            ("delete --keypass", keyEnv, ["delete", "roles/argv-5"] + asJWTKey, nil, keyWarning),
            ("get-roles --storepass", fixture.env, ["get-roles"] + asJWTStore, nil, storeWarning),
            ("get-roles --keypass", keyEnv, ["get-roles"] + asJWTKey, nil, keyWarning),
            (
                "add-roles --storepass", fixture.env,
                ["add-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asJWTStore,
                nil, storeWarning
            ),
            (
                "remove-roles --storepass", fixture.env,
                ["remove-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asJWTStore, nil, storeWarning
            ),
            (
                "add-roles --keypass", keyEnv,
                ["add-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asJWTKey, nil,
                keyWarning
            ),
            (
                "remove-roles --keypass", keyEnv,
                ["remove-roles", "--uusername", admin.username, "--rolename", "offline_access"] + asJWTKey,
                nil, keyWarning
            ),
            (
                "set-password --storepass", fixture.env, ["set-password", "--username", "victim"] + asJWTStore, "victim-pw-4\n",
                storeWarning
            ),
            ("set-password --keypass", keyEnv, ["set-password", "--username", "victim"] + asJWTKey, "victim-pw-5\n", keyWarning),
            (
                "config credentials --storepass", fixture.env,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", admin.realm, "--client", "jwtsa",
                    "--keystore",
                    keys.keystore.path, "--storepass", "ks-tp-secret", "--profile", "p4",
                ], nil, storeWarning
            ),
            (
                "config credentials --keypass", keyEnv,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", admin.realm, "--client", "jwtsa",
                    "--keystore",
                    keys.keystore.path, "--keypass", "ks-tp-secret", "--profile", "p5",
                ], nil, keyWarning
            ),
            (
                "token get --password", fixture.env,
                ["token", "get", "--client", "webapp", "--user", "alice", "--password", password] + r, nil,
                Self.warning("--password", use: "--password-stdin, --password-file or KCX_PASSWORD")
            ),
            (
                "token get --secret", fixture.env, ["token", "get", "--client", "svc", "--secret", secret] + r, nil,
                Self.warning("--secret", use: "--secret-stdin, --secret-file or KCX_CLIENT_SECRET")
            ),
            (
                "token exchange --secret", fixture.env,
                ["token", "exchange", "--client", "svc", "--secret", secret, "--subject-token", "-", "--audience", "api"] + r,
                token + "\n",
                Self.warning("--secret", use: "--secret-stdin, --secret-file or KCX_CLIENT_SECRET")
            ),
            (
                "token exchange --subject-token", fixture.env,
                [
                    "token", "exchange", "--client", "svc", "--secret-file", try fixture.secretFile("svc2", secret),
                    "--subject-token", token,
                    "--audience", "api",
                ] + r, nil,
                Self.warning("--subject-token", use: "--subject-token - and give the token on standard input")
            ),
            (
                "token-exchange check --secret", fixture.env,
                ["token-exchange", "check", "--from", "svc", "--to", "api", "--live", "--secret", secret] + r, nil,
                Self.warning("--secret", use: "--secret-stdin, --secret-file or KCX_CLIENT_SECRET")
            ),
            (
                "token-exchange check --subject-token", fixture.env,
                [
                    "token-exchange", "check", "--from", "svc", "--to", "api", "--live", "--secret-file",
                    try fixture.secretFile("svc4", secret),
                    "--subject-token", token,
                ] + r, nil,
                Self.warning("--subject-token", use: "--subject-token - and give the token on standard input")
            ),
            (
                "token introspect --secret", fixture.env, ["token", "introspect", "--client", "svc", "--secret", secret] + r,
                token + "\n",
                Self.warning("--secret", use: "--secret-stdin, --secret-file or KCX_CLIENT_SECRET")
            ),
            (
                "token introspect TOKEN", fixture.env,
                ["token", "introspect", token, "--client", "svc", "--secret-file", try fixture.secretFile("svc3", secret)] + r,
                nil,
                Self.warning("a token", use: "- and give the token on standard input")
            ),
            (
                "token decode TOKEN", fixture.env, ["token", "decode", token], nil,
                Self.warning("a token", use: "- and give the token on standard input")
            ),
            (
                "--token", tokenEnvironment,
                ["get", "clients", "--no-config", "--token", adminToken, "--fields", "clientId"] + r, nil,
                Self.warning("--token", use: "KCX_TOKEN")
            ),
        ]

        // Every secret-taking option in the table has a case (global options once, under their own name).
        var required: Set<String> = []
        for command in CommandTable.all {
            for option in command.options where Self.secretPlaceholders.contains(option.valueName ?? "") {
                required.insert("\(command.name) --\(option.long)")
            }
            for positional in command.positionals where Self.secretPlaceholders.contains(positional.name) {
                required.insert("\(command.name) \(positional.name)")
            }
        }
        for option in GlobalOptions.specs where Self.secretPlaceholders.contains(option.valueName ?? "") {
            required.insert("--\(option.long)")
        }
        let covered = Set(cases.map(\.key))
        #expect(required.subtracting(covered).isEmpty, "secret options without a case: \(required.subtracting(covered).sorted())")
        #expect(
            covered.subtracting(required).isEmpty, "cases for options not in the table: \(covered.subtracting(required).sorted())"
        )

        for item in cases {
            let result = try item.env.kcx(item.arguments, stdin: item.stdin)
            #expect(result.status == 0, "\(item.key): \(result)")
            #expect(result.stderr.hasPrefix(item.warning), "\(item.key): \(result)")
            #expect(result.stderr.components(separatedBy: "warning:").count == 2, "\(item.key) warns once: \(result)")
            #expect(
                !result.stderr.contains(secret) && !result.stderr.contains(password), "\(item.key) echoes the secret: \(result)")
            #expect(
                !result.stderr.contains(saSecret) && !result.stderr.contains(admin.password),
                "\(item.key) echoes the secret: \(result)")
            #expect(
                !result.stderr.contains("tp-secret") && !result.stderr.contains("victim-pw"),
                "\(item.key) echoes the secret: \(result)")
            #expect(
                !result.stderr.contains(token) && !result.stderr.contains(adminToken), "\(item.key) echoes the token: \(result)")
        }
    }
}

@Suite struct SecretsInTheServerURLTests {
    // A password in the URL's user info would land in the config file, messages and a Basic header: refused.
    @Test func aServerURLWithUserInfoIsAUsageErrorThatDoesNotRepeatIt() throws {
        let url = TestKeycloak.shared.baseURL.replacingOccurrences(of: "http://", with: "http://admin:url-pw-1@")
        var env = try KcxEnvironment()
        let login = try env.kcx(
            ["config", "credentials", "--server", url, "--realm", "master", "--user", "admin", "--password-stdin"], stdin: "x\n")
        let expected = """
            error: --server: the URL holds user info ('user:password@'); kcx takes credentials only from its own options
            hint: drop the 'user:password@' part and log in with --user NAME and --password-stdin or --password-file

            """
        #expect(login.status == 2)
        #expect(login.stderr == expected)
        #expect(!FileManager.default.fileExists(atPath: env.configFile.path))

        env.extra["KCX_SERVER"] = url
        let withToken = try env.kcx(["get", "clients", "--no-config"], stdin: nil)
        #expect(withToken.status == 2)
        #expect(withToken.stderr.hasPrefix("error: KCX_SERVER: the URL holds user info"), "\(withToken)")
        #expect(!withToken.stderr.contains("url-pw-1"))
    }
}

@Suite(.serialized) struct SecretsConfigFileTests {
    let keycloak = TestKeycloak.shared

    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func theConfigFileIs0600AndItsNewDirectories0700() throws {
        let env = try KcxEnvironment()
        try env.login(keycloak)
        #expect(try mode(env.configFile.path) == 0o600)
        #expect(try mode(env.configFile.deletingLastPathComponent().path) == 0o700, "kcx created config/kcx")
        #expect(try mode(env.configFile.deletingLastPathComponent().deletingLastPathComponent().path) == 0o700, "and config")

        // A file someone made readable to others is narrowed again the next time kcx writes it (one
        // they made writable is refused instead: FileAttackTests.writableConfigFileIsRefused).
        for wider in [0o644, 0o640, 0o604] {
            try FileManager.default.setAttributes([.posixPermissions: wider], ofItemAtPath: env.configFile.path)
            try env.login(keycloak)
            #expect(try mode(env.configFile.path) == 0o600, "after mode \(String(wider, radix: 8))")
        }
    }

    @Test func aConfigFileThatExistedWithAWiderModeIsWritten0600() throws {
        let env = try KcxEnvironment()
        // Created by hand (say, copied between machines) with the default umask's 0644, in a 0755 directory.
        let directory = env.configFile.deletingLastPathComponent()
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        _ = FileManager.default.createFile(
            atPath: env.configFile.path, contents: Data("{}\n".utf8), attributes: [.posixPermissions: 0o644])
        try env.login(keycloak)
        #expect(try mode(env.configFile.path) == 0o600)
        #expect(try mode(directory.path) == 0o755, "a directory kcx did not create keeps its mode")
    }
}

/// Two local servers: `redirecting` answers every request with `status` and a Location on `target`,
/// which records whatever reaches it.
final class RedirectPair: @unchecked Sendable {
    let target: LoopbackHTTPServer
    let redirecting: LoopbackHTTPServer
    private let lock = NSLock()
    private var received: [ServerRequest] = []
    private var redirected = 0

    init(status: Int) throws {
        let box = Box()
        target = LoopbackHTTPServer { request in
            box.pair?.record(request)
            return .respond(ServerResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array("{}".utf8)))
        }
        try target.start()
        let location = target.baseURL
        redirecting = LoopbackHTTPServer { request in
            box.pair?.countRedirect()
            return .respond(ServerResponse(status: status, headers: [("Location", location + request.target)]))
        }
        try redirecting.start()
        box.pair = self
    }

    private final class Box: @unchecked Sendable { weak var pair: RedirectPair? }

    private func record(_ request: ServerRequest) { lock.withLock { received.append(request) } }
    private func countRedirect() { lock.withLock { redirected += 1 } }
    var requestsAtTarget: [ServerRequest] { lock.withLock { received } }
    var redirectCount: Int { lock.withLock { redirected } }

    func stop() {
        redirecting.stop()
        target.stop()
    }
}

@Suite(.serialized) struct SecretsRedirectTests {
    @Test(arguments: [301, 302, 303, 307, 308])
    func credentialsNeverFollowARedirect(status: Int) throws {
        let pair = try RedirectPair(status: status)
        defer { pair.stop() }
        let server = pair.redirecting.baseURL
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZWRpcmVjdCJ9.c2lnbmF0dXJlLXJlZGlyZWN0"
        let password = "redirect-pw-" + UUID().uuidString.prefix(8)
        var env = try KcxEnvironment()
        let secretFile = env.home.appendingPathComponent("secret").path
        try Data("redirect-secret\n".utf8).write(to: URL(fileURLWithPath: secretFile))
        env.extra["KCX_SERVER"] = server
        env.extra["KCX_REALM"] = "master"

        let runs: [(String, [String], String?, String)] = [
            (
                "config credentials",
                ["config", "credentials", "--server", server, "--realm", "master", "--user", "admin", "--password-stdin"],
                password + "\n", "/realms/master/protocol/openid-connect/token"
            ),
            ("get --token", ["get", "clients", "--no-config", "--token", token], nil, "/admin/realms/master/clients"),
            (
                "token get",
                ["token", "get", "--client", "svc", "--secret-file", secretFile, "--server", server, "-r", "master"], nil,
                "/realms/master/protocol/openid-connect/token"
            ),
        ]
        for (name, arguments, stdin, path) in runs {
            let before = pair.redirectCount
            let result = try env.kcx(arguments, stdin: stdin)
            #expect(pair.redirectCount == before + 1, "\(name) sent one request and did not retry a redirect: \(result)")
            #expect(result.status == 1, "\(name): \(result)")
            #expect(result.stderr.contains("redirect"), "\(name): \(result)")
            #expect(result.stderr.contains(pair.target.baseURL + path), "\(name) names the Location: \(result)")
            #expect(result.stdout.isEmpty)
            #expect(!result.stderr.contains(password) && !result.stderr.contains("redirect-secret"))
        }
        #expect(
            pair.requestsAtTarget.isEmpty,
            "the other server received \(pair.requestsAtTarget.map { "\($0.method) \($0.target)" })")
    }
}
