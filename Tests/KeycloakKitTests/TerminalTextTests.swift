// Server text on its way to a terminal (control characters made visible) and to a shell (words
// quoted so that pasting runs exactly them), checked against real bash and sh.
import Foundation
import KcxJSON
import KeycloakKit
import Testing

@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("\u{1B}]0;owned\u{07}", "\\u001b]0;owned\\u0007"),
        ("\u{1B}[2J\u{1B}[Hclean", "\\u001b[2J\\u001b[Hclean"),
        ("over\rwrite", "over\\rwrite"),
        ("nul\u{0}del\u{7F}", "nul\\u0000del\\u007f"),
        ("c1 csi \u{9B}31m", "c1 csi \\u009b31m"),
        ("bidi \u{202E}txt.exe", "bidi \\u202etxt.exe"),
        ("émoji 🙂 stays", "émoji 🙂 stays"),
    ])
    func escapesWhatATerminalWouldAct(on text: String, _ expected: String) {
        #expect(TerminalText.escape(text) == expected)
    }

    @Test func insideOneLineNewlinesAndTabsAreShownToo() {
        #expect(TerminalText.escape("a\nhint: forged\tx", newlines: false) == "a\\nhint: forged\\tx")
    }

    /// kcx's JSON output passes through the same escaping: it must stay valid JSON with the same value.
    @Test func escapingJSONOutputKeepsItValidAndEqual() throws {
        let value: JSON = ["name": .string("a\\\u{7F}b\u{9B}c\u{202E}d\u{1B}e\n")]
        for style in [JSON.Style.compact, .pretty] {
            let escaped = TerminalText.escape(value.serialized(style))
            #expect(
                !escaped.unicodeScalars.contains {
                    $0.value == 0x7F || $0.value == 0x9B || $0.value == 0x202E || $0.value == 0x1B
                })
            #expect(try JSON.parse(escaped) == value)
        }
    }

    static let hostileWords = [
        "plain", "p;touch${IFS}/tmp/kcx-pwned;#", "it's", "$(id)", "`id`", "a b", "", "-r", "*", "~root", "back\\slash",
        "line\nbreak", "esc\u{1B}[31m", "c1\u{9B}", "bidi\u{202E}", "quote'and\u{1B}esc", "naïve",
    ]

    @Test func plainWordsStayUnquoted() {
        #expect(
            Shell.command(["kcx", "audience", "add", "--audience", "api-service", "-r", "demo"])
                == "kcx audience add --audience api-service -r demo")
        #expect(Shell.quote("p;touch${IFS}/tmp/x;#") == "'p;touch${IFS}/tmp/x;#'")
        #expect(Shell.quote("it's") == "'it'\\''s'")
        #expect(Shell.quote("esc\u{1B}") == "$'esc\\x1b'")
    }

    /// The printed line has no control character in it, and the shell reads back exactly the words.
    @Test(arguments: ["bash", "sh"])
    func aShellReadsBackExactlyTheWords(shell: String) throws {
        // POSIX sh before 2024 (dash) has no $'...': only words without control characters there.
        let words =
            shell == "bash"
            ? Self.hostileWords
            : Self.hostileWords.filter {
                !$0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }
            }
        let line = Shell.command(words)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "\(line)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [shell, "-c", "printf '%s\\0' " + line]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let read = output.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(read == words)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/kcx-pwned"))
    }
}
