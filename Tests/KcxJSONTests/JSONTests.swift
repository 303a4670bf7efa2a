// Round trips, ordering, errors with positions, and limits of the JSON value type.
import Testing
import KcxJSON

@Suite struct JSONParsingTests {
    @Test func keepsKeyOrderThroughARoundTrip() throws {
        let text = #"{"z":1,"a":[true,false,null],"m":{"y":"x","b":-2.5}}"#
        let value = try JSON.parse(text)
        #expect(value.serialized() == text)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
    }

    @Test func distinguishesIntegersFromDoubles() throws {
        #expect(try JSON.parse("1700000000000") == .int(1_700_000_000_000))
        #expect(try JSON.parse("2.0").serialized() == "2.0")
        #expect(try JSON.parse("1e3") == .double(1000))
        #expect(try JSON.parse("-0") == .int(0))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try JSON.parse(#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\né😀"))
        #expect(JSON.string("tab\there \u{1}").serialized() == #""tab\there \u0001""#)
    }

    @Test(arguments: [
        ("", 1, 1, "empty input"),
        ("{\"a\":1,}", 1, 8, "expected a string key"),
        ("[1,\n 2,\n x]", 3, 2, "unexpected character 'x'"),
        ("\"abc", 1, 5, "unterminated string"),
        ("01", 1, 2, "leading zero"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("[1] 2", 1, 5, "unexpected content"),
        ("<html>", 1, 1, "unexpected character '<'"),
        ("\"\\ud800\"", 1, 8, "unpaired surrogate"),
    ])
    func reportsErrorsWithPosition(input: String, line: Int, column: Int, message: String) {
        do {
            _ = try JSON.parse(input)
            Issue.record("expected an error for \(input)")
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSON.parse(fine)) != nil)
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
    }
}

@Suite struct JSONValueTests {
    @Test func objectEqualityIgnoresKeyOrder() {
        let a: JSON = ["x": 1, "y": "2"]
        let b: JSON = ["y": "2", "x": 1]
        #expect(a == b)
        #expect(a != ["x": 1])
    }

    @Test func settingNilRemovesAndReplacingKeepsPosition() {
        var object = JSONObject([("a", 1), ("b", 2), ("c", 3)])
        object["b"] = 20
        object["a"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object["b"] == .int(20))
    }

    @Test func prettyPrintsWithTwoSpaces() {
        let value: JSON = ["id": "x", "list": [1, 2], "empty": [:]]
        #expect(value.serialized(.pretty) == "{\n  \"id\": \"x\",\n  \"list\": [\n    1,\n    2\n  ],\n  \"empty\": {}\n}")
    }

    @Test func plainTextLeavesStringsUnquoted() {
        #expect(JSON.string("a b").plainText == "a b")
        #expect(JSON.bool(true).plainText == "true")
        #expect(JSON.null.plainText == "")
        #expect(JSON.array(["a"]).plainText == #"["a"]"#)
    }
}
