// The rows of docs/security.md's attack table for the 'verify' boundary.
extension SecurityAttack {
    static let verify: [SecurityAttack] = []
}
