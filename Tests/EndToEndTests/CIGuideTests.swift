// docs/guides/ci.md's shell steps, taken from the guide itself (every script starting `# step: NAME`)
// and run as the CI would (bash -eo pipefail, the job's variables, --no-config, a fresh workspace
// per job) against the sandbox. `gh` and GitLab's API (curl) are stand-ins on PATH that record what
// they are asked and serve the plan artifact the plan job left.
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct CIGuideTests {
    /// The server of the test that runs the guide: a sandbox of its own. The CI client holds
    /// master's admin role, whose token lists the management roles of every realm; on the shared
    /// sandbox, with the hundreds of realms a full test run leaves, that token outgrows the server's
    /// header limit (431), as it would on a real Keycloak with that many realms.
    func ownServer() throws -> TestKeycloak { try TestKeycloak.start() }

    /// Every `# step: NAME` script of the guide, by name, with its YAML indentation removed.
    static func steps() throws -> [String: String] {
        let guide = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/guides/ci.md"), encoding: .utf8)
        let lines = guide.components(separatedBy: "\n")
        var steps: [String: String] = [:]
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("# step: ") else { continue }
            let indent = line.prefix { $0 == " " }.count
            var body: [String] = []
            for next in lines[index...] {
                if next.hasPrefix("```") { break }
                let nextIndent = next.prefix { $0 == " " }.count
                if !next.trimmingCharacters(in: .whitespaces).isEmpty && nextIndent < indent { break }
                body.append(String(next.dropFirst(min(indent, nextIndent))))
            }
            steps[String(trimmed.dropFirst("# step: ".count))] = body.joined(separator: "\n")
        }
        return steps
    }

    static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }

    /// A confidential client of the master realm whose service account is an admin: what the guide
    /// tells CI to use (KCX_CLIENT + KCX_CLIENT_SECRET).
    func ciClient(_ keycloak: TestKeycloak) throws -> (clientId: String, secret: String, id: String) {
        let clientId = "kcx-ci-\(UUID().uuidString.prefix(8).lowercased())"
        let secret = "ci-" + UUID().uuidString
        let created = try keycloak.adminSend(
            "POST", "master/clients",
            json: [
                "clientId": .string(clientId), "publicClient": false, "serviceAccountsEnabled": true,
                "standardFlowEnabled": false,
                "secret": .string(secret),
            ])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(keycloak.adminGet("master/clients?clientId=\(clientId)").json?[0]?["id"]?.stringValue)
        let user = try #require(keycloak.adminGet("master/clients/\(id)/service-account-user").json?["id"]?.stringValue)
        let admin = try #require(keycloak.adminGet("master/roles/admin").json)
        let granted = try keycloak.adminSend("POST", "master/users/\(user)/role-mappings/realm", json: [admin])
        #expect(granted.status == 204, "\(granted.text)")
        return (clientId, secret, id)
    }

    static let fakeGH = """
        #!/bin/bash
        echo "gh $*" >> "$FAKE_DIR/log"
        case "$1 $2" in
          "pr comment")
            while [ $# -gt 0 ]; do [ "$1" = --body-file ] && cp "$2" "$FAKE_DIR/comment.md"; shift; done ;;
          "run list") echo 1234 ;;
          "run download") cp "$FAKE_DIR/artifact/realm.plan" . ;;
          *) echo "fake gh: unexpected: $*" >&2; exit 1 ;;
        esac
        """

    static let fakeCurl = """
        #!/bin/bash
        echo "curl $*" >> "$FAKE_DIR/log"
        out=""; url=""; body=""
        while [ $# -gt 0 ]; do
          case "$1" in
            --output) out="$2"; shift ;;
            --header|--request) shift ;;
            --data-urlencode) body="$2"; shift ;;
            https://*) url="$1" ;;
          esac
          shift
        done
        case "$url" in
          */merge_requests/7/notes) cp "${body#body@}" "$FAKE_DIR/comment.md" ;;
          */repository/commits/*/merge_requests) echo '[{"id":99,"iid":7,"project_id":5}]' ;;
          */jobs/artifacts/refs%2Fmerge-requests%2F7%2Fhead/raw/realm.plan\\?job=plan) cp "$FAKE_DIR/artifact/realm.plan" "$out" ;;
          *) echo "fake curl: unexpected: $url" >&2; exit 22 ;;
        esac
        """

    struct Job {
        let workspace: URL
        let environment: [String: String]

        /// Runs one step of the guide as the CI runs a script: bash -eo pipefail, in the workspace.
        func run(_ step: String) throws -> ProcessResult {
            let script = try #require(try CIGuideTests.steps()[step], "the guide has no step '\(step)'")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = ["--noprofile", "--norc", "-eo", "pipefail", "-c", script]
            process.currentDirectoryURL = workspace
            process.environment = environment
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            nonisolated(unsafe) var errData = Data()
            let done = DispatchSemaphore(value: 0)
            Thread {
                errData = err.fileHandleForReading.readDataToEndOfFile()
                done.signal()
            }.start()
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            done.wait()
            process.waitUntilExit()
            return ProcessResult(
                status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                stderr: String(decoding: errData, as: UTF8.self))
        }
    }

    @Test func theGuideHasEveryStepTheTestRuns() throws {
        #expect(
            try Self.steps().keys.sorted() == [
                "github-apply", "github-comment", "github-fetch-plan", "github-plan", "gitlab-apply", "gitlab-comment",
                "gitlab-fetch-plan", "gitlab-plan",
            ])
    }

    @Test(arguments: ["github", "gitlab"])
    func planOnReviewThenApplyTheSavedPlanOnMerge(platform: String) throws {
        let keycloak = try ownServer()
        defer { keycloak.stop() }
        let fixture = try RealmFixture(keycloak, prefix: "ci")
        for client in ["app", "api", "gateway"] { try fixture.confidentialClient(client) }
        let (clientId, secret, ciID) = try ciClient(keycloak)
        defer { _ = try? keycloak.adminSend("DELETE", "master/clients/\(ciID)") }
        let root = fixture.env.home.appendingPathComponent("ci")
        let fake = root.appendingPathComponent("fake")
        let bin = fake.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: fake.appendingPathComponent("artifact"), withIntermediateDirectories: true)
        for (name, text) in [("gh", Self.fakeGH), ("curl", Self.fakeCurl)] {
            let url = bin.appendingPathComponent(name)
            try Data((text + "\n").utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        // The checkout of the pull request: the realm's file.
        let checkout = root.appendingPathComponent("plan-job")
        try FileManager.default.createDirectory(
            at: checkout.appendingPathComponent("keycloak"), withIntermediateDirectories: true)
        let file = checkout.appendingPathComponent("keycloak/realm.yaml")
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
                allow:
                  - from: gateway
                    to: api
            """.utf8
        ).write(to: file)

        // The job's variables: the CI's own, kcx's session (the secret from the secret store), no HOME config.
        var environment = [
            "PATH": "\(bin.path):\(Binaries.directory.path):/usr/local/bin:/usr/bin:/bin", "HOME": root.path, "NO_COLOR": "1",
            "FAKE_DIR": fake.path,
            "KCX_SERVER": keycloak.baseURL, "KCX_REALM": "master", "KCX_CLIENT": clientId, "KCX_CLIENT_SECRET": secret,
        ]
        if platform == "github" {
            environment.merge(["GH_TOKEN": "gh-token", "GH_REPO": "acme/realms", "PR_NUMBER": "42", "HEAD_SHA": "abc123"]) { $1 }
        } else {
            environment.merge([
                "CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_PROJECT_ID": "5", "CI_MERGE_REQUEST_IID": "7",
                "CI_COMMIT_SHA": "def456",
                "CI_JOB_TOKEN": "job-token", "GITLAB_API_TOKEN": "api-token",
            ]) { $1 }
        }
        let before = try fixture.snapshot()

        // The pull request: plan, comment.
        let planJob = Job(workspace: checkout, environment: environment)
        let planned = try planJob.run("\(platform)-plan")
        #expect(planned.status == 0, "\(planned)")
        let markdown = try String(contentsOf: checkout.appendingPathComponent("plan.md"), encoding: .utf8)
        #expect(markdown == (try fixture.kcx(["plan", "-f", file.path, "--output", "markdown"])).stdout)
        #expect(markdown.hasSuffix("**Plan: 6 to create, 1 to update, 0 to delete.**\n"))
        let saved = checkout.appendingPathComponent("realm.plan")
        #expect((try FileManager.default.attributesOfItem(atPath: saved.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(!(try String(contentsOf: saved, encoding: .utf8)).contains(secret))
        let commented = try planJob.run("\(platform)-comment")
        #expect(commented.status == 0, "\(commented)")
        #expect(try String(contentsOf: fake.appendingPathComponent("comment.md"), encoding: .utf8) == markdown)
        #expect(try fixture.snapshot() == before, "the plan job changed the realm")
        // What the upload step (GitHub) or `artifacts:` (GitLab) keeps.
        try FileManager.default.copyItem(at: saved, to: fake.appendingPathComponent("artifact/realm.plan"))

        // The merge: a fresh workspace, the reviewed plan fetched, applied.
        let mergeWorkspace = root.appendingPathComponent("apply-job")
        try FileManager.default.createDirectory(at: mergeWorkspace, withIntermediateDirectories: true)
        let applyJob = Job(workspace: mergeWorkspace, environment: environment)
        let fetched = try applyJob.run("\(platform)-fetch-plan")
        #expect(fetched.status == 0, "\(fetched)")
        #expect(try Data(contentsOf: mergeWorkspace.appendingPathComponent("realm.plan")) == Data(contentsOf: saved))
        let applied = try applyJob.run("\(platform)-apply")
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.stderr.contains("Apply complete: 6 created, 1 updated, 0 deleted;"), "\(applied)")
        #expect(!applied.stdout.contains(secret) && !applied.stderr.contains(secret))
        #expect(try fixture.assignedScopes("app", "default").contains("api-access"))
        #expect(try fixture.kcx(["plan", "-f", file.path, "--detailed-exitcode"]).status == 0)

        // What was asked of GitHub / GitLab.
        let log = try String(contentsOf: fake.appendingPathComponent("log"), encoding: .utf8)
        if platform == "github" {
            #expect(
                log == """
                    gh pr comment 42 --edit-last --create-if-none --body-file plan.md
                    gh run list --workflow keycloak-plan.yml --commit abc123 --status success --limit 1 --json databaseId --jq .[0].databaseId
                    gh run download 1234 --name realm-plan

                    """)
        } else {
            #expect(
                log == """
                    curl --silent --show-error --fail --request POST --header PRIVATE-TOKEN: api-token --data-urlencode body@plan.md https://gitlab.example/api/v4/projects/5/merge_requests/7/notes
                    curl --silent --show-error --fail --header JOB-TOKEN: job-token https://gitlab.example/api/v4/projects/5/repository/commits/def456/merge_requests
                    curl --silent --show-error --fail --location --output realm.plan --header JOB-TOKEN: job-token https://gitlab.example/api/v4/projects/5/jobs/artifacts/refs%2Fmerge-requests%2F7%2Fhead/raw/realm.plan?job=plan

                    """)
        }

        // A second merge of the same plan: the realm has changed since (it was applied), so it is refused.
        let again = try applyJob.run("\(platform)-apply")
        #expect(again.status == 9, "\(again)")
    }
}
