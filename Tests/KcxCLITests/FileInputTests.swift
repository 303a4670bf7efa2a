// What kcx reads, in process: every input bounded with an error naming it and the limit (exit 2,
// nothing sent), and a config kcx cannot trust refused before any request.
import Foundation
@testable import KcxCLI
import KcxJSON
import KeycloakKit
import Testing

@Suite("file and standard input bounds")
struct FileInputTests {
    static let secretLimitMessage = "larger than 64 KiB, kcx's limit for a password, secret or token"
    static let dataLimitMessage = "larger than 64 MiB, kcx's limit for a data file"

    @Test("a password on standard input may fill the 64 KiB limit exactly; one byte more is refused")
    func passwordStdinLimit() throws {
        let login = [
            "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin", "--password-stdin",
        ]
        let exact = try SessionWorld()
        exact.input = SessionInput(piped: "pw\n" + String(repeating: "x", count: (64 << 10) - 3))
        exact.transport.expect(
            "POST", sessionTokenURL, body: "grant_type=password&client_id=admin-cli&username=admin&password=pw",
            json: sessionTokenJSON("A1", "R1"))
        #expect(exact.run(login) == 0)

        let over = try SessionWorld()
        over.input = SessionInput(piped: "pw\n" + String(repeating: "x", count: (64 << 10) - 2))
        #expect(over.run(login) == 2)
        #expect(over.stderr.text == "error: --password-stdin: cannot read standard input: \(Self.secretLimitMessage)\n")
        #expect(over.transport.received.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: over.configPath))
    }

    @Test(
        "oversized standard input and endless files are usage errors naming the input and the limit",
        arguments: [
            (
                ["token", "exchange", "--client", "a", "--subject-token", "-", "--secret", "s"], true,
                "error: cannot read standard input: \(secretLimitMessage)\n"
            ),
            (["token", "decode"], true, "error: cannot read standard input: \(secretLimitMessage)\n"),
            (
                ["token", "get", "--client", "a", "--secret-stdin"], true,
                "error: --secret-stdin: cannot read standard input: \(secretLimitMessage)\n"
            ),
            (
                ["token", "get", "--client", "a", "--secret-file", "/dev/zero"], false,
                "error: --secret-file: cannot read /dev/zero: \(secretLimitMessage)\n"
            ),
            (["create", "clients", "-f", "/dev/zero"], false, "error: cannot read -f '/dev/zero': \(dataLimitMessage)\n"),
            (["apply", "-f", "/dev/zero"], false, "error: cannot read --file '/dev/zero': \(dataLimitMessage)\n"),
            (["plan", "-f", "/dev/zero"], false, "error: cannot read --file '/dev/zero': \(dataLimitMessage)\n"),
            (
                ["get", "realms", "--cacert", "/dev/zero"], false,
                "error: --cacert: cannot read /dev/zero: \(dataLimitMessage)\nhint: give a PEM file of CA certificates\n"
            ),
        ])
    func oversized(arguments: [String], oversizedStdin: Bool, stderr: String) {
        let stdin = oversizedStdin ? String(repeating: "t", count: (64 << 10) + 1) : ""
        let result = runKcx(arguments, stdin: stdin)
        #expect(result == RunResult(status: 2, stdout: "", stderr: stderr))
    }

    @Test("a body on standard input over 64 MiB is refused for -f - (create) and --file - (apply)")
    func oversizedBodies() {
        let body = String(repeating: " ", count: (64 << 20) + 1)
        #expect(
            runKcx(["create", "clients", "-f", "-"], stdin: body)
                == RunResult(
                    status: 2, stdout: "", stderr: "error: cannot read standard input (-f -): \(Self.dataLimitMessage)\n"))
        #expect(
            runKcx(["apply", "-f", "-"], stdin: body)
                == RunResult(
                    status: 2, stdout: "", stderr: "error: cannot read standard input (--file -): \(Self.dataLimitMessage)\n"))
    }

    @Test("a config directory others can write stops every command before a request (a login too), naming the fix")
    func untrustedConfigDirectory() throws {
        let world = try SessionWorld()
        try world.storeSession(accessExpiresIn: -1, source: .file(world.directory + "/pw"))
        let folder = world.directory + "/kcx"
        #expect(chmod(folder, 0o777) == 0)
        let refusal = """
            error: config directory \(folder) is writable by group or others (mode 0777): another user could make it send your credentials to their server
            hint: if its content is yours, run: chmod go-w \(folder)

            """
        let relogin = [
            "config", "credentials", "--server", "http://kc", "--realm", "master", "--user", "admin", "--password", "pw",
        ]
        for arguments in [
            ["get", "realms"], ["config", "status"], ["config", "logout"], ["token", "get", "--client", "a", "--secret", "s"],
            relogin,
        ] {
            let before = world.stderr.text
            #expect(world.run(arguments) == 2, "\(arguments)")
            #expect(world.stderr.text.dropFirst(before.count).hasSuffix(refusal), "\(arguments)")
        }
        #expect(world.transport.received.isEmpty)
        #expect(world.stdout.text == "")
    }
}
