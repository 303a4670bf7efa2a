// The rows of docs/security.md's attack table for the 'headers' boundary.
extension SecurityAttack {
    static let headers: [SecurityAttack] = []
}
