// Control characters in text kcx did not write (tokens, header values, claims): found and named,
// so that no HTTP header carries one (messages escape them with TerminalText).

public enum ControlCharacters {
    /// The first character an HTTP header field may not hold: C0 controls except HTAB, and DEL
    /// (RFC 9110 §5.5). A CR or LF would end the header and start another one.
    public static func firstInHeaderValue(_ text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { isForbiddenInHeader($0) }
    }

    static func isForbiddenInHeader(_ scalar: Unicode.Scalar) -> Bool {
        (scalar.value < 0x20 && scalar.value != 0x09) || scalar.value == 0x7F
    }

    /// True when `name` is an RFC 9110 token: letters, digits and ``!#$%&'*+-.^_`|~``, at least one.
    public static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// A short name for a control character, as messages show it: `CR`, `LF`, `NUL`, `ESC`, `DEL`,
    /// else `U+0001`.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x00: return "NUL"
        case 0x09: return "TAB"
        case 0x0A: return "LF"
        case 0x0D: return "CR"
        case 0x1B: return "ESC"
        case 0x7F: return "DEL"
        default: return "U+" + hex(scalar.value)
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
