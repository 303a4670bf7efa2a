// Renders response bodies for stdout: JSON (pretty or compact), CSV or an aligned table,
// after an optional --fields selection.
import KcxJSON
import KeycloakKit

public enum OutputFormat: String, Sendable, CaseIterable {
    case json, csv, table
}

public struct OutputOptions: Sendable, Equatable {
    public var format: OutputFormat = .json
    public var compact = false
    public var fields: FieldFilter?

    public init(format: OutputFormat = .json, compact: Bool = false, fields: FieldFilter? = nil) {
        self.format = format
        self.compact = compact
        self.fields = fields
    }

    /// The text written to stdout for one response value, ending in a newline.
    public func render(_ value: JSON) -> String {
        let selected = fields.map { $0.apply(to: value) } ?? value
        switch format {
        case .json:
            return selected.serialized(compact ? .compact : .pretty) + "\n"
        case .csv:
            return CSV.render(Tabulation(selected, columns: fields?.names))
        case .table:
            return TextTable.render(Tabulation(selected, columns: fields?.names))
        }
    }
}
