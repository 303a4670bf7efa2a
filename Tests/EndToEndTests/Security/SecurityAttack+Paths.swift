// The rows of docs/security.md's attack table for the 'paths' boundary.
extension SecurityAttack {
    static let paths: [SecurityAttack] = []
}
