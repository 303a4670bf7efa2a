// The rows of docs/security.md's attack table for the 'verify' boundary.
extension SecurityAttack {
    static let verify: [SecurityAttack] = [
        SecurityAttack(
            boundary: "verify",
            attack:
                "A token signed by a fake issuer on loopback with its own key, iss, jku and x5u pointing at that issuer, given to `token decode --verify` (with and without -r)",
            outcome:
                "Exit 7 naming the token's iss and the expected issuer; no request at all (none to the fake issuer, none to the session's server); no claims on stdout",
            test: "VerifyAttackTests.swift: aTokenFromAFakeIssuerIsRefusedWithoutContactingIt"),
        SecurityAttack(
            boundary: "verify",
            attack:
                "A token naming the genuine issuer but signed with the attacker's key, under the attacker's kid (jku pointing at the attacker's JWKS) or the realm's own kid",
            outcome:
                "Exit 7 (unknown kid; bad signature); the only request is GET {issuer}/protocol/openid-connect/certs of the pinned issuer; the attacker's server gets none",
            test: "VerifyAttackTests.swift: aForeignKeyUnderTheGenuineIssuerIsRefused"),
        SecurityAttack(
            boundary: "verify",
            attack:
                "A genuine sandbox token relabelled alg none, HS256 signed with the realm's public key (key confusion), or RS512 over the RS256 signature",
            outcome: "Exit 7: the token's alg is refused, only RS256 is accepted; the untouched token verifies",
            test: "VerifyAttackTests.swift: algNoneAndHS256KeyedWithThePublicKeyAreRefused"),
        SecurityAttack(
            boundary: "verify",
            attack:
                "A genuine token from another realm of the same server, verified with a session in master (or --issuer naming master)",
            outcome: "Exit 7 naming both issuers, with a hint; verified only when -r, KCX_REALM or --issuer names that realm",
            test: "VerifyAttackTests.swift: aTokenFromAnotherRealmOfTheSameServerIsRefusedUnlessNamed"),
        SecurityAttack(
            boundary: "verify",
            attack: "`token decode --verify` with no session and no --issuer, so only the token could name an issuer",
            outcome: "Exit 2 telling the user to log in or pass --issuer; nothing read from the token's issuer",
            test: "VerifyAttackTests.swift: verifyWithoutASessionOrIssuerIsAUsageError"),
        SecurityAttack(
            boundary: "verify",
            attack: "A token whose iss holds terminal escapes, CR LF and a fake 'verified:' line",
            outcome: "Exit 7; the iss is quoted with every control character escaped (no ESC or CR reaches stderr)",
            test: "VerifyAttackTests.swift: controlCharactersInTheTokensIssAreEscaped"),
    ]
}
