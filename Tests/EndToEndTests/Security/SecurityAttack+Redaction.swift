// The rows of docs/security.md's attack table for the 'redaction' boundary.
extension SecurityAttack {
    static let redaction: [SecurityAttack] = [
        SecurityAttack(
            boundary: "redaction",
            attack:
                "`--dry-run` of a command whose PUT carries a confidential client's representation, as text and JSON (CI logs)",
            outcome:
                "The body shows `\"secret\":\"<redacted>\"`; the secret appears in neither output nor in `-v` of the real run",
            test: "RedactionAttackTests.swift: aDryRunNeverShowsTheClientSecret"),
        SecurityAttack(
            boundary: "redaction",
            attack:
                "Secrets of Keycloak's representations: SAML private keys, key providers' keystore/key passwords, SMTP password and token secret, IdP client secret, LDAP bind credential, credential values and secret data",
            outcome:
                "Each is `<redacted>` in every body kcx shows; switches (`revokeRefreshToken`, `…use_refresh_token`) and certificates stay visible",
            test: "RedactionJSONTests.swift: everySecretOfKeycloaksRepresentationsIsHidden"),
        SecurityAttack(
            boundary: "redaction",
            attack: "`-s secret=…` or `-s credentials:=[{\"value\":…}]` on argv, where `ps` and shell history see it",
            outcome: "A warning like `--password`'s, naming `-f FILE` / `-f -` instead",
            test: "RedactionAttackTests.swift: aSecretGivenWithSetWarns"),
        SecurityAttack(
            boundary: "redaction",
            attack:
                "A saved plan (`kcx plan --out`), meant for a pull request or a CI artifact, would carry a secret the file takes from `${PARTNER_API_TOKEN}`",
            outcome:
                "The plan file stores `{\"kcx:secret\": \"${PARTNER_API_TOKEN}\"}`, never the value; `apply PLAN` without the variable exits 2 before any request; with it the server gets the value and no output shows it, `-v` included",
            test: "PlanFileAttackTests.swift: aSavedPlanStoresASecretVariableByNameAndApplyReadsItAgain"),
        SecurityAttack(
            boundary: "redaction",
            attack: "A secret field written in the file itself (`client.secret: literal`) saved into a plan",
            outcome: "`plan --out` exits 2 naming the change, writes no file and shows no value",
            test: "PlanFileAttackTests.swift: aSecretWrittenInTheFileIsNotSavedInAPlan"),
        SecurityAttack(
            boundary: "redaction",
            attack:
                "A scope name or description made to become a link, an image, HTML or an extra cell in the `plan --output markdown` pull-request comment",
            outcome:
                "Brackets, pipes, asterisks, underscores, backticks, tildes and backslashes are backslash-escaped and `<`, `>`, `&` written as entities: the comment shows the text",
            test: "PlanFileAttackTests.swift: aNameMeantToBecomeMarkupInTheReviewCommentStaysText"),
        SecurityAttack(
            boundary: "redaction",
            attack:
                "A client `secret` in a declarative file from a variable whose name says nothing of a secret, created and then rotated by `plan`/`apply` (text, JSON, `-v`) and read back by `export`",
            outcome:
                "Every output shows `secret: (none) -> <redacted>` / `<redacted> -> <redacted>`; export writes the placeholder `${BILLING_SECRET:-}`, never the value",
            test: "DeclarativeSecretAttackTests.swift: aClientSecretFromTheFileNeverAppears"),
        SecurityAttack(
            boundary: "redaction",
            attack: "A client secret written literally into a declarative file (bound for version control)",
            outcome: "Refused before any request (exit 2) with file:line:col; the message does not quote it",
            test: "DeclarativeSecretAttackTests.swift: aSecretWrittenIntoTheFileIsRefused"),
        SecurityAttack(
            boundary: "redaction",
            attack:
                "A signed-JWT login (`config credentials --keystore --storepass` and a request command's one-shot `--keystore --storepass --keypass`) run with -v, the key password in KC_CLI_KEY_PASSWORD",
            outcome:
                "Neither password nor the signed client assertion appears in stdout, stderr or the -v trace (`client_assertion=<redacted>`); the config file keeps the keystore's path, alias and the variable's name, never a password",
            test: "KeystoreAttackTests.swift: keystorePasswordsAndAssertionNeverAppearInOutputTracesOrConfig"),
    ]
}
