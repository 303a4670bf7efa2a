// Flattens a JSON response into rows and columns, and writes them as RFC 4180 CSV.
import KcxJSON

/// Rows and columns taken from a JSON value: an array of objects gives one row per element, an
/// object gives one row, a scalar or an array of scalars gives a single `value` column.
public struct Tabulation: Sendable, Equatable {
    public var columns: [String]
    /// Cells as a person reads them: strings unquoted, null and missing empty, nested values as compact JSON.
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// `columns` fixes the columns and their order (from `--fields`); otherwise every member seen,
    /// in first-seen order.
    public init(_ value: JSON, columns fixedColumns: [String]? = nil) {
        let records: [JSON]
        if case .array(let elements) = value { records = elements } else { records = [value] }
        guard records.allSatisfy({ $0.objectValue != nil }) else {
            columns = ["value"]
            rows = records.map { [$0.plainText] }
            return
        }
        var names = fixedColumns ?? []
        if fixedColumns == nil {
            for record in records {
                for key in record.objectValue!.keys where !names.contains(key) { names.append(key) }
            }
        }
        columns = names
        rows = records.map { record in names.map { record[$0]?.plainText ?? "" } }
    }
}

public enum CSV {
    /// Header row, then one line per row (nothing at all without columns), each ending in `\n` (not CRLF: the output is for shell tools).
    public static func render(_ table: Tabulation) -> String {
        guard !table.columns.isEmpty else { return "" }
        var text = ""
        for row in [table.columns] + table.rows {
            text += row.map(field).joined(separator: ",")
            text += "\n"
        }
        return text
    }

    /// RFC 4180: a field holding a comma, quote, CR or LF is quoted, quotes doubled.
    public static func field(_ raw: String) -> String {
        // Line feeds stay (quoted); anything else a terminal acts on is made visible.
        let value = TerminalText.escape(raw)
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return value
        }
        var quoted = "\""
        for character in value {
            if character == "\"" { quoted += "\"\"" } else { quoted.append(character) }
        }
        return quoted + "\""
    }
}
