// The built-in commands that describe the table itself: help, completion, and the hidden
// generator of every committed generated file (completions, reference pages, man page).
import FoundationEssentials
import KeycloakKit

public enum DocCommands {
    /// help, completion and __generate-docs for a table; they describe `base` plus themselves.
    public static func specs(describing base: [CommandSpec]) -> [CommandSpec] {
        let topLevelWords = Router(commands: base).visibleChildren(of: []) + ["completion", "help"]
        return [
            CommandSpec(
                ["completion"], summary: "Print the shell completion script for bash, zsh or fish",
                discussion: """
                    Prints a completion script generated from kcx's command table. Load it in the current
                    shell, or install it where your shell looks for completions.
                    """,
                positionals: [PositionalSpec("SHELL", "bash, zsh or fish", completion: .choices(["bash", "zsh", "fish"]))],
                examples: [
                    ExampleSpec("source <(kcx completion bash)", "Enable completion in the current bash session"),
                    ExampleSpec("kcx completion zsh > \"${fpath[1]}/_kcx\"", "Install the zsh completion"),
                    ExampleSpec("kcx completion fish > ~/.config/fish/completions/kcx.fish", "Install the fish completion"),
                ],
                handler: { invocation, context in
                    let table = CommandTable.withBuiltins(base)
                    switch invocation.positionals[0] {
                    case "bash": context.stdout.write(CompletionScripts.bash(table))
                    case "zsh": context.stdout.write(CompletionScripts.zsh(table))
                    case "fish": context.stdout.write(CompletionScripts.fish(table))
                    case let shell: throw KcxError.usage("unknown shell '\(shell)': choose bash, zsh or fish")
                    }
                    return .ok
                }),
            CommandSpec(
                ["help"], summary: "Show help for kcx or for a command",
                positionals: [
                    PositionalSpec(
                        "COMMAND", "The command (or group of commands) to explain", optional: true, repeatable: true,
                        completion: .choices(topLevelWords))
                ],
                examples: [
                    ExampleSpec("kcx help get", "Show the options and examples of 'kcx get'"),
                    ExampleSpec("kcx help config", "List the config commands"),
                ],
                handler: { invocation, context in
                    let table = CommandTable.withBuiltins(base)
                    // Routing `<path> --help` gives the same help, or the same unknown-command error, as typing it.
                    guard case .help(let path) = try Router(commands: table).route(invocation.positionals + ["--help"]) else {
                        throw KcxError.usage("'\(invocation.positionals.joined(separator: " "))' is not a command")
                    }
                    context.stdout.write(HelpRenderer.text(for: path, in: table))
                    return .ok
                }),
            CommandSpec(
                ["__generate-docs"], summary: "Write every generated file (completions, reference pages, man page)",
                discussion: "Used by scripts/generate-docs; DIR is the repository root.",
                options: [OptionSpec("output", value: "DIR", "Repository root to write into", completion: .directory)],
                examples: [ExampleSpec("kcx __generate-docs --output .", "Regenerate the committed files")],
                hidden: true,
                handler: { invocation, context in
                    guard let root = invocation.value("output") else {
                        throw KcxError.usage("missing --output DIR", hint: "usage: kcx __generate-docs --output DIR")
                    }
                    try GeneratedFiles.write(GeneratedFiles.all(CommandTable.withBuiltins(base)), to: root)
                    context.stderr.write("Wrote the generated files under \(root)\n")
                    return .ok
                }),
        ]
    }
}

/// Every file produced from the table, by path relative to the repository root.
public enum GeneratedFiles {
    public static let referenceDirectory = "docs/reference"

    public static func all(_ commands: [CommandSpec]) -> [(path: String, contents: String)] {
        var files: [(path: String, contents: String)] = [
            ("completions/kcx.bash", CompletionScripts.bash(commands)),
            ("completions/_kcx", CompletionScripts.zsh(commands)),
            ("completions/kcx.fish", CompletionScripts.fish(commands)),
            ("docs/man/kcx.1", ManPage.render(commands)),
            ("docs/exit-codes.md", ReferenceDocs.exitCodes()),
            ("\(referenceDirectory)/README.md", ReferenceDocs.index(commands)),
        ]
        for command in commands where !command.hidden {
            files.append(("\(referenceDirectory)/\(ReferenceDocs.fileName(command))", ReferenceDocs.page(command)))
        }
        return files
    }

    /// Writes the files and removes reference pages of commands that no longer exist.
    public static func write(_ files: [(path: String, contents: String)], to root: String) throws(KcxError) {
        let manager = FileManager.default
        let rootURL = URL(fileURLWithPath: root)
        do {
            let referenceURL = rootURL.appendingPathComponent(referenceDirectory)
            let wanted = Set(files.map(\.path))
            if let existing = try? manager.contentsOfDirectory(atPath: referenceURL.path) {
                for name in existing where name.hasSuffix(".md") && !wanted.contains("\(referenceDirectory)/\(name)") {
                    try manager.removeItem(at: referenceURL.appendingPathComponent(name))
                }
            }
            for file in files {
                let url = rootURL.appendingPathComponent(file.path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: url, options: .atomic)
            }
        } catch {
            throw KcxError(.serverError, "cannot write the generated files under '\(root)': \(error)")
        }
    }
}
