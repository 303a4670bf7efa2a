// Merging a change into a representation read from the server, for `kcx update --merge`.
import KcxJSON

extension JSON {
    /// Members of `changes` replace those of `self`; where both sides hold an object the merge
    /// recurses, so `{"attributes":{"a":"1"}}` adds one attribute and keeps the others. Arrays and
    /// scalars are replaced whole, and a `null` in `changes` is kept as null (not a removal: use
    /// `-d` to remove), which is how kcadm's merge treats them.
    public func merging(_ changes: JSON) -> JSON {
        guard case .object(var base) = self, case .object(let patch) = changes else { return changes }
        for (key, value) in patch {
            if let existing = base[key] {
                base[key] = existing.merging(value)
            } else {
                base[key] = value
            }
        }
        return .object(base)
    }
}
