// Terminal and copy-paste: names a delegated admin chose (escape sequences, a shell injection)
// reach the operator's screen only as visible escapes, and fixes kcx prints run exactly as shown.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct TerminalAttackTests {
    /// Bytes a terminal acts on: C0 but LF and TAB, DEL, C1 (as UTF-8), bidi overrides.
    static func activeCharacters(_ text: String) -> [String] {
        text.unicodeScalars.filter { scalar in
            (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || (0x7F...0x9F).contains(scalar.value)
                || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }.map { String(format: "U+%04X", $0.value) }
    }

    static let title = "evil\u{1B}]0;owned\u{07}"
    /// Keycloak refuses control characters in a client scope's name, not in its description or mappers.
    static let clear = "desc\u{1B}[2J\r\u{9B}31m\u{202E}"

    /// A realm where a delegated admin named a public exchange client and an audience scope with
    /// escape sequences, the scope's mapper naming a client that does not exist.
    static func hostileRealm() throws -> RealmFixture {
        let fixture = try RealmFixture(.shared, prefix: "term")
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        let client = try attacker.send(
            "POST", "clients",
            json: [
                "clientId": .string(title), "publicClient": true, "description": "desc\u{1B}[8m",
                "attributes": ["standard.token.exchange.enabled": "true"],
            ])
        #expect(client.status == 201, "\(client.text)")
        try attacker.clientScope(
            id: UUID().uuidString, name: "hostile-audience",
            extra: [
                ("description", .string(clear)),
                (
                    "protocolMappers",
                    [
                        [
                            "name": "gone\u{1B}[5m", "protocol": "openid-connect", "protocolMapper": "oidc-audience-mapper",
                            "config": ["included.client.audience": "gone\u{07}", "access.token.claim": "true"],
                        ]
                    ]
                ),
            ])
        return fixture
    }

    @Test func humanOutputShowsEscapesInsteadOfSendingThem() throws {
        let fixture = try Self.hostileRealm()
        let runs: [[String]] = [
            ["doctor"], ["graph"], ["audience", "list"], ["token-exchange", "status"], ["client-scope", "list"],
            ["get", "clients", "--format", "table", "--fields", "clientId,description"],
            ["get", "clients", "--format", "csv", "--fields", "clientId,description"],
            ["get", "client-scopes", "--fields", "name"],
            ["audience", "check", "--client", Self.title, "--audience", "gone\u{07}", "--user", "nobody"],
            ["create", "client-scopes", "-s", "name=made", "-s", "protocol=openid-connect", "-s", "id=id\u{1B}[2J"],
            ["export"],
        ]
        for arguments in runs {
            let result = try fixture.kcx(arguments + ["-r", fixture.realm])
            let shown = result.stdout + result.stderr
            #expect(
                Self.activeCharacters(shown).isEmpty,
                "kcx \(arguments.joined(separator: " ")) sent \(Self.activeCharacters(shown)): \(result)")
            #expect(!result.stderr.contains("Fatal error"), "\(result)")
        }
        let doctor = try fixture.kcx(["doctor", "-r", fixture.realm]).stdout
        #expect(doctor.contains("evil\\u001b]0;owned\\u0007"), "\(doctor)")
        let created = try fixture.kcx([
            "create", "client-scopes", "-s", "name=made2", "-s", "protocol=openid-connect", "-s",
            "id=x\u{1B}]52;c;ZWNobyBwd25lZA==\u{07}", "-r", fixture.realm,
        ])
        #expect(created.stderr == "Created new client-scope with id 'x\\u001b]52;c;ZWNobyBwd25lZA==\\u0007'\n", "\(created)")
    }

    @Test func jsonOutputStaysValidAndHoldsTheExactValue() throws {
        let fixture = try Self.hostileRealm()
        let result = try fixture.kcx([
            "get", "clients", "-q", "clientId=\(Self.title)", "--fields", "clientId", "-r", fixture.realm,
        ])
        #expect(Self.activeCharacters(result.stdout).isEmpty)
        #expect(result.json == [["clientId": .string(Self.title)]], "\(result)")
    }

    /// A doctor fix for a client named `p;touch${IFS}/tmp/…;#`, pasted into bash, runs kcx with
    /// exactly the words shown (here a kcx function that records them) and nothing else.
    @Test func aPastedFixRunsExactlyThatCommand() throws {
        let fixture = try RealmFixture(.shared, prefix: "paste")
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-pwned-\(UUID().uuidString.prefix(8))")
            .path
        let clientId = "p;touch${IFS}\(marker);#"
        let attacker = try DelegatedAdmin(.shared, realm: fixture.realm)
        let created = try attacker.send(
            "POST", "clients",
            json: [
                "clientId": .string(clientId), "publicClient": true, "attributes": ["standard.token.exchange.enabled": "true"],
            ])
        #expect(created.status == 201, "\(created.text)")

        let doctor = try fixture.kcx(["doctor", "--output", "json", "-r", fixture.realm])
        let fixes = (doctor.json?["findings"]?.arrayValue ?? []).compactMap { $0["fix"]?.stringValue }
        let fix = try #require(fixes.first { $0.hasPrefix("kcx token-exchange disable") }, "\(doctor)")
        #expect(fix == "kcx token-exchange disable --client 'p;touch${IFS}\(marker);#' -r \(fixture.realm)")
        let args = FileManager.default.temporaryDirectory.appendingPathComponent("kcx-args-\(UUID().uuidString.prefix(8))").path
        let shell = try runProcess(
            URL(fileURLWithPath: "/bin/bash"), ["-c", "kcx() { printf '%s\\n' \"$@\" > '\(args)'; }\n" + fix], environment: [:])
        #expect(shell.status == 0, "\(shell)")
        #expect(!FileManager.default.fileExists(atPath: marker), "pasting the fix ran a second command")
        let words = try String(contentsOfFile: args, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(words == ["token-exchange", "disable", "--client", clientId, "-r", fixture.realm])
        try? FileManager.default.removeItem(atPath: args)

        // And the fix does what it says.
        let ran = try fixture.kcx(["token-exchange", "disable", "--client", clientId, "-r", fixture.realm])
        #expect(ran.status == 0, "\(ran)")
        let clients = try fixture.keycloak.adminGet("\(fixture.realm)/clients").json?.arrayValue ?? []
        let client = try #require(clients.first { $0["clientId"]?.stringValue == clientId })
        #expect(client["attributes"]?["standard.token.exchange.enabled"]?.stringValue != "true")
    }
}
