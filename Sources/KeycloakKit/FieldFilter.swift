// `--fields 'id,clientId,protocolMappers(name,config)'`: keeps only the named members of objects,
// nested selections apply to objects and arrays of objects, as kcadm's --fields does.
import KcxJSON

public struct FieldFilter: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        /// Selection inside the member; nil: an object inside keeps no members (as kcadm), unless `*(...)` says otherwise.
        public var children: FieldFilter?

        public init(_ name: String, _ children: FieldFilter? = nil) {
            self.name = name
            self.children = children
        }
    }

    public var fields: [Field]

    public init(_ fields: [Field]) { self.fields = fields }

    /// Top-level member names in the order given (the column order of csv and table output).
    public var names: [String] { fields.map(\.name) }

    /// Grammar: `list := field (',' field)*`, `field := name ['(' list ')']`. Spaces around
    /// names are ignored; a name is any text without `,`, `(` or `)`.
    public static func parse(_ text: String) throws(FieldFilterError) -> FieldFilter {
        var parser = FieldParser(text: text)
        let filter = try parser.parseList(depth: 0)
        if parser.position < parser.characters.count {
            throw FieldFilterError(input: text, reason: "unexpected ')' at position \(parser.position + 1)")
        }
        return filter
    }

    /// kcadm's --fields (its ReturnFields): an object keeps, in its own order, the members the
    /// list names or, when it holds `*`, all members but those named `-name`. Inside a kept
    /// member, objects are filtered by the member's own `(...)` list, else by the `(...)` of `*`,
    /// else by nothing, which keeps no members (`--fields attributes` prints `"attributes": {}`;
    /// `attributes(*)` prints its members). Arrays are filtered element by element; other values
    /// pass through.
    public func apply(to value: JSON) -> JSON {
        switch value {
        case .array(let elements):
            return .array(elements.map { apply(to: $0) })
        case .object(let object):
            var selected = JSONObject()
            for (name, member) in object where includes(name) {
                selected[name] = child(name).apply(to: member)
            }
            return .object(selected)
        default:
            return value
        }
    }

    func includes(_ name: String) -> Bool {
        if fields.contains(where: { $0.name == "-" + name }) { return false }
        return fields.contains { $0.name == "*" || $0.name == name }
    }

    /// The selection inside member `name`: its own list, else that of `*`, else the empty one.
    public func child(_ name: String) -> FieldFilter {
        fields.first { $0.name == name }?.children ?? fields.first { $0.name == "*" }?.children ?? FieldFilter([])
    }

    /// True when the list holds `*` (every member), so there is no fixed set of columns.
    public var selectsAll: Bool { fields.contains { $0.name == "*" } }
}

public struct FieldFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    public let input: String
    public let reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "'\(input)': \(reason)" }
}

private struct FieldParser {
    let text: String
    /// Unicode scalars, not Characters, so a combining mark cannot glue itself to a `,` or `(`.
    let characters: [Unicode.Scalar]
    var position = 0

    init(text: String) {
        self.text = text
        self.characters = Array(text.unicodeScalars)
    }

    func error(_ reason: String) -> FieldFilterError { FieldFilterError(input: text, reason: reason) }

    /// Deeper selections than any Keycloak representation has; the bound keeps a hostile
    /// `a(a(a(…` from overflowing the stack (found by fuzzing).
    static let maximumDepth = 32

    mutating func parseList(depth: Int) throws(FieldFilterError) -> FieldFilter {
        if depth > FieldParser.maximumDepth { throw error("fields nest deeper than \(FieldParser.maximumDepth) levels") }
        var fields: [FieldFilter.Field] = []
        // Names seen in this list: a Set, as a scan per field is quadratic on a long list.
        var seen: Set<String> = []
        while true {
            let start = position
            var name = ""
            while position < characters.count, !",()".unicodeScalars.contains(characters[position]) {
                name.unicodeScalars.append(characters[position])
                position += 1
            }
            name = name.trimmedSpaces
            if name.isEmpty { throw error("empty field name at position \(start + 1)") }
            var field = FieldFilter.Field(name)
            if position < characters.count, characters[position] == "(" {
                position += 1
                field.children = try parseList(depth: depth + 1)
                guard position < characters.count, characters[position] == ")" else {
                    throw error("missing ')' after the fields of '\(name)'")
                }
                position += 1
                while position < characters.count, characters[position] == " " { position += 1 }
            }
            if !seen.insert(field.name).inserted { throw error("field '\(name)' is named twice") }
            fields.append(field)
            guard position < characters.count, characters[position] == "," else { break }
            position += 1
        }
        if depth == 0, position < characters.count, characters[position] != ")" {
            throw error("expected ',' at position \(position + 1)")
        }
        if depth > 0, position < characters.count, characters[position] != ")" {
            throw error("expected ',' or ')' at position \(position + 1)")
        }
        return FieldFilter(fields)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (FoundationEssentials has no trimming).
    var trimmedSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
