// Where the last newline of a request command's output goes, from kcadm's AbstractRequestCmd: kcadm
// writes JSON (indented, -c, -F) and a body it passes through to stdout without a final newline and,
// when the last byte it wrote there was no line end, prints an empty line on stderr; CSV lines are
// printed whole on stdout. Under the name kcx the newline stays on stdout.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("kcadm's final newline")
struct KcadmNewlineTests {
    static let clientsURL = "http://kc/admin/realms/master/clients"
    static let clients = #"[{"id":"1","clientId":"a"}]"#

    /// Runs `arguments` under `name` against one scripted answer; returns (exit, stdout, stderr).
    func run(_ name: String, _ arguments: [String], answer: String = clients) throws -> (Int32, String, String) {
        let world = try SessionWorld()
        try world.storeSession()
        world.transport.expect("GET", Self.clientsURL, json: answer)
        let status = Kcx.run(arguments, programName: name, context: world.context)
        return (status, world.stdout.text, world.stderr.text)
    }

    @Test("JSON: indented, -c and -F", arguments: ["kcx", "kcadm.sh"])
    func json(_ name: String) throws {
        let end = name == "kcx" ? ("\n", "") : ("", "\n")
        let pretty = try run(name, ["get", "clients"])
        #expect(pretty.0 == 0)
        #expect(pretty.1 == "[ {\n  \"id\" : \"1\",\n  \"clientId\" : \"a\"\n} ]" + end.0)
        #expect(pretty.2 == end.1)
        let compressed = try run(name, ["get", "clients", "-c"])
        #expect(compressed.1 == #"[{"id":"1","clientId":"a"}]"# + end.0)
        #expect(compressed.2 == end.1)
        let filtered = try run(name, ["get", "clients", "-F", "clientId", "-c"])
        #expect(filtered.1 == #"[{"clientId":"a"}]"# + end.0)
        #expect(filtered.2 == end.1)
    }

    @Test("CSV lines end on stdout under both names", arguments: ["kcx", "kcadm.sh"])
    func csv(_ name: String) throws {
        let result = try run(name, ["get", "clients", "-F", "clientId", "--format", "csv"])
        #expect(result.0 == 0)
        #expect(result.1 == "\"a\"\n")
        #expect(result.2 == "")
    }

    @Test("a body that is not JSON is passed through; kcadm adds the missing line end on stderr", arguments: ["kcx", "kcadm.sh"])
    func notJSON(_ name: String) throws {
        let bare = try run(name, ["get", "clients"], answer: "<xml/>")
        #expect(bare.1 == "<xml/>" + (name == "kcx" ? "\n" : ""))
        #expect(bare.2 == (name == "kcx" ? "" : "\n"))
        let ended = try run(name, ["get", "clients"], answer: "line\n")
        #expect(ended.1 == "line\n")
        #expect(ended.2 == "")
    }
}
