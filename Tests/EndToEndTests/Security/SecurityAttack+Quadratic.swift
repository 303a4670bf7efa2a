// The rows of docs/security.md's attack table for the 'quadratic' boundary.
extension SecurityAttack {
    static let quadratic: [SecurityAttack] = [
        SecurityAttack(
            boundary: "quadratic",
            attack:
                "A declarative file of 16,000 client scopes, planned as text (grouping scanned the changes once per group: 263 s in a debug build)",
            outcome:
                "The text plan is grouped in one pass (0.84 s debug, same output): every scope's change is printed, in order, with the summary line",
            test: "QuadraticAttackTests.swift: aSixteenThousandScopePlanRendersInFull"),
        SecurityAttack(
            boundary: "quadratic",
            attack:
                "A realm already holding thousands of client scopes, all declared by the file (each declared scope was looked up by scanning every live scope: 16,000 took 70-91 s in a debug build)",
            outcome:
                "Live scopes and clients are indexed by name and clientId once (0.8-0.9 s for 16,000); the plan shows no changes, and a change to the last scope is found",
            test: "QuadraticAttackTests.swift: aPlanAgainstThousandsOfLiveScopesFindsEachByName"),
        SecurityAttack(
            boundary: "quadratic",
            attack:
                "One client scope with thousands of audience mappers, created, planned again and pruned (each declared mapper was matched by scanning the scope's live mappers, and the loader scanned for duplicate names: a new scope of 16,000 mappers took 46 s in a debug build)",
            outcome:
                "Live mappers are indexed by audience and name, duplicates checked with sets (5.5 s, mostly printing the JSON plan); the re-plan shows no changes and --prune deletes exactly the one mapper dropped",
            test: "QuadraticAttackTests.swift: aScopeWithThousandsOfMappersPlansAndPrunesExactly"),
        SecurityAttack(
            boundary: "quadratic",
            attack:
                "`kcx create ... -s a.a.a...=1` (and `-d`) with a key path 8,000 levels deep (named its prefix at every level, then recursed: kcx crashed with a stack overflow)",
            outcome:
                "Paths deeper than 512 steps (the deepest JSON kcx reads) are a usage error, exit 2, before any request, quoting only the path's start; paths are walked in a loop, linear and without recursion",
            test: "QuadraticAttackTests.swift: aKeyPathDeeperThanKcxReadsIsAUsageErrorBeforeAnyRequest"),
    ]
}
