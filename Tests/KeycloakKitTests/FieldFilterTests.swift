// --fields: the selection grammar and how it applies to objects and arrays of objects.
import KcxJSON
import KeycloakKit
import Testing

@Suite struct FieldFilterTests {
    @Test func parsesNestedSelections() throws {
        let filter = try FieldFilter.parse("id, clientId ,protocolMappers(name,config(claim.name)),attributes")
        #expect(
            filter
                == FieldFilter([
                    .init("id"), .init("clientId"),
                    .init("protocolMappers", FieldFilter([.init("name"), .init("config", FieldFilter([.init("claim.name")]))])),
                    .init("attributes"),
                ]))
        #expect(filter.names == ["id", "clientId", "protocolMappers", "attributes"])
    }

    static let errors: [(String, String)] = [
        ("", "empty field name at position 1"),
        ("id,", "empty field name at position 4"),
        ("id,,name", "empty field name at position 4"),
        ("a()", "empty field name at position 3"),
        ("a(b", "missing ')' after the fields of 'a'"),
        ("a)b", "unexpected ')' at position 2"),
        ("a(b)c", "expected ',' at position 5"),
        ("a(b(c)d)", "expected ',' or ')' at position 7"),
        ("id,id", "field 'id' is named twice"),
    ]

    @Test(arguments: errors)
    func rejects(_ input: String, _ reason: String) {
        #expect(throws: FieldFilterError(input: input, reason: reason)) { try FieldFilter.parse(input) }
    }

    @Test func keepsSelectedMembersInTheObjectsOrder() throws {
        let clients = try JSON.parse(
            #"""
            [{"id":"1","clientId":"api","enabled":true,"protocolMappers":[{"id":"m","name":"aud","config":{"a":"1"}}]},
             {"id":"2","clientId":"web","enabled":false},
             "not an object"]
            """#)
        let filtered = try FieldFilter.parse("clientId,protocolMappers(name),id").apply(to: clients)
        #expect(
            filtered.serialized()
                == #"[{"id":"1","clientId":"api","protocolMappers":[{"name":"aud"}]},{"id":"2","clientId":"web"},"not an object"]"#
        )
    }

    @Test func nestedSelectionAppliesToObjectsAndLeavesScalarsAlone() throws {
        let value = try JSON.parse(#"{"attributes":{"a":"1","b":"2"},"name":"x"}"#)
        #expect(
            try FieldFilter.parse("attributes(b),name(inner)").apply(to: value).serialized()
                == #"{"attributes":{"b":"2"},"name":"x"}"#)
        #expect(try FieldFilter.parse("missing").apply(to: value).serialized() == "{}")
    }

    /// kcadm's ReturnFields: `*`, `-name`, and an object named without `(...)` keeping no members.
    @Test func starExclusionAndLeafObjects() throws {
        let value = try JSON.parse(#"{"id":"1","attributes":{"a":"1","d":{"x":1}},"uris":["u"],"m":[{"n":"a"}]}"#)
        #expect(try FieldFilter.parse("*").apply(to: value).serialized() == #"{"id":"1","attributes":{},"uris":["u"],"m":[{}]}"#)
        #expect(
            try FieldFilter.parse("*(*),-id").apply(to: value).serialized()
                == #"{"attributes":{"a":"1","d":{}},"uris":["u"],"m":[{"n":"a"}]}"#)
        #expect(try FieldFilter.parse("attributes,id").apply(to: value).serialized() == #"{"id":"1","attributes":{}}"#)
        #expect(try FieldFilter.parse("attributes(*)").apply(to: value).serialized() == #"{"attributes":{"a":"1","d":{}}}"#)
    }
}
