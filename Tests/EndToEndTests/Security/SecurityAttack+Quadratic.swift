// The rows of docs/security.md's attack table for the 'quadratic' boundary.
extension SecurityAttack {
    static let quadratic: [SecurityAttack] = []
}
