// CSV quoting (RFC 4180), the rows and columns taken from JSON, and the aligned text table.
import KcxJSON
import KeycloakKit
import Testing

@Suite struct CSVTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("", ""),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        // A CR could move the cursor back over the line: it is shown, not sent (as every control character from server data).
        ("cr\rhere", "cr\\rhere"),
        ("crlf\r\nhere", "\"crlf\\r\nhere\""),
        ("title\u{1B}]0;owned\u{07}", "title\\u001b]0;owned\\u0007"),
        (" spaced ", " spaced "),
    ])
    func quotesOnlyWhatNeedsIt(_ value: String, _ expected: String) {
        #expect(CSV.field(value) == expected)
    }

    @Test func arrayOfObjectsGivesHeaderAndRows() throws {
        let value = try JSON.parse(
            #"[{"id":"1","name":"a,b","enabled":true,"attributes":{"x":"y"}},{"id":"2","redirectUris":["u"],"name":null}]"#)
        #expect(
            CSV.render(Tabulation(value)) == """
                id,name,enabled,attributes,redirectUris
                1,"a,b",true,"{""x"":""y""}",
                2,,,,"[""u""]"

                """)
    }

    @Test func fixedColumnsComeFromFields() throws {
        let value = try JSON.parse(#"{"id":"1","clientId":"api","secret":"s"}"#)
        #expect(CSV.render(Tabulation(value, columns: ["clientId", "missing"])) == "clientId,missing\napi,\n")
    }

    @Test func scalarsGetAValueColumn() throws {
        #expect(CSV.render(Tabulation(try JSON.parse(#"["a",1,null]"#))) == "value\na\n1\n\n")
        #expect(CSV.render(Tabulation(.string("x"))) == "value\nx\n")
        #expect(Tabulation(.array([])) == Tabulation(columns: [], rows: []))
        #expect(CSV.render(Tabulation(.array([]))) == "")
        #expect(CSV.render(Tabulation(.array([]), columns: ["id"])) == "id\n")
    }
}

@Suite struct TextTableTests {
    @Test func alignsColumnsAndTrimsTrailingSpace() throws {
        let value = try JSON.parse(
            #"[{"id":"1","clientId":"account-console","enabled":true},{"id":"22","clientId":"api","enabled":false,"note":"two\nlines"}]"#
        )
        #expect(
            TextTable.render(Tabulation(value)) == """
                id  clientId         enabled  note
                1   account-console  true
                22  api              false    two\\nlines

                """)
    }

    @Test func emptyArrayPrintsNothingButAHeaderWhenColumnsAreKnown() {
        #expect(TextTable.render(Tabulation(.array([]))) == "")
        #expect(TextTable.render(Tabulation(.array([]), columns: ["id", "name"])) == "id  name\n")
    }
}
