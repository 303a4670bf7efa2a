// kcx get|create|update|delete through Kcx.run: the exact requests sent, the exact output, and
// local validation that stops before anything is sent.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

private let base = "https://kc.test/admin/realms/demo"

private func expectRun(
    _ arguments: [String], stdin: String = "", _ script: [ScriptedExchange], status: Int32 = 0, stdout: String,
    stderr: String = "",
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let transport = ScriptedTransport(script, sourceLocation: sourceLocation)
    let result = runKcx(arguments, stdin: stdin, transport: transport, sourceLocation: sourceLocation)
    #expect(result == RunResult(status: status, stdout: stdout, stderr: stderr), sourceLocation: sourceLocation)
    #expect(transport.isFinished, "not every expected request was sent", sourceLocation: sourceLocation)
}

@Suite struct GetCommandTests {
    static let clients =
        #"[{"id":"1","clientId":"api","enabled":true,"redirectUris":["https://a/*"]},{"id":"2","clientId":"web, \"new\"","enabled":false}]"#

    @Test func printsIndentedJSONByDefault() {
        expectRun(
            ["get", "clients"],
            [ScriptedExchange("GET", "\(base)/clients", respond: jsonResponse(#"[{"id":"1","clientId":"api"}]"#))],
            stdout: """
                [ {
                  "id" : "1",
                  "clientId" : "api"
                } ]

                """)
    }

    /// kcadm's Jackson layout: `" : "`, arrays inline, empty containers as `{ }` and `[ ]`.
    @Test func indentsLikeKcadm() {
        expectRun(
            ["get", "clients/1"],
            [
                ScriptedExchange(
                    "GET", "\(base)/clients/1",
                    respond: jsonResponse(
                        #"{"id":"1","uris":["a","b"],"attributes":{"x":{"y":true}},"e":{},"l":[],"m":[{"n":1},{"n":2}],"z":null}"#
                    ))
            ],
            stdout: """
                {
                  "id" : "1",
                  "uris" : [ "a", "b" ],
                  "attributes" : {
                    "x" : {
                      "y" : true
                    }
                  },
                  "e" : { },
                  "l" : [ ],
                  "m" : [ {
                    "n" : 1
                  }, {
                    "n" : 2
                  } ],
                  "z" : null
                }

                """)
    }

    @Test func kcadmShortOptions() {
        expectRun(
            ["get", "users", "-o", "10", "-l", "5", "-c", "-F", "id", "-h", "X-Trace=1"],
            [
                ScriptedExchange(
                    "GET", "\(base)/users?first=10&max=5", respond: jsonResponse(#"[{"id":"1","username":"u"}]"#))
            ],
            stdout: "[{\"id\":\"1\"}]\n")
    }

    @Test func realmQueryPagingAndCompact() {
        expectRun(
            ["get", "clients", "-r", "other", "-q", "clientId=api", "--offset", "10", "--limit", "5", "--compact"],
            [
                ScriptedExchange(
                    "GET", "https://kc.test/admin/realms/other/clients?clientId=api&first=10&max=5",
                    respond: jsonResponse(#"[{"id":"1"}]"#))
            ],
            stdout: "[{\"id\":\"1\"}]\n")
    }

    @Test func topLevelEndpoints() {
        expectRun(
            ["get", "realms", "--fields", "realm", "--compact"],
            [ScriptedExchange("GET", "https://kc.test/admin/realms", respond: jsonResponse(#"[{"id":"m","realm":"master"}]"#))],
            stdout: "[{\"realm\":\"master\"}]\n")
    }

    @Test func fieldsAndCSV() {
        expectRun(
            ["get", "clients", "--fields", "clientId,redirectUris,id", "--format", "csv"],
            [ScriptedExchange("GET", "\(base)/clients", respond: jsonResponse(Self.clients))],
            stdout: #"""
                "api","https://a/*","1"
                "web, \"new\"",,"2"

                """#)
    }

    /// kcadm's CSV: no header, a value per field in the list's order (an absent one leaves an empty
    /// value), strings as JSON, arrays flattened; --noquotes drops the quotes of strings.
    @Test func csvLikeKcadm() {
        expectRun(
            ["get", "clients", "-F", "id,clientId,enabled,missing", "--format", "csv", "--noquotes"],
            [ScriptedExchange("GET", "\(base)/clients", respond: jsonResponse(Self.clients))],
            stdout: "1,api,true,\n2,web, \"new\",false,\n")
        expectRun(
            ["get", "clients/1", "--format", "csv"],
            [
                ScriptedExchange(
                    "GET", "\(base)/clients/1", respond: jsonResponse(#"{"id":"1","a":{"b":2,"c":[3,"x"]},"n":null}"#))
            ],
            stdout: "\"1\",2,3,\"x\",null\n")
    }

    /// kcadm's --fields: `*` is every member, `-name` leaves one out, `name(...)` selects inside;
    /// an object named without `(...)` keeps no members.
    @Test func fieldPatternsLikeKcadm() {
        let client =
            #"{"id":"1","clientId":"api","attributes":{"a":"1","deep":{"x":1}},"protocolMappers":[{"id":"m","name":"aud"}]}"#
        for (pattern, expected) in [
            ("*", #"{"id":"1","clientId":"api","attributes":{},"protocolMappers":[{}]}"#),
            ("*(*),-id", #"{"clientId":"api","attributes":{"a":"1","deep":{}},"protocolMappers":[{"id":"m","name":"aud"}]}"#),
            ("clientId,attributes", #"{"clientId":"api","attributes":{}}"#),
            ("attributes(a),id", #"{"id":"1","attributes":{"a":"1"}}"#),
        ] {
            expectRun(
                ["get", "clients/1", "--fields", pattern, "-c"],
                [ScriptedExchange("GET", "\(base)/clients/1", respond: jsonResponse(client))],
                stdout: expected + "\n")
        }
    }

    @Test func printHeadersAndRequestHeaders() {
        let transport = ScriptedTransport([
            ScriptedExchange(
                "GET", "\(base)/clients/1",
                respond: HTTPResponse(
                    status: 200, headers: [("Content-Type", "application/json")], body: Array(#"{"id":"1"}"#.utf8)))
        ])
        let result = runKcx(
            ["get", "clients/1", "-H", "-c", "-h", "Accept=application/xml", "-h", "X-A=b c"], transport: transport)
        #expect(
            result
                == RunResult(status: 0, stdout: "HTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"id\":\"1\"}\n", stderr: "")
        )
        let headers = transport.received.first?.headers ?? []
        #expect(headers.filter { $0.name == "Accept" }.map(\.value) == ["application/xml"])
        #expect(headers.filter { $0.name == "X-A" }.map(\.value) == ["b c"])
    }

    @Test func dashHAloneIsHelp() {
        let result = runKcx(["get", "-h"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Read a resource from the Admin REST API and print it\n"))
    }

    @Test func table() {
        expectRun(
            ["get", "clients", "--format=table", "--fields", "id,clientId,enabled"],
            [ScriptedExchange("GET", "\(base)/clients", respond: jsonResponse(Self.clients))],
            stdout: """
                id  clientId    enabled
                1   api         true
                2   web, "new"  false

                """)
    }

    @Test func nestedFieldSelection() {
        expectRun(
            ["get", "clients/1", "--fields", "clientId,protocolMappers(name)", "--compact"],
            [
                ScriptedExchange(
                    "GET", "\(base)/clients/1",
                    respond: jsonResponse(#"{"id":"1","clientId":"api","protocolMappers":[{"id":"m","name":"aud","config":{}}]}"#)
                )
            ],
            stdout: "{\"clientId\":\"api\",\"protocolMappers\":[{\"name\":\"aud\"}]}\n")
    }

    @Test func nonJSONBodiesPassThrough() {
        expectRun(
            ["get", "clients/1/installation/providers/saml-idp-descriptor"],
            [
                ScriptedExchange(
                    "GET", "\(base)/clients/1/installation/providers/saml-idp-descriptor",
                    respond: HTTPResponse(status: 200, body: Array("<xml/>".utf8)))
            ],
            stdout: "<xml/>\n")
    }

    @Test func serverErrorsKeepTheirExitCode() {
        let result = runKcx(
            ["get", "clients/nope"],
            transport: ScriptedTransport([
                ScriptedExchange(
                    "GET", "\(base)/clients/nope", respond: jsonResponse(#"{"error":"Could not find client"}"#, status: 404))
            ]))
        #expect(result.status == 3)
        #expect(result.stdout == "")
        #expect(result.stderr.hasPrefix("error: GET /admin/realms/demo/clients/nope: 404 Could not find client\n"))
    }
}

@Suite struct CreateCommandTests {
    static let created = HTTPResponse(status: 201, headers: [("Location", "\(base)/clients/abc-123")])

    @Test func setsBuildTheBodyAndTheIdGoesToStderr() throws {
        let body = try JSON.parse(
            #"{"clientId":"api","publicClient":false,"description":"007","attributes":{"include.in.token.scope":"true"},"redirectUris":["a","b","http://localhost:8980/myapp/*"],"enabled":true,"n":42,"o":{"k":[1]}}"#
        )
        expectRun(
            [
                "create", "clients", "-s", "clientId=api", "-s", "publicClient:=false", "-s", "description=007",
                "-s", "attributes.\"include.in.token.scope\"='true'", "-s", "redirectUris+=a", "-s", "redirectUris+=b",
                "-s", "redirectUris+=http://localhost:8980/myapp/*", "-s", "enabled=true", "-s", "n=42", "-s", #"o={"k":[1]}"#,
            ],
            [ScriptedExchange("POST", "\(base)/clients", body: body, respond: Self.created)],
            stdout: "", stderr: "Created new client with id 'abc-123'\n")
    }

    @Test func idOnlyOnStdout() {
        expectRun(
            ["create", "client-scopes", "-i", "-b", #"{"name":"s","protocol":"openid-connect"}"#],
            [
                ScriptedExchange(
                    "POST", "\(base)/client-scopes", body: ["name": "s", "protocol": "openid-connect"],
                    respond: HTTPResponse(status: 201, headers: [("Location", "\(base)/client-scopes/s%20id")]))
            ],
            stdout: "s id\n")
    }

    @Test func bodyFromStdinEditedBySetAndDelete() {
        expectRun(
            ["create", "clients", "-f", "-", "-s", "enabled:=false", "-d", "secret", "-d", "attributes.\"a.b\""],
            stdin: #"{"clientId":"api","secret":"s3","attributes":{"a.b":"1","c":"2"}}"#,
            [
                ScriptedExchange(
                    "POST", "\(base)/clients", body: ["clientId": "api", "attributes": ["c": "2"], "enabled": false],
                    respond: Self.created)
            ],
            stdout: "", stderr: "Created new client with id 'abc-123'\n")
    }

    @Test func bodyFromFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-create-\(UUID().uuidString).json")
        try Data(#"{"realm":"demo","enabled":true}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        expectRun(
            ["create", "realms", "-f", file.path],
            [
                ScriptedExchange(
                    "POST", "https://kc.test/admin/realms", body: ["realm": "demo", "enabled": true],
                    respond: HTTPResponse(status: 201, headers: [("Location", "https://kc.test/admin/realms/demo")]))
            ],
            stdout: "", stderr: "Created new realm with id 'demo'\n")
    }

    @Test func redirectUrisAsAJSONArray() {
        expectRun(
            ["create", "clients", "-s", "clientId=myapp", "-s", #"redirectUris=["http://localhost:8980/myapp/*"]"#],
            [
                ScriptedExchange(
                    "POST", "\(base)/clients", body: ["clientId": "myapp", "redirectUris": ["http://localhost:8980/myapp/*"]],
                    respond: Self.created)
            ],
            stdout: "", stderr: "Created new client with id 'abc-123'\n")
    }

    /// As kcadm, the response body is printed only with -o.
    @Test func responseBodyIsPrintedWithOutput() {
        expectRun(
            ["create", "partialImport", "-b", "{}", "-c", "-o"],
            [ScriptedExchange("POST", "\(base)/partialImport", body: [:], respond: jsonResponse(#"{"added":0}"#))],
            stdout: "{\"added\":0}\n")
        expectRun(
            ["create", "partialImport", "-b", "{}"],
            [ScriptedExchange("POST", "\(base)/partialImport", body: [:], respond: jsonResponse(#"{"added":0}"#))],
            stdout: "")
    }

    @Test func outputReadsTheNewObjectBack() {
        expectRun(
            ["create", "clients", "-s", "clientId=x", "-o", "-F", "id,clientId"],
            [
                ScriptedExchange("POST", "\(base)/clients", body: ["clientId": "x"], respond: Self.created),
                ScriptedExchange(
                    "GET", "\(base)/clients/abc-123", respond: jsonResponse(#"{"id":"abc-123","clientId":"x","enabled":true}"#)),
            ],
            stdout: "{\n  \"id\" : \"abc-123\",\n  \"clientId\" : \"x\"\n}\n")
    }

    @Test func noBodyOptionsSendNoBody() {
        expectRun(
            ["create", "clients/1/client-secret"],
            [ScriptedExchange("POST", "\(base)/clients/1/client-secret", respond: jsonResponse(#"{"type":"secret"}"#))],
            stdout: "")
    }

    @Test func idWithoutLocationIsAnError() {
        expectRun(
            ["create", "clients", "-i", "-s", "clientId=x"],
            [ScriptedExchange("POST", "\(base)/clients", body: ["clientId": "x"], respond: HTTPResponse(status: 201))],
            status: 1, stdout: "", stderr: "error: the server sent no Location header, so there is no new id to print\n")
    }
}

@Suite struct UpdateAndDeleteCommandTests {
    @Test func noMergeSendsTheBodyAsGiven() {
        expectRun(
            ["update", "users/u/reset-password", "-s", "type=password", "-s", "temporary=true", "-n"],
            [
                ScriptedExchange(
                    "PUT", "\(base)/users/u/reset-password", body: ["type": "password", "temporary": true],
                    respond: HTTPResponse(status: 204))
            ],
            stdout: "")
    }

    /// kcadm merges by default when -s or -d is given without -f; -s and -d apply in their order.
    @Test func setMergesByDefault() {
        expectRun(
            ["update", "clients/1", "-s", "enabled=false", "-d", "secret", "-s", "secret=new", "-o", "-c"],
            [
                ScriptedExchange("GET", "\(base)/clients/1", respond: jsonResponse(#"{"id":"1","enabled":true,"secret":"s"}"#)),
                ScriptedExchange(
                    "PUT", "\(base)/clients/1", body: ["id": "1", "enabled": false, "secret": "new"],
                    respond: HTTPResponse(status: 204)),
                ScriptedExchange("GET", "\(base)/clients/1", respond: jsonResponse(#"{"id":"1","enabled":false}"#)),
            ],
            stdout: "{\"id\":\"1\",\"enabled\":false}\n",
            stderr:
                "warning: -s secret=… on the command line is visible to other users and kept in shell history; use -f FILE or -f - (standard input) for the body\n"
        )
    }

    @Test func fileIsSentAsGivenUnlessMerge() {
        expectRun(
            ["update", "clients/1", "-f", "-", "-s", "enabled=false"],
            stdin: #"{"clientId":"api"}"#,
            [
                ScriptedExchange(
                    "PUT", "\(base)/clients/1", body: ["clientId": "api", "enabled": false], respond: HTTPResponse(status: 204))
            ],
            stdout: "")
    }

    @Test func mergeReadsMergesAndPuts() throws {
        let current = #"{"id":"1","clientId":"api","enabled":true,"attributes":{"a":"1"},"redirectUris":["x"],"secret":"s"}"#
        let merged = try JSON.parse(
            #"{"id":"1","clientId":"api","enabled":false,"attributes":{"a":"1","b":"2"},"redirectUris":["x","y"]}"#)
        expectRun(
            [
                "update", "clients/1", "-m", "-b", #"{"attributes":{"b":"2"}}"#, "-s", "enabled:=false", "-s", "redirectUris+=y",
                "-d", "secret",
            ],
            [
                ScriptedExchange("GET", "\(base)/clients/1", respond: jsonResponse(current)),
                ScriptedExchange("PUT", "\(base)/clients/1", body: merged, respond: HTTPResponse(status: 204)),
            ],
            stdout: "")
    }

    @Test func mergeChecksEditsBeforePutting() {
        expectRun(
            ["update", "clients/1", "-s", "clientId.x=z"],
            [ScriptedExchange("GET", "\(base)/clients/1", respond: jsonResponse(#"{"clientId":"x"}"#))],
            status: 2, stdout: "",
            stderr: "error: cannot set clientId.x: clientId is a string, not an object\n")
    }

    @Test func deletePrintsNothing() {
        expectRun(
            ["delete", "clients/1", "-r", "other"],
            [ScriptedExchange("DELETE", "https://kc.test/admin/realms/other/clients/1", respond: HTTPResponse(status: 204))],
            stdout: "")
    }

    @Test func deleteWithABody() {
        expectRun(
            ["delete", "users/u/role-mappings/realm", "-b", #"[{"id":"r","name":"admin"}]"#],
            [
                ScriptedExchange(
                    "DELETE", "\(base)/users/u/role-mappings/realm", body: [["id": "r", "name": "admin"]],
                    respond: HTTPResponse(status: 204))
            ],
            stdout: "")
    }
}

struct ValidationCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    var stdin = ""
    var stderr: String
    var testDescription: String { arguments.joined(separator: " ") }
}

/// Bad local input: exit 2, the exact message, and no request at all (the transport accepts none).
@Suite struct RequestValidationTests {
    static let cases: [ValidationCase] = [
        ValidationCase(
            arguments: ["create", "clients", "-s", "clientId"],
            stderr: "error: invalid -s 'clientId': missing '=': expected NAME=VALUE\n"
                + "hint: use NAME=VALUE (or NAME:=JSON to insist on JSON)\n"),
        ValidationCase(
            arguments: ["update", "clients/1", "-s", "enabled:=yes"],
            stderr:
                "error: invalid -s 'enabled:=yes': the value after ':=' is not JSON (unexpected character 'y' at line 1, column 1); "
                + "use '=' to set it as a string\nhint: use NAME=VALUE (or NAME:=JSON to insist on JSON)\n"),
        ValidationCase(
            arguments: ["create", "clients", "-b", #"{"a":"#],
            stderr: "error: -b is not valid JSON: unexpected end of input at line 1, column 6\n"),
        ValidationCase(
            arguments: ["create", "clients", "-f", "-"], stdin: "{\n  \"a\": 1,\n}",
            stderr: "error: standard input (-f -) is not valid JSON: expected a string key at line 3, column 1\n"),
        ValidationCase(
            arguments: ["create", "clients", "-f", "/nonexistent/client.json"],
            stderr: "error: cannot read -f '/nonexistent/client.json': No such file or directory\n"),
        ValidationCase(
            arguments: ["create", "clients", "-f", "/"], stderr: "error: cannot read -f '/': Is a directory\n"),
        ValidationCase(
            arguments: ["create", "clients", "-f", "a.json", "-b", "{}"],
            stderr: "error: give the body either with -f/--file or with -b/--body, not both\n"),
        ValidationCase(
            arguments: ["create", "clients", "-b", "[1]", "-s", "a=1"],
            stderr: "error: -s and -d edit a JSON object, but the body is an array\n"),
        ValidationCase(
            arguments: ["create", "clients", "-s", "a=x", "-s", "a.b=2"],
            stderr: "error: cannot set a.b: a is a string, not an object\n"),
        ValidationCase(
            arguments: ["create", "clients", "-d", "secret"],
            stderr: "error: -d removes keys from a body, but there is none\nhint: use -d with -f or -b\n"),
        ValidationCase(
            arguments: ["update", "clients/1", "-m", "-n", "-s", "a=1"],
            stderr: "error: options --merge and --no-merge exclude each other\n"),
        ValidationCase(
            arguments: ["create", "clients", "-o", "-i", "-s", "a=1"],
            stderr: "error: options -o and -i exclude each other\nhint: use -i for the new id, -o for the whole new object\n"),
        ValidationCase(
            arguments: ["get", "clients", "-h", "X-A"],
            stderr: "error: invalid -h 'X-A': expected NAME=VALUE\nhint: -h sends a request header; --help shows help\n"),
        ValidationCase(
            arguments: ["get", "clients", "-h", "X A=1"],
            stderr: "error: invalid -h: the header name contains ' ', which no header name can hold\n"),
        ValidationCase(
            arguments: ["get", "clients", "-h", "X-A=1\r\nX-Injected: 1"],
            stderr: "error: invalid -h X-A: its value contains a control character (CR)\n"),
        ValidationCase(
            arguments: ["create", "clients", "-s", "a='x"],
            stderr: "error: invalid -s 'a='x': invalid string value 'x: it starts with a quote but does not end with one\n"
                + "hint: use NAME=VALUE (or NAME:=JSON to insist on JSON)\n"),
        ValidationCase(
            arguments: ["create", "clients", "-h", "Content-Type=text/plain", "-b", "hi", "-s", "a=1"],
            stderr: "error: -s and -d edit JSON, but the body is sent as it is (Content-Type text/plain)\n"),
        ValidationCase(
            arguments: ["update", "clients/1", "-d", "a."], stderr: "error: invalid -d 'a.': missing key after '.'\n"),
        ValidationCase(
            arguments: ["get", "clients", "--fields", "a(b"],
            stderr:
                "error: invalid --fields 'a(b': missing ')' after the fields of 'a'\nhint: e.g. --fields 'id,clientId,protocolMappers(name)'\n"
        ),
        ValidationCase(
            arguments: ["get", "clients", "--offset", "-1"],
            stderr: "error: invalid --offset '-1': expected a whole number, 0 or more\n"),
        ValidationCase(
            arguments: ["get", "clients", "--limit", "ten"],
            stderr: "error: invalid --limit 'ten': expected a whole number, 0 or more\n"),
        ValidationCase(
            arguments: ["get", "clients", "-q", "clientId"], stderr: "error: invalid -q 'clientId': expected NAME=VALUE\n"),
        ValidationCase(arguments: ["get", "clients", "-q", "=x"], stderr: "error: invalid -q '=x': expected NAME=VALUE\n"),
        ValidationCase(arguments: ["get", ""], stderr: "error: ENDPOINT is empty\nhint: e.g. 'kcx get clients'\n"),
        ValidationCase(
            arguments: ["get", "clients", "--format", "xml"],
            stderr:
                "error: invalid value 'xml' for '--format': choose one of json, csv, table\nhint: usage: kcx get ENDPOINT [options]\n"
        ),
        ValidationCase(
            arguments: ["delete", "clients/1", "-s", "a=b"],
            stderr: "error: unknown option '-s' for 'kcx delete'\nhint: Run 'kcx delete --help' to see its options.\n"),
    ]

    @Test(arguments: cases)
    func rejectsBeforeSending(_ testCase: ValidationCase) {
        let result = runKcx(testCase.arguments, stdin: testCase.stdin)
        #expect(result == RunResult(status: 2, stdout: "", stderr: testCase.stderr))
    }
}

@Suite struct RequestHelperTests {
    @Test(arguments: [
        ("clients", "client"), ("client-scopes", "client-scope"), ("realms", "realm"), ("policies", "policy"),
        ("clients/1/protocol-mappers/models", "model"), ("users?x=1", "user"), ("address", "address"),
    ])
    func thingNames(_ endpoint: String, _ expected: String) {
        #expect(RequestCommands.thingName(endpoint) == expected)
    }

    @Test func createdIdIsTheLastSegmentDecoded() {
        #expect(RequestCommands.createdId("https://kc/admin/realms/demo/clients/abc") == "abc")
        #expect(RequestCommands.createdId("https://kc/admin/realms/my%20realm/") == "my realm")
        #expect(RequestCommands.createdId("https://kc/admin/realms/demo/users/u1?x=y") == "u1")
    }
}
