// The rows of docs/security.md's attack table for the 'expansion' boundary.
extension SecurityAttack {
    static let expansion: [SecurityAttack] = []
}
