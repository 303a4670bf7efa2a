// Saved plans with the file's realms and clients: a plan made against an empty server creates the
// realm and a confidential client whose secret comes from an ordinary variable (stored in the plan
// by name, read again at apply), and a saved --prune plan deletes a realm kcx created, refusing
// when that realm changed after the review.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct SavedPlanObjectsTests {
    @Test func aSavedPlanBuildsARealmAndAClientAndKeepsTheSecretByName() throws {
        var server = try EmptyServer(prefix: "savedobj", secretVariables: [])
        defer { server.stop() }
        let secret = "billing-" + UUID().uuidString
        server.env.extra["BILLING_PW"] = secret
        let file = try server.file(
            "realm.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
                displayName: Saved
                clients:
                  - clientId: billing
                    publicClient: false
                    serviceAccountsEnabled: true
                    secret: ${BILLING_PW}
            """)
        let planPath = server.env.home.appendingPathComponent("realm.plan").path
        let planned = try server.kcx(["plan", "-f", file, "--out", planPath])
        #expect(planned.status == 0, "\(planned)")
        let text = try String(contentsOfFile: planPath, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(text.contains(#""kcx:secret": "${BILLING_PW}""#), "\(text)")
        let document = try JSON.parse(text)
        let types = document["realms"]?[0]?["changes"]?.arrayValue?.compactMap { $0["write"]?["type"]?.stringValue } ?? []
        #expect(types == ["createRealm", "createClient"], "\(types)")
        let fingerprint = document["realms"]?[0]?["fingerprint"]?.arrayValue?.compactMap { $0["object"]?.stringValue } ?? []
        #expect(fingerprint.contains("realm (missing)"), "\(fingerprint)")

        // Without the variable nothing is sent; with it the realm and client are built, secret included.
        var without = server.env
        without.extra["BILLING_PW"] = nil
        let refused = try without.kcx(["apply", planPath, "--auto-approve"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("the saved plan needs the environment variable BILLING_PW"), "\(refused)")
        #expect(try server.keycloak.adminGet(server.realm).status == 404)

        let applied = try server.kcx(["apply", planPath, "--auto-approve", "-v"])
        #expect(applied.status == 0, "\(applied)")
        #expect(!applied.stdout.contains(secret) && !applied.stderr.contains(secret))
        #expect(try server.keycloak.adminGet(server.realm).json?["displayName"] == "Saved")
        let client = try #require(server.keycloak.adminGet("\(server.realm)/clients?clientId=billing").json?[0])
        let id = try #require(client["id"]?.stringValue)
        #expect(try server.keycloak.adminGet("\(server.realm)/clients/\(id)/client-secret").json?["value"]?.stringValue == secret)
        // Applied once, the plan is stale: the realm it expected to be missing exists now.
        let again = try server.kcx(["apply", planPath, "--auto-approve"])
        #expect(again.status == 9, "\(again)")
        #expect(again.stderr.contains("realm \(server.realm): realm (missing) was deleted"), "\(again)")
        #expect(try server.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func aSecretFileIsStoredByItsPathAndReadAgainAtApply() throws {
        let server = try EmptyServer(prefix: "savedfile", secretVariables: [])
        defer { server.stop() }
        let secret = "ledger-" + UUID().uuidString
        let secretPath = server.env.home.appendingPathComponent("ledger.secret").path
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: secretPath))
        let file = try server.file(
            "realm.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
                clients:
                  - clientId: ledger
                    publicClient: false
                    secretFile: \(secretPath)
            """)
        let planPath = server.env.home.appendingPathComponent("realm.plan").path
        let planned = try server.kcx(["plan", "-f", file, "--out", planPath])
        #expect(planned.status == 0, "\(planned)")
        let text = try String(contentsOfFile: planPath, encoding: .utf8)
        #expect(!text.contains(secret))
        #expect(text.contains(#""kcx:secretFile": "\#(secretPath)""#), "\(text)")

        // The file gone: refused before anything is sent. Back: the client gets what it holds.
        try FileManager.default.removeItem(atPath: secretPath)
        let refused = try server.kcx(["apply", planPath, "--auto-approve"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("the saved plan needs the secret file \(secretPath), which cannot be read"), "\(refused)")
        #expect(try server.keycloak.adminGet(server.realm).status == 404)
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: secretPath))
        let applied = try server.kcx(["apply", planPath, "--auto-approve", "-v"])
        #expect(applied.status == 0, "\(applied)")
        #expect(!applied.stdout.contains(secret) && !applied.stderr.contains(secret))
        let client = try #require(server.keycloak.adminGet("\(server.realm)/clients?clientId=ledger").json?[0])
        let id = try #require(client["id"]?.stringValue)
        #expect(try server.keycloak.adminGet("\(server.realm)/clients/\(id)/client-secret").json?["value"]?.stringValue == secret)
        #expect(try server.kcx(["plan", "-f", file, "--detailed-exitcode"]).status == 0)
    }

    @Test func aSavedPrunePlanDeletesTheRealmKcxCreatedOnlyWhileItIsAsReviewed() throws {
        let server = try EmptyServer(prefix: "savedprune", secretVariables: [])
        defer { server.stop() }
        let gone = "\(server.realm)-gone"
        let two = try server.file(
            "two.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
              - realm: \(gone)
                enabled: true
            """)
        #expect(try server.kcx(["apply", "-f", two, "--auto-approve"]).status == 0)
        let one = try server.file(
            "one.yaml",
            """
            realms:
              - realm: \(server.realm)
                enabled: true
            """)
        let planPath = server.env.home.appendingPathComponent("prune.plan").path
        #expect(try server.kcx(["plan", "-f", one, "--prune", "--out", planPath]).status == 0)
        // Someone changes the realm after the review: the plan is stale and deletes nothing.
        #expect(try server.keycloak.adminSend("PUT", gone, json: ["displayName": "in use now"]).status == 204)
        let stale = try server.kcx(["apply", planPath, "--auto-approve"])
        #expect(stale.status == 9, "\(stale)")
        #expect(stale.stderr.contains("realm \(gone): realm settings changed"), "\(stale)")
        #expect(try server.keycloak.adminGet(gone).status == 200)
        // Planned again and applied: the realm goes, the file's realm stays.
        #expect(try server.kcx(["plan", "-f", one, "--prune", "--out", planPath]).status == 0)
        let applied = try server.kcx(["apply", planPath, "--auto-approve"])
        #expect(applied.status == 0, "\(applied)")
        #expect(try server.keycloak.adminGet(gone).status == 404)
        #expect(try server.keycloak.adminGet(server.realm).status == 200)
    }
}
