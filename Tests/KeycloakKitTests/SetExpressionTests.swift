// The -s/-d grammar (every form, every error), applying it to bodies, and update --merge.
import KcxJSON
import KeycloakKit
import Testing

struct SetParseCase: CustomTestStringConvertible, Sendable {
    var input: String
    var path: [JSONPathComponent]
    var operation: SetExpression.Operation
    var value: JSON
    var testDescription: String { input }
}

@Suite struct SetExpressionParseTests {
    static let cases: [SetParseCase] = [
        SetParseCase(input: "clientId=api", path: [.key("clientId")], operation: .assign, value: "api"),
        // key=value as kcadm reads it: a whole JSON value is JSON, anything else a string.
        SetParseCase(input: "description=007", path: [.key("description")], operation: .assign, value: "007"),
        SetParseCase(input: "enabled=true", path: [.key("enabled")], operation: .assign, value: true),
        SetParseCase(input: "n=42", path: [.key("n")], operation: .assign, value: 42),
        SetParseCase(input: "n=-1.5", path: [.key("n")], operation: .assign, value: -1.5),
        SetParseCase(input: "x=null", path: [.key("x")], operation: .assign, value: nil),
        SetParseCase(input: "x=42 abc", path: [.key("x")], operation: .assign, value: "42 abc"),
        SetParseCase(input: "x=+5", path: [.key("x")], operation: .assign, value: "+5"),
        SetParseCase(input: "x=True", path: [.key("x")], operation: .assign, value: "True"),
        SetParseCase(
            input: #"redirectUris=["http://localhost:8980/myapp/*"]"#, path: [.key("redirectUris")], operation: .assign,
            value: ["http://localhost:8980/myapp/*"]),
        SetParseCase(input: #"o={"a":[1,true]}"#, path: [.key("o")], operation: .assign, value: ["a": [1, true]]),
        SetParseCase(input: #"o={"a":"#, path: [.key("o")], operation: .assign, value: #"{"a":"#),
        SetParseCase(input: #"t="007""#, path: [.key("t")], operation: .assign, value: "007"),
        // Quoted text that is not JSON loses its quotes (kcadm's legacy rule).
        SetParseCase(input: "t='true'", path: [.key("t")], operation: .assign, value: "true"),
        SetParseCase(input: #"t="a\q""#, path: [.key("t")], operation: .assign, value: #"a\q"#),
        SetParseCase(input: "description=", path: [.key("description")], operation: .assign, value: ""),
        SetParseCase(input: "url=https://x/?a=b", path: [.key("url")], operation: .assign, value: "https://x/?a=b"),
        SetParseCase(input: "note=a:=b", path: [.key("note")], operation: .assign, value: "a:=b"),
        // key:=json takes a typed value.
        SetParseCase(input: "enabled:=true", path: [.key("enabled")], operation: .assign, value: true),
        SetParseCase(input: "count:=7.5", path: [.key("count")], operation: .assign, value: 7.5),
        SetParseCase(input: "lifespan:=300", path: [.key("lifespan")], operation: .assign, value: 300),
        SetParseCase(input: "uris:=[\"a\",\"b\"]", path: [.key("uris")], operation: .assign, value: ["a", "b"]),
        SetParseCase(input: "config:={\"k\":null}", path: [.key("config")], operation: .assign, value: ["k": nil]),
        SetParseCase(input: "text:=\"007\"", path: [.key("text")], operation: .assign, value: "007"),
        // Dotted and quoted keys.
        SetParseCase(input: "attributes.color=red", path: [.key("attributes"), .key("color")], operation: .assign, value: "red"),
        SetParseCase(
            input: "attributes.\"include.in.token.scope\"=true", path: [.key("attributes"), .key("include.in.token.scope")],
            operation: .assign, value: true),
        SetParseCase(
            input: "attributes.\"include.in.token.scope\":=true", path: [.key("attributes"), .key("include.in.token.scope")],
            operation: .assign, value: true),
        SetParseCase(input: "\"a\\\"b\\\\c\"=1", path: [.key("a\"b\\c")], operation: .assign, value: 1),
        SetParseCase(input: "\"x=y\"=z", path: [.key("x=y")], operation: .assign, value: "z"),
        SetParseCase(input: "a:b=c", path: [.key("a:b")], operation: .assign, value: "c"),
        SetParseCase(input: "a+b=c", path: [.key("a+b")], operation: .assign, value: "c"),
        // Array indexes.
        SetParseCase(
            input: "redirectUris[0]=https://a", path: [.key("redirectUris"), .index(0)], operation: .assign, value: "https://a"),
        SetParseCase(
            input: "protocolMappers[1].config.\"claim.name\"=aud",
            path: [.key("protocolMappers"), .index(1), .key("config"), .key("claim.name")], operation: .assign, value: "aud"),
        SetParseCase(input: "matrix[0][2]:=1", path: [.key("matrix"), .index(0), .index(2)], operation: .assign, value: 1),
        // Appending.
        SetParseCase(input: "redirectUris+=https://b", path: [.key("redirectUris")], operation: .append, value: "https://b"),
        SetParseCase(
            input: "defaultClientScopes+:=\"email\"", path: [.key("defaultClientScopes")], operation: .append, value: "email"),
        SetParseCase(input: "numbers+:=5", path: [.key("numbers")], operation: .append, value: 5),
    ]

    @Test(arguments: cases)
    func parses(_ testCase: SetParseCase) throws {
        let expression = try SetExpression.parse(testCase.input)
        #expect(expression.path.components == testCase.path)
        #expect(expression.operation == testCase.operation)
        #expect(expression.value == testCase.value)
    }

    static let errors: [(String, String)] = [
        ("clientId", "missing '=': expected NAME=VALUE"),
        ("a='x", "invalid string value 'x: it starts with a quote but does not end with one"),
        ("a=\"", "invalid string value \": it starts with a quote but does not end with one"),
        ("", "missing key before the operator"),
        ("=x", "missing key"),
        (":=1", "missing key"),
        ("a.=x", "missing key"),
        ("a.", "missing key after '.'"),
        (".a=x", "empty key before '.'"),
        ("a..b=x", "empty key before '.'"),
        ("\"a=x", "unterminated quoted key"),
        ("\"a\"b=x", "expected '.', '[' or an operator after 'a'"),
        ("a[x]=1", "an index must be a number in brackets, e.g. [0]"),
        ("a[1=1", "an index must be a number in brackets, e.g. [0]"),
        ("a[-1]=1", "an index must be a number in brackets, e.g. [0]"),
        ("a]=1", "unexpected ']'"),
        ("a[99999999999999999999]=1", "index 99999999999999999999 is too large"),
        ("enabled:=tru", "the value after ':=' is not JSON (invalid literal at line 1, column 1); use '=' to set it as a string"),
        (
            "x:=",
            "the value after ':=' is not JSON (empty input, expected a JSON value at line 1, column 1); use '=' to set it as a string"
        ),
        (
            "x:={\"a\":1",
            "the value after ':=' is not JSON (unexpected end of input in object at line 1, column 7); use '=' to set it as a string"
        ),
        (
            "x+:=[1,",
            "the value after ':=' is not JSON (unexpected end of input at line 1, column 4); use '=' to set it as a string"
        ),
    ]

    @Test(arguments: errors)
    func rejects(_ input: String, _ reason: String) {
        #expect(throws: SetExpressionError(input: input, reason: reason)) { try SetExpression.parse(input) }
    }

    @Test func deletePaths() throws {
        #expect(try JSONPath.parse("attributes.\"a.b\"").components == [.key("attributes"), .key("a.b")])
        #expect(try JSONPath.parse("redirectUris[2]").components == [.key("redirectUris"), .index(2)])
        #expect(try JSONPath.parse("a=b").components == [.key("a=b")])
        #expect(throws: SetExpressionError(input: "a.", reason: "missing key after '.'")) { try JSONPath.parse("a.") }
        #expect(throws: SetExpressionError(input: "a[0]x", reason: "expected '.', '[' or an operator after 'a[0]'")) {
            try JSONPath.parse("a[0]x")
        }
    }

    @Test func pathsPrintAsTyped() throws {
        #expect(
            try JSONPath.parse("attributes.\"include.in.token.scope\"").description == "attributes.\"include.in.token.scope\"")
        #expect(try JSONPath.parse("a[0].b").description == "a[0].b")
    }
}

@Suite struct SetExpressionApplyTests {
    func applying(_ expressions: [String], to body: JSON) throws -> JSON {
        var result = body
        for expression in expressions { try result.apply(try SetExpression.parse(expression)) }
        return result
    }

    @Test func setsCreateMissingObjectsAndKeepKeyOrder() throws {
        let body: JSON = ["clientId": "api", "enabled": true]
        let result = try applying(["enabled:=false", "attributes.\"include.in.token.scope\"=true", "description=007"], to: body)
        #expect(
            result.serialized()
                == #"{"clientId":"api","enabled":false,"attributes":{"include.in.token.scope":true},"description":"007"}"#)
    }

    @Test func indexesReplaceOrAppendAtTheEnd() throws {
        let body: JSON = ["redirectUris": ["a", "b"]]
        #expect(try applying(["redirectUris[1]=B"], to: body) == ["redirectUris": ["a", "B"]])
        #expect(try applying(["redirectUris[2]=c"], to: body) == ["redirectUris": ["a", "b", "c"]])
        #expect(try applying(["list[0].name=x"], to: [:]) == ["list": [["name": "x"]]])
        // As kcadm, an index past the end is reached by adding nulls.
        #expect(try applying(["redirectUris[3]=d"], to: body) == ["redirectUris": ["a", "b", nil, "d"]])
    }

    @Test func appendCreatesOrExtendsArrays() throws {
        #expect(try applying(["redirectUris+=a", "redirectUris+=b"], to: [:]) == ["redirectUris": ["a", "b"]])
        #expect(try applying(["scopes+:=[1]"], to: ["scopes": ["x"]]) == ["scopes": ["x", [1]]])
        // As kcadm, appending to something that is not an array replaces it by a new array.
        #expect(try applying(["clientId+=x"], to: ["clientId": "api"]) == ["clientId": ["x"]])
    }

    @Test func typeClashesAreReported() throws {
        #expect(throws: JSONEditError("cannot set clientId.x: clientId is a string, not an object")) {
            try applying(["clientId.x=1"], to: ["clientId": "api"])
        }
        // As kcadm, setting an element of something that is not an array starts a new array.
        #expect(try applying(["attributes[0]=1"], to: ["attributes": [:]]) == ["attributes": [1]])
        #expect(throws: JSONEditError("cannot set a: the body is an array, not an object")) {
            try applying(["a=1"], to: [1])
        }
    }

    @Test func removeIsIdempotent() throws {
        var body: JSON = ["a": ["b": 1, "c": 2], "list": [1, 2, 3], "s": "x"]
        try body.remove(JSONPath.parse("a.b"))
        try body.remove(JSONPath.parse("list[1]"))
        try body.remove(JSONPath.parse("missing.deep"))
        try body.remove(JSONPath.parse("list[7]"))
        try body.remove(JSONPath.parse("s.x"))
        #expect(body.serialized() == #"{"a":{"c":2},"list":[1,3],"s":"x"}"#)
        try body.remove(JSONPath.parse("a"))
        #expect(body.serialized() == #"{"list":[1,3],"s":"x"}"#)
    }
}

@Suite struct JSONMergeTests {
    @Test func objectsMergeMemberByMemberOthersAreReplaced() throws {
        let current = try JSON.parse(
            #"{"id":"1","clientId":"api","attributes":{"a":"1","b":"2"},"redirectUris":["x","y"],"enabled":true}"#)
        let changes = try JSON.parse(#"{"attributes":{"b":"3","c":"4"},"redirectUris":["z"],"enabled":null,"new":1}"#)
        #expect(
            current.merging(changes).serialized()
                == #"{"id":"1","clientId":"api","attributes":{"a":"1","b":"3","c":"4"},"redirectUris":["z"],"enabled":null,"new":1}"#
        )
    }

    @Test func nonObjectsAreReplacedWhole() {
        let array: JSON = [1]
        let object: JSON = ["a": ["b": 1]]
        #expect(array.merging(["a": 1]) == ["a": 1])
        #expect(object.merging([2]) == [2])
        #expect(object.merging(["a": "s"]) == ["a": "s"])
    }
}
