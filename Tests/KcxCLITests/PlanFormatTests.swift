// `plan --output json` is a stable, versioned schema (docs/plan-format.md): pinned here byte for
// byte, and the documented example is checked to be what kcx prints. `--output markdown` escapes
// every value so a hostile name cannot add links, images, HTML or cells to a review comment.
import Foundation
@testable import KcxCLI
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite struct PlanFormatTests {
    /// A plan with one change of each operation, the shape docs/plan-format.md shows.
    static let example = [
        RealmPlan(
            realm: "demo",
            changes: [
                PlanChange(
                    operation: .create, kind: "client-scope", name: "api-access", group: "client-scope api-access",
                    details: ["name: (none) -> \"api-access\""],
                    action: .createScope(name: "api-access", body: ["name": "api-access"])),
                PlanChange(
                    operation: .update, kind: "token-exchange", name: "gateway", group: "client gateway",
                    details: ["attributes.standard.token.exchange.enabled: \"false\" -> \"true\""],
                    action: .updateClient(clientUUID: "u1", body: [:])),
                PlanChange(
                    operation: .delete, kind: "client-scope", name: "old", group: "client-scope old",
                    details: ["created by kcx, no longer in the file"], action: .deleteScope(name: "old", id: "s1")),
            ]),
        RealmPlan(realm: "other", changes: []),
    ]

    static let pinned = """
        {
          "version": 1,
          "realms": [
            {
              "realm": "demo",
              "changes": [
                {
                  "action": "create",
                  "kind": "client-scope",
                  "name": "api-access",
                  "group": "client-scope api-access",
                  "details": [
                    "name: (none) -> \\"api-access\\""
                  ]
                },
                {
                  "action": "update",
                  "kind": "token-exchange",
                  "name": "gateway",
                  "group": "client gateway",
                  "details": [
                    "attributes.standard.token.exchange.enabled: \\"false\\" -> \\"true\\""
                  ]
                },
                {
                  "action": "delete",
                  "kind": "client-scope",
                  "name": "old",
                  "group": "client-scope old",
                  "details": [
                    "created by kcx, no longer in the file"
                  ]
                }
              ]
            },
            {
              "realm": "other",
              "changes": []
            }
          ],
          "summary": {
            "create": 1,
            "update": 1,
            "delete": 1
          },
          "requests": 5
        }
        """

    @Test func theJSONSchemaIsPinned() {
        #expect(DeclarativeCommands.planJSON(Self.example, requests: 5).serialized(.pretty) == Self.pinned)
    }

    @Test func theDocumentedExampleIsWhatKcxPrints() throws {
        let page = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/plan-format.md"), encoding: .utf8)
        let block = try #require(
            page.components(separatedBy: "<!-- plan-json-example -->\n```json\n").dropFirst().first?.components(
                separatedBy: "\n```"
            ).first)
        #expect(block == Self.pinned)
    }

    @Test func markdownEscapesWhatCouldBecomeMarkupOrACell() {
        let hostile = RealmPlan(
            realm: "r*1*",
            changes: [
                PlanChange(
                    operation: .create, kind: "client-scope", name: "![x](https://evil.example/t.png)|<img src=x>",
                    group: "g", details: ["description: (none) -> \"`code` _em_ ~~gone~~ \\\\ & <b>\"", "two\nlines"],
                    action: .deleteScope(name: "x", id: "x"))
            ])
        #expect(
            DeclarativeCommands.renderMarkdown([hostile]) == """
                ### kcx plan

                **r\\*1\\***: 1 to create, 0 to update, 0 to delete

                | | Kind | Name | Details |
                |---|---|---|---|
                | + create | client-scope | !\\[x\\](https://evil.example/t.png)\\|&lt;img src=x&gt; | description: (none) -&gt; "\\`code\\` \\_em\\_ \\~\\~gone\\~\\~ \\\\\\\\ &amp; &lt;b&gt;"<br>two lines |

                **Plan: 1 to create, 0 to update, 0 to delete.**

                """)
    }

    @Test func markdownOfNoChanges() {
        #expect(
            DeclarativeCommands.renderMarkdown([RealmPlan(realm: "demo", changes: [])]) == """
                ### kcx plan

                **demo**: no changes

                **No changes.**

                """)
    }
}
