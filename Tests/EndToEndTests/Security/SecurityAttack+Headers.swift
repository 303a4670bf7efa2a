// The rows of docs/security.md's attack table for the 'headers' boundary.
extension SecurityAttack {
    static let headers: [SecurityAttack] = [
        SecurityAttack(
            boundary: "headers",
            attack:
                "KCX_TOKEN or --token holding CR LF (or ESC) followed by an extra header, `X-Injected: yes`, with and without -v",
            outcome: "Exit 2 naming the source and the character, never the token; the server receives no request",
            test: "HeaderAttackTests.swift: aUserTokenWithCRLFIsRefusedBeforeAnythingIsSent"),
        SecurityAttack(
            boundary: "headers",
            attack:
                "A fake token endpoint on loopback answers an access_token holding \"\\r\\nX-Injected: yes\" (--no-config run and config credentials)",
            outcome: "Exit 1 naming the token endpoint; nothing stored; no request after the login, none carrying X-Injected",
            test: "HeaderAttackTests.swift: aTokenFromTheServerWithCRLFIsNeverSentAsAHeader"),
        SecurityAttack(
            boundary: "headers",
            attack:
                "A password or client secret sent over plain http:// to a host that is not loopback (in process: no test contacts another machine)",
            outcome:
                "One warning on stderr per command naming the host, even when the command logs in twice; none for https:// or loopback",
            test: "HeaderSafetyCommandTests.swift: oneWarningPerCommand"),
        SecurityAttack(
            boundary: "headers",
            attack:
                "Logins with passwords and client secrets over plain http:// to the sandbox on 127.0.0.1 and a server named localhost",
            outcome: "No plain-http warning: stderr holds only the usual confirmation",
            test: "HeaderAttackTests.swift: passwordsOverHTTPToLoopbackGetNoWarning"),
        SecurityAttack(
            boundary: "headers",
            attack:
                "kcadm's -h NAME=VALUE on get/create/update/delete with CR LF, LF or ESC in the value, or CR LF and spaces in the name, under kcx and kcadm.sh",
            outcome:
                "Exit 2 (1 under kcadm.sh) naming the header and the character; the server receives no request; a well-formed -h is sent as given",
            test: "RequestHeaderAttackTests.swift: requestHeadersWithCRLFOrBadNamesAreRefusedBeforeAnythingIsSent"),
    ]
}
