// kcadm's `-h NAME=VALUE` request headers with the real binary: a value holding CR, LF or another
// control character, or a name that is not an HTTP token, is refused before anything is sent, so
// no header of the input's making reaches the server; a well-formed header does reach it.
import Foundation
import KcxJSON
import LoopbackHTTP
import Testing

@Suite(.serialized) struct RequestHeaderAttackTests {
    @Test func requestHeadersWithCRLFOrBadNamesAreRefusedBeforeAnythingIsSent() throws {
        let fake = try RecordingTokenServer(accessToken: "unused")
        defer { fake.stop() }
        var env = try KcxEnvironment()
        env.extra["KCX_SERVER"] = fake.baseURL
        env.extra["KCX_REALM"] = "master"
        env.extra["KCX_TOKEN"] = "good-token"
        let cases: [(header: String, stderr: String)] = [
            ("X-A=1\r\nX-Injected: yes", "error: invalid -h X-A: its value contains a control character (CR)\n"),
            ("X-A=1\nX-Injected: yes", "error: invalid -h X-A: its value contains a control character (LF)\n"),
            ("X-A=\u{1B}[2J", "error: invalid -h X-A: its value contains a control character (ESC)\n"),
            ("X-Injected: yes\r\nX-B=1", "error: invalid -h: the header name contains ':', which no header name can hold\n"),
            ("X\r\nX-Injected=1", "error: invalid -h: the header name contains CR, which no header name can hold\n"),
            ("X A=1", "error: invalid -h: the header name contains ' ', which no header name can hold\n"),
        ]
        for item in cases {
            for arguments in [
                ["get", "realms"], ["create", "clients", "-s", "clientId=x"], ["update", "clients/x", "-s", "a=1"],
                ["delete", "clients/x"],
            ] {
                for name in ["kcx", "kcadm.sh"] {
                    let shell = KcadmShell(env: env)
                    let result = try shell.run(name, arguments + ["-h", item.header])
                    #expect(
                        result == ProcessResult(status: name == "kcx" ? 2 : 1, stdout: "", stderr: item.stderr),
                        "\(name) \(arguments) -h \(item.header.debugDescription)")
                }
            }
        }
        #expect(fake.requests.isEmpty, "requests reached the server: \(fake.requests.map { "\($0.method) \($0.target)" })")

        // The control: a well-formed header is sent as given, next to kcx's own.
        let sent = try env.kcx(["get", "realms", "-h", "X-Trace=abc def"])
        #expect(sent.status == 0, "\(sent)")
        let request = try #require(fake.requests.last)
        #expect(request.headers.filter { $0.name.lowercased() == "x-trace" }.map(\.value) == ["abc def"])
        #expect(request.headers.filter { $0.name.lowercased() == "x-injected" }.isEmpty)
        #expect(request.headers.first { $0.name.lowercased() == "authorization" }?.value == "Bearer good-token")
    }
}
