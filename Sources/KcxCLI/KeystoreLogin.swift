// kcadm's signed-JWT client login: `--keystore FILE [--storepass P] [--keypass P] [--alias A]` on
// `config credentials` and on every request command. The key `alias` (default: the client id) of
// a PKCS#12 keystore signs the client assertion the token request carries instead of a secret.
//
// The passwords, as kcadm finds them: --storepass/--keypass VALUE (warned about under the name kcx,
// like --password); `-` (kcx: a prompt); $KC_CLI_STORE_PASSWORD / $KC_CLI_KEY_PASSWORD; else a
// prompt on the terminal for both (an empty key password is the store password), or the first line
// of standard input for the store password. The key password defaults to the store password. A JKS
// keystore is named with the keytool command that converts it. Passwords are never stored: a
// session keeps the keystore's path, its alias and the names of the variables its passwords came
// from, to sign again when it must log in again.
import KeycloakKit

enum KeystoreLogin {
    static let storeVariable = "KC_CLI_STORE_PASSWORD"
    static let keyVariable = "KC_CLI_KEY_PASSWORD"

    static let options = [
        OptionSpec(
            "keystore", value: "FILE", "PKCS#12 keystore whose private key signs the client's login (signed JWT, as kcadm's)",
            completion: .file),
        OptionSpec("storepass", value: "PASSWORD", "Keystore password ('-': prompt; else $\(storeVariable) or a prompt)"),
        OptionSpec("keypass", value: "PASSWORD", "Key password ('-': prompt; else $\(keyVariable), else the keystore password)"),
        OptionSpec("alias", value: "ALIAS", "Alias of the key in the keystore (default: the client id)"),
    ]

    /// True when the command line names a keystore or one of its options (kcadm logs in then).
    static func requested(_ invocation: Invocation) -> Bool {
        ["keystore", "storepass", "keypass", "alias"].contains { invocation.value($0) != nil }
    }

    /// Checks made before anything is read: the options that need --keystore, and no secret with it.
    static func check(_ invocation: Invocation, secretGiven: Bool) throws(KcxError) {
        guard invocation.value("keystore") != nil else {
            if let option = ["storepass", "keypass", "alias"].first(where: { invocation.value($0) != nil }) {
                throw KcxError.usage("--\(option) needs --keystore FILE")
            }
            return
        }
        if invocation.value("keystore") == "" { throw KcxError.usage("--keystore is empty") }
        if invocation.value("alias") == "" { throw KcxError.usage("--alias is empty") }
        if secretGiven {
            throw KcxError.usage("--keystore and --secret cannot be given together: the client logs in with one of them")
        }
    }

    /// Argv warnings, printed first like every kcx warning (silent under kcadm.sh).
    static func warnArgv(_ invocation: Invocation, _ context: CommandContext) {
        for (option, variable) in [("storepass", storeVariable), ("keypass", keyVariable)] {
            if let given = invocation.value(option), given != "-" {
                CommandLineSecrets.warn("--\(option)", use: "--\(option) - (a prompt) or \(variable)", context)
            }
        }
    }

    /// Reads the key and signs an assertion for `clientId` at `server`/`realm`; returns it with what
    /// the session keeps. nil when no --keystore was given.
    static func assertion(
        _ invocation: Invocation, _ context: CommandContext, clientId: String, server: String, realm: String
    ) throws -> (assertion: String, reference: ClientKeystoreReference)? {
        guard let file = invocation.value("keystore") else { return nil }
        let alias = invocation.value("alias") ?? clientId
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(file, limit: .data) } catch {
            throw KcxError.usage(
                "keystore '\(file)': \(error.description)", hint: "give the PKCS#12 keystore holding the client's private key")
        }
        if TruststoreFile.format(of: bytes) == .javaKeystore {
            let converted = file.hasSuffix(".jks") ? String(file.dropLast(4)) + ".p12" : file + ".p12"
            throw KcxError.usage(
                "keystore '\(file)': \(ClientAssertion.describe(.javaKeystore, alias: alias))",
                hint: "convert it to PKCS#12 (keytool asks for both passwords): "
                    + Shell.command([
                        "keytool", "-importkeystore", "-srckeystore", file, "-destkeystore", converted, "-deststoretype",
                        "PKCS12",
                    ]) + ", then give \(Shell.quote(converted))")
        }
        var storeSource: SecretSource?
        var keySource: SecretSource?
        var prompted = false
        let store: String
        switch invocation.value("storepass") {
        case let given? where given != "-":
            store = given
        case let given:
            if given == nil, let value = nonEmpty(context.environment[storeVariable]) {
                store = value
                storeSource = .environment(storeVariable)
            } else {
                store = try ask(
                    "Enter keystore password: ", option: "--storepass", variable: storeVariable, context, standardInput: true)
                prompted = context.stdin.isTerminal
            }
        }
        var key: String
        switch invocation.value("keypass") {
        case let given? where given != "-":
            key = given
        case "-"?:
            key = try ask(
                "Enter key password: ", option: "--keypass", variable: keyVariable, context, standardInput: false,
                emptyAllowed: true)
        default:
            if let value = nonEmpty(context.environment[keyVariable]) {
                key = value
                keySource = .environment(keyVariable)
            } else if prompted, let value = context.stdin.readSecret(prompt: "Enter key password: ") {
                key = value
            } else {
                key = store
            }
        }
        if key.isEmpty { key = store }
        let signingKey: ClientSigningKey
        switch ClientSigningKey.read(keystore: bytes, storePassword: store, keyPassword: key, alias: alias) {
        case .success(let value): signingKey = value
        case .failure(let error):
            let hint: String? =
                switch error {
                case .wrongStorePassword: "give the keystore password with --storepass - (prompted for) or \(storeVariable)"
                case .wrongKeyPassword: "give the key password with --keypass - (prompted for) or \(keyVariable)"
                case .noSuchAlias: "name the key with --alias ALIAS (kcadm's default is the client id)"
                default: nil
                }
            throw KcxError.usage("keystore '\(file)': \(ClientAssertion.describe(error, alias: alias))", hint: hint)
        }
        let assertion = try ClientAssertion.sign(
            clientId: clientId, audience: ClientAssertion.audience(server: server, realm: realm), key: signingKey,
            now: context.now())
        let reference = ClientKeystoreReference(
            file: FileSystem.absolutePath(file), alias: alias, storePasswordSource: storeSource, keyPasswordSource: keySource,
            keyPasswordGiven: keySource == nil && key != store)
        return (assertion, reference)
    }

    /// A password from a prompt on the terminal, else (when allowed) the first line of standard input.
    private static func ask(
        _ prompt: String, option: String, variable: String, _ context: CommandContext, standardInput: Bool,
        emptyAllowed: Bool = false
    ) throws -> String {
        if context.stdin.isTerminal {
            if let value = context.stdin.readSecret(prompt: prompt), emptyAllowed || !value.isEmpty { return value }
        } else if standardInput, let bytes = try? context.stdin.readAll(limit: .secret), !SecretSource.firstLine(bytes).isEmpty {
            return SecretSource.firstLine(bytes)
        }
        throw KcxError.usage("no value for \(option): give it, set \(variable), or pass it on standard input")
    }
}
