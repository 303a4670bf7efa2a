// -s/-d key paths at depth: a path is walked in a loop (no recursion, linear in its length), and
// the parser refuses paths deeper than kcx reads JSON (JSON.maximumDepth) with a usage error.
import KcxJSON
import KeycloakKit
import Testing

@Suite struct DeepPathTests {
    func path(_ depth: Int) -> String { Array(repeating: "a", count: depth).joined(separator: ".") }

    @Test func pathsUpToTheJSONDepthParse() throws {
        let expression = try SetExpression.parse(path(JSON.maximumDepth) + "=1")
        #expect(expression.path.components.count == JSON.maximumDepth)
        #expect(try JSONPath.parse(path(JSON.maximumDepth)).components.count == JSON.maximumDepth)
        #expect(
            try JSONPath.parse("a" + String(repeating: "[0]", count: JSON.maximumDepth - 1)).components.count == JSON.maximumDepth
        )
    }

    @Test func deeperPathsAreAUsageErrorQuotingTheStart() {
        let deeper = path(JSON.maximumDepth + 1)
        #expect(
            throws: SetExpressionError(
                input: String(deeper.prefix(40)) + "...",
                reason: "the key path is deeper than 512 levels, the most kcx reads or writes")
        ) {
            try SetExpression.parse(deeper + "=1")
        }
        #expect(
            throws: SetExpressionError(
                input: String(path(8_000).prefix(40)) + "...",
                reason: "the key path is deeper than 512 levels, the most kcx reads or writes")
        ) {
            try JSONPath.parse(path(8_000))
        }
    }

    /// Applying, removing and reading a path 8,000 levels deep (built directly: the parser stops at 512).
    @Test func eightThousandLevelsApplyAndRemove() throws {
        let depth = 8_000
        let components = Array(repeating: JSONPathComponent.key("a"), count: depth - 1) + [.index(0)]
        var body: JSON = ["keep": true]
        try body.apply(SetExpression(path: JSONPath(components), operation: .assign, value: "leaf"))
        #expect(body.value(at: components[...]) == "leaf")
        #expect(body["keep"] == true)
        // Every level on the way is an object with one member (the last an array of one).
        var level = body["a"]
        for _ in 1..<(depth - 1) {
            #expect(level?.objectValue?.count == 1)
            level = level?["a"]
        }
        #expect(level == ["leaf"])
        try body.apply(SetExpression(path: JSONPath(Array(components.dropLast())), operation: .append, value: "x"))
        #expect(body.value(at: components.dropLast()[...]) == ["leaf", "x"])
        // Appending to a string at the bottom makes it an array (as kcadm does), 8,000 levels down.
        try body.apply(SetExpression(path: JSONPath(components), operation: .append, value: "y"))
        #expect(body.value(at: components.dropLast()[...]) == [["y"], "x"])
        try body.remove(JSONPath(Array(components.dropLast())))
        #expect(body.value(at: components.dropLast()[...]) == nil)
        #expect(body.value(at: components.dropLast(2)[...]) == [:])
        // Cut the chain iteratively so dropping the value does not recurse 8,000 levels deep either.
        for cut in stride(from: depth - 2, to: 0, by: -500) {
            try body.remove(JSONPath(Array(components.prefix(cut))))
        }
        try body.remove(JSONPath([.key("a")]))
        #expect(body == ["keep": true])
    }

    @Test func aClashDeepDownNamesTheWalkedPrefixAndChangesNothing() {
        var body: JSON = ["a": ["b": ["c": "text"]]]
        #expect(throws: JSONEditError("cannot set a.b.c.d.e: a.b.c is a string, not an object")) {
            try body.apply(SetExpression.parse("a.b.c.d.e=1"))
        }
        #expect(body == ["a": ["b": ["c": "text"]]])
        // As kcadm: an index past the end is reached by adding nulls, also into a null or missing member.
        var other: JSON = ["a": ["b": []]]
        try? other.apply(SetExpression.parse("a.b[3]=1"))
        #expect(other == ["a": ["b": [nil, nil, nil, 1]]])
        for start: JSON in [["x": 1, "a": nil], ["x": 1]] {
            var edited = start
            try? edited.apply(SetExpression.parse("a[2]=1"))
            #expect(edited == ["x": 1, "a": [nil, nil, 1]])
        }
        // A clash on the way (a key into an array) still changes nothing.
        var list: JSON = ["x": 1, "a": [1]]
        #expect(throws: JSONEditError("cannot set a.b: a is an array, not an object")) {
            try list.apply(SetExpression.parse("a.b=1"))
        }
        #expect(list == ["x": 1, "a": [1]])
    }
}
