// The YAML loader: JSON conversion with the core schema, positions, anchors, and errors.
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct YAMLTests {
    @Test func convertsToJSONKeepingOrderAndTypes() throws {
        let text = """
            realm: demo
            enabled: true
            count: 3
            ratio: 0.5
            nothing: ~
            quoted: "007"
            plain: 007x
            list:
              - a
              - {b: 1}
            """
        let node = try #require(try YAML.parse(text))
        #expect(
            node.json.serialized()
                == #"{"realm":"demo","enabled":true,"count":3,"ratio":0.5,"nothing":null,"quoted":"007","plain":"007x","list":["a",{"b":1}]}"#
        )
    }

    @Test func remembersLineAndColumn() throws {
        let node = try #require(try YAML.parse("a: 1\nscopes:\n  - name: x\n    description: y\n"))
        let first = try #require(
            node["scopes"].flatMap { if case .sequence(let items) = $0.value { return items.first } else { return nil } })
        #expect((first.line, first.column) == (3, 5))
        #expect(first["description"].map { ($0.line, $0.column) }! == (4, 18))
    }

    @Test func readsJSONToo() throws {
        let node = try #require(try YAML.parse(#"{"a": [1, "two", false]}"#))
        #expect(node.json == ["a": [1, "two", false]])
    }

    @Test func expandsAliases() throws {
        let node = try #require(try YAML.parse("base: &b {x: 1}\ncopy: *b\n"))
        #expect(node.json == ["base": ["x": 1], "copy": ["x": 1]])
    }

    @Test(arguments: [
        ("a: [1, 2\n", 2, 1),
        ("a: 1\na: 2\n", 2, 1),
        ("a: *missing\n", 1, 4),
        ("a:\n\t- b\n", 2, 1),
    ])
    func reportsErrorsWithPosition(text: String, line: Int, column: Int) {
        #expect(throws: YAMLError.self) { try YAML.parse(text) }
        do { _ = try YAML.parse(text) } catch {
            #expect((error.line, error.column) == (line, column), "\(error)")
        }
    }

    @Test func refusesAliasBombs() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<8 {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        #expect(throws: YAMLError.self) { try YAML.parse(text) }
    }

    @Test func emptyInputHasNoDocument() throws {
        #expect(try YAML.parse("") == nil)
    }
}
