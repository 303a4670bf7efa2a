// Builds test realms through kcx itself (as a user would) and reads their state back through the
// admin API independently of kcx.
import Foundation
import KcxJSON
import Testing

/// One logged-in kcx environment working on one fresh realm.
struct RealmFixture {
    let keycloak: TestKeycloak
    let env: KcxEnvironment
    let realm: String
    let secretDir: URL

    init(_ keycloak: TestKeycloak, prefix: String = "e2e") throws {
        self.keycloak = keycloak
        env = try KcxEnvironment()
        try env.login(keycloak)
        realm = try keycloak.createRealm(prefix)
        secretDir = env.home.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secretDir, withIntermediateDirectories: true)
    }

    /// Runs kcx and requires success, returning its output.
    @discardableResult
    func ok(_ arguments: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProcessResult
    {
        let result = try env.kcx(arguments, stdin: stdin)
        #expect(result.status == 0, "kcx \(arguments.joined(separator: " ")) failed: \(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Runs kcx against this realm (`-r REALM` appended).
    @discardableResult
    func inRealm(_ arguments: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> ProcessResult
    {
        try ok(arguments + ["-r", realm], stdin: stdin, sourceLocation: sourceLocation)
    }

    func kcx(_ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
        try env.kcx(arguments, stdin: stdin)
    }

    /// A file holding a secret, for --secret-file / --password-file.
    func secretFile(_ name: String, _ value: String) throws -> String {
        let url = secretDir.appendingPathComponent(name)
        try Data((value + "\n").utf8).write(to: url)
        return url.path
    }

    func publicClient(_ clientId: String) throws {
        try inRealm([
            "create", "clients", "-s", "clientId=\(clientId)", "-s", "publicClient:=true", "-s",
            "directAccessGrantsEnabled:=true",
        ])
    }

    /// A confidential client with a known secret and a service account; returns the secret file.
    @discardableResult
    func confidentialClient(_ clientId: String) throws -> String {
        let secret = "s3cret-\(clientId)-" + UUID().uuidString.prefix(8)
        try inRealm([
            "create", "clients", "-s", "clientId=\(clientId)", "-s", "publicClient:=false", "-s", "serviceAccountsEnabled:=true",
            "-s", "directAccessGrantsEnabled:=true", "-s", "secret=\(secret)",
        ])
        return try secretFile("\(clientId).secret", secret)
    }

    /// A user who can log in with the password grant; returns the password file.
    @discardableResult
    func user(_ username: String) throws -> String {
        let password = "pw-" + UUID().uuidString.prefix(12)
        let credentials = #"[{"type":"password","value":"\#(password)","temporary":false}]"#
        try inRealm([
            "create", "users", "-s", "username=\(username)", "-s", "enabled:=true", "-s", "email=\(username)@example.com",
            "-s", "firstName=\(username.capitalized)", "-s", "lastName=Test", "-s", "emailVerified:=true", "-s",
            "credentials:=\(credentials)",
        ])
        return try secretFile("\(username).pw", password)
    }

    // MARK: state through the admin API

    func client(_ clientId: String) throws -> JSON {
        let (status, json) = try keycloak.adminGet("\(realm)/clients?clientId=\(clientId)")
        guard status == 200, let first = json?[0] else { throw HarnessError("client \(clientId) not found (\(status))") }
        return first
    }

    func clientScope(_ name: String) throws -> JSON? {
        let (_, json) = try keycloak.adminGet("\(realm)/client-scopes")
        return json?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    func clientScopeNames() throws -> [String] {
        try keycloak.adminGet("\(realm)/client-scopes").json?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Names of the scopes in a client's default or optional list.
    func assignedScopes(_ clientId: String, _ list: String) throws -> [String] {
        let id = try client(clientId)["id"]?.stringValue ?? ""
        return try keycloak.adminGet("\(realm)/clients/\(id)/\(list)-client-scopes").json?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        } ?? []
    }

    /// The realm's full client and scope state, to prove that a command changed nothing.
    func snapshot() throws -> JSON {
        let clients = try keycloak.adminGet("\(realm)/clients").json ?? .null
        let scopes = try keycloak.adminGet("\(realm)/client-scopes").json ?? .null
        var assignments = JSONObject()
        for client in clients.arrayValue ?? [] {
            guard let id = client["id"]?.stringValue else { continue }
            assignments[id] = [
                "default": try keycloak.adminGet("\(realm)/clients/\(id)/default-client-scopes").json ?? .null,
                "optional": try keycloak.adminGet("\(realm)/clients/\(id)/optional-client-scopes").json ?? .null,
            ]
        }
        return ["clients": clients, "scopes": scopes, "assignments": .object(assignments)]
    }
}

/// The `aud` claim as a list, whether Keycloak wrote a string or an array.
func audiences(_ claims: JSON?) -> [String] {
    switch claims?["aud"] {
    case .string(let single): return [single]
    case .array(let many): return many.compactMap(\.stringValue)
    default: return []
    }
}

/// Outcome lines kcx printed on stderr, e.g. ["created: client-scope api-access", …].
func outcomes(_ result: ProcessResult) -> [String] {
    result.stderr.split(separator: "\n").map(String.init).filter {
        $0.hasPrefix("created:") || $0.hasPrefix("updated:") || $0.hasPrefix("unchanged:") || $0.hasPrefix("deleted:")
            || $0.hasPrefix("would be")
    }
}

/// True when running against kcx-sandbox (control API and feature switches available).
let onSandbox = TestKeycloak.realKeycloakURL == nil
