// Errors, warnings and hints on stderr: the label in colour on a terminal (bold red, yellow, cyan),
// never when NO_COLOR is set (https://no-color.org) or stderr is not a terminal. The text after
// the label is escaped like everything else written to a SafeSink.
import KeycloakKit

public enum DiagnosticLabel: String, Sendable {
    case error, warning, hint

    var colour: String {
        switch self {
        case .error: return "\u{1B}[1;31m"
        case .warning: return "\u{1B}[1;33m"
        case .hint: return "\u{1B}[36m"
        }
    }
}

extension CommandContext {
    /// Whether stderr gets colours: a terminal, and NO_COLOR unset or empty.
    var colourOnStderr: Bool { stderr.isTerminal && (environment["NO_COLOR"] ?? "").isEmpty }

    /// One labelled line (`warning: …`) on stderr, the label coloured where colour is wanted.
    func diagnostic(_ label: DiagnosticLabel, _ message: String) {
        guard colourOnStderr else {
            stderr.write("\(label.rawValue): \(message)\n")
            return
        }
        stderr.writeFormatted("\(label.colour)\(label.rawValue):\u{1B}[0m \(TerminalText.escape(message))\n")
    }

    /// A `warning: …` line; kcadm prints none, so neither does kcx in kcadm mode.
    func warn(_ message: String) {
        if !kcadmMode { diagnostic(.warning, message) }
    }
}
