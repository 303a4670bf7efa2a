// Generates the bash, zsh and fish completion scripts from the command table.
// All three follow the same idea: walk the words typed so far, skipping options and their values,
// to find the command path; then offer values, options or subcommands for that path.

public enum CompletionScripts {
    static let header = "Generated from kcx's command table by scripts/generate-docs; do not edit."

    /// The commands that appear in completions, in table order.
    static func visible(_ commands: [CommandSpec]) -> [CommandSpec] { commands.filter { !$0.hidden } }

    /// Every path and path prefix a user can type (`config`, `config credentials`, `get`...).
    static func paths(_ commands: [CommandSpec]) -> [[String]] {
        var result: [[String]] = []
        for command in visible(commands) {
            for length in 1...command.path.count {
                let prefix = Array(command.path.prefix(length))
                if !result.contains(prefix) { result.append(prefix) }
            }
        }
        return result
    }

    /// Options taking a value, as typed (`--realm`, `-r`), over all commands and the global options.
    static func valueOptionWords(_ commands: [CommandSpec]) -> [String] {
        var words: [String] = []
        for option in visible(commands).flatMap(\.options) + GlobalOptions.specs where !option.isFlag {
            for word in ["--" + option.long] + (option.short.map { ["-\($0)"] } ?? []) where !words.contains(word) {
                words.append(word)
            }
        }
        return words
    }

    static func allOptions(_ command: CommandSpec) -> [OptionSpec] { command.options + GlobalOptions.specs(for: command) }

    /// Options whose values are names on the server, by long name: one place for every command.
    static let liveOptions: [String: String] = [
        "client": "clients", "from": "clients", "to": "clients", "subject-client": "clients", "audience": "clients",
        "assign": "clients", "scope": "scopes", "target-realm": "realms", "realm": "realms", "user": "users",
    ]

    /// An option's completion, with live names for the options above that have none of their own.
    static func completion(_ option: OptionSpec) -> ValueCompletion {
        if option.completion == .none, let kind = liveOptions[option.long] { return .live(kind) }
        return option.completion
    }

    static func children(of path: [String], _ commands: [CommandSpec]) -> [(word: String, summary: String)] {
        var result: [(word: String, summary: String)] = []
        for command in visible(commands) where command.path.count > path.count && Array(command.path.prefix(path.count)) == path {
            let word = command.path[path.count]
            guard !result.contains(where: { $0.word == word }) else { continue }
            let summary =
                command.path.count == path.count + 1 ? command.summary : "\((path + [word]).joined(separator: " ")) commands"
            result.append((word, summary))
        }
        return result
    }

    static func positionalCompletion(_ command: CommandSpec) -> ValueCompletion {
        guard let first = command.positionals.first else { return .none }
        if first.completion == .none && first.name == "ENDPOINT" { return .live("endpoints") }
        return first.completion
    }

    // MARK: bash

    public static func bash(_ commands: [CommandSpec]) -> String {
        var text = """
            # bash completion for kcx. \(header)
            # Install: source this file, or copy it to /usr/share/bash-completion/completions/kcx.

            _kcx() {
                local cur prev path="" word i skip=0
                cur="${COMP_WORDS[COMP_CWORD]}"
                prev="${COMP_WORDS[COMP_CWORD-1]}"
                for ((i = 1; i < COMP_CWORD; i++)); do
                    word="${COMP_WORDS[i]}"
                    if ((skip)); then skip=0; continue; fi
                    case "$word" in
                        \(valueOptionWords(commands).joined(separator: "|"))) skip=1; continue ;;
                        -*) continue ;;
                    esac
                    case "${path:+$path }$word" in
                        \(paths(commands).map { bashQuote($0.joined(separator: " ")) }.joined(separator: "|"))) path="${path:+$path }$word" ;;
                    esac
                done

                case "$path:$prev" in

            """
        for command in visible(commands) {
            for option in allOptions(command) where !option.isFlag {
                // An older name (`--format`) still completes its values; only `long` is offered as a word.
                let words = ["--" + option.long] + option.aliases.map { "--" + $0 } + (option.short.map { ["-\($0)"] } ?? [])
                let pattern = words.map { bashQuote(command.name + ":" + $0) }.joined(separator: "|")
                text += "        \(pattern)) \(bashValueCompletion(completion(option))); return ;;\n"
            }
        }
        // Global options before any command.
        for option in GlobalOptions.specs where !option.isFlag {
            let words = ["--" + option.long] + (option.short.map { ["-\($0)"] } ?? [])
            let pattern = words.map { "*:" + $0 }.joined(separator: "|")
            text += "        \(pattern)) \(bashValueCompletion(completion(option))); return ;;\n"
        }
        text += """
                esac

                if [[ "$cur" == -* ]]; then
                    case "$path" in

            """
        for command in visible(commands) {
            let words = allOptions(command).flatMap { ["--" + $0.long] + ($0.short.map { ["-\($0)"] } ?? []) }
            text +=
                "            \(bashQuote(command.name))) COMPREPLY=($(compgen -W '\(words.joined(separator: " "))' -- \"$cur\")) ;;\n"
        }
        text +=
            "            *) COMPREPLY=($(compgen -W '\((GlobalOptions.specs.map { "--" + $0.long } + ["--version"]).joined(separator: " "))' -- \"$cur\")) ;;\n"
        text += """
                    esac
                    return
                fi

                case "$path" in

            """
        for path in [[]] + paths(commands) {
            let subcommands = children(of: path, commands).map(\.word)
            let command = visible(commands).first { $0.path == path }
            var actions: [String] = []
            if !subcommands.isEmpty {
                actions.append("COMPREPLY=($(compgen -W '\(subcommands.joined(separator: " "))' -- \"$cur\"))")
            }
            if let command, positionalCompletion(command) != .none {
                actions.append(bashValueCompletion(positionalCompletion(command), append: !subcommands.isEmpty))
            }
            guard !actions.isEmpty else { continue }
            text +=
                "        \(path.isEmpty ? "\"\"" : bashQuote(path.joined(separator: " "))))  \(actions.joined(separator: "; ")) ;;\n"
        }
        text += """
                esac
            }

            complete -F _kcx kcx

            """
        return text
    }

    static func bashQuote(_ text: String) -> String {
        text.contains(" ") || text.contains(":") ? "\"\(text)\"" : text
    }

    static func bashValueCompletion(_ completion: ValueCompletion, append: Bool = false) -> String {
        let target = append ? "COMPREPLY+=" : "COMPREPLY="
        switch completion {
        case .none: return "COMPREPLY=()"
        case .file: return "\(target)($(compgen -f -- \"$cur\")); compopt -o filenames 2>/dev/null"
        case .directory: return "\(target)($(compgen -d -- \"$cur\")); compopt -o filenames 2>/dev/null"
        case .choices(let choices): return "\(target)($(compgen -W '\(choices.joined(separator: " "))' -- \"$cur\"))"
        case .live(let kind):
            // The words typed so far go after --, so kcx finds -r, --profile and --config among them.
            return
                "\(target)($(compgen -W \"$(kcx __complete \(kind) -- \"${COMP_WORDS[@]:1:COMP_CWORD-1}\" 2>/dev/null)\" -- \"$cur\"))"
        }
    }

    // MARK: zsh

    public static func zsh(_ commands: [CommandSpec]) -> String {
        var text = """
            #compdef kcx
            # zsh completion for kcx. \(header)
            # Install: copy to a directory in $fpath as _kcx, then run compinit.

            _kcx() {
              local path_="" word skip=0 i
              local -a items
              for ((i = 2; i < CURRENT; i++)); do
                word=${words[i]}
                if (( skip )); then skip=0; continue; fi
                case $word in
                  (\(valueOptionWords(commands).joined(separator: "|"))) skip=1; continue ;;
                  (-*) continue ;;
                esac
                case "${path_:+$path_ }$word" in
                  (\(paths(commands).map { zshPattern($0.joined(separator: " ")) }.joined(separator: "|"))) path_="${path_:+$path_ }$word" ;;
                esac
              done

              case "$path_:${words[CURRENT-1]}" in

            """
        for command in visible(commands) {
            for option in allOptions(command) where !option.isFlag {
                // An older name (`--format`) still completes its values; only `long` is offered as a word.
                let words = ["--" + option.long] + option.aliases.map { "--" + $0 } + (option.short.map { ["-\($0)"] } ?? [])
                let pattern = words.map { zshPattern(command.name + ":" + $0) }.joined(separator: "|")
                text += "    (\(pattern)) \(zshValueCompletion(completion(option), option.valueName ?? "value")); return ;;\n"
            }
        }
        for option in GlobalOptions.specs where !option.isFlag {
            let words = ["--" + option.long] + (option.short.map { ["-\($0)"] } ?? [])
            let pattern = words.map { "*:" + $0 }.joined(separator: "|")
            text += "    (\(pattern)) \(zshValueCompletion(completion(option), option.valueName ?? "value")); return ;;\n"
        }
        text += """
              esac

              if [[ ${words[CURRENT]} == -* ]]; then
                case $path_ in

            """
        for command in visible(commands) {
            text += "      (\(zshPattern(command.name)))\n        items=(\n"
            for option in allOptions(command) {
                for word in ["--" + option.long] + (option.short.map { ["-\($0)"] } ?? []) {
                    text += "          \(zshQuote(word + ":" + HelpRenderer.optionDescription(option)))\n"
                }
            }
            text += "        ) ;;\n"
        }
        text += "      (*)\n        items=(\n"
        for option in GlobalOptions.specs + [HelpRenderer.versionOption] {
            text += "          \(zshQuote("--" + option.long + ":" + option.summary))\n"
        }
        text += """
                    ) ;;
                esac
                _describe -t options option items
                return
              fi

              case $path_ in

            """
        for path in [[]] + paths(commands) {
            let subcommands = children(of: path, commands)
            let command = visible(commands).first { $0.path == path }
            var actions: [String] = []
            if !subcommands.isEmpty {
                let items = subcommands.map { zshQuote($0.word + ":" + $0.summary) }.joined(separator: " ")
                actions.append("items=(\(items)); _describe -t commands command items")
            }
            if let command, positionalCompletion(command) != .none {
                actions.append(zshValueCompletion(positionalCompletion(command), command.positionals[0].name))
            }
            guard !actions.isEmpty else { continue }
            text +=
                "    (\(path.isEmpty ? "''" : zshPattern(path.joined(separator: " "))))  \(actions.joined(separator: "; ")) ;;\n"
        }
        text += """
              esac
            }

            _kcx "$@"

            """
        return text
    }

    /// A zsh case pattern matching the text literally (spaces escaped).
    static func zshPattern(_ text: String) -> String {
        var pattern = ""
        for character in text {
            if " ()|*?[]<>~#^".contains(character) { pattern += "\\" }
            pattern.append(character)
        }
        return pattern
    }

    static func zshQuote(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    static func zshValueCompletion(_ completion: ValueCompletion, _ name: String) -> String {
        switch completion {
        case .none: return "_message \(zshQuote(name))"
        case .file: return "_files"
        case .directory: return "_files -/"
        case .choices(let choices): return "compadd -- \(choices.joined(separator: " "))"
        case .live(let kind):
            return "items=(${(f)\"$(kcx __complete \(kind) -- ${words[2,CURRENT-1]} 2>/dev/null)\"}); compadd -a items"
        }
    }

    // MARK: fish

    public static func fish(_ commands: [CommandSpec]) -> String {
        var text = """
            # fish completion for kcx. \(header)
            # Install: copy to ~/.config/fish/completions/kcx.fish.

            function __kcx_path
                set -l tokens (commandline -opc)
                set -e tokens[1]
                set -l path
                set -l skip 0
                for word in $tokens
                    if test $skip = 1
                        set skip 0
                        continue
                    end
                    switch $word
                        case \(valueOptionWords(commands).map(fishQuote).joined(separator: " "))
                            set skip 1
                            continue
                        case '-*'
                            continue
                    end
                    if contains -- (string join ' ' $path $word) \(paths(commands).map { fishQuote($0.joined(separator: " ")) }.joined(separator: " "))
                        set path $path $word
                    end
                end
                string join ' ' $path
            end

            function __kcx_path_is
                set -l path (__kcx_path)
                test "$path" = "$argv[1]"
            end

            complete -c kcx -f
            complete -c kcx -n '__kcx_path_is ""' -l version -d \(fishQuote(HelpRenderer.versionOption.summary))

            """
        for option in GlobalOptions.specs {
            text += "complete -c kcx " + fishOption(option) + "\n"
        }
        for path in [[]] + paths(commands) {
            let condition = fishQuote("__kcx_path_is " + fishQuote(path.joined(separator: " ")))
            for child in children(of: path, commands) {
                text += "complete -c kcx -n \(condition) -a \(fishQuote(child.word)) -d \(fishQuote(child.summary))\n"
            }
            guard let command = visible(commands).first(where: { $0.path == path }) else { continue }
            switch positionalCompletion(command) {
            case .none: break
            case .file, .directory: text += "complete -c kcx -n \(condition) -F\n"
            case .choices(let choices):
                text += "complete -c kcx -n \(condition) -a \(fishQuote(choices.joined(separator: " ")))\n"
            case .live(let kind):
                text += "complete -c kcx -n \(condition) -a \(fishQuote(fishLive(kind)))\n"
            }
            for option in command.options {
                text += "complete -c kcx -n \(condition) " + fishOption(option) + "\n"
            }
        }
        return text
    }

    static func fishOption(_ option: OptionSpec) -> String {
        var parts: [String] = []
        if let short = option.short { parts.append("-s \(short)") }
        parts.append("-l \(option.long)")
        if !option.isFlag {
            switch completion(option) {
            case .none: parts.append("-x")
            case .file: parts.append("-r -F")
            case .directory: parts.append("-x -a '(__fish_complete_directories)'")
            case .choices(let choices): parts.append("-x -a \(fishQuote(choices.joined(separator: " ")))")
            case .live(let kind): parts.append("-x -a \(fishQuote(fishLive(kind)))")
            }
        }
        parts.append("-d \(fishQuote(option.summary))")
        return parts.joined(separator: " ")
    }

    static func fishLive(_ kind: String) -> String {
        "(kcx __complete \(kind) -- (commandline -opc)[2..-1] 2>/dev/null)"
    }

    static func fishQuote(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "'" || character == "\\" { quoted += "\\" }
            quoted.append(character)
        }
        return quoted + "'"
    }
}
