// The rows of docs/security.md's attack table for the 'paths' boundary.
extension SecurityAttack {
    static let paths: [SecurityAttack] = [
        SecurityAttack(
            boundary: "paths",
            attack:
                "A delegated admin creates a client scope with id `../../VICTIM`; the operator runs `kcx client-scope delete`",
            outcome: "The id is sent as one segment (`..%2F..%2FVICTIM`): that scope is deleted, realm VICTIM is untouched",
            test: "PathAttackTests.swift: aScopeIdThatClimbsOutOfTheRealmDeletesOnlyThatScope"),
        SecurityAttack(
            boundary: "paths",
            attack: "An audience mapper with id `../../../../../VICTIM`; the operator runs `kcx audience remove`",
            outcome: "Only that mapper is deleted; realm VICTIM is untouched",
            test: "PathAttackTests.swift: aMapperIdThatClimbsOutOfTheRealmRemovesOnlyThatMapper"),
        SecurityAttack(
            boundary: "paths", attack: "A scope with id `../../VICTIM` that `kcx apply` must update (PUT)",
            outcome: "The PUT reaches that scope; realm VICTIM is untouched",
            test: "PathAttackTests.swift: applyUpdatesAScopeWhoseIdClimbsWithoutLeavingTheRealm"),
        SecurityAttack(
            boundary: "paths", attack: "A scope whose id is exactly `..`, which no encoding makes one segment",
            outcome: "Refused before sending (exit 1, names the id); the realm is unchanged",
            test: "PathAttackTests.swift: anIdThatIsADotSegmentIsRefusedAndNothingIsSent"),
        SecurityAttack(
            boundary: "paths",
            attack: "`kcx get|create|update|delete 'clients/../../VICTIM'`, also as `%2e%2E`, `..%2F..`, backslashes or `./`",
            outcome: "Usage error (exit 2) naming the segment; nothing is sent",
            test: "PathAttackTests.swift: anEndpointWithDotSegmentsIsAUsageError"),
        SecurityAttack(
            boundary: "paths", attack: "An absolute ENDPOINT URL on another server, which would receive the bearer token",
            outcome: "Usage error (exit 2) unless `--allow-other-host`; the other server receives nothing",
            test: "PathAttackTests.swift: anAbsoluteURLOnAnotherServerNeedsAllowOtherHost"),
        SecurityAttack(
            boundary: "paths", attack: "`-r ..` as the realm", outcome: "Usage error (exit 2); nothing is sent",
            test: "PathAttackTests.swift: aTargetRealmThatIsADotSegmentIsAUsageError"),
    ]
}
