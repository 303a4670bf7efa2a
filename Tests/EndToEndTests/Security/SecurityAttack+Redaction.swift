// The rows of docs/security.md's attack table for the 'redaction' boundary.
extension SecurityAttack {
    static let redaction: [SecurityAttack] = []
}
