// The session file (`${XDG_CONFIG_HOME:-~/.config}/kcx/config.json`): named profiles with server,
// realm, client, TLS choices, tokens and where the secret came from (never the secret), kept 0600,
// written atomically under a lock so concurrent kcx processes never lose each other's updates, and
// refused, like ssh's, when another user owns it or could have written it or its directory.
import FoundationEssentials
import KcxJSON

public enum GrantKind: String, Sendable, Equatable {
    case password
    case clientCredentials = "client_credentials"
}

/// A place a password or client secret can be read again without the user (for re-login).
public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): return "$\(name)"
        case .file(let path): return path
        }
    }

    /// The secret, or a KcxError naming the source when it is gone or empty.
    public func read(environment: [String: String]) throws -> String {
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw KcxError(.authentication, "environment variable \(name) is not set")
            }
            return value
        case .file(let path):
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path, limit: .secret) } catch {
                throw KcxError(.usage, error.description)
            }
            let value = SecretSource.firstLine(bytes)
            if value.isEmpty { throw KcxError(.usage, "\(path) is empty") }
            return value
        }
    }

    /// A secret file or stdin holds the secret on its first line; the line break is not part of it.
    public static func firstLine(_ bytes: [UInt8]) -> String {
        let line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    var json: JSON {
        switch self {
        case .environment(let name): return ["env": .string(name)]
        case .file(let path): return ["file": .string(path)]
        }
    }

    init?(json: JSON?) {
        if let name = json?["env"]?.stringValue {
            self = .environment(name)
        } else if let path = json?["file"]?.stringValue {
            self = .file(path)
        } else {
            return nil
        }
    }
}

/// One profile: who is logged in where, and the tokens of that session.
public struct StoredSession: Sendable, Equatable {
    public var server: String
    public var realm: String
    public var clientId: String
    public var grant: GrantKind
    public var username: String?
    /// Where the password can be read again (password grant); nil when it came from a prompt,
    /// stdin or the command line.
    public var passwordSource: SecretSource?
    /// Where the client secret can be read again; nil for public clients or one-off sources.
    public var clientSecretSource: SecretSource?
    public var accessToken: String?
    public var accessTokenExpiresAt: Date?
    public var refreshToken: String?
    /// nil with a refresh token: the server gave it no expiry (`refresh_expires_in` 0).
    public var refreshTokenExpiresAt: Date?
    /// `--insecure` was given at login: later commands skip TLS verification too (and warn).
    public var insecure: Bool
    /// `--cacert FILE` given at login (absolute): later commands trust it unless given their own.
    public var caCertificateFile: String?
    /// The keystore of a signed-JWT client login (kcadm's --keystore): path, alias and where its
    /// passwords can be read again, never the passwords.
    public var clientKeystore: ClientKeystoreReference?

    public init(
        server: String, realm: String, clientId: String, grant: GrantKind, username: String? = nil,
        passwordSource: SecretSource? = nil, clientSecretSource: SecretSource? = nil,
        accessToken: String? = nil, accessTokenExpiresAt: Date? = nil,
        refreshToken: String? = nil, refreshTokenExpiresAt: Date? = nil, insecure: Bool = false, caCertificateFile: String? = nil,
        clientKeystore: ClientKeystoreReference? = nil
    ) {
        self.clientKeystore = clientKeystore
        self.server = server
        self.realm = realm
        self.clientId = clientId
        self.grant = grant
        self.username = username
        self.passwordSource = passwordSource
        self.clientSecretSource = clientSecretSource
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshToken = refreshToken
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
        self.insecure = insecure
        self.caCertificateFile = caCertificateFile
    }

    /// The same login (server, realm, client, grant, user), whatever its tokens: a profile that
    /// another `config credentials` replaced is not.
    public func isSameLogin(as other: StoredSession) -> Bool {
        server == other.server && realm == other.realm && clientId == other.clientId && grant == other.grant
            && username == other.username
    }

    public var json: JSON {
        var object = JSONObject()
        object["server"] = .string(server)
        object["realm"] = .string(realm)
        object["client"] = .string(clientId)
        object["grant"] = .string(grant.rawValue)
        object["username"] = username.map(JSON.string)
        object["passwordSource"] = passwordSource?.json
        object["clientSecretSource"] = clientSecretSource?.json
        object["accessToken"] = accessToken.map(JSON.string)
        object["accessTokenExpiresAt"] = accessTokenExpiresAt.map { .int(Int64($0.timeIntervalSince1970.rounded(.down))) }
        object["refreshToken"] = refreshToken.map(JSON.string)
        object["refreshTokenExpiresAt"] = refreshTokenExpiresAt.map { .int(Int64($0.timeIntervalSince1970.rounded(.down))) }
        // Written only when chosen, so files of sessions without them stay as older kcx wrote them.
        object["insecure"] = insecure ? .bool(true) : nil
        object["caCertificateFile"] = caCertificateFile.map(JSON.string)
        object["clientKeystore"] = clientKeystore?.json
        return .object(object)
    }

    /// nil when a required member is missing or has the wrong type.
    public init?(json: JSON) {
        guard let server = json["server"]?.stringValue, let realm = json["realm"]?.stringValue,
            let clientId = json["client"]?.stringValue,
            let grant = json["grant"]?.stringValue.flatMap(GrantKind.init(rawValue:))
        else { return nil }
        // A hand-edited time that is not a number or lies outside 1970…3000 would trap when printed
        // or saved again: it reads as long expired, or as the year 3000.
        func date(_ key: String) -> Date? {
            json[key]?.doubleValue.map { Date(timeIntervalSince1970: $0.isFinite ? min(max($0, 0), 32_503_680_000) : 0) }
        }
        self.init(
            server: server, realm: realm, clientId: clientId, grant: grant, username: json["username"]?.stringValue,
            passwordSource: SecretSource(json: json["passwordSource"]),
            clientSecretSource: SecretSource(json: json["clientSecretSource"]),
            accessToken: json["accessToken"]?.stringValue, accessTokenExpiresAt: date("accessTokenExpiresAt"),
            refreshToken: json["refreshToken"]?.stringValue, refreshTokenExpiresAt: date("refreshTokenExpiresAt"),
            insecure: json["insecure"]?.boolValue ?? false, caCertificateFile: json["caCertificateFile"]?.stringValue,
            clientKeystore: ClientKeystoreReference(json: json["clientKeystore"]))
    }
}

public final class ConfigStore: Sendable {
    public let path: String
    public var lockPath: String { path + ".lock" }
    public var directory: String { FileSystem.parent(of: path) }
    /// The uid whose files (besides root's) kcx trusts; a parameter so tests can play another user.
    public let user: UInt32

    public init(path: String, user: UInt32 = FileSystem.currentUser) {
        self.path = FileSystem.absolutePath(path)
        self.user = user
    }

    /// `${XDG_CONFIG_HOME:-$HOME/.config}/kcx/config.json`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return "\(xdg)/kcx/config.json"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        return "\(home == "/" ? "" : home)/.config/kcx/config.json"
    }

    /// The whole file as JSON; an empty document when it does not exist yet.
    public func load() throws -> JSONObject {
        try checkDirectory()
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path, limit: .config, trustedBy: user) } catch {
            if error.isMissingFile { return JSONObject() }
            throw refusal(error, what: "config file")
        }
        let parsed: JSON
        do { parsed = try JSON.parse(bytes) } catch {
            throw KcxError(.usage, "config file \(path) is not valid JSON: \(error)", hint: "fix or remove it, then log in again")
        }
        guard let object = parsed.objectValue else {
            throw KcxError(.usage, "config file \(path) does not hold a JSON object", hint: "fix or remove it, then log in again")
        }
        if let profiles = object["profiles"], profiles.objectValue == nil {
            throw KcxError(
                .usage, "config file \(path): \"profiles\" is not an object", hint: "fix or remove it, then log in again")
        }
        return object
    }

    public func session(named profile: String) throws -> StoredSession? {
        guard let entry = try load()["profiles"]?[profile] else { return nil }
        guard let session = StoredSession(json: entry) else {
            throw KcxError(
                .usage, "config file \(path): profile '\(profile)' is incomplete",
                hint: "log in again with kcx config credentials")
        }
        return session
    }

    public func profileNames() throws -> [String] {
        try load()["profiles"]?.objectValue?.keys ?? []
    }

    /// Read-modify-write of the `profiles` object under the lock; other members and profiles
    /// are kept as they are, including ones written by newer kcx versions.
    public func updateProfiles(_ change: (inout JSONObject) throws -> Void) throws {
        try lockedUpdate { profiles in
            try change(&profiles)
            return true
        }
    }

    /// Runs `body` under the lock with the profile as stored at this moment (nil when absent or
    /// incomplete) and stores the session it returns; nil leaves the file untouched. The lock is
    /// held while `body` runs, so a token refresh done inside it is seen by every other kcx process
    /// that waits for the lock (they re-read and use the new token instead of refreshing again).
    public func updateSession(named profile: String, _ body: (StoredSession?) throws -> StoredSession?) throws {
        try lockedUpdate { profiles in
            guard let replacement = try body(profiles[profile].flatMap(StoredSession.init(json:))) else { return false }
            profiles[profile] = replacement.json
            return true
        }
    }

    /// Everything a later write needs, checked before a login sends a password: the directory and
    /// the file can be trusted, the file parses, and the lock file is no symbolic link.
    public func checkWritable() throws {
        _ = try load()
        if FileSystem.isSymbolicLink(lockPath) {
            throw refusal(.symbolicLink(lockPath, operation: "open lock file"), what: "lock file")
        }
    }

    /// The CA file `config truststore` chose for `profile` (kcadm's truststore setting): kept
    /// apart from the session, so it is there before the first login and outlives later ones.
    public func truststore(for profile: String) throws -> String? {
        try load()["truststores"]?[profile]?.stringValue
    }

    /// Sets (nil: removes) the profile's truststore and, when the profile holds a session, the
    /// session's CA file with it, in one write under the lock.
    public func setTruststore(_ file: String?, for profile: String) throws {
        try lockedDocumentUpdate { document in
            var all = document["truststores"]?.objectValue ?? JSONObject()
            all[profile] = file.map(JSON.string)
            document["truststores"] = all.isEmpty ? nil : .object(all)
            if let entry = document["profiles"]?[profile], var session = StoredSession(json: entry),
                var profiles = document["profiles"]?.objectValue
            {
                session.caCertificateFile = file
                profiles[profile] = session.json
                document["profiles"] = .object(profiles)
            }
            return true
        }
    }

    /// `change` returns whether to write the file back.
    private func lockedUpdate(_ change: (inout JSONObject) throws -> Bool) throws {
        try lockedDocumentUpdate { document in
            var profiles = document["profiles"]?.objectValue ?? JSONObject()
            guard try change(&profiles) else { return false }
            document["profiles"] = .object(profiles)
            return true
        }
    }

    /// Read-modify-write of the whole document under the lock; `change` returns whether to write.
    private func lockedDocumentUpdate(_ change: (inout JSONObject) throws -> Bool) throws {
        do {
            try FileSystem.makePrivateDirectory(directory)
            try checkDirectory()
            try FileSystem.withExclusiveLock(lockPath) {
                var document = try load()
                guard try change(&document) else { return }
                try FileSystem.writeAtomically(JSON.object(document).serializedBytes(.pretty) + [0x0A], to: path)
            }
        } catch let error as FileSystemError {
            if error.isSymbolicLink { throw refusal(error, what: "lock file") }
            throw KcxError(.serverError, error.description)
        }
    }

    /// The directory holding the file must pass ssh's rule too: whoever can write it can put a
    /// config file of their own in place of the user's.
    private func checkDirectory() throws {
        guard let status = FileSystem.status(of: directory), let problem = FileSystem.trustProblem(status, user: user) else {
            return
        }
        throw refusal(.untrusted(directory, problem), what: "config directory")
    }

    /// A usage error (exit 2) naming the file and how to fix it. A file or directory another user
    /// owns or may write could name their server and the user's password files, so it is refused.
    private func refusal(_ error: FileSystemError, what: String) -> KcxError {
        let path = error.path
        switch error.trustProblem {
        case .owner(let owner)?:
            return KcxError(
                .usage,
                "\(what) \(path) is owned by uid \(owner), not by you (uid \(user)) or root: it could send your credentials to another user's server",
                hint: "if it is yours, run: chown \(user) \(path); otherwise remove it")
        case .writable(let mode)?:
            let octal = String(mode, radix: 8)
            return KcxError(
                .usage,
                "\(what) \(path) is writable by group or others (mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal)): "
                    + "another user could make it send your credentials to their server",
                hint: "if its content is yours, run: chmod go-w \(path)")
        case nil:
            break
        }
        if error.isSymbolicLink {
            return KcxError(.usage, error.description, hint: "remove it (kcx creates a new one): rm \(path)")
        }
        if error.isTooLarge {
            return KcxError(.usage, error.description, hint: "fix or remove it, then log in again")
        }
        return KcxError(.usage, error.description)
    }

    /// Stores `session` as `profile`, or removes the profile when `session` is nil.
    public func save(_ session: StoredSession?, as profile: String) throws {
        try updateProfiles { $0[profile] = session?.json }
    }
}
