// The rows of docs/security.md's attack table for the 'expansion' boundary.
extension SecurityAttack {
    static let expansion: [SecurityAttack] = [
        SecurityAttack(
            boundary: "expansion",
            attack:
                "A delegated realm admin (realm-management manage-clients only) leaves `${KCX_PASSWORD}` in a client scope's description, an audience mapper's name and custom audience and a claim value (with `$${x}`, `$`, `$$`, an unclosed `${`); the operator, KCX_PASSWORD in the environment, runs `kcx export` then `kcx plan` and `kcx apply -v` of the exported file (YAML and JSON)",
            outcome:
                "Export writes every server `${` as `$${`, which the loader reads as a literal `${`; plan shows `no changes`, apply changes nothing, the realm keeps the literal strings, and the password appears in no output",
            test: "ExpansionAttackTests.swift: serverStringsWithVariablesRoundTripThroughExportPlanAndApplyLiterally"),
        SecurityAttack(
            boundary: "expansion",
            attack:
                "The operator's own file puts a secret-named variable (`description: ${MY_TOKEN}`) and a plain variable into a mapper's `secret` config field, then runs plan (text and JSON), `apply -v`, and plan again after the token changes",
            outcome:
                "Every such value shows as `<redacted>` (the value it replaces too: `description: <redacted> -> <redacted>`) in plan text, JSON, apply progress and -v traces, while the server receives the real values",
            test: "ExpansionAttackTests.swift: anOperatorsSecretVariableIsRedactedInPlanAndApplyOutput"),
    ]
}
