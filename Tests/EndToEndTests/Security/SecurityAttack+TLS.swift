// The rows of docs/security.md's attack table for the 'tls' boundary.
extension SecurityAttack {
    static let tls: [SecurityAttack] = [
        SecurityAttack(
            boundary: "tls",
            attack: "A server with a self-signed certificate, for a session logged in without `--insecure` or `--cacert`",
            outcome:
                "Verification stays on: exit 6 with the certificate error and the `--cacert`/`--insecure` hint; nothing is printed on stdout",
            test: "TLSChoiceTests.swift: withoutStoredChoicesVerificationStaysOn"),
        SecurityAttack(
            boundary: "tls",
            attack: "An interceptor presents a certificate that the session's stored `--cacert` did not sign",
            outcome:
                "Refused in the handshake: exit 6, the bearer token is never sent; only an explicit `--cacert` for that certificate gets through",
            test: "TLSChoiceTests.swift: certificateTheStoredCADidNotSignIsRefused"),
        SecurityAttack(
            boundary: "tls",
            attack: "A session logged in with `--insecure` is used by later commands that do not repeat it",
            outcome:
                "They skip verification as the login asked, but every one warns on stderr (`--insecure, stored with the session`); stdout holds only the data",
            test: "TLSChoiceTests.swift: storedInsecureIsUsedAndWarnsEachTime"),
        SecurityAttack(
            boundary: "tls",
            attack: "A session logged in with `--cacert FILE` (a private CA) is used by later commands that do not repeat it",
            outcome:
                "They verify against the stored CA file (no certificate error, no nudge towards `--insecure`); `config status` shows the file",
            test: "TLSChoiceTests.swift: storedCACertificateIsUsed"),
        SecurityAttack(
            boundary: "tls",
            attack: "`config truststore FILE.p12` with a wrong `--trustpass` (kcadm's PKCS#12 truststore)",
            outcome:
                "Refused before the config changes: exit 2 (1 under kcadm.sh) naming the file; the session keeps its CA; the password is never printed",
            test: "TruststoreAttackTests.swift: wrongPasswordChangesNothing"),
        SecurityAttack(
            boundary: "tls",
            attack: "A PKCS#12 truststore's password given with `--trustpass` on a `-v` request",
            outcome:
                "The password appears in no output or trace and is never stored; the certificates are used from memory for that command",
            test: "TruststoreAttackTests.swift: oneCommandTruststoreWithVerboseTraceHidesPassword"),
    ]
}
