// Fault injection: rules that make the next N requests matching a method and path fail, hang, drop,
// or expire every token; optionally after letting some matching requests pass, or at random (seeded).
import Foundation
import KcxJSON

public struct FaultRule: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        /// Answer with this status and body instead of the real answer.
        case status(Int, body: String, contentType: String)
        /// Wait, then give the real answer (or `status` when set): a slow server.
        case delay(seconds: Double, status: Int?, body: String, contentType: String)
        /// Close the connection without answering; nothing changes on the server.
        case drop
        /// Carry out the request, then close the connection without answering: the client never
        /// learns that its write took effect (a proxy or server dying after the commit).
        case dropAfterApplying
        /// End every session and expire every token (as `POST /_sandbox/expire-tokens`), then answer
        /// the request, which is refused 401 if it carried one of those tokens: a revocation mid-run.
        case expireTokens
    }

    public var id: String
    /// An HTTP method, or `*` for any.
    public var method: String
    /// A glob over the request path as received (still percent-encoded); `*` matches any run of characters, `/` included.
    public var pathPattern: String
    public var action: Action
    /// Requests still to be affected; the rule disappears when it reaches 0.
    public var remaining: Int
    /// Requests affected so far.
    public var applied: Int = 0
    /// Matching requests still to let through untouched before the rule starts acting.
    public var skip: Int = 0
    /// The chance that a matching request (once `skip` is used up) is affected; the others pass on
    /// to later rules. Drawn from a generator seeded with `seed`, so a run can be replayed.
    public var probability: Double = 1
    public var seed: UInt64 = 0
    private var random = SplitMix64(seed: 0)

    public func matches(method requestMethod: String, path: String) -> Bool {
        (method == "*" || method.uppercased() == requestMethod.uppercased()) && FaultRule.glob(pathPattern, matches: path)
    }

    /// Iterative glob matching with backtracking on the last `*` (linear in practice, no recursion).
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var p = 0
        var t = 0
        var starPattern = -1
        var starText = 0
        while t < text.count {
            if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starPattern = p
                starText = t
                p += 1
            } else if p < pattern.count && pattern[p] == text[t] {
                p += 1
                t += 1
            } else if starPattern >= 0 {
                p = starPattern + 1
                starText += 1
                t = starText
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    /// Reads a rule from the control API's JSON; the message names the offending field.
    public static func parse(_ json: JSON, id: String) throws(FaultRuleError) -> FaultRule {
        guard let object = json.objectValue else { throw FaultRuleError("the rule must be a JSON object") }
        let known: Set<String> = [
            "method", "path", "count", "action", "status", "body", "contentType", "delaySeconds", "apply", "skip", "probability",
            "seed",
        ]
        if let unknown = object.keys.first(where: { !known.contains($0) }) {
            throw FaultRuleError("unknown field \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let path = object["path"]?.stringValue, path.hasPrefix("/") || path.hasPrefix("*") else {
            throw FaultRuleError("\"path\" must be a string starting with / (a glob where * matches anything)")
        }
        var method = "*"
        if let value = object["method"] {
            guard let text = value.stringValue, !text.isEmpty,
                text == "*" || text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 || $0 >= 97 && $0 <= 122 })
            else { throw FaultRuleError("\"method\" must be an HTTP method such as \"POST\", or \"*\"") }
            method = text.uppercased()
        }
        var count = 1
        if let value = object["count"] {
            guard let number = value.intValue, number >= 1, number <= 1_000_000 else {
                throw FaultRuleError("\"count\" must be an integer from 1 to 1000000")
            }
            count = Int(number)
        }
        var status: Int?
        if let value = object["status"] {
            guard let number = value.intValue, (200...599).contains(number) else {
                throw FaultRuleError("\"status\" must be an integer from 200 to 599")
            }
            status = Int(number)
        }
        var body = ""
        if let value = object["body"] {
            guard let text = value.stringValue else { throw FaultRuleError("\"body\" must be a string") }
            body = text
        }
        var contentType = "application/json"
        if let value = object["contentType"] {
            guard let text = value.stringValue, !text.isEmpty, !text.contains("\r"), !text.contains("\n") else {
                throw FaultRuleError("\"contentType\" must be a one-line string")
            }
            contentType = text
        }
        if object["delaySeconds"] != nil && object["action"]?.stringValue != "delay" {
            throw FaultRuleError("\"delaySeconds\" only applies to action \"delay\"")
        }
        if object["apply"] != nil && object["action"]?.stringValue != "drop" {
            throw FaultRuleError("\"apply\" only applies to action \"drop\"")
        }
        var skip = 0
        if let value = object["skip"] {
            guard let number = value.intValue, number >= 0, number <= 1_000_000 else {
                throw FaultRuleError("\"skip\" must be an integer from 0 to 1000000")
            }
            skip = Int(number)
        }
        var probability = 1.0
        if let value = object["probability"] {
            guard let number = value.doubleValue, number > 0, number <= 1 else {
                throw FaultRuleError("\"probability\" must be a number greater than 0 and at most 1")
            }
            probability = number
        }
        var seed: UInt64 = 0
        if let value = object["seed"] {
            guard object["probability"] != nil else { throw FaultRuleError("\"seed\" only applies with \"probability\"") }
            guard let number = value.intValue, number >= 0 else {
                throw FaultRuleError("\"seed\" must be a non-negative integer")
            }
            seed = UInt64(number)
        }
        let action: Action
        switch object["action"]?.stringValue {
        case "status":
            guard let status else { throw FaultRuleError("action \"status\" needs \"status\"") }
            action = .status(status, body: body, contentType: contentType)
        case "delay":
            guard let seconds = object["delaySeconds"]?.doubleValue, seconds > 0, seconds <= 3600 else {
                throw FaultRuleError("action \"delay\" needs \"delaySeconds\" greater than 0 and at most 3600")
            }
            action = .delay(seconds: seconds, status: status, body: body, contentType: contentType)
        case "drop":
            if status != nil || object["body"] != nil || object["contentType"] != nil {
                throw FaultRuleError("action \"drop\" sends nothing: it takes no \"status\", \"body\" or \"contentType\"")
            }
            var apply = false
            if let value = object["apply"] {
                guard let flag = value.boolValue else { throw FaultRuleError("\"apply\" must be true or false") }
                apply = flag
            }
            action = apply ? .dropAfterApplying : .drop
        case "expire-tokens":
            if status != nil || object["body"] != nil || object["contentType"] != nil {
                throw FaultRuleError(
                    "action \"expire-tokens\" answers the request itself: it takes no \"status\", \"body\" or \"contentType\"")
            }
            action = .expireTokens
        default:
            throw FaultRuleError("\"action\" must be one of \"status\", \"delay\", \"drop\", \"expire-tokens\"")
        }
        var rule = FaultRule(id: id, method: method, pathPattern: path, action: action, remaining: count)
        rule.skip = skip
        rule.probability = probability
        rule.seed = seed
        rule.random = SplitMix64(seed: seed)
        return rule
    }

    /// Whether this matching request is affected (consuming a skip or a random draw); false lets it
    /// pass on to later rules.
    mutating func fires() -> Bool {
        if skip > 0 {
            skip -= 1
            return false
        }
        guard probability < 1 else { return true }
        // 53 random bits as a uniform double in [0, 1).
        return Double(random.next() >> 11) * 0x1p-53 < probability
    }

    /// The rule as the control API shows it.
    public var json: JSON {
        var object = JSONObject()
        object["id"] = .string(id)
        object["method"] = .string(method)
        object["path"] = .string(pathPattern)
        switch action {
        case .status(let status, let body, let contentType):
            object["action"] = "status"
            object["status"] = .int(Int64(status))
            object["body"] = .string(body)
            object["contentType"] = .string(contentType)
        case .delay(let seconds, let status, let body, let contentType):
            object["action"] = "delay"
            object["delaySeconds"] = .double(seconds)
            if let status {
                object["status"] = .int(Int64(status))
                object["body"] = .string(body)
                object["contentType"] = .string(contentType)
            }
        case .drop:
            object["action"] = "drop"
        case .dropAfterApplying:
            object["action"] = "drop"
            object["apply"] = true
        case .expireTokens:
            object["action"] = "expire-tokens"
        }
        if skip > 0 { object["skip"] = .int(Int64(skip)) }
        if probability < 1 {
            object["probability"] = .double(probability)
            object["seed"] = .int(Int64(bitPattern: seed))
        }
        object["remaining"] = .int(Int64(remaining))
        object["applied"] = .int(Int64(applied))
        return .object(object)
    }
}

public struct FaultRuleError: Error, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// The active rules, first added first matched; thread-safe.
public final class FaultRuleSet: @unchecked Sendable {
    private let lock = NSLock()
    private var rules: [FaultRule] = []
    private var nextNumber = 1
    private var appliedTotal = 0

    public init() {}

    /// Adds a rule parsed from JSON and returns it (with its id).
    public func add(_ json: JSON) throws(FaultRuleError) -> FaultRule {
        let id: String = lock.withLock {
            defer { nextNumber += 1 }
            return "fault-\(nextNumber)"
        }
        let rule = try FaultRule.parse(json, id: id)
        lock.withLock { rules.append(rule) }
        return rule
    }

    public var all: [FaultRule] { lock.withLock { rules } }

    /// Requests affected by any rule since start.
    public var appliedCount: Int { lock.withLock { appliedTotal } }

    public func removeAll() { lock.withLock { rules.removeAll() } }

    /// Removes one rule; false when no rule has that id.
    public func remove(id: String) -> Bool {
        lock.withLock {
            guard let index = rules.firstIndex(where: { $0.id == id }) else { return false }
            rules.remove(at: index)
            return true
        }
    }

    /// The action for a request, consuming one use of the first matching rule that fires (a rule
    /// still skipping, or whose random draw says no, lets the request on to the next one).
    public func consume(method: String, path: String) -> FaultRule.Action? {
        lock.withLock {
            var found: Int? = nil
            for index in rules.indices where rules[index].matches(method: method, path: path) {
                if rules[index].fires() {
                    found = index
                    break
                }
            }
            guard let index = found else { return nil }
            rules[index].remaining -= 1
            rules[index].applied += 1
            appliedTotal += 1
            let action = rules[index].action
            if rules[index].remaining == 0 { rules.remove(at: index) }
            return action
        }
    }
}

/// A small seeded generator (Steele, Lea and Flood's SplitMix64): the same seed gives the same
/// sequence on every platform, unlike the system generator. Public for the sandbox's tests.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
