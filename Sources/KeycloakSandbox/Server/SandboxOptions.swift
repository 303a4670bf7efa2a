// How a sandbox runs (bind address, admin account, features, control API, state, imports, limits), and the
// kcx-sandbox command line that produces it. Parsing does no I/O beyond the injected file reader.
import Foundation
import LoopbackHTTP

public struct SandboxOptions: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port.
    public var port: UInt16 = 0
    public var allowNonLoopback = false
    public var adminUsername = "admin"
    /// Used only when the master realm is created (a state file that already holds it keeps its admin).
    public var adminPassword: String
    public var features: FeatureSet = .keycloakDefaults
    /// Serves `/_sandbox/...` (fault injection, clock, stats) to loopback peers.
    public var controlEnabled = false
    /// JSON file the whole state is persisted to (with `FILE.journal` holding the writes since), loaded at start.
    public var stateFile: String?
    /// Realm representations (`RealmRepresentation` JSON) imported at start.
    public var importFiles: [String] = []
    public var limits = LoopbackHTTPLimits()

    public init(adminPassword: String) {
        self.adminPassword = adminPassword
    }
}

/// What the command line asks for.
public enum SandboxCommand: Sendable {
    case run(SandboxOptions, passwordWasGenerated: Bool)
    case help
    case version
}

/// A command-line error: `error: <message>` then `hint: <hint>`, exit code 2.
public struct SandboxUsageError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var hint: String

    public var description: String { "error: \(message)\nhint: \(hint)" }
}

public enum SandboxCommandLine {
    /// kcx's version: the sandbox ships and is packaged with it (see SandboxBuildInfo.swift).
    public static let version = BuildInfo.version
    public static let versionText = "kcx-sandbox \(version) (Keycloak 26 compatible)"

    /// Exit codes of kcx-sandbox.
    public static let exitOK: Int32 = 0
    public static let exitStartupFailure: Int32 = 1
    public static let exitUsage: Int32 = 2

    /// One row per option: help text comes from this table and nowhere else.
    public struct Option: Sendable {
        public var name: String
        public var placeholder: String?
        public var summary: String
    }

    public static let options: [Option] = [
        Option(
            name: "--host", placeholder: "ADDRESS",
            summary: "address to bind (default 127.0.0.1; non-loopback needs --allow-non-loopback)"),
        Option(name: "--port", placeholder: "PORT", summary: "port to bind; 0 picks a free one (default 0)"),
        Option(name: "--allow-non-loopback", placeholder: nil, summary: "permit binding an address other than loopback"),
        Option(name: "--admin-user", placeholder: "NAME", summary: "master realm admin username (default admin)"),
        Option(
            name: "--admin-password-file", placeholder: "FILE",
            summary:
                "read the admin password from FILE (else $KCX_SANDBOX_ADMIN_PASSWORD, else one is generated and printed once on stderr)"
        ),
        Option(
            name: "--state", placeholder: "FILE",
            summary:
                "persist all state to FILE (JSON) and FILE.journal (each write, synced before the answer); load both at start"),
        Option(name: "--import", placeholder: "FILE", summary: "import a realm representation (JSON) at start; repeatable"),
        Option(
            name: "--features", placeholder: "LIST",
            summary: "Keycloak features to enable, comma-separated (e.g. token-exchange,admin-fine-grained-authz:v1)"),
        Option(
            name: "--features-disabled", placeholder: "LIST",
            summary: "Keycloak features to disable, comma-separated unversioned names"),
        Option(
            name: "--control", placeholder: nil,
            summary: "serve the /_sandbox/ control API (fault injection, clock, stats) to loopback clients"),
        Option(name: "--max-body-bytes", placeholder: "N", summary: "largest request body accepted, else 413 (default 10485760)"),
        Option(
            name: "--request-timeout", placeholder: "SECONDS",
            summary: "time a client has to send a whole request once it started, else 408 and close (default 10)"),
        Option(
            name: "--idle-timeout", placeholder: "SECONDS", summary: "time an idle keep-alive connection stays open (default 60)"),
        Option(
            name: "--max-connections", placeholder: "N",
            summary: "concurrent connections; more are answered 503 and closed (default 512)"),
        Option(name: "--help", placeholder: nil, summary: "show this help"),
        Option(name: "--version", placeholder: nil, summary: "show the version"),
    ]

    public static var helpText: String {
        var lines = [
            "kcx-sandbox: a local Keycloak 26-compatible server for tests, demos and dry runs.",
            "",
            "Usage: kcx-sandbox [options]",
            "",
            "The first line on stdout is the base URL (e.g. http://127.0.0.1:41235). SIGTERM or SIGINT stops it.",
            "",
            "Options:",
        ]
        let width = options.map { $0.name.count + ($0.placeholder.map { $0.count + 1 } ?? 0) }.max() ?? 0
        for option in options {
            let left = option.name + (option.placeholder.map { " " + $0 } ?? "")
            lines.append("  " + left + String(repeating: " ", count: width - left.count + 2) + option.summary)
        }
        lines += [
            "",
            "Environment:",
            "  KCX_SANDBOX_ADMIN_PASSWORD  the admin password (when --admin-password-file is not given)",
            "",
            "Exit codes: 0 stopped cleanly, 1 could not start (bind, state or import file), 2 bad command line.",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses arguments (without the program name). `readFile` reads the password, for tests.
    public static func parse(
        _ arguments: [String], environment: [String: String], readFile: (String) throws -> String
    ) throws(SandboxUsageError) -> SandboxCommand {
        var values: [String: String] = [:]
        var imports: [String] = []
        var flags: Set<String> = []
        var index = 0
        while index < arguments.count {
            var argument = arguments[index]
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                inlineValue = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            if argument == "-h" { argument = "--help" }
            guard let option = options.first(where: { $0.name == argument }) else {
                let near = options.map(\.name).filter { $0.hasPrefix(argument.prefix(5)) }
                throw SandboxUsageError(
                    message: "unknown option '\(arguments[index])'",
                    hint: near.isEmpty
                        ? "run 'kcx-sandbox --help' for the options" : "did you mean \(near.joined(separator: " or "))?")
            }
            if option.placeholder == nil {
                if inlineValue != nil {
                    throw SandboxUsageError(message: "option \(option.name) takes no value", hint: "write \(option.name) alone")
                }
                flags.insert(option.name)
            } else {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index + 1 < arguments.count else {
                        throw SandboxUsageError(
                            message: "option \(option.name) needs a value", hint: "write \(option.name) \(option.placeholder!)")
                    }
                    index += 1
                    value = arguments[index]
                }
                if option.name == "--import" {
                    imports.append(value)
                } else {
                    if values[option.name] != nil {
                        throw SandboxUsageError(message: "option \(option.name) given twice", hint: "give it once")
                    }
                    values[option.name] = value
                }
            }
            index += 1
        }
        if flags.contains("--help") { return .help }
        if flags.contains("--version") { return .version }

        var passwordWasGenerated = false
        let password: String
        if let file = values["--admin-password-file"] {
            let text: String
            do {
                text = try readFile(file)
            } catch {
                throw SandboxUsageError(
                    message: "cannot read the admin password file '\(file)'", hint: "check the path and its permissions")
            }
            // One trailing newline is the file's, not the password's (as `echo secret > file` writes).
            var trimmed = Substring(text)
            if trimmed.hasSuffix("\r\n") {
                trimmed = trimmed.dropLast(2)
            } else if trimmed.hasSuffix("\n") {
                trimmed = trimmed.dropLast()
            }
            guard !trimmed.isEmpty else {
                throw SandboxUsageError(
                    message: "the admin password file '\(file)' is empty", hint: "write the password on its first line")
            }
            password = String(trimmed)
        } else if let fromEnvironment = environment["KCX_SANDBOX_ADMIN_PASSWORD"], !fromEnvironment.isEmpty {
            password = fromEnvironment
        } else {
            password = generatePassword()
            passwordWasGenerated = true
        }

        var options = SandboxOptions(adminPassword: password)
        if let host = values["--host"] {
            guard !host.isEmpty else { throw SandboxUsageError(message: "--host is empty", hint: "e.g. --host 127.0.0.1") }
            options.host = host
        }
        options.allowNonLoopback = flags.contains("--allow-non-loopback")
        if let port = values["--port"] {
            guard let number = UInt16(port) else {
                throw SandboxUsageError(
                    message: "--port '\(port)' is not a port number", hint: "use 0 to 65535 (0 picks a free port)")
            }
            options.port = number
        }
        if let user = values["--admin-user"] {
            guard !user.isEmpty, !user.contains(where: \.isWhitespace) else {
                throw SandboxUsageError(
                    message: "--admin-user '\(user)' is not a valid username", hint: "use a non-empty name without spaces")
            }
            // Keycloak stores usernames in lower case.
            options.adminUsername = user.lowercased()
        }
        do {
            options.features = try FeatureSet(
                featuresOption: values["--features"] ?? "", disabledOption: values["--features-disabled"] ?? "")
        } catch {
            throw SandboxUsageError(message: error.description, hint: "see token-exchange.md §3 or 'kcx-sandbox --help'")
        }
        options.controlEnabled = flags.contains("--control")
        if let state = values["--state"] {
            guard !state.isEmpty else {
                throw SandboxUsageError(message: "--state is empty", hint: "name a file, e.g. --state sandbox.json")
            }
            options.stateFile = state
        }
        options.importFiles = imports
        if let maximum = values["--max-body-bytes"] {
            guard let number = Int(maximum), number >= 1024 else {
                throw SandboxUsageError(
                    message: "--max-body-bytes '\(maximum)' is not a number of at least 1024",
                    hint: "e.g. --max-body-bytes 10485760")
            }
            options.limits.maxBodyBytes = number
        }
        options.limits.requestTimeout =
            try seconds(values["--request-timeout"], option: "--request-timeout") ?? options.limits.requestTimeout
        options.limits.idleTimeout = try seconds(values["--idle-timeout"], option: "--idle-timeout") ?? options.limits.idleTimeout
        if let maximum = values["--max-connections"] {
            guard let number = Int(maximum), (1...100_000).contains(number) else {
                throw SandboxUsageError(
                    message: "--max-connections '\(maximum)' is not a number from 1 to 100000", hint: "e.g. --max-connections 512"
                )
            }
            options.limits.maxConnections = number
        }
        return .run(options, passwordWasGenerated: passwordWasGenerated)
    }

    /// A timeout in seconds: a number from 0.05 (below that every client would be cut off) to one day.
    static func seconds(_ text: String?, option: String) throws(SandboxUsageError) -> Double? {
        guard let text else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0.05, value <= 86_400 else {
            throw SandboxUsageError(
                message: "\(option) '\(text)' is not a number of seconds from 0.05 to 86400", hint: "e.g. \(option) 10")
        }
        return value
    }

    /// 24 random alphanumeric characters.
    static func generatePassword() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
