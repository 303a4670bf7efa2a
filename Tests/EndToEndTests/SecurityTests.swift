// doctor, graph, downscope and audit run with the real kcx against a Keycloak: the seed patterns'
// graph against a committed golden file, a realm built to have every doctor finding and a clean one,
// and real exchanges refused and allowed by downscope enforcement, then read back from the events.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct SecurityGraphTests {
    static let goldenURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Golden/graph-seed-patterns.txt")

    /// The three seed patterns, each built with kcx commands exactly as docs/guides/ shows them.
    static func seedRealms() throws -> [(name: String, fixture: RealmFixture)] {
        let frontend = try RealmFixture(.shared, prefix: "g1")
        try frontend.publicClient("myapp")
        try frontend.confidentialClient("api-service")
        try frontend.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
            "--optional",
        ])

        let (mesh, _) = try MicroservicesPatternTests.setUp(.shared, prefix: "g2")
        try mesh.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard"])

        let (delegated, _, _) = try DelegatedAccessPatternTests.setUp(.shared, prefix: "g3")
        try delegated.inRealm([
            "token-exchange", "allow", "--from", "primary-service", "--to", "delegated-service", "--subject-client", "portal",
            "--mode", "standard",
        ])
        return [("frontend-to-backend", frontend), ("microservices", mesh), ("delegated-access", delegated)]
    }

    @Test func theSeedPatternsGraphMatchesTheGoldenFile() throws {
        var rendered = ""
        for (name, fixture) in try Self.seedRealms() {
            for format in ["text", "mermaid", "dot"] {
                let output = try fixture.inRealm(["graph", "--format", format]).stdout
                rendered += "=== \(name) (\(format))\n" + output.replacingOccurrences(of: fixture.realm, with: name)
            }
        }
        if ProcessInfo.processInfo.environment["KCX_UPDATE_GOLDEN"] == "1" {
            try Data(rendered.utf8).write(to: Self.goldenURL)
        }
        let golden = try String(contentsOf: Self.goldenURL, encoding: .utf8)
        #expect(rendered == golden)
    }

    @Test func aBadFormatIsAUsageErrorNamingIt() throws {
        let fixture = try RealmFixture(.shared, prefix: "gbad")
        let result = try fixture.kcx(["graph", "--format", "png", "-r", fixture.realm])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: invalid value 'png' for '--format': choose one of text, json, mermaid, dot\n"))
        #expect(result.stdout.isEmpty)
    }
}

@Suite(.serialized) struct SecurityDoctorTests {
    @Test func aCleanRealmHasNoFindings() throws {
        let fixture = try RealmFixture(.shared, prefix: "dclean")
        try fixture.publicClient("myapp")
        try fixture.confidentialClient("api-service")
        try fixture.inRealm([
            "audience", "add", "--audience", "api-service", "--scope", "api-access", "--create-scope", "--assign", "myapp",
            "--optional",
        ])
        let before = try fixture.snapshot()
        let result = try fixture.inRealm(["doctor", "--fail-on", "warning"])
        #expect(result.stdout == "realm \(fixture.realm): no findings\n")
        let json = try fixture.inRealm(["doctor", "--output", "json"])
        #expect(json.json == ["realm": .string(fixture.realm), "findings": []])
        #expect(try fixture.snapshot() == before)
    }

    @Test func failOnSetsTheExitStatusByThreshold() throws {
        let fixture = try RealmFixture(.shared, prefix: "dwarn")
        try fixture.confidentialClient("billing")
        try fixture.inRealm(["client-scope", "ensure", "billing-access", "--realm-default", "default"])
        try fixture.inRealm(["audience", "add", "--audience", "billing", "--scope", "billing-access"])
        let errorsOnly = try fixture.kcx(["doctor", "--fail-on", "error", "-r", fixture.realm])
        #expect(errorsOnly.status == 0, "\(errorsOnly)")
        #expect(errorsOnly.stdout.hasPrefix("warning: audience-scope-realm-default: client-scope billing-access\n"))
        #expect(errorsOnly.stdout.hasSuffix("realm \(fixture.realm): 1 finding (0 errors)\n"))
        #expect(try fixture.kcx(["doctor", "--fail-on", "warning", "-r", fixture.realm]).status == 7)
        let bad = try fixture.kcx(["doctor", "--fail-on", "info", "-r", fixture.realm])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("error: invalid value 'info' for '--fail-on': choose one of warning, error\n"))
    }

    @Test func aRealmBuiltWithEveryFindingShowsEach() throws {
        let fixture = try RealmFixture(.shared, prefix: "dbad")
        // A public client with standard exchange switched on behind kcx's back.
        try fixture.publicClient("spa")
        let spa = try #require(fixture.client("spa")["id"]?.stringValue)
        try fixture.inRealm(["update", "clients/\(spa)", "-m", "-s", #"attributes."standard.token.exchange.enabled"=true"#])
        // A confidential requester with a one-hour token lifespan.
        try fixture.confidentialClient("requester")
        try fixture.inRealm(["token-exchange", "enable", "--client", "requester"])
        let requester = try #require(fixture.client("requester")["id"]?.stringValue)
        try fixture.inRealm(["update", "clients/\(requester)", "-m", "-s", #"attributes."access.token.lifespan"=3600"#])
        // An audience mapper whose client is deleted afterwards.
        try fixture.confidentialClient("ghost")
        try fixture.inRealm(["audience", "add", "--audience", "ghost", "--scope", "ghost-access", "--create-scope"])
        let ghost = try #require(fixture.client("ghost")["id"]?.stringValue)
        try fixture.inRealm(["delete", "clients/\(ghost)"])
        // An audience scope every new client receives.
        try fixture.confidentialClient("billing")
        try fixture.inRealm(["client-scope", "ensure", "billing-access", "--realm-default", "default"])
        try fixture.inRealm(["audience", "add", "--audience", "billing", "--scope", "billing-access"])
        // A gateway whose default scope gives its tokens four audiences.
        try fixture.inRealm(["client-scope", "ensure", "mesh"])
        for service in ["s1", "s2", "s3", "s4"] {
            try fixture.confidentialClient(service)
            try fixture.inRealm(["audience", "add", "--audience", service, "--scope", "mesh"])
        }
        try fixture.confidentialClient("gateway")
        try fixture.inRealm(["client-scope", "assign", "mesh", "--client", "gateway", "--default"])
        try fixture.inRealm(["update", "realms/\(fixture.realm)", "-s", "sslRequired=none"])

        let before = try fixture.snapshot()
        let result = try fixture.kcx(["doctor", "--output", "json", "--fail-on", "error", "-r", fixture.realm])
        #expect(result.status == 7, "\(result)")
        let findings = try #require(result.json?["findings"]?.arrayValue)
        let summary = findings.map {
            "\($0["severity"]?.stringValue ?? "") \($0["check"]?.stringValue ?? ""): \($0["objects"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "")"
        }
        var expected = ["error public-exchange-requester: client spa"]
        // Clients in the server's list order: sorted by clientId (as Keycloak 26.7.1 lists them).
        expected.append("warning no-downscope-enforcement: client requester, client spa")
        expected += [
            "error audience-of-missing-client: audience-mapper ghost audience on scope ghost-access, client ghost (missing)",
            "warning audience-scope-realm-default: client-scope billing-access",
        ]
        // billing-access reached every client created after it became a realm default.
        let billingHolders = ["s1", "s2", "s3", "s4", "gateway"]
        #expect(try billingHolders.allSatisfy { try fixture.assignedScopes($0, "default").contains("billing-access") })
        // Audiences in the order of the realm's scopes: billing-access was made before mesh.
        expected.append(
            "warning many-default-audiences: client gateway, audience billing, audience s1, audience s2, audience s3, audience s4"
        )
        expected.append("warning long-requester-token-lifespan: client requester")
        expected.append("warning exchange-events-off: realm \(fixture.realm) events")
        expected.append("error ssl-not-required: realm \(fixture.realm)")
        #expect(summary == expected)
        #expect(
            findings.allSatisfy { $0["why"]?.stringValue?.isEmpty == false && $0["fix"]?.stringValue?.hasPrefix("kcx ") == true })
        #expect(try fixture.snapshot() == before, "doctor only reads")

        let text = try fixture.kcx(["doctor", "-r", fixture.realm])
        #expect(text.status == 0, "without --fail-on the exit status is 0")
        #expect(text.stdout.hasPrefix("error: public-exchange-requester: client spa\n    why: "))
        #expect(text.stdout.contains("    fix: kcx token-exchange disable --client spa -r \(fixture.realm)\n"))
    }
}

@Suite struct SecurityAuditInputTests {
    @Test func badSinceAndDryRunWithoutEnableAreUsageErrorsWithNoRequest() throws {
        let fixture = try RealmFixture(.shared, prefix: "abad")
        let since = try fixture.kcx(["token-exchange", "audit", "--since", "5x", "-r", fixture.realm])
        #expect(since.status == 2)
        #expect(since.stderr.hasPrefix("error: --since must be a number followed by s, m, h or d (e.g. 30m), not '5x'\n"))
        let huge = try fixture.kcx(["token-exchange", "audit", "--since", "99999999999999999d", "-r", fixture.realm])
        #expect(huge.status == 2)
        #expect(
            huge.stderr.hasPrefix(
                "error: --since must be a number followed by s, m, h or d (e.g. 30m), not '99999999999999999d'\n"))
        let dry = try fixture.kcx(["token-exchange", "audit", "--dry-run", "-r", fixture.realm])
        #expect(dry.status == 2)
        #expect(dry.stderr.hasPrefix("error: --dry-run only applies with --enable\n"))
    }
}

@Suite(.serialized) struct SecurityLegacyDoctorTests {
    /// Two client policies on one token-exchange permission under UNANIMOUS, one of them naming a public client.
    @Test(.enabled(if: onSandbox, "legacy V1 needs a server started with token-exchange,admin-fine-grained-authz:v1"))
    func unanimousPoliciesAndAPublicLegacyRequester() throws {
        let fixture = try RealmFixture(try #require(TestKeycloak.legacy), prefix: "dleg")
        try fixture.confidentialClient("service-a")
        try fixture.confidentialClient("target")
        try fixture.publicClient("web")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "target", "--mode", "legacy"])
        let management = try #require(fixture.client("realm-management")["id"]?.stringValue)
        let web = try #require(fixture.client("web")["id"]?.stringValue)
        let targetID = try #require(fixture.client("target")["id"]?.stringValue)
        let server = "clients/\(management)/authz/resource-server"
        try fixture.inRealm([
            "create", "\(server)/policy/client", "-b",
            #"{"name":"web-may-exchange","clients":["\#(web)"],"logic":"POSITIVE","decisionStrategy":"UNANIMOUS"}"#,
        ])
        let permissions = try #require(
            fixture.keycloak.adminGet("\(fixture.realm)/clients/\(targetID)/management/permissions").json)
        let permissionID = try #require(permissions["scopePermissions"]?["token-exchange"]?.stringValue)
        let resource = try #require(permissions["resource"]?.stringValue)
        let body: JSON = [
            "id": .string(permissionID), "name": .string("token-exchange.permission.client.\(targetID)"), "type": "scope",
            "logic": "POSITIVE",
            "decisionStrategy": "UNANIMOUS", "resources": [.string(resource)], "scopes": ["token-exchange"],
            "policies": ["kcx-token-exchange-target", "web-may-exchange"],
        ]
        try fixture.inRealm(["update", "\(server)/permission/scope/\(permissionID)", "-b", body.serialized()])

        let result = try fixture.kcx(["doctor", "--output", "json", "--fail-on", "error", "-r", fixture.realm])
        #expect(result.status == 7, "\(result)")
        let findings = try #require(result.json?["findings"]?.arrayValue)
        let summary = findings.map {
            "\($0["check"]?.stringValue ?? ""): \($0["objects"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "")"
        }
        #expect(summary.contains("public-exchange-requester: client web, legacy permission on target"), "\(summary)")
        #expect(
            summary.contains(
                "unanimous-exchange-policies: token-exchange permission of target, policy kcx-token-exchange-target, policy web-may-exchange"
            ), "\(summary)")
        let graph = try fixture.inRealm(["graph"]).stdout
        #expect(
            graph.hasSuffix("may exchange (requester => target):\n  service-a => target  [legacy]\n  web => target  [legacy]\n"),
            "\(graph)")
    }
}

@Suite(.serialized) struct SecurityDownscopeAuditTests {
    @Test func downscopeRefusesEscalationAndAuditShowsBothExchanges() throws {
        let (fixture, secrets) = try MicroservicesPatternTests.setUp(.shared, prefix: "ds")
        try fixture.inRealm(["token-exchange", "allow", "--from", "service-a", "--to", "service-b", "--mode", "standard"])
        let secret = secrets["service-a"]!

        let audit = try fixture.inRealm(["token-exchange", "audit", "--enable"])
        #expect(outcomes(audit) == ["updated: events-config \(fixture.realm)"])
        #expect(
            try fixture.inRealm(["token-exchange", "audit", "--enable"]).stderr.hasPrefix(
                "unchanged: events-config \(fixture.realm)\n"))

        let before = try fixture.keycloak.adminGet("\(fixture.realm)/client-policies/policies").json
        let dry = try fixture.inRealm(["token-exchange", "downscope", "enable", "--dry-run"])
        #expect(
            outcomes(dry) == ["would be created: client-profile kcx-downscope", "would be created: client-policy kcx-downscope"])
        #expect(try fixture.keycloak.adminGet("\(fixture.realm)/client-policies/policies").json == before)

        let enable = try fixture.inRealm(["token-exchange", "downscope", "enable"])
        #expect(outcomes(enable) == ["created: client-profile kcx-downscope", "created: client-policy kcx-downscope"])
        let again = try fixture.inRealm(["token-exchange", "downscope", "enable"])
        #expect(outcomes(again) == ["unchanged: client-profile kcx-downscope", "unchanged: client-policy kcx-downscope"])
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout == "downscope: on for every token exchange\n")
        // Enabling for one client never narrows a policy for everyone: nothing changes, no marker scope.
        let narrower = try fixture.inRealm(["token-exchange", "downscope", "enable", "--client", "service-a"])
        #expect(outcomes(narrower) == ["unchanged: client-profile kcx-downscope", "unchanged: client-policy kcx-downscope"])
        #expect(narrower.stderr.contains("already enforced for every client"), "\(narrower)")
        #expect(try fixture.clientScope("kcx-downscope-marker") == nil)
        // A policy switched off by hand is switched back on by the next enable, the other policies kept.
        var policies = try #require(fixture.keycloak.adminGet("\(fixture.realm)/client-policies/policies").json)
        var entries = try #require(policies["policies"]?.arrayValue)
        let index = try #require(entries.firstIndex { $0["name"] == "kcx-downscope" })
        entries[index]["enabled"] = false
        policies["policies"] = .array(entries)
        #expect(try fixture.keycloak.adminSend("PUT", "\(fixture.realm)/client-policies/policies", json: policies).status == 204)
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout.hasPrefix("downscope: off"))
        let repaired = try fixture.inRealm(["token-exchange", "downscope", "enable"])
        #expect(outcomes(repaired) == ["unchanged: client-profile kcx-downscope", "updated: client-policy kcx-downscope"])
        #expect(repaired.stderr.contains("enabled: false -> true"), "\(repaired)")
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout == "downscope: on for every token exchange\n")
        let after = try #require(fixture.keycloak.adminGet("\(fixture.realm)/client-policies/policies").json?["policies"])
        #expect(after.arrayValue?.count == entries.count)

        func exchange(scope: String?) throws -> ProcessResult {
            let subject = try fixture.inRealm(["token", "get", "--client", "service-a", "--secret-file", secret]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var arguments = [
                "token", "exchange", "--client", "service-a", "--secret-file", secret, "--subject-token", subject, "--audience",
                "service-b",
            ]
            if let scope { arguments += ["--scope", scope] }
            return try fixture.kcx(arguments + ["-r", fixture.realm])
        }
        // phone is an optional scope of service-a that its own token never asked for.
        let refused = try exchange(scope: "phone")
        #expect(refused.status != 0, "\(refused)")
        #expect(refused.stderr.contains("invalid_scope"), "\(refused)")
        #expect(refused.stderr.contains("Scopes [phone] not present in the initial access token"), "\(refused)")
        #expect(try exchange(scope: nil).status == 0)

        let disable = try fixture.inRealm(["token-exchange", "downscope", "disable"])
        #expect(
            outcomes(disable) == [
                "deleted: client-policy kcx-downscope", "deleted: client-profile kcx-downscope",
                "unchanged: client-scope kcx-downscope-marker",
            ])
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout
                == "downscope: off (kcx policy kcx-downscope absent or disabled)\n")
        let allowed = try exchange(scope: "phone")
        #expect(allowed.status == 0, "\(allowed)")

        let listed = try fixture.inRealm([
            "token-exchange", "audit", "--client", "service-a", "--since", "1h", "--output", "json",
        ])
        let exchanges = try #require(listed.json?["exchanges"]?.arrayValue)
        #expect(exchanges.map { $0["outcome"]?.stringValue ?? "" } == ["allowed", "allowed", "refused"], "newest first")
        #expect(
            exchanges[2]["reason"]?.stringValue?.hasPrefix(
                "invalid_scope: Scopes [phone] not present in the initial access token") == true)
        #expect(exchanges[0]["requester"] == "service-a")
        #expect(exchanges[0]["subjectClient"] == "service-a")
        #expect(audiences(["aud": exchanges[0]["audience"] ?? .null]) == ["service-b"])
        let table = try fixture.inRealm(["token-exchange", "audit", "--client", "service-a"]).stdout
        #expect(table.hasPrefix("TIME"))
        #expect(table.split(separator: "\n").count == 4)
    }

    @Test func downscopeForOneClientUsesTheMarkerScope() throws {
        let (fixture, _) = try MicroservicesPatternTests.setUp(.shared, prefix: "dsc")
        let enable = try fixture.inRealm(["token-exchange", "downscope", "enable", "--client", "service-a"])
        #expect(
            outcomes(enable) == [
                "created: client-scope kcx-downscope-marker",
                "created: client-scope-assignment kcx-downscope-marker -> service-a (default)",
                "created: client-profile kcx-downscope", "created: client-policy kcx-downscope",
            ])
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout == "downscope: on for exchanges by service-a\n")
        let lifted = try fixture.inRealm(["token-exchange", "downscope", "disable", "--client", "service-a"])
        #expect(outcomes(lifted) == ["deleted: client-scope-assignment kcx-downscope-marker -> service-a (default)"])
        #expect(
            try fixture.inRealm(["token-exchange", "downscope", "status"]).stdout.hasPrefix(
                "downscope: on for exchanges by no client"))
    }
}
