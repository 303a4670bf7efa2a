// The rows of docs/security.md's attack table for the 'sandbox' boundary.
extension SecurityAttack {
    static let sandbox: [SecurityAttack] = []
}
