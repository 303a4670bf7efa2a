// Reads YAML (and JSON, which is YAML too) into nodes that remember their line and column, so a
// declarative file's validation errors can point at `file:line:column`. Built on libyaml's event
// parser; scalars are resolved with YAML 1.2's core schema when converted to JSON.
import CYAML
import KcxJSON

public struct YAMLNode: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// `plain` is false for quoted and block scalars, which are always strings.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    public let value: Value
    /// 1-based position of the node's first character.
    public let line: Int
    public let column: Int

    /// The node as JSON: plain scalars become null, booleans, integers or doubles where they spell
    /// one (YAML 1.2 core schema), everything else a string. Mapping keys keep their order.
    public var json: JSON {
        switch value {
        case .scalar(let text, let plain): return plain ? YAMLNode.resolve(text) : .string(text)
        case .sequence(let items): return .array(items.map(\.json))
        case .mapping(let entries):
            return .object(JSONObject(members: entries.map { ($0.key.scalarText ?? $0.key.json.serialized(), $0.value.json) }))
        }
    }

    /// The text of a scalar node; nil for collections.
    public var scalarText: String? { if case .scalar(let text, _) = value { return text } else { return nil } }

    /// The value under a key of a mapping node.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.last { $0.key.scalarText == key }?.value
    }

    static func resolve(_ text: String) -> JSON {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let integer = Int64(text) { return .int(integer) }
        if text.hasPrefix("0x"), let integer = Int64(text.dropFirst(2), radix: 16) { return .int(integer) }
        if text.hasPrefix("0o"), let integer = Int64(text.dropFirst(2), radix: 8) { return .int(integer) }
        let numeric = text.unicodeScalars.allSatisfy { "0123456789.eE+-".unicodeScalars.contains($0) }
        if numeric, text.contains(where: \.isNumber), let double = Double(text) { return .double(double) }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        default: return .string(text)
        }
    }
}

public struct YAMLEntry: Sendable, Equatable {
    public let key: YAMLNode
    public let value: YAMLNode
}

public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int
    public var description: String { "\(line):\(column): \(message)" }
}

public enum YAML {
    /// Every document in the text (a file usually holds one).
    public static func parseDocuments(_ text: String) throws(YAMLError) -> [YAMLNode] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLError(message: "cannot start the YAML parser", line: 1, column: 1)
        }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> [YAMLNode] in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let mark = parser.problem_mark
                    let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                    let context = parser.context.map { String(cString: $0) + ": " } ?? ""
                    throw YAMLError(message: context + problem, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.handle(event)
            }
            return builder.documents
        }
    }

    /// The single document of a file; an empty file is an empty mapping's absence (nil).
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode? {
        let documents = try parseDocuments(text)
        if documents.count > 1 {
            throw YAMLError(
                message: "expected one YAML document, found \(documents.count)", line: documents[1].line,
                column: documents[1].column)
        }
        return documents.first
    }
}

/// Assembles nodes from parser events, with anchors and aliases.
private struct TreeBuilder {
    /// A collection still being read. A class, so appending to the innermost one does not copy
    /// its items (an enum on a stack was popped and pushed per item: quadratic, found by fuzzing).
    final class Open {
        let isMapping: Bool
        let anchor: String?
        let line: Int
        let column: Int
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        var pendingKey: YAMLNode?
        /// Scalar keys seen so far, so a duplicate is found without scanning the entries.
        var keys: Set<String> = []
        /// Nesting levels below this collection's children (0 when they are all scalars).
        var childHeight = 0

        init(isMapping: Bool, anchor: String?, line: Int, column: Int) {
            self.isMapping = isMapping
            self.anchor = anchor
            self.line = line
            self.column = column
        }
    }

    var stack: [Open] = []
    var anchors: [String: YAMLNode] = [:]
    /// Levels of nesting each anchored node holds: an alias must not nest deeper than a file may,
    /// or chained aliases overflow the stack of every recursive walk (found by fuzzing).
    var anchorHeights: [String: Int] = [:]
    var documents: [YAMLNode] = []
    /// Nodes an alias may expand to, bounded so a "billion laughs" file cannot exhaust memory.
    var expandedNodes = 0
    static let maximumNodes = 1_000_000
    static let maximumDepth = 256

    mutating func handle(_ event: yaml_event_t) throws(YAMLError) {
        let line = Int(event.start_mark.line) + 1
        let column = Int(event.start_mark.column) + 1
        switch event.type {
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
            let node = YAMLNode(
                value: .scalar(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar.tag == nil), line: line,
                column: column)
            if let anchor = scalar.anchor {
                anchors[String(cString: anchor)] = node
                anchorHeights[String(cString: anchor)] = 0
            }
            try add(node, height: 0)
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let node = anchors[name] else {
                throw YAMLError(message: "unknown alias *\(name)", line: line, column: column)
            }
            let height = anchorHeights[name] ?? 0
            if stack.count + height > TreeBuilder.maximumDepth {
                throw YAMLError(
                    message: "alias *\(name) nests deeper than \(TreeBuilder.maximumDepth) levels", line: line, column: column)
            }
            expandedNodes += TreeBuilder.size(of: node)
            if expandedNodes > TreeBuilder.maximumNodes {
                throw YAMLError(message: "aliases expand to too many nodes", line: line, column: column)
            }
            try add(node, height: height)
        case YAML_SEQUENCE_START_EVENT:
            try checkDepth(line, column)
            stack.append(
                Open(
                    isMapping: false, anchor: event.data.sequence_start.anchor.map { String(cString: $0) }, line: line,
                    column: column))
        case YAML_MAPPING_START_EVENT:
            try checkDepth(line, column)
            stack.append(
                Open(
                    isMapping: true, anchor: event.data.mapping_start.anchor.map { String(cString: $0) }, line: line,
                    column: column))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let open = stack.popLast() else { return }
            let node = YAMLNode(
                value: open.isMapping ? .mapping(open.entries) : .sequence(open.items), line: open.line, column: open.column)
            if let anchor = open.anchor {
                anchors[anchor] = node
                anchorHeights[anchor] = open.childHeight + 1
            }
            try add(node, height: open.childHeight + 1)
        default:
            break
        }
    }

    mutating func checkDepth(_ line: Int, _ column: Int) throws(YAMLError) {
        if stack.count >= TreeBuilder.maximumDepth {
            throw YAMLError(message: "nesting deeper than \(TreeBuilder.maximumDepth) levels", line: line, column: column)
        }
    }

    mutating func add(_ node: YAMLNode, height: Int) throws(YAMLError) {
        guard let open = stack.last else {
            documents.append(node)
            return
        }
        open.childHeight = max(open.childHeight, height)
        guard open.isMapping else {
            open.items.append(node)
            return
        }
        guard let key = open.pendingKey else {
            open.pendingKey = node
            return
        }
        if let text = key.scalarText, !open.keys.insert(text).inserted {
            throw YAMLError(message: "duplicate key '\(text)'", line: key.line, column: key.column)
        }
        open.entries.append(YAMLEntry(key: key, value: node))
        open.pendingKey = nil
    }

    static func size(of node: YAMLNode) -> Int {
        switch node.value {
        case .scalar: return 1
        case .sequence(let items): return 1 + items.reduce(0) { $0 + size(of: $1) }
        case .mapping(let entries): return 1 + entries.reduce(0) { $0 + size(of: $1.key) + size(of: $1.value) }
        }
    }
}
