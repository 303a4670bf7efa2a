// Issue 17 item 4 with the real binary: -o json where text was the only choice, the audiences a
// client's tokens get, and a delete that says which clients lose the scope before doing it.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct OutputTests {
    @Test func configStatusAsJSONHoldsNoToken() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-status")
        let result = try fixture.ok(["config", "status", "-o", "json"])
        let json = try #require(result.json, "\(result)")
        #expect(json["server"]?.stringValue == fixture.keycloak.baseURL)
        #expect(json["realm"]?.stringValue == "master")
        #expect(json["grant"]?.stringValue == "password")
        #expect(json["accessToken"]?["present"]?.boolValue == true)
        #expect(json["accessToken"]?["expired"]?.boolValue == false)
        #expect(!result.stdout.contains("eyJ"), "no token in the output")
    }

    @Test func audienceListForAClientShowsWhatItsTokensGet() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-list")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api-service")
        try fixture.confidentialClient("reports")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "webapp",
            "--default",
        ])
        try fixture.inRealm([
            "audience", "add", "--audience", "reports", "--scope", "reports-access", "--create-scope", "--assign", "webapp",
            "--optional",
        ])
        try fixture.inRealm(["audience", "add", "--custom-audience", "https://api.example.com", "--client", "webapp"])
        // A scope webapp does not hold does not show.
        try fixture.inRealm(["audience", "add", "--audience", "reports", "--scope", "unassigned", "--create-scope"])
        let text = try fixture.inRealm(["audience", "list", "--client", "webapp"])
        #expect(
            text.stdout == """
                WHERE                 VIA                              MAPPER                            AUDIENCE                          TOKENS
                client webapp         own mapper                       https://api.example.com audience  https://api.example.com (custom)  access,introspection
                scope api-access      default scope                    api-service audience              api-service                       access,introspection
                scope reports-access  optional scope (when requested)  reports audience                  reports                           access,introspection

                """, "\(text)")
        let json = try fixture.inRealm(["audience", "list", "--client", "webapp", "-o", "json"]).json?.arrayValue ?? []
        #expect(json.map { $0["via"]?.stringValue ?? "" } == ["client", "default-scope", "optional-scope"])
    }

    @Test func deletingAnAssignedScopeNamesTheClientsAndNeedsYes() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-delete")
        try fixture.publicClient("webapp")
        try fixture.publicClient("mobile")
        try fixture.inRealm(["client-scope", "ensure", "api-access"])
        try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "webapp", "--default"])
        try fixture.inRealm(["client-scope", "assign", "api-access", "--client", "mobile", "--optional"])
        let refused = try fixture.kcx(["client-scope", "delete", "api-access", "-r", fixture.realm])
        #expect(refused.status == 2, "\(refused)")
        #expect(
            refused.stderr == """
                error: client scope 'api-access' is assigned to 2 clients, which would lose it: mobile (optional), webapp (default)
                hint: delete it anyway with --yes, or unassign it first: kcx client-scope unassign api-access --client mobile -r \(fixture.realm)

                """
                || refused.stderr == """
                    error: client scope 'api-access' is assigned to 2 clients, which would lose it: webapp (default), mobile (optional)
                    hint: delete it anyway with --yes, or unassign it first: kcx client-scope unassign api-access --client webapp -r \(fixture.realm)

                    """,
            "\(refused)")
        #expect(try fixture.clientScope("api-access") != nil, "nothing deleted")
        let deleted = try fixture.inRealm(["client-scope", "delete", "api-access", "--yes"])
        #expect(outcomes(deleted) == ["deleted: client-scope api-access"])
        #expect(try fixture.clientScope("api-access") == nil)
        // A scope nobody holds goes without a question.
        try fixture.inRealm(["client-scope", "ensure", "loose"])
        #expect(outcomes(try fixture.inRealm(["client-scope", "delete", "loose"])) == ["deleted: client-scope loose"])
    }

    @Test func applyAsJSONReportsThePlanAndWhatWasApplied() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-apply")
        try fixture.confidentialClient("app")
        try fixture.confidentialClient("api")
        let path = fixture.env.home.appendingPathComponent("realm.yaml").path
        try Data(
            """
            realms:
              - realm: \(fixture.realm)
                clientScopes:
                  - name: api-access
                    audienceMappers:
                      - audience: api
                clients:
                  - clientId: app
                    defaultScopes: [api-access]
            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        let result = try fixture.kcx(["apply", "-f", path, "--auto-approve", "-o", "json"])
        #expect(result.status == 0, "\(result)")
        let json = try #require(result.json, "stdout is one JSON document: \(result)")
        #expect(json["summary"]?["create"]?.intValue == 3, "\(result)")
        #expect(json["applied"]?.intValue == 3)
        #expect(json["notApplied"]?.arrayValue?.isEmpty == true)
        #expect(json["failure"] == .null)
        #expect(try fixture.assignedScopes("app", "default").contains("api-access"))
        // Converged: a second run applies nothing and says so in the same shape.
        let again = try fixture.kcx(["apply", "-f", path, "--auto-approve", "-o", "json"])
        #expect(again.json?["applied"]?.intValue == 0, "\(again)")
    }

    @Test func graphAndClientScopeGetTakeDashO() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-graph")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api-service")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "webapp",
            "--default",
        ])
        let graph = try #require(try fixture.inRealm(["graph", "-o", "json"]).json)
        #expect(graph["realm"]?.stringValue == fixture.realm)
        #expect(
            graph["edges"]?.arrayValue?.contains([
                "kind": "carries", "client": "webapp", "audience": "api-service", "via": "default scope api-access",
                "onRequest": false,
            ]) == true, "\(graph)")
        // --format is the older name of -o: two different values are one option given twice.
        let clash = try fixture.kcx(["graph", "-o", "json", "--format", "dot", "-r", fixture.realm])
        #expect(clash.status == 2)
        #expect(
            clash.stderr == """
                error: option '--output (-o)' takes one value but was given twice ('json' and 'dot') for 'kcx graph'
                hint: keep the one you mean; only options marked repeatable in 'kcx graph --help' take several values

                """)
        #expect(
            try fixture.inRealm(["graph", "-o", "dot"]).stdout == (try fixture.inRealm(["graph", "--format", "dot"]).stdout))
        let exported = try fixture.inRealm(["export", "-o", "json"]).stdout
        #expect(exported.hasPrefix("{"), "\(exported)")
        #expect(exported == (try fixture.inRealm(["export", "--format", "json"]).stdout))
        let id = try #require(try fixture.clientScope("api-access")?["id"]?.stringValue)
        let text = try fixture.inRealm(["client-scope", "get", "api-access"]).stdout
        #expect(
            text == """
                name:     api-access
                id:       \(id)
                protocol: openid-connect

                MAPPER                TYPE
                api-service audience  oidc-audience-mapper

                """, "\(text)")
        #expect(try fixture.inRealm(["client-scope", "get", "api-access", "-o", "json"]).json?["id"]?.stringValue == id)
    }

    @Test func audienceAddOfATypoSuggestsTheClient() throws {
        let fixture = try RealmFixture(.shared, prefix: "out-typo")
        try fixture.publicClient("webapp")
        try fixture.confidentialClient("api-service")
        let before = try fixture.snapshot()
        let result = try fixture.kcx([
            "audience", "add", "--audience", "api-servce", "--scope", "x", "--create-scope", "-r", fixture.realm,
        ])
        #expect(result.status == 3)
        #expect(
            result.stderr
                == "error: --audience 'api-servce' names no client in realm '\(fixture.realm)'\nhint: did you mean 'api-service'? (if not, create the client first, or use --custom-audience for a value that is not a client)\n",
            "\(result)")
        #expect(try fixture.snapshot() == before)
    }
}
