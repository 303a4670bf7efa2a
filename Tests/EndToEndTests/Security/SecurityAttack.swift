// The table of attacks docs/security.md shows: each row names the test that tries it end to end, and
// SecurityCatalogTests fails when a named test is missing or the committed table differs from this one.
import Foundation

struct SecurityAttack: Sendable {
    /// The trust boundary, one of docs/security.md's classes (paths, verify, expansion, ...).
    let boundary: String
    /// What the attacker does, in one sentence.
    let attack: String
    /// What kcx (or kcx-sandbox) does instead, as the test checks it.
    let outcome: String
    /// `File.swift: functionName` of the test that tries it; the function must exist in that file.
    let test: String

    /// Every row, in the order docs/security.md lists the boundaries. Each class keeps its rows in
    /// its own file beside this one (SecurityAttack+Paths.swift, ...).
    static var all: [SecurityAttack] {
        paths + verify + expansion + files + terminal + redaction + headers + tls + sandbox + quadratic
    }
}
