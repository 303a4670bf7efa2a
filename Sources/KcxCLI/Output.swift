// Renders response bodies for stdout as kcadm does: JSON indented the way kcadm's Jackson prints it
// (`"key" : value`, arrays inline), or on one line (-c), or kcadm's CSV (values only, one line per
// object); kcx adds an aligned table. An optional --fields selection applies first.
import KcxJSON
import KeycloakKit

public enum OutputFormat: String, Sendable, CaseIterable {
    case json, csv, table
}

public struct OutputOptions: Sendable, Equatable {
    public var format: OutputFormat = .json
    public var compact = false
    public var fields: FieldFilter?
    /// --noquotes: CSV strings without their quotes.
    public var noQuotes = false

    public init(format: OutputFormat = .json, compact: Bool = false, fields: FieldFilter? = nil, noQuotes: Bool = false) {
        self.format = format
        self.compact = compact
        self.fields = fields
        self.noQuotes = noQuotes
    }

    /// The text written to stdout for one response value, ending in a newline.
    public func render(_ value: JSON) -> String {
        let selected = fields.map { $0.apply(to: value) } ?? value
        switch format {
        case .json:
            return (compact ? selected.serialized(.compact) : KcadmJSON.pretty(selected)) + "\n"
        case .csv:
            return KcadmCSV.render(selected, fields: fields, noQuotes: noQuotes)
        case .table:
            let columns = fields.flatMap { $0.selectsAll ? nil : $0.names.filter { !$0.hasPrefix("-") } }
            return TextTable.render(Tabulation(selected, columns: columns))
        }
    }
}

/// Jackson's default pretty printer, which kcadm uses: two spaces per object level, `" : "`
/// between a name and its value, arrays on the line they start (`[ "a", "b" ]`, `[ {` ... `} ]`),
/// empty containers as `{ }` and `[ ]`.
enum KcadmJSON {
    static func pretty(_ value: JSON) -> String {
        var out = ""
        write(value, level: 0, to: &out)
        return out
    }

    private static func write(_ value: JSON, level: Int, to out: inout String) {
        switch value {
        case .object(let object):
            if object.isEmpty {
                out += "{ }"
                return
            }
            out += "{"
            var first = true
            for (key, member) in object {
                out += first ? "\n" : ",\n"
                first = false
                out += String(repeating: "  ", count: level + 1)
                out += JSON.string(key).serialized() + " : "
                write(member, level: level + 1, to: &out)
            }
            out += "\n" + String(repeating: "  ", count: level) + "}"
        case .array(let elements):
            if elements.isEmpty {
                out += "[ ]"
                return
            }
            out += "[ "
            for (index, element) in elements.enumerated() {
                if index > 0 { out += ", " }
                write(element, level: level, to: &out)
            }
            out += " ]"
        default:
            out += value.serialized()
        }
    }
}

/// kcadm's `--format csv`: one line per object (an array gives one line per element), no header;
/// each value as JSON (strings quoted, `--noquotes` drops the quotes), nested objects and arrays
/// flattened into the line. With --fields the values follow the list's order and a field an
/// object lacks leaves an empty value; without, every member in the object's order.
enum KcadmCSV {
    static func render(_ value: JSON, fields: FieldFilter?, noQuotes: Bool) -> String {
        let items = value.arrayValue ?? [value]
        var text = ""
        for item in items {
            var line = ""
            append(item, fields: fields, noQuotes: noQuotes, to: &line)
            text += String(line.dropFirst()) + "\n"
        }
        return text
    }

    private static func append(_ value: JSON?, fields: FieldFilter?, noQuotes: Bool, to line: inout String) {
        guard let value else {
            line += ","
            return
        }
        switch value {
        case .object(let object):
            if let fields {
                for field in fields.fields {
                    append(object[field.name], fields: fields.child(field.name), noQuotes: noQuotes, to: &line)
                }
            } else {
                for (_, member) in object { append(member, fields: nil, noQuotes: noQuotes, to: &line) }
            }
        case .array(let elements):
            for element in elements { append(element, fields: fields, noQuotes: noQuotes, to: &line) }
        case .string(let text) where noQuotes:
            line += "," + text
        default:
            line += "," + value.serialized()
        }
    }
}
