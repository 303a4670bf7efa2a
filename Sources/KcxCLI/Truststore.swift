// kcadm's truststores: `config truststore [FILE | --delete] [--trustpass PASSWORD]` and
// `--truststore FILE [--trustpass PASSWORD]` on `config credentials` and the request commands.
// A PEM file is used where it lies (as --cacert). A PKCS#12 file (or a DER certificate) is opened
// with its password and its certificates become the PEM bundle libcurl trusts: for one command in
// memory, for a stored session as a file next to the config file, so the password is used once and
// never stored (kcadm stores it in its config file). A Java keystore (JKS) is named, with the
// keytool command that converts it to PKCS#12.
//
// The password, as kcadm finds it: --trustpass PASSWORD; --trustpass - (a prompt on the terminal,
// else the first line of standard input); $KC_CLI_TRUSTSTORE_PASSWORD; none, when the file opens
// without one; else a prompt on the terminal (and, for `config truststore`, standard input).
import Glibc
import KeycloakKit

enum Truststore {
    static let passwordVariable = "KC_CLI_TRUSTSTORE_PASSWORD"
    static let prompt = "Enter truststore password: "

    static let options = [
        OptionSpec(
            "truststore", value: "FILE", "kcadm's truststore: a PEM file of CA certificates (as --cacert) or a PKCS#12 file",
            completion: .file),
        OptionSpec(
            "trustpass", value: "PASSWORD",
            "Password of a PKCS#12 --truststore ('-': prompt; else $\(passwordVariable), a prompt, or none)"),
    ]

    static let spec = CommandSpec(
        ["config", "truststore"],
        summary: "Trust the CA certificates of a PEM or PKCS#12 file for the profile's logins and session",
        discussion: """
            As kcadm's config truststore: the profile's logins (config credentials) and the commands \
            of its session trust the CA certificates in FILE; it may be set before the first login and \
            is kept across logins and logouts. A PEM file is used where it lies and read at each use. \
            The certificates of a PKCS#12 file (.p12, .pfx) are read once, with its password, into a \
            PEM file next to the config file (truststore-PROFILE.pem); the password is not \
            stored. The password comes from --trustpass PASSWORD, --trustpass - (prompted for), \
            $\(passwordVariable), or, when the file needs one, a prompt on the terminal or the first \
            line of standard input. A wrong password, a JKS keystore (convert it with keytool \
            -importkeystore ... -deststoretype PKCS12) or an unreadable file is a usage error (exit 2) \
            and changes nothing. --delete forgets the truststore. config credentials --truststore FILE \
            sets one for that login's session only.
            """,
        positionals: [PositionalSpec("FILE", "PEM or PKCS#12 file of CA certificates", optional: true)],
        options: [OptionSpec("delete", short: "d", "Forget the stored truststore")] + [options[1]],
        examples: [
            ExampleSpec("kcx config truststore ~/ca.pem", "Trust ca.pem for the default profile"),
            ExampleSpec(
                "kcx config truststore ~/.keycloak/truststore.p12 --trustpass -",
                "Trust a PKCS#12 truststore, prompting for its password"),
            ExampleSpec("kcx config truststore --delete", "Go back to the system's CA certificates"),
        ],
        handler: { invocation, context in try run(invocation, context) })

    /// `--trustpass VALUE` is a secret on argv: warned about like --password.
    static func warnTrustpass(_ invocation: Invocation, _ context: CommandContext) {
        if let given = invocation.value("trustpass"), given != "-" {
            CommandLineSecrets.warn("--trustpass", use: "--trustpass - (a prompt) or \(passwordVariable)", context)
        }
    }

    /// A truststore ready for TLS: a PEM file where it lies, or the certificates read from a PKCS#12 file.
    enum Trusted: Equatable {
        case file(String)
        case pem([UInt8])
    }

    /// Reads `file`, named `label` in messages. `context` nil: no prompt (a file that needs a
    /// password it was not given is refused). `readsStandardInput`: with no terminal, the password
    /// may come from standard input (config truststore, which reads nothing else there).
    static func load(
        _ file: String, label: String, _ invocation: Invocation, _ context: CommandContext?, readsStandardInput: Bool = false
    ) throws -> Trusted {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(file, limit: .data) } catch {
            throw KcxError.usage(
                "\(label) '\(file)': \(error.description)", hint: "give a PEM or PKCS#12 file of CA certificates")
        }
        switch TruststoreFile.format(of: bytes) {
        case .pem:
            return .file(FileSystem.absolutePath(file))
        case .javaKeystore:
            let converted = file.hasSuffix(".jks") ? String(file.dropLast(4)) + ".p12" : file + ".p12"
            throw KcxError.usage(
                "\(label) '\(file)' is a Java keystore (JKS), which kcx cannot read; it reads PEM and PKCS#12 truststores",
                hint: "convert it to PKCS#12 (keytool asks for both passwords): "
                    + Shell.command([
                        "keytool", "-importkeystore", "-srckeystore", file, "-destkeystore", converted, "-deststoretype",
                        "PKCS12",
                    ]) + ", then give \(Shell.quote(converted))")
        case .unknown:
            throw KcxError.usage(
                "\(label) '\(file)' is neither PEM (-----BEGIN CERTIFICATE-----) nor PKCS#12",
                hint: "give a PEM or PKCS#12 file of CA certificates")
        case .der:
            return .pem(try readDER(bytes, file: file, label: label, invocation, context, readsStandardInput: readsStandardInput))
        }
    }

    private static func readDER(
        _ bytes: [UInt8], file: String, label: String, _ invocation: Invocation, _ context: CommandContext?,
        readsStandardInput: Bool
    ) throws -> [UInt8] {
        let given = invocation.value("trustpass")
        var password: String?
        if let given, given != "-" {
            password = given
        } else if given == "-" {
            password = try ask(file: file, label: label, context, readsStandardInput: readsStandardInput)
        } else if let value = context.flatMap({ $0.environment[passwordVariable] }), !value.isEmpty {
            password = value
        }
        var result = TruststoreFile.certificatesPEM(der: bytes, password: password)
        if password == nil, case .failure(.wrongPassword) = result {
            // No password anywhere and the file needs one: ask, as kcadm does.
            password = try ask(file: file, label: label, context, readsStandardInput: readsStandardInput)
            result = TruststoreFile.certificatesPEM(der: bytes, password: password)
        }
        switch result {
        case .success(let pem):
            return pem
        case .failure(.wrongPassword):
            throw KcxError.usage(
                "\(label) '\(file)': wrong truststore password (the PKCS#12 integrity check failed)",
                hint: "give the password with --trustpass - (prompted for) or \(passwordVariable)")
        case .failure(.unreadable):
            throw KcxError.usage(
                "\(label) '\(file)': the PKCS#12 contents cannot be decrypted (a wrong password, or an algorithm this OpenSSL lacks)",
                hint:
                    "export the certificates as PEM: openssl pkcs12 -in \(Shell.quote(file)) -nokeys -out ca.pem, then give ca.pem"
            )
        case .failure(.noCertificate):
            throw KcxError.usage("\(label) '\(file)' holds no certificate")
        case .failure(.notPKCS12):
            throw KcxError.usage(
                "\(label) '\(file)' is neither PEM (-----BEGIN CERTIFICATE-----) nor PKCS#12",
                hint: "give a PEM or PKCS#12 file of CA certificates")
        }
    }

    /// The password from a prompt on the terminal, else (when allowed) the first line of standard input.
    private static func ask(file: String, label: String, _ context: CommandContext?, readsStandardInput: Bool) throws -> String {
        if let context {
            if context.stdin.isTerminal {
                if let value = context.stdin.readSecret(prompt: prompt) { return value }
            } else if readsStandardInput, let bytes = try? context.stdin.readAll(limit: .secret),
                !SecretSource.firstLine(bytes).isEmpty
            {
                return SecretSource.firstLine(bytes)
            }
        }
        throw KcxError.usage(
            "\(label) '\(file)' needs its password",
            hint: "give it with --trustpass - (prompted for), \(passwordVariable), or --trustpass PASSWORD")
    }

    /// Where `config truststore` keeps the certificates of a PKCS#12 file for `profile`: next to
    /// the config file, one file per profile.
    /// `login`: the file of a PKCS#12 `config credentials --truststore`, which belongs to the
    /// session, apart from `config truststore`'s, which belongs to the profile.
    static func bundlePath(_ store: ConfigStore, profile: String, login: Bool = false) -> String {
        var name = ""
        for byte in profile.utf8 {
            let plain =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
                || byte == 0x2E
            if plain {
                name.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16)
                name += "_" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return FileSystem.parent(of: store.path) + (login ? "/login-truststore-\(name).pem" : "/truststore-\(name).pem")
    }

    /// The CA file a session stores for `trusted`: a PEM file's own path, else the bundle written
    /// for the profile. Removes a bundle left by an earlier PKCS#12 truststore when no longer used.
    static func storedFile(_ trusted: Trusted?, _ store: ConfigStore, profile: String, login: Bool = false) throws -> String? {
        let bundle = bundlePath(store, profile: profile, login: login)
        switch trusted {
        case .pem(let bytes)?:
            do {
                try FileSystem.makePrivateDirectory(FileSystem.parent(of: bundle))
                try FileSystem.writeAtomically(bytes, to: bundle)
            } catch {
                throw KcxError(.serverError, "cannot write the truststore's certificates: \(error.description)")
            }
            return bundle
        case .file(let path)?:
            removeBundle(bundle)
            return path
        case nil:
            removeBundle(bundle)
            return nil
        }
    }

    private static func removeBundle(_ path: String) {
        if FileSystem.fileExists(path) && !FileSystem.isSymbolicLink(path) { unlink(path) }
    }

    /// What `config truststore` was asked to do, checked before anything is read (kcadm's
    /// ConfigTruststoreCmd rules: a file or --delete, --trustpass only with a file).
    enum Action: Equatable, Sendable {
        case trust(file: String)
        case delete
    }

    static func parse(_ invocation: Invocation) throws(KcxError) -> Action {
        let file = invocation.positionals.first
        let delete = invocation.flag("delete")
        if delete && file != nil {
            throw KcxError.usage("--delete and a TRUSTSTORE file cannot be given together")
        }
        if delete && invocation.value("trustpass") != nil {
            throw KcxError.usage("--trustpass and --delete cannot be given together")
        }
        if delete { return .delete }
        guard let file else { throw KcxError.usage("missing TRUSTSTORE file (or --delete)") }
        if file.isEmpty { throw KcxError.usage("TRUSTSTORE is empty") }
        return .trust(file: file)
    }

    static func run(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        warnTrustpass(invocation, context)
        let action = try parse(invocation)
        let file: String? = if case .trust(let file) = action { file } else { nil }
        let store = SessionSettings.store(invocation, context)
        let profile = SessionSettings.profile(invocation, context)
        // Everything is read (and the password checked) before the config changes.
        let trusted = try file.map { try load($0, label: "truststore", invocation, context, readsStandardInput: true) }
        try store.checkWritable()
        // As kcadm's: a setting of its own, before or after a login; the session (if any) uses it now,
        // and config credentials uses it for later logins.
        try store.setTruststore(try storedFile(trusted, store, profile: profile), for: profile)
        return .ok
    }
}
