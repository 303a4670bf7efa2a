// The rows of docs/security.md's attack table for the 'tls' boundary.
extension SecurityAttack {
    static let tls: [SecurityAttack] = []
}
