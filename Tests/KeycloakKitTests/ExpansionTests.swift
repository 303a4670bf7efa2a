// ${VAR} expansion in declarative files: only the text the operator wrote is expanded, once;
// `$${` is a literal `${`, which is how export writes what the server holds, so a server string
// never reaches the environment; secret variables and secret fields never reach plan output.
import KcxJSON
@testable import KeycloakKit
import Testing

@Suite("Declarative file: ${VAR} expansion")
struct ExpansionTests {
    func parse(_ text: String, _ environment: [String: String] = [:]) throws(FileError) -> DesiredState {
        try DesiredState.parse(text, file: "f.yaml", environment: environment)
    }

    func description(_ yamlScalar: String, _ environment: [String: String] = [:]) throws -> String? {
        try parse("realms:\n  - realm: r\n    clientScopes:\n      - name: s\n        description: \(yamlScalar)\n", environment)
            .realms[0].clientScopes[0].description
    }

    @Test func escapeIsALiteralDollarBrace() throws {
        let environment = ["A": "va", "KCX_PASSWORD": "hunter2"]
        #expect(try description(#""$${KCX_PASSWORD}""#, environment) == "${KCX_PASSWORD}")
        #expect(try description(#""$${A} and ${A}""#, environment) == "${A} and va")
        // k+1 dollars before `{` read as k dollars: the escape takes one, the rest stay.
        #expect(try description(#""$$${A}""#, environment) == "$${A}")
        #expect(try description(#""$$$${A}""#, environment) == "$$${A}")
        // A `$` or `$$` not before `{` is itself; a `$${` without a closing brace is fine (nothing to expand).
        #expect(try description(#""cost: $5, $$, a$""#, environment) == "cost: $5, $$, a$")
        #expect(try description(#""$${unclosed""#, environment) == "${unclosed")
        #expect(try description(#""$${not a name}""#, environment) == "${not a name}")
    }

    @Test func valuesAreExpandedOnce() throws {
        // A value (or default) holding ${...} is not expanded again: the environment is data, not a template.
        let environment = ["OUTER": "${KCX_PASSWORD}", "KCX_PASSWORD": "hunter2"]
        #expect(try description(#""${OUTER}""#, environment) == "${KCX_PASSWORD}")
        #expect(try description(#""${MISSING:-${KCX_PASSWORD}""#, environment) == "${KCX_PASSWORD")
        #expect(try description(#""${MISSING:-$${A}}""#, environment) == "$${A}")
    }

    @Test func escapeErrorsNameTheEscape() {
        func error(_ scalar: String) -> String {
            do {
                _ = try description(scalar)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(
            error(#""${NOPE""#)
                == "f.yaml:5:22: realms[0].clientScopes[0].description: unclosed '${' in '${NOPE' (write $${ for a literal ${)")
        #expect(
            error(#""${A B}""#)
                == "f.yaml:5:22: realms[0].clientScopes[0].description: '${A B}' is not a variable name (write $${ for a literal ${)"
        )
    }

    /// Strings as a hostile realm admin may leave them on the server.
    static let hostileStrings = [
        "${KCX_PASSWORD}", "$${x}", "$", "$$", "${", "$${", "a${B}c${", "${KCX_PASSWORD:-x}", "$$$${KCX_PASSWORD}", "}${}",
        "plain", "${ }",
    ]

    /// Export's writers, then the reader: every string comes back as it was, none is expanded.
    @Test(arguments: hostileStrings) func exportedStringsReadBackLiterally(_ text: String) throws {
        let scope = DesiredClientScope(
            name: "s", description: text, protocol_: "openid-connect", includeInTokenScope: true, realmDefault: nil,
            audienceMappers: [
                DesiredAudienceMapper(
                    name: "m " + text, audience: .custom(text), settings: AudienceMapperSettings(mapperName: "m " + text))
            ],
            protocolMappers: [
                DesiredProtocolMapper(
                    name: "p", protocolMapper: "oidc-hardcoded-claim-mapper", config: JSONObject([("claim.value", .string(text))])
                )
            ])
        let state = DesiredState(realms: [DesiredRealm(realm: "r", clientScopes: [scope])])
        // KCX_PASSWORD is set: had anything been expanded, its value would show.
        let environment = ["KCX_PASSWORD": "hunter2", "B": "bee", "x": "ex"]
        for (format, text) in [("json", state.json.serialized(.pretty)), ("yaml", YAMLWriter.render(state.json))] {
            let read = try parse(text, environment)
            #expect(read == state, "\(format):\n\(text)")
        }
    }

    @Test func secretVariableNamesAreRecognised() {
        for name in [
            "KCX_PASSWORD", "MY_TOKEN", "db_password", "apikey", "API_KEY", "Credentials", "clientSecret", "KEYCLOAK_URL",
        ] {
            #expect(FileReader.isSecretVariable(name), "\(name)")
        }
        for name in ["REALM", "DESC", "PARTNER", "AUDIENCE"] {
            #expect(!FileReader.isSecretVariable(name), "\(name)")
        }
    }

    @Test func secretValuesAreCollected() throws {
        let state = try parse(
            """
            realms:
              - realm: r
                clientScopes:
                  - name: s
                    description: "for ${MY_TOKEN} and ${REALM_NAME}"
                    protocolMappers:
                      - name: p
                        protocolMapper: x
                        config: {secret: written-out, Client.Secret.Rotated: "${PLAIN}", other: "${EMPTY_KEY:-}"}
            """, ["MY_TOKEN": "tok-123", "REALM_NAME": "visible", "PLAIN": "rotated-1", "EMPTY_KEY": ""])
        // A secret field's value counts whether written out or from any variable; empty values hide nothing.
        #expect(state.secretValues == ["tok-123", "written-out", "rotated-1"])
        #expect(state.realms[0].clientScopes[0].description == "for tok-123 and visible")
        #expect(
            state.redacting(#"description: (none) -> "for tok-123 and visible""#)
                == #"description: (none) -> "for <redacted> and visible""#)
    }

    @Test func errorsWhileReadingHideSecretValues() {
        do {
            _ = try parse("realms:\n  - realm: \"${API_KEY}\"\n", ["API_KEY": "k e y"])
            Issue.record("a realm name with spaces was accepted")
        } catch {
            #expect(
                error.description
                    == "f.yaml:2:12: realms[0].realm: '<redacted>' contains ' ', which Keycloak does not allow (no spaces, quotes, backslashes or non-ASCII)"
            )
        }
    }

    @Test func anErrorQuotingASecretFieldAsWrittenHidesIt() {
        do {
            _ = try parse(
                "realms:\n  - realm: r\n    clientScopes:\n      - name: s\n        protocolMappers:\n          - {name: p, protocolMapper: x, config: {secret: \"hunter2 ${\"}}\n"
            )
            Issue.record("an unclosed ${ was accepted")
        } catch {
            #expect(
                error.description
                    == "f.yaml:6:59: realms[0].clientScopes[0].protocolMappers[0].config.secret: unclosed '${' in '<redacted>' (write $${ for a literal ${)"
            )
        }
    }

    @Test func redactionCoversJSONEscapedFormsAndLongestFirst() {
        let state = DesiredState(realms: [], secretValues: ["a\"b", "abc", "abcdef"])
        #expect(state.redacting(#"{"x":"a\"b"} abcdef abc"#) == #"{"x":"<redacted>"} <redacted> <redacted>"#)
        #expect(DesiredState(realms: []).redacting("abc") == "abc")
    }

    /// What the plan shows for a secret variable's value: `<redacted>` in the details, the write unchanged.
    @Test func planHidesSecretVariableValues() throws {
        let state = try parse(
            """
            realms:
              - realm: r
                clientScopes:
                  - name: s
                    description: ${MY_TOKEN}
                    protocolMappers:
                      - {name: p, protocolMapper: x, config: {password: "${DB:-pw-1}"}}
            """, ["MY_TOKEN": "tok-123"])
        let live = LiveRealm(clientScopes: [], clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        let plan = Planner.diff(state.realms[0], live, prune: false, secrets: state.secretValues)
        let shown = plan.hiding(state)
        #expect(
            shown.changes[0].details == [
                #"name: (none) -> "s""#, "description: (none) -> <redacted>", #"protocol: (none) -> "openid-connect""#,
                #"attributes.include.in.token.scope: (none) -> "true""#,
                #"attributes.display.on.consent.screen: (none) -> "false""#,
            ])
        // A secret field shows that it changes, never its value (differences knows Redaction's names).
        #expect(plan.changes[1].details == ["config.password: (none) -> <redacted>"])
        #expect(shown.changes.map(\.action) == plan.changes.map(\.action))
        guard case .createScope(_, let body) = shown.changes[0].action else {
            Issue.record("expected a scope creation")
            return
        }
        #expect(body["description"] == "tok-123")
    }

    /// Live state is compared as it is: a live `${KCX_PASSWORD}` equals the file's `$${KCX_PASSWORD}`.
    @Test func liveStringsAreNeverExpanded() throws {
        let state = try parse(
            "realms:\n  - realm: r\n    clientScopes:\n      - {name: s, description: \"$${KCX_PASSWORD}\", includeInTokenScope: true}\n",
            ["KCX_PASSWORD": "hunter2"])
        let live = LiveRealm(
            clientScopes: [
                [
                    "id": "s1", "name": "s", "protocol": "openid-connect", "description": "${KCX_PASSWORD}",
                    "attributes": ["include.in.token.scope": "true", "display.on.consent.screen": "false"],
                ]
            ],
            clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        #expect(Planner.diff(state.realms[0], live, prune: false).changes == [])
    }

    /// When a secret value replaces another (a rotated token), neither shows: the old one was a secret too.
    @Test func aValueHoldingASecretHidesWhatItReplaces() {
        let live = LiveRealm(
            clientScopes: [
                [
                    "id": "s1", "name": "s", "protocol": "openid-connect", "description": "old-token",
                    "attributes": ["include.in.token.scope": "true"],
                ]
            ],
            clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        let desired = DesiredRealm(
            realm: "r",
            clientScopes: [
                DesiredClientScope(
                    name: "s", description: "new-token", protocol_: "openid-connect", includeInTokenScope: true,
                    realmDefault: nil, audienceMappers: [])
            ])
        #expect(
            Planner.diff(desired, live, prune: false, secrets: ["new-token"]).changes[0].details == [
                "description: <redacted> -> <redacted>"
            ])
        #expect(Planner.diff(desired, live, prune: false).changes[0].details == [#"description: "old-token" -> "new-token""#])
    }

    @Test func secretFieldChangesShowNeitherValue() {
        #expect(
            differences(current: ["config": ["secret": "old-1"]], desired: ["config": ["secret": "new-1"]]) == [
                "config.secret: <redacted> -> <redacted>"
            ])
        #expect(differences(current: ["config": ["secret": "same"]], desired: ["config": ["secret": "same"]]) == [])
        #expect(differences(current: nil, desired: ["clientSecret": "x"]) == ["clientSecret: (none) -> <redacted>"])
    }
}
