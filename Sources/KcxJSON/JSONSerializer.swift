// Serialises JSON compactly (as Keycloak sends it on the wire) or indented (for people).

extension JSON {
    public enum Style: Sendable {
        /// No whitespace: `{"a":1,"b":[true]}`, the way Keycloak (Jackson) writes responses.
        case compact
        /// Two-space indentation with one member per line.
        case pretty
    }

    public func serialized(_ style: Style = .compact) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, style: style, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    public func serializedBytes(_ style: Style = .compact) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, style: style, indent: 0)
        return out
    }

    private func write(to out: inout [UInt8], style: Style, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value): out.append(contentsOf: JSON.format(value).utf8)
        case .string(let value): JSON.writeString(value, to: &out)
        case .array(let elements):
            if elements.isEmpty {
                out.append(contentsOf: "[]".utf8)
                return
            }
            out.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                if style == .pretty { JSON.newline(&out, indent + 1) }
                element.write(to: &out, style: style, indent: indent + 1)
            }
            if style == .pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                out.append(contentsOf: "{}".utf8)
                return
            }
            out.append(UInt8(ascii: "{"))
            for (position, entry) in object.entries.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                if style == .pretty { JSON.newline(&out, indent + 1) }
                JSON.writeString(entry.key, to: &out)
                out.append(UInt8(ascii: ":"))
                if style == .pretty { out.append(UInt8(ascii: " ")) }
                entry.value.write(to: &out, style: style, indent: indent + 1)
            }
            if style == .pretty { JSON.newline(&out, indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    /// Finite doubles keep a fraction or exponent so they parse back as doubles; JSON has no
    /// NaN or infinity, so those become null.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        let text = String(value)
        if text.contains(".") || text.contains("e") { return text }
        return text + ".0"
    }

    /// Escapes what JSON requires and nothing more (Jackson leaves `/` and non-ASCII alone).
    static func writeString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                out.append(contentsOf: "\\u00".utf8)
                if hex.count == 1 { out.append(UInt8(ascii: "0")) }
                out.append(contentsOf: hex.utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
