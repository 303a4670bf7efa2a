// The rows of docs/security.md's attack table for the 'files' boundary.
extension SecurityAttack {
    static let files: [SecurityAttack] = []
}
