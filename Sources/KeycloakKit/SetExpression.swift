// The `-s/--set` and `-d/--delete` grammar of the request commands, and applying it to a JSON body.
// `key=value` follows kcadm: a VALUE that is a whole JSON value (`true`, `42`, `[..]`, `{..}`,
// `"text"`, `null`) is sent as that value, anything else as a string (`007` stays "007": JSON has
// no leading zeros). `key:=json` is kcx's extension that insists on JSON and says where it is wrong.
import KcxJSON

/// One step of a key path: an object member or an array element.
public enum JSONPathComponent: Sendable, Equatable, CustomStringConvertible {
    case key(String)
    case index(Int)

    var isKey: Bool { if case .key = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .key(let name):
            let plain = !name.isEmpty && !name.unicodeScalars.contains { ".[]\"=:+ ".unicodeScalars.contains($0) }
            return plain ? name : "\"" + name.escapingQuotes() + "\""
        case .index(let index): return "[\(index)]"
        }
    }
}

/// A parsed key path such as `attributes."include.in.token.scope"` or `redirectUris[0]`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public var components: [JSONPathComponent]

    public init(_ components: [JSONPathComponent]) { self.components = components }

    public var description: String {
        var text = ""
        for component in components {
            if case .key = component, !text.isEmpty { text += "." }
            text += component.description
        }
        return text
    }

    /// Parses a whole `-d` argument: a key path and nothing else.
    public static func parse(_ text: String) throws(SetExpressionError) -> JSONPath {
        var scanner = PathScanner(text)
        let path = try scanner.scanPath(stopAtOperator: false)
        if !scanner.isAtEnd { throw SetExpressionError(input: text, reason: "unexpected '\(scanner.rest)' after the key") }
        return path
    }
}

public struct SetExpression: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// `key=value`, `key:=json`: replace the value.
        case assign
        /// `key+=value`, `key+:=json`: append to an array (created when missing).
        case append
    }

    public var path: JSONPath
    public var operation: Operation
    public var value: JSON

    public init(path: JSONPath, operation: Operation, value: JSON) {
        self.path = path
        self.operation = operation
        self.value = value
    }

    /// Parses one `-s` argument. The key ends at the first operator outside quotes: `=`, `:=`,
    /// `+=` or `+:=`; everything after the operator is the value, taken verbatim.
    public static func parse(_ text: String) throws(SetExpressionError) -> SetExpression {
        var scanner = PathScanner(text)
        let path = try scanner.scanPath(stopAtOperator: true)
        var operation = Operation.assign
        var isJSON = false
        if scanner.consume("+") { operation = .append }
        if scanner.consume(":") { isJSON = true }
        guard scanner.consume("=") else {
            throw SetExpressionError(input: text, reason: "missing '=': expected NAME=VALUE")
        }
        let rawValue = scanner.rest
        guard isJSON else { return SetExpression(path: path, operation: operation, value: try kcadmValue(rawValue, input: text)) }
        do {
            return SetExpression(path: path, operation: operation, value: try JSON.parse(rawValue))
        } catch {
            throw SetExpressionError(
                input: text,
                reason: "the value after ':=' is not JSON (\(error)); use '=' to set it as a string")
        }
    }
}

extension SetExpression {
    /// The value of `key=VALUE` as kcadm reads it: JSON when the whole text is one JSON value,
    /// else the text itself; text in single or double quotes that is not JSON loses its quotes
    /// (`'abc'` is "abc"), and one quote at the start only is an error, as in kcadm. Empty text is "".
    static func kcadmValue(_ raw: String, input: String) throws(SetExpressionError) -> JSON {
        if raw.isEmpty { return .string("") }
        if let value = try? JSON.parse(raw) { return value }
        guard let first = raw.unicodeScalars.first, first == "'" || first == "\"" else { return .string(raw) }
        let scalars = Array(raw.unicodeScalars)
        guard scalars.count >= 2, let last = scalars.last, last == "'" || last == "\"" else {
            throw SetExpressionError(
                input: input, reason: "invalid string value \(raw): it starts with a quote but does not end with one")
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[1..<(scalars.count - 1)])
        return .string(text)
    }
}

public struct SetExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The argument as the user typed it.
    public let input: String
    public let reason: String

    public init(input: String, reason: String) {
        self.input = input
        self.reason = reason
    }

    public var description: String { "'\(input)': \(reason)" }
}

/// Reads key paths: names separated by `.`, `"quoted names"` (with `\"` and `\\`), `[index]`.
/// It reads Unicode scalars, not Characters: a combining mark after `"` or `.` must not glue
/// itself to the delimiter (fuzzing found `"` + U+059D read as one Character).
private struct PathScanner {
    let input: String
    let characters: [Unicode.Scalar]
    var position = 0

    init(_ input: String) {
        self.input = input
        self.characters = Array(input.unicodeScalars)
    }

    var isAtEnd: Bool { position >= characters.count }
    var rest: String {
        var text = ""
        text.unicodeScalars.append(contentsOf: characters[min(position, characters.count)...])
        return text
    }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        position + offset < characters.count ? characters[position + offset] : nil
    }

    mutating func consume(_ character: Unicode.Scalar) -> Bool {
        guard peek() == character else { return false }
        position += 1
        return true
    }

    /// True at `=`, `:=`, `+=` or `+:=`.
    func atOperator() -> Bool {
        switch peek() {
        case "=": return true
        case ":": return peek(1) == "="
        case "+": return peek(1) == "=" || (peek(1) == ":" && peek(2) == "=")
        default: return false
        }
    }

    func error(_ reason: String) -> SetExpressionError { SetExpressionError(input: input, reason: reason) }

    mutating func scanPath(stopAtOperator: Bool) throws(SetExpressionError) -> JSONPath {
        var components: [JSONPathComponent] = []
        var expectName = true
        while !isAtEnd {
            if stopAtOperator && atOperator() && !expectName { break }
            // kcx reads no JSON nested deeper than this (JSON.maximumDepth), so it writes none either.
            if components.count >= JSON.maximumDepth {
                // Quoted from its start only: the whole argument is thousands of characters.
                throw SetExpressionError(
                    input: String(input.unicodeScalars.prefix(40)) + "...",
                    reason: "the key path is deeper than \(JSON.maximumDepth) levels, the most kcx reads or writes")
            }
            if expectName {
                components.append(.key(try scanName(stopAtOperator: stopAtOperator)))
                expectName = false
            } else if consume(".") {
                expectName = true
            } else if consume("[") {
                components.append(.index(try scanIndex()))
            } else {
                throw error("expected '.', '[' or an operator after '\(JSONPath(components))'")
            }
        }
        if components.isEmpty { throw error("missing key before the operator") }
        if expectName { throw error("missing key after '.'") }
        return JSONPath(components)
    }

    mutating func scanName(stopAtOperator: Bool) throws(SetExpressionError) -> String {
        if consume("\"") {
            var name = ""
            while true {
                guard let character = peek() else { throw error("unterminated quoted key") }
                position += 1
                if character == "\"" { break }
                if character == "\\", let next = peek(), next == "\"" || next == "\\" {
                    name.unicodeScalars.append(next)
                    position += 1
                } else {
                    name.unicodeScalars.append(character)
                }
            }
            return name
        }
        var name = ""
        while let character = peek(), character != ".", character != "[", character != "\"" {
            if stopAtOperator && atOperator() { break }
            if character == "]" { throw error("unexpected ']'") }
            name.unicodeScalars.append(character)
            position += 1
        }
        if name.isEmpty {
            throw error(isAtEnd || atOperator() ? "missing key" : "empty key before '\(peek()!)'")
        }
        return name
    }

    mutating func scanIndex() throws(SetExpressionError) -> Int {
        var digits = ""
        while let character = peek(), ("0"..."9").contains(character) {
            digits.unicodeScalars.append(character)
            position += 1
        }
        guard !digits.isEmpty, consume("]") else { throw error("an index must be a number in brackets, e.g. [0]") }
        guard let index = Int(digits) else { throw error("index \(digits) is too large") }
        return index
    }
}

extension String {
    /// Scalar by scalar, like the scanner: a `"` carrying a combining mark is still a quote.
    fileprivate func escapingQuotes() -> String {
        var text = ""
        for scalar in unicodeScalars {
            if scalar == "\"" || scalar == "\\" { text.unicodeScalars.append("\\") }
            text.unicodeScalars.append(scalar)
        }
        return text
    }
}

// MARK: - Applying to a body

/// Why an expression could not be applied to the body (a type clash or an index out of range).
public struct JSONEditError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSON {
    /// Applies one `-s` expression. Missing objects and arrays on the way are created; an index
    /// may address an existing element or the position just past the end (which appends).
    public mutating func apply(_ expression: SetExpression) throws(JSONEditError) {
        try update(expression.path.components[...], fullPath: expression.path) { (target: inout JSON?) throws(JSONEditError) in
            switch expression.operation {
            case .assign:
                target = expression.value
            case .append:
                switch target {
                case nil, .null?: target = .array([expression.value])
                case .array(var elements)?:
                    elements.append(expression.value)
                    target = .array(elements)
                case _?:
                    // kcadm replaces whatever is there by a new array holding the value.
                    target = .array([expression.value])
                }
            }
        }
    }

    /// Removes the member or element at `path`; a path that does not exist is left alone, so a
    /// delete is idempotent.
    public mutating func remove(_ path: JSONPath) throws(JSONEditError) {
        guard !path.components.isEmpty, value(at: path.components[...]) != nil else { return }
        try update(path.components[...], fullPath: path, removingMissing: true) { target in target = nil }
    }

    /// The value at a path, or nil when any step is missing.
    public func value(at components: ArraySlice<JSONPathComponent>) -> JSON? {
        var current: JSON = self
        for component in components {
            switch component {
            case .key(let name):
                guard let next = current.objectValue?[name] else { return nil }
                current = next
            case .index(let index):
                guard let next = current[index] else { return nil }
                current = next
            }
        }
        return current
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Walks to the slot at `components`, creating containers on the way, and lets `change`
    /// rewrite it (setting nil removes it). A loop down and a loop back up, not recursion: linear in
    /// the path's length (naming the walked prefix at every level made an 8,000-level path take
    /// seconds) with no stack frame per level. Each member on the path is taken out of its container
    /// on the way down and put back on the way up, so nothing is copied and no old copy of a deep
    /// chain is freed level by level. On error `self` is as it was.
    private mutating func update(
        _ components: ArraySlice<JSONPathComponent>, fullPath: JSONPath, removingMissing: Bool = false,
        _ change: (inout JSON?) throws(JSONEditError) -> Void
    ) throws(JSONEditError) {
        guard !components.isEmpty else { return }
        let steps = Array(components)
        func named(_ depth: Int) -> String {
            depth == 0 ? "the body" : JSONPath(Array(steps[..<depth])).description
        }
        // containers[d]: the object or array at depth d, its member for steps[d] taken out.
        var containers: [JSON] = []
        containers.reserveCapacity(steps.count)
        /// Puts `value` back as the member for steps[depth - 1] and every container above it, into self.
        func rebuild(_ value: JSON?) {
            var value = value
            while var container = containers.popLast() {
                container.put(value, at: steps[containers.count])
                value = container
            }
            if let value { self = value }
        }
        var node: JSON? = self
        self = .null
        for (depth, step) in steps.enumerated() {
            // (`case .none`, not `== nil`: JSON is ExpressibleByNilLiteral, so nil could read as .null.)
            var missing = false
            if case .none = node { missing = true }
            var current = node ?? .null
            node = nil
            let wasNull = current.isNull
            if wasNull && (missing || !removingMissing) { current = JSON.emptyContainer(for: step) }
            // As kcadm: setting an element of something that is not an array starts a new array, and an
            // index past the end is reached by adding nulls (a removal past the end removes nothing).
            if case .index = step, !removingMissing, current.arrayValue == nil { current = .array([]) }
            if case .index(let index) = step, !removingMissing, case .array(var elements) = current, index > elements.count {
                current = .null
                elements.append(contentsOf: repeatElement(JSON.null, count: index - elements.count))
                current = .array(elements)
            }
            var failure: JSONEditError?
            switch (step, current) {
            case (.key, .object), (.index, .array): break
            default:
                failure = JSONEditError(
                    "cannot set \(fullPath): \(named(depth)) is \(current.kindName), not \(step.isKey ? "an object" : "an array")"
                )
            }
            if let failure {
                // Put back what was taken out, this depth's value as it was.
                rebuild(missing ? Optional<JSON>.none : wasNull ? JSON.null : current)
                throw failure
            }
            node = current.take(step)
            containers.append(current)
        }
        let original = node
        do {
            try change(&node)
        } catch {
            rebuild(original)
            throw error
        }
        rebuild(node)
    }

    /// Takes the member for `step` out (leaving a placeholder that keeps its position) and returns
    /// it; nil when there is none. The container is uniquely held here, so nothing is copied.
    private mutating func take(_ step: JSONPathComponent) -> JSON? {
        switch step {
        case .key(let name):
            guard case .object(var object) = self else { return nil }
            self = .null
            guard let member = object[name] else {
                self = .object(object)
                return nil
            }
            object[name] = .null
            self = .object(object)
            return member
        case .index(let index):
            guard case .array(var elements) = self else { return nil }
            guard index < elements.count else { return nil }
            self = .null
            let member = elements[index]
            elements[index] = .null
            self = .array(elements)
            return member
        }
    }

    /// Puts `value` as the member for `step` (nil removes it; an index one past the end appends).
    private mutating func put(_ value: JSON?, at step: JSONPathComponent) {
        switch step {
        case .key(let name):
            guard case .object(var object) = self else { return }
            self = .null
            object[name] = value
            self = .object(object)
        case .index(let index):
            guard case .array(var elements) = self else { return }
            self = .null
            switch (value, index < elements.count) {
            case (let member?, true): elements[index] = member
            case (let member?, false): elements.append(member)
            case (nil, true): elements.remove(at: index)
            case (nil, false): break
            }
            self = .array(elements)
        }
    }

    fileprivate static func emptyContainer(for component: JSONPathComponent) -> JSON {
        if case .index = component { return .array([]) }
        return .object(JSONObject())
    }
}
