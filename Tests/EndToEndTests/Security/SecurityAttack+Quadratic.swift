// The rows of docs/security.md's attack table for the 'quadratic' boundary.
extension SecurityAttack {
    static let quadratic: [SecurityAttack] = [
        SecurityAttack(
            boundary: "quadratic",
            attack: "A declarative file of 16,000 client scopes, planned as text (grouping scanned the changes once per group: 263 s in a debug build)",
            outcome: "The text plan is grouped in one pass (0.84 s debug, same output): every scope's change is printed, in order, with the summary line",
            test: "QuadraticAttackTests.swift: aSixteenThousandScopePlanRendersInFull"),
        SecurityAttack(
            boundary: "quadratic",
            attack: "`kcx create ... -s a.a.a...=1` (and `-d`) with a key path 8,000 levels deep (named its prefix at every level, then recursed: kcx crashed with a stack overflow)",
            outcome: "Paths deeper than 512 steps (the deepest JSON kcx reads) are a usage error, exit 2, before any request, quoting only the path's start; paths are walked in a loop, linear and without recursion",
            test: "QuadraticAttackTests.swift: aKeyPathDeeperThanKcxReadsIsAUsageErrorBeforeAnyRequest"),
    ]
}
