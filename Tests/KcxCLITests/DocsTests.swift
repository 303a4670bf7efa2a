// Issue 17 item 7: the docs say what kcx and Keycloak do. Checked against the code where the code
// is the truth (exit codes, the man page's sections) and against the guides' own text.
import Foundation
@testable import KcxCLI
import KeycloakKit
import Testing

@Suite struct DocsTests {
    func read(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func readmeExitCodeTableListsEveryCode() throws {
        let readme = try read("README.md")
        let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first)
        let codes = section.split(separator: "\n").compactMap { line -> Int32? in
            guard line.hasPrefix("| ") else { return nil }
            return Int32(line.dropFirst(2).prefix { $0 != " " })
        }
        #expect(codes == ExitCode.allCases.map(\.rawValue))
    }

    @Test func manPageHasEnvironmentAndFiles() {
        let page = ManPage.render(CommandTable.all)
        #expect(page.contains(".SH ENVIRONMENT\n"))
        #expect(page.contains(".SH FILES\n"))
        for variable in [
            "KCX_SERVER", "KCX_REALM", "KCX_TOKEN", "KCX_PROFILE", "KCX_PASSWORD", "KCX_CLIENT_SECRET", "KCX_RETRIES", "NO_COLOR",
        ] {
            #expect(page.contains(".B \(variable)"), "\(variable)")
        }
    }

    @Test func guidesNeverPutATokenOnTheCommandLine() throws {
        let directory = repositoryRoot.appendingPathComponent("docs/guides")
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".md") {
            let text = try read("docs/guides/\(name)") + ""
            for line in text.split(separator: "\n") where line.contains("--subject-token ") {
                #expect(line.contains("--subject-token -"), "\(name): \(line)")
            }
            #expect(!text.contains("token decode \"$"), "\(name)")
            #expect(!text.contains("--token \""), "\(name)")
        }
    }

    @Test func seedErrorStringsLeadToTheirFix() throws {
        let guide = try read("docs/guides/token-exchange-refused.md")
        for (message, fix) in [
            ("\"Token exchange not permitted\"", "kcx token-exchange allow --from REQUESTER --to TARGET"),
            ("\"Invalid audience\"", "kcx audience check --client REQUESTER --audience X"),
            ("\"invalid token for target\"", "kcx token decode --verify --audience TARGET"),
        ] {
            let section = try #require(guide.components(separatedBy: message).dropFirst().first, "\(message) is not in the guide")
            #expect(section.prefix(900).contains(fix), "\(message) does not lead to \(fix)")
        }
    }

    @Test func subjectIssuerIsExplainedNotUnknown() {
        let result = runKcx(["token", "exchange", "--client", "a", "--subject-token", "-", "--subject-issuer", "https://other"])
        #expect(result.status == 2)
        #expect(
            result.stderr.hasPrefix(
                "error: --subject-issuer 'https://other': standard token exchange (Keycloak 26.2+) refuses the subject_issuer parameter (\"Parameter 'subject_issuer' is not supported for standard token exchange\"): it exchanges only access tokens issued by the realm itself\nhint: for a token of another realm or an external identity provider, Keycloak needs identity brokering"
            ),
            "\(result)")
        #expect(!result.stderr.contains("unknown option"))
    }
}
