// Text from the server on its way to a terminal or a shell: control characters made visible, so
// an ESC/OSC/BEL/CR sequence in a client's name cannot rewrite the screen or forge a line, and
// words shell-quoted, so a command kcx prints as a fix runs exactly that command when pasted.

public enum TerminalText {
    /// True for characters a terminal acts on instead of showing: C0 controls (NUL…US) and DEL,
    /// C1 controls (U+0080…U+009F, CSI and OSC among them), and the bidirectional overrides and
    /// isolates that reorder what is shown (U+202A…U+202E, U+2066…U+2069).
    static func isActive(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `text` with every active character written as an escape (`\u001b`, `\r`, `\u202e`). Line
    /// feeds and tabs stay unless `newlines` is false (for a value inside one line or cell).
    public static func escape(_ text: String, newlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { isActive($0) && !(newlines && ($0 == "\n" || $0 == "\t")) }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if !isActive(scalar) || (newlines && (scalar == "\n" || scalar == "\t")) {
                out.append(scalar)
                continue
            }
            // JSON's escapes, so that escaping JSON output again keeps it valid and equal.
            let visible: String
            switch scalar {
            case "\n": visible = "\\n"
            case "\r": visible = "\\r"
            case "\t": visible = "\\t"
            default:
                let hex = String(scalar.value, radix: 16)
                visible = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
            out.append(contentsOf: visible.unicodeScalars)
        }
        return String(out)
    }
}

public enum Shell {
    /// `word` as one POSIX shell word: unchanged when it holds only characters no shell treats
    /// specially, else in single quotes (a single quote inside becomes '\'').
    public static func quote(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "@%+=:,./_-".utf8.contains(byte)
                }
            }
        if plain { return word }
        if word.unicodeScalars.contains(where: TerminalText.isActive) {
            // ANSI-C quoting ($'...', bash, zsh, ksh and POSIX 2024 sh): the control characters
            // are written as escapes that the shell turns back into the same bytes.
            var quoted = "$'"
            for scalar in word.unicodeScalars {
                switch scalar {
                case "\\": quoted += "\\\\"
                case "'": quoted += "\\'"
                default:
                    guard TerminalText.isActive(scalar) else {
                        quoted.unicodeScalars.append(scalar)
                        continue
                    }
                    let hex = String(scalar.value, radix: 16)
                    // \xHH is a byte; above ASCII the character needs \uHHHH to come back as UTF-8.
                    quoted +=
                        scalar.value < 0x80
                        ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                        : "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
            return quoted + "'"
        }
        var quoted = "'"
        for character in word {
            if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
        }
        return quoted + "'"
    }

    /// A command line whose words are each quoted: pasting it runs exactly these words.
    public static func command(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    /// `kcx WORDS…`, quoted.
    public static func kcx(_ words: String...) -> String {
        command(["kcx"] + words)
    }
}
