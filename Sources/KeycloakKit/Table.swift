// Writes rows as a plain text table with aligned columns, for people reading a terminal.

public enum TextTable {
    /// Columns separated by two spaces and padded to the widest cell (nothing at all without
    /// columns); line breaks inside a cell are shown as `\n` so every row stays on one line;
    /// trailing spaces are dropped.
    public static func render(_ table: Tabulation) -> String {
        guard !table.columns.isEmpty else { return "" }
        let lines = [table.columns] + table.rows.map { $0.map(singleLine) }
        var widths = Array(repeating: 0, count: table.columns.count)
        for line in lines {
            for (column, cell) in line.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        var text = ""
        for line in lines {
            var row = ""
            for (column, cell) in line.enumerated() {
                if column > 0 { row += "  " }
                row += cell
                if column < line.count - 1 { row += String(repeating: " ", count: widths[column] - cell.count) }
            }
            while row.last == " " { row.removeLast() }
            text += row + "\n"
        }
        return text
    }

    /// A cell on one line, with nothing in it a terminal would act on.
    static func singleLine(_ cell: String) -> String {
        TerminalText.escape(cell, newlines: false)
    }
}
