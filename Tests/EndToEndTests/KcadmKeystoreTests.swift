// kcadm's signed-JWT client login (`--keystore --storepass --keypass --alias`) under the names kcx
// and kcadm.sh, against the sandbox's "client-jwt" authenticator: the key and certificate are made
// with the openssl CLI, the certificate is set on the client through the admin API, and the
// service account then works through kcx. Refusals (wrong store password, wrong alias, a
// certificate that does not match) are checked for their exact message and exit code, with the
// config file left as it was.
import Foundation
import KcxJSON
import Testing

/// A key, its self-signed certificate and a PKCS#12 keystore holding both, made with openssl.
struct TestKeystore {
    let directory: URL
    let keystore: URL
    let keyPEM: URL
    /// The certificate as Keycloak stores it in `jwt.credential.certificate`: base64 DER.
    let certificateBase64: String

    init(in directory: URL, name: String, alias: String, storePassword: String) throws {
        self.directory = directory
        keyPEM = directory.appendingPathComponent("\(name)-key.pem")
        let certificate = directory.appendingPathComponent("\(name)-cert.pem")
        keystore = directory.appendingPathComponent("\(name).p12")
        try TestKeystore.openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPEM.path, "-out", certificate.path, "-days", "2",
            "-subj", "/CN=\(alias)",
        ])
        try TestKeystore.openssl([
            "pkcs12", "-export", "-in", certificate.path, "-inkey", keyPEM.path, "-name", alias, "-passout",
            "pass:\(storePassword)",
            "-out", keystore.path,
        ])
        let pem = try String(contentsOf: certificate, encoding: .utf8)
        certificateBase64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    }

    @discardableResult
    static func openssl(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        let result = try runProcess(
            URL(fileURLWithPath: "/usr/bin/openssl"), arguments, environment: ProcessInfo.processInfo.environment, stdin: stdin)
        guard result.status == 0 else { throw HarnessError("openssl \(arguments.first ?? ""): \(result)") }
        return result
    }
}

extension TestKeycloak {
    /// A confidential client authenticating with a signed JWT (`client-jwt`) against `certificate`,
    /// whose service account may view the realm's clients. Returns the client's id.
    func signedJWTClient(_ clientId: String, realm: String, certificate: String) throws -> String {
        let created = try adminSend(
            "POST", "\(realm)/clients",
            json: [
                "clientId": .string(clientId), "publicClient": false, "serviceAccountsEnabled": true,
                "protocol": "openid-connect",
                "clientAuthenticatorType": "client-jwt", "attributes": ["jwt.credential.certificate": .string(certificate)],
            ])
        guard created.status == 201, let id = created.headers["location"]?.split(separator: "/").last.map(String.init) else {
            throw HarnessError("client: \(created.status) \(created.text)")
        }
        let account = try #require(adminGet("\(realm)/clients/\(id)/service-account-user").json?["id"]?.stringValue)
        let management = try #require(adminGet("\(realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue)
        let role = try #require(adminGet("\(realm)/clients/\(management)/roles/view-clients").json)
        let mapped = try adminSend("POST", "\(realm)/users/\(account)/role-mappings/clients/\(management)", json: [role])
        guard mapped.status == 204 else { throw HarnessError("role mapping: \(mapped.status) \(mapped.text)") }
        return id
    }
}

@Suite(.serialized) struct KcadmKeystoreTests {
    @Test(arguments: ["kcx", "kcadm.sh"])
    func signedJWTLoginAsKcadm(_ name: String) throws {
        let keycloak = TestKeycloak.shared
        let shell = try KcadmShell()
        let realm = try keycloak.createRealm("jwt")
        let keys = try TestKeystore(in: shell.env.home, name: "robot", alias: "robot-key", storePassword: "store-pw")
        let other = try TestKeystore(in: shell.env.home, name: "other", alias: "robot-key", storePassword: "store-pw")
        let id = try keycloak.signedJWTClient("robot", realm: realm, certificate: keys.certificateBase64)
        let usage = name == "kcx" ? 2 : 1
        let argvWarning =
            name == "kcx"
            ? "warning: --storepass on the command line is visible to other users and kept in shell history; use --storepass - (a prompt) or KC_CLI_STORE_PASSWORD\n"
            : ""
        func login(_ keystore: URL, _ extra: [String]) throws -> ProcessResult {
            try shell.run(
                name,
                [
                    "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--client", "robot", "--keystore",
                    keystore.path,
                ] + extra)
        }
        let config = shell.env.configFile

        // A wrong store password and a wrong alias: refused before anything is sent, nothing stored.
        let wrongPassword = try login(keys.keystore, ["--storepass", "wrong-pw", "--alias", "robot-key"])
        #expect(wrongPassword.status == usage, "\(wrongPassword)")
        #expect(
            wrongPassword.stderr == argvWarning
                + "error: keystore '\(keys.keystore.path)': wrong keystore password (the PKCS#12 integrity check failed)\n"
                + "hint: give the keystore password with --storepass - (prompted for) or KC_CLI_STORE_PASSWORD\n")
        let wrongAlias = try login(keys.keystore, ["--storepass", "store-pw", "--alias", "nobody"])
        #expect(wrongAlias.status == usage, "\(wrongAlias)")
        #expect(
            wrongAlias.stderr == argvWarning
                + "error: keystore '\(keys.keystore.path)': no key with alias 'nobody' (its keys: 'robot-key')\n"
                + "hint: name the key with --alias ALIAS (kcadm's default is the client id)\n")
        // kcadm's default alias is the client id, which this keystore does not hold.
        let defaultAlias = try login(keys.keystore, ["--storepass", "store-pw"])
        #expect(defaultAlias.status == usage)
        #expect(
            defaultAlias.stderr.contains(
                "error: keystore '\(keys.keystore.path)': no key with alias 'robot' (its keys: 'robot-key')\n"))
        // A JKS keystore (OpenSSL reads none), a missing file, and --storepass without --keystore.
        let jks = shell.env.home.appendingPathComponent("old.jks")
        try Data([0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]).write(to: jks)
        let javaKeystore = try login(jks, ["--storepass", "store-pw"])
        #expect(javaKeystore.status == usage)
        #expect(
            javaKeystore.stderr == argvWarning
                + "error: keystore '\(jks.path)': a Java keystore (JKS), which kcx cannot read; it reads PKCS#12 keystores\n"
                + "hint: convert it to PKCS#12 (keytool asks for both passwords): keytool -importkeystore -srckeystore \(jks.path) "
                + "-destkeystore \(shell.env.home.appendingPathComponent("old.p12").path) -deststoretype PKCS12, then give "
                + "\(shell.env.home.appendingPathComponent("old.p12").path)\n")
        let missing = shell.env.home.appendingPathComponent("missing.p12")
        let noFile = try login(missing, ["--storepass", "store-pw"])
        #expect(noFile.status == usage)
        #expect(
            noFile.stderr == argvWarning
                + "error: keystore '\(missing.path)': cannot read \(missing.path): No such file or directory\n"
                + "hint: give the PKCS#12 keystore holding the client's private key\n")
        let noKeystore = try shell.run(
            name,
            [
                "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--client", "robot", "--storepass",
                "store-pw",
            ])
        #expect(noKeystore.status == usage)
        #expect(noKeystore.stderr == argvWarning + "error: --storepass needs --keystore FILE\n")
        #expect(!FileManager.default.fileExists(atPath: config.path), "a refused login stores nothing")

        // The right keystore: the service account's session, without any password in the config.
        let loggedIn = try login(keys.keystore, ["--storepass", "store-pw", "--alias", "robot-key"])
        #expect(loggedIn.status == 0, "\(loggedIn)")
        #expect(
            loggedIn.stderr == argvWarning
                + (name == "kcx"
                    ? "Logged in to \(keycloak.baseURL) realm \(realm) as the service account of client robot (profile default)\n"
                    : "Logging into \(keycloak.baseURL) as service-account-robot of realm \(realm)\n"))
        let stored = try String(contentsOf: config, encoding: .utf8)
        #expect(!stored.contains("store-pw"))
        let session = try #require(try JSON.parse(Array(stored.utf8))["profiles"]?["default"])
        #expect(session["client"] == "robot")
        #expect(session["grant"] == "client_credentials")
        #expect(session["clientKeystore"] == ["file": .string(keys.keystore.path), "alias": "robot-key"])

        // A request command as that service account (view-clients).
        let listed = try shell.run(name, ["get", "clients", "-r", realm, "-q", "clientId=robot", "--fields", "id"])
        #expect(listed.status == 0, "\(listed)")
        #expect(try JSON.parse(Array(listed.stdout.utf8)) == [["id": .string(id)]])

        // A keystore whose certificate is not the client's: the server refuses, the session stays.
        let before = try Data(contentsOf: config)
        let mismatch = try login(other.keystore, ["--storepass", "store-pw", "--alias", "robot-key"])
        #expect(mismatch.status == (name == "kcx" ? 4 : 1), "\(mismatch)")
        #expect(
            mismatch.stderr == argvWarning
                + "error: POST /realms/\(realm)/protocol/openid-connect/token: 400 Client authentication with signed JWT failed: Signature on JWT token failed validation (invalid_client)\n"
                + "hint: check that client 'robot' authenticates with Signed JWT and holds the certificate of the keystore's key\n"
        )
        #expect(try Data(contentsOf: config) == before, "the refused login leaves the config as it was")

        // One-shot credentials on a request command (kcadm's per-command login), nothing stored.
        let oneShot = try shell.run(
            name,
            [
                "get", "clients", "-r", realm, "-q", "clientId=robot", "--fields", "clientId", "--no-config", "--server",
                keycloak.baseURL,
                "--realm", realm, "--client", "robot", "--keystore", keys.keystore.path, "--alias", "robot-key",
            ], stdin: "store-pw\n")
        #expect(oneShot.status == 0, "\(oneShot)")
        // Under kcadm.sh the JSON's last newline goes to stderr, as kcadm prints it.
        #expect(
            oneShot.stderr
                == "Logging into \(keycloak.baseURL) as service-account-robot of realm \(realm)\n" + (name == "kcx" ? "" : "\n"),
            "\(oneShot)")
        #expect(try JSON.parse(Array(oneShot.stdout.utf8)) == [["clientId": "robot"]])

        // --keystore with --secret is refused (kcadm: "Can't use both --keystore and --secret").
        let both = try login(keys.keystore, ["--storepass", "store-pw", "--secret", "s"])
        #expect(both.status == usage)
        #expect(
            both.stderr.hasSuffix(
                "error: --keystore and --secret cannot be given together: the client logs in with one of them\n"))
    }

    /// With its passwords in KC_CLI_STORE_PASSWORD, a keystore session signs a new assertion when
    /// its access token has expired; given on the command line, kcx cannot and says so. The realm's
    /// access tokens live 5 seconds, less than kcx's 10-second margin, so every later command renews.
    @Test func keystoreSessionLogsInAgainFromTheEnvironment() throws {
        let keycloak = TestKeycloak.shared
        let realm = try keycloak.createRealm("jwt")
        let updated = try keycloak.adminSend("PUT", realm, json: ["accessTokenLifespan": 5])
        #expect(updated.status == 204, "\(updated.text)")
        var env = try KcxEnvironment()
        let keys = try TestKeystore(in: env.home, name: "robot", alias: "robot", storePassword: "store-pw")
        let clientID = try keycloak.signedJWTClient("robot", realm: realm, certificate: keys.certificateBase64)
        env.extra["KC_CLI_STORE_PASSWORD"] = "store-pw"
        let login = try env.kcx([
            "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--client", "robot", "--keystore",
            keys.keystore.path,
        ])
        #expect(login.status == 0, "\(login)")
        let status = try env.kcx(["config", "status"])
        #expect(status.stdout.contains("keystore:      \(keys.keystore.path) (alias robot; signed JWT)\n"), "\(status)")
        #expect(status.stdout.contains("re-login:      automatic, keystore passwords from $KC_CLI_STORE_PASSWORD\n"), "\(status)")
        let stored = try #require(
            try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["clientKeystore"])
        #expect(
            stored == [
                "file": .string(keys.keystore.path), "alias": "robot", "storePasswordSource": ["env": "KC_CLI_STORE_PASSWORD"],
            ])
        let tokenBefore = try #require(
            try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["accessToken"])

        // Twice: each renewal signs an assertion with a new jti (the server accepts each once).
        for _ in 0..<2 {
            let again = try env.kcx(["get", "clients", "-r", realm, "-q", "clientId=robot", "--fields", "clientId"])
            #expect(again.status == 0, "\(again)")
            #expect(try JSON.parse(Array(again.stdout.utf8)) == [["clientId": "robot"]])
        }
        let tokenAfter = try #require(
            try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["accessToken"])
        #expect(tokenAfter != tokenBefore, "the session logged in again")

        let json = try env.kcx(["config", "status", "-o", "json"])
        #expect(try JSON.parse(Array(json.stdout.utf8))["keystore"] == ["file": .string(keys.keystore.path), "alias": "robot"])
        #expect(try JSON.parse(Array(json.stdout.utf8))["reLogin"] == "$KC_CLI_STORE_PASSWORD")

        // A user logging in through the signed-JWT client: each refresh carries a new assertion,
        // and logout authenticates the client the same way.
        let directGrants = try keycloak.adminSend(
            "PUT", "\(realm)/clients/\(clientID)", json: ["clientId": "robot", "directAccessGrantsEnabled": true])
        #expect(directGrants.status == 204, "\(directGrants.text)")
        let user = try keycloak.adminSend(
            "POST", "\(realm)/users",
            json: [
                "username": "ann", "enabled": true, "credentials": [["type": "password", "value": "ann-pw", "temporary": false]],
            ])
        #expect(user.status == 201, "\(user.text)")
        let annID = try #require(user.headers["location"]?.split(separator: "/").last.map(String.init))
        let management = try #require(
            keycloak.adminGet("\(realm)/clients?clientId=realm-management").json?[0]?["id"]?.stringValue)
        let viewClients = try #require(keycloak.adminGet("\(realm)/clients/\(management)/roles/view-clients").json)
        #expect(
            try keycloak.adminSend("POST", "\(realm)/users/\(annID)/role-mappings/clients/\(management)", json: [viewClients])
                .status == 204)
        env.extra["KCX_PASSWORD"] = "ann-pw"
        let annLogin = try env.kcx([
            "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--user", "ann", "--client", "robot",
            "--keystore",
            keys.keystore.path,
        ])
        #expect(annLogin.status == 0, "\(annLogin)")
        let refreshBefore = try #require(
            try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["refreshToken"])
        func sessionID() throws -> String? {
            let token = try #require(
                try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["accessToken"]?.stringValue)
            var payload = String(token.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(
                of: "_", with: "/")
            while payload.count % 4 != 0 { payload += "=" }
            return try JSON.parse(Array(try #require(Data(base64Encoded: payload))))["sid"]?.stringValue
        }
        let sidBefore = try #require(try sessionID())
        for _ in 0..<2 {
            let asAnn = try env.kcx(["get", "clients", "-r", realm, "-q", "clientId=robot", "--fields", "clientId"])
            #expect(asAnn.status == 0, "\(asAnn)")
        }
        let refreshAfter = try #require(
            try JSON.parse(Array(Data(contentsOf: env.configFile)))["profiles"]?["default"]?["refreshToken"])
        #expect(refreshAfter != refreshBefore, "the session was refreshed")
        // A refresh, not a new login: the access token still belongs to the first session.
        #expect(try sessionID() == sidBefore)
        let logout = try env.kcx(["config", "logout"])
        #expect(logout.status == 0)
        #expect(
            logout.stderr == "Logged out of \(keycloak.baseURL) realm \(realm) (profile default)\n",
            "the server ended the session: \(logout)")
        env.extra["KCX_PASSWORD"] = nil

        // The same with the password given on the command line: no way to sign again.
        env.extra["KC_CLI_STORE_PASSWORD"] = nil
        let byHand = try env.kcx([
            "config", "credentials", "--server", keycloak.baseURL, "--realm", realm, "--client", "robot", "--keystore",
            keys.keystore.path,
            "--storepass", "store-pw",
        ])
        #expect(byHand.status == 0, "\(byHand)")
        let expired = try env.kcx(["get", "clients", "-r", realm])
        #expect(expired.status == 4, "\(expired)")
        #expect(
            expired.stderr.hasPrefix("error: the session for client robot at \(keycloak.baseURL) realm \(realm) has expired\n"),
            "\(expired)")
    }
}
