// Turns a command line into an Invocation of one table entry, or a request for help or the version.
// The grammar is written down in docs/command-line-syntax.md; keep the two in step.
import KeycloakKit

public enum Route: Sendable {
    case run(Invocation)
    /// Help for a command or a group of commands; an empty path is the top level.
    case help([String])
    case version
}

public struct Router: Sendable {
    public let commands: [CommandSpec]

    public init(commands: [CommandSpec]) {
        self.commands = commands
    }

    public func command(at path: [String]) -> CommandSpec? {
        commands.first { $0.path == path }
    }

    /// True when some command's path continues after `path` (`config` for `config credentials`).
    public func isGroup(_ path: [String]) -> Bool {
        commands.contains { $0.path.count > path.count && Array($0.path.prefix(path.count)) == path }
    }

    /// The next words after `path` of the commands shown in help, in table order.
    public func visibleChildren(of path: [String]) -> [String] {
        var words: [String] = []
        for command in commands
        where !command.hidden && command.path.count > path.count
            && Array(command.path.prefix(path.count)) == path
        {
            let word = command.path[path.count]
            if !words.contains(word) { words.append(word) }
        }
        return words
    }

    public func route(_ arguments: [String]) throws(KcxError) -> Route {
        // Step 1: find the command words. Global options may come before or between them; any
        // other option ends the search, since only the command knows which options take values.
        var path: [String] = []
        var commandWordIndices: Set<Int> = []
        var unmatchedWord: String?
        var helpRequested = false
        var index = 0
        scan: while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { break }
            if argument.hasPrefix("-") && argument != "-" {
                if argument == "--version" && path.isEmpty { return .version }
                // A complete command's own short option wins over a global one with the same
                // letter: `kcx get -h Accept=x clients` sends a header (kcadm's -h).
                if let current = command(at: path), !argument.hasPrefix("--"), let letter = argument.dropFirst().first,
                    current.options.contains(where: { $0.short == letter })
                {
                    break scan
                }
                let match = try matchOption(
                    arguments, at: index, in: GlobalOptions.specs, commandName: (["kcx"] + path).joined(separator: " "))
                guard case .matched(let options, let next) = match else { break scan }
                if options.contains(where: { $0.spec.long == "help" }) { helpRequested = true }
                index = next
                continue
            }
            if commands.contains(where: { $0.path.starts(with: path + [argument]) }) {
                path.append(argument)
                commandWordIndices.insert(index)
                index += 1
                continue
            }
            // A word after a complete command is its first positional argument.
            if command(at: path) != nil { break }
            unmatchedWord = argument
            break
        }

        guard let command = command(at: path) else {
            if let unmatchedWord {
                let candidates = visibleChildren(of: path)
                var hint =
                    Suggestions.phrase(
                        Suggestions.closest(to: unmatchedWord, among: candidates).map {
                            (path + [$0]).joined(separator: " ")
                        }
                    ).map { $0 + " " } ?? ""
                hint += "Run '\((["kcx"] + path + ["--help"]).joined(separator: " "))' to see the commands."
                throw KcxError.usage("unknown command '\((path + [unmatchedWord]).joined(separator: " "))'", hint: hint)
            }
            if index < arguments.count && arguments[index] != "--" {
                // Stopped at an option that is not global, before any command.
                let option = arguments[index]
                let name = option.hasPrefix("--") ? String(option.split(separator: "=", maxSplits: 1)[0]) : option
                var hint =
                    Suggestions.phrase(Suggestions.closest(to: name, among: GlobalOptions.specs.map { "--" + $0.long }))
                    .map { $0 + " " } ?? ""
                hint += "Options of a command go after the command's name; run 'kcx --help' for the global options."
                throw KcxError.usage("unknown option '\(name)' for 'kcx'", hint: hint)
            }
            return .help(path)
        }

        // Step 2: parse everything but the command words against the command's options.
        let remaining = arguments.indices.filter { !commandWordIndices.contains($0) }.map { arguments[$0] }
        let options = command.options + GlobalOptions.specs(for: command)
        var values: [String: [String]] = [:]
        var sequence: [(option: String, value: String)] = []
        var positionals: [String] = []
        index = 0
        while index < remaining.count {
            let argument = remaining[index]
            if argument == "--" {
                positionals += remaining[(index + 1)...]
                break
            }
            guard argument.hasPrefix("-") && argument != "-" else {
                positionals.append(argument)
                index += 1
                continue
            }
            switch try matchOption(remaining, at: index, in: options, commandName: "kcx " + command.name) {
            case .matched(let matched, let next):
                for (spec, value) in matched {
                    if let value, case .choices(let choices) = spec.completion, !choices.contains(value) {
                        // The name as typed: an alias (`--format`) is named as the user wrote it.
                        let typed = argument.hasPrefix("--") ? String(argument.dropFirst(2).prefix { $0 != "=" }) : spec.long
                        throw KcxError.usage(
                            "invalid value '\(value)' for '--\(typed)': choose one of \(choices.joined(separator: ", "))",
                            hint: usageHint(command))
                    }
                    if let value, !spec.repeatable, let earlier = values[spec.long]?.first, earlier != value {
                        throw repeatedOption(spec, earlier, value, command)
                    }
                    values[spec.long, default: []].append(value ?? "true")
                    sequence.append((spec.long, value ?? "true"))
                }
                index = next
            case .unknown(let name):
                let candidates = name.hasPrefix("--") ? options.map { "--" + $0.long } : []
                var hint = Suggestions.phrase(Suggestions.closest(to: name, among: candidates)).map { $0 + " " } ?? ""
                hint += "Run 'kcx \(command.name) --help' to see its options."
                throw KcxError.usage("unknown option '\(name)' for 'kcx \(command.name)'", hint: hint)
            }
        }
        if helpRequested || values["help"] != nil { return .help(command.path) }

        let required = command.positionals.filter { !$0.optional }
        if positionals.count < required.count {
            let missing = required[positionals.count...].map(\.name).joined(separator: " ")
            throw KcxError.usage("missing \(missing) for 'kcx \(command.name)'", hint: usageHint(command))
        }
        if !command.positionals.contains(where: \.repeatable) && positionals.count > command.positionals.count {
            throw KcxError.usage(
                "unexpected argument '\(positionals[command.positionals.count])' for 'kcx \(command.name)'",
                hint: usageHint(command))
        }
        return .run(Invocation(command: command, values: values, positionals: positionals, sequence: sequence))
    }

    /// A one-value option given twice with different values: which one was meant is not kcx's
    /// guess to make. Secret values (--password, --token, …) are not repeated back.
    private func repeatedOption(_ spec: OptionSpec, _ first: String, _ second: String, _ command: CommandSpec) -> KcxError {
        let name = "--" + spec.long + (spec.short.map { " (-\($0))" } ?? "")
        let values = Redaction.isSecretName(spec.long) ? "" : " ('\(first)' and '\(second)')"
        return KcxError.usage(
            "option '\(name)' takes one value but was given twice\(values) for 'kcx \(command.name)'",
            hint: "keep the one you mean; only options marked repeatable in 'kcx \(command.name) --help' take several values")
    }

    private func usageHint(_ command: CommandSpec) -> String {
        "usage: \(HelpRenderer.usageLine(command))"
    }
}

private enum OptionMatch {
    case matched([(spec: OptionSpec, value: String?)], next: Int)
    case unknown(String)
}

/// Reads one option argument (`--name`, `--name=value`, `--name value`, `-x`, `-xvalue`,
/// `-x value`, or a cluster of short flags such as `-vm`). A value is taken as is, even when it
/// starts with `-`, so `-s 'x=-1'` and `--offset -1` reach validation instead of being mistaken
/// for options.
private func matchOption(_ arguments: [String], at index: Int, in options: [OptionSpec], commandName: String)
    throws(KcxError) -> OptionMatch
{
    let argument = arguments[index]
    let usage = "Run '\(commandName) --help' for usage."
    if argument.hasPrefix("--") {
        let body = argument.dropFirst(2)
        let name: String
        let inlineValue: String?
        if let equals = body.firstIndex(of: "=") {
            name = String(body[..<equals])
            inlineValue = String(body[body.index(after: equals)...])
        } else {
            name = String(body)
            inlineValue = nil
        }
        guard let spec = options.first(where: { $0.answers(to: name) }) else { return .unknown("--" + name) }
        if spec.isFlag {
            if inlineValue != nil {
                throw KcxError.usage("option '--\(name)' takes no value (got '\(argument)')", hint: usage)
            }
            return .matched([(spec, nil)], next: index + 1)
        }
        if let inlineValue { return .matched([(spec, inlineValue)], next: index + 1) }
        guard index + 1 < arguments.count else {
            throw KcxError.usage("option '--\(name)' needs a value (\(spec.valueName!))", hint: usage)
        }
        return .matched([(spec, arguments[index + 1])], next: index + 2)
    }
    var matched: [(spec: OptionSpec, value: String?)] = []
    let letters = Array(argument.dropFirst())
    for (position, letter) in letters.enumerated() {
        guard let spec = options.first(where: { $0.short == letter }) else { return .unknown("-" + String(letter)) }
        if spec.isFlag {
            matched.append((spec, nil))
            continue
        }
        let attached = String(letters[(position + 1)...])
        if !attached.isEmpty {
            matched.append((spec, attached))
            return .matched(matched, next: index + 1)
        }
        guard index + 1 < arguments.count else {
            // `-h` last on the line asks for help also where -h takes a value (kcadm's headers).
            if letter == "h", let help = options.first(where: { $0.long == "help" }) {
                matched.append((help, nil))
                return .matched(matched, next: index + 1)
            }
            throw KcxError.usage("option '-\(letter)' needs a value (\(spec.valueName!))", hint: usage)
        }
        matched.append((spec, arguments[index + 1]))
        return .matched(matched, next: index + 2)
    }
    return .matched(matched, next: index + 1)
}
