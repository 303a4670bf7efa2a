// "Did you mean" candidates for mistyped commands, options and names (clients, scopes, realms,
// users, endpoints), by edit distance.

public enum Suggestions {
    /// Candidates close to `input`, closest first: within 2 edits (1 for words up to 4 letters),
    /// or starting with what was typed.
    public static func closest(to input: String, among candidates: [String], limit: Int = 3) -> [String] {
        let budget = input.count <= 4 ? 1 : 2
        var scored: [(candidate: String, distance: Int)] = []
        for candidate in candidates where candidate != input {
            let distance = editDistance(input, candidate)
            if distance <= budget || (input.count >= 2 && candidate.hasPrefix(input)) {
                scored.append((candidate, distance))
            }
        }
        scored.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.candidate < $1.candidate }
        return Array(scored.prefix(limit).map(\.candidate))
    }

    /// Damerau-Levenshtein (optimal string alignment): a swap of two letters counts as one edit,
    /// the most common typo (`gte` for `get`).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }

    /// `did you mean 'a' or 'b'?`, or nil when nothing is close.
    public static func phrase(_ candidates: [String]) -> String? {
        guard !candidates.isEmpty else { return nil }
        let quoted = candidates.map { "'\($0)'" }
        let list = quoted.count == 1 ? quoted[0] : quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
        return "did you mean \(list)?"
    }
}
