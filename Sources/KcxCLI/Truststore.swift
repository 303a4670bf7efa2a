// kcadm's truststores: `config truststore FILE` and `--truststore FILE` (`--trustpass` accepted).
// kcx trusts PEM files of CA certificates; a Java keystore (JKS) or a PKCS#12 file is named as such,
// with the command that turns it into PEM, rather than read.
import KeycloakKit

enum Truststore {
    /// Refuses a JKS or PKCS#12 file with the conversion to run; PEM passes.
    static func checkPEM(_ bytes: [UInt8], option: String, file: String) throws {
        if bytes.starts(with: [0xFE, 0xED, 0xFE, 0xED]) {
            throw KcxError.usage(
                "\(option) '\(file)' is a Java keystore (JKS); kcx reads PEM certificates",
                hint: "export it: keytool -exportcert -rfc -keystore '\(file)' -alias ALIAS > ca.pem, then give ca.pem")
        }
        if bytes.first == 0x30 {
            throw KcxError.usage(
                "\(option) '\(file)' is a binary (DER: PKCS#12 or a single certificate) file; kcx reads PEM certificates",
                hint: "convert it: openssl pkcs12 -in '\(file)' -nokeys -out ca.pem (or openssl x509 -inform der -in '\(file)' -out ca.pem)")
        }
        if !String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") {
            throw KcxError.usage("\(option) '\(file)' holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
    }

    static let options = [
        OptionSpec("truststore", value: "FILE", "kcadm's truststore: a PEM file of CA certificates (as --cacert)", completion: .file),
        OptionSpec("trustpass", value: "PASSWORD", "Accepted for kcadm's scripts; a PEM truststore has no password"),
    ]

    static let spec = CommandSpec(
        ["config", "truststore"], summary: "Trust the CA certificates of a PEM file for the stored session",
        discussion: """
            As kcadm's config truststore: later commands of the profile trust the CA certificates in
            FILE (kcx keeps it as the session's --cacert). FILE must be PEM; a JKS keystore or a
            PKCS#12 file is refused with the keytool or openssl command that exports its certificates
            as PEM. --delete forgets it. Log in first (config credentials, which also takes
            --truststore FILE for its own login).
            """,
        positionals: [PositionalSpec("FILE", "PEM file of CA certificates", optional: true)],
        options: [OptionSpec("delete", short: "d", "Forget the stored truststore")] + [options[1]],
        examples: [
            ExampleSpec("kcx config truststore ~/ca.pem", "Trust ca.pem for the default profile"),
            ExampleSpec("kcx config truststore --delete", "Go back to the system's CA certificates"),
        ],
        handler: { invocation, context in try run(invocation, context) })

    /// `--trustpass` is a secret on argv: warned about like --password, though a PEM file needs none.
    static func warnTrustpass(_ invocation: Invocation, _ context: CommandContext) {
        if invocation.value("trustpass") != nil {
            CommandLineSecrets.warn("--trustpass", use: "a PEM truststore, which needs no password", context)
        }
    }

    static func run(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        warnTrustpass(invocation, context)
        let file = invocation.positionals.first
        let delete = invocation.flag("delete")
        if delete == (file != nil) {
            throw KcxError.usage(delete ? "give either FILE or --delete, not both" : "missing FILE (or --delete)")
        }
        let store = SessionSettings.store(invocation, context)
        let profile = SessionSettings.profile(invocation, context)
        guard var session = try store.session(named: profile) else {
            throw KcxError(
                .authentication, "no session '\(profile)' in \(store.path) to keep the truststore with",
                hint: "log in first; config credentials takes --truststore FILE for its own login")
        }
        if let file {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(file, limit: .data) } catch {
                throw KcxError.usage("cannot read '\(file)': \(error.description)")
            }
            try checkPEM(bytes, option: "FILE", file: file)
            session.caCertificateFile = FileSystem.absolutePath(file)
        } else {
            session.caCertificateFile = nil
        }
        try store.save(session, as: profile)
        return .ok
    }
}
