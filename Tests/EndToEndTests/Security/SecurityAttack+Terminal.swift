// The rows of docs/security.md's attack table for the 'terminal' boundary.
extension SecurityAttack {
    static let terminal: [SecurityAttack] = []
}
