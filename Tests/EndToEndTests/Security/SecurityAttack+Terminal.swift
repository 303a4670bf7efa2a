// The rows of docs/security.md's attack table for the 'terminal' boundary.
extension SecurityAttack {
    static let terminal: [SecurityAttack] = [
        SecurityAttack(
            boundary: "terminal",
            attack:
                "A delegated admin names a client `evil ESC ]0;owned BEL`, a scope description with `ESC [2J`, CR, C1 CSI and a bidi override, a mapper naming a missing client with BEL",
            outcome:
                "doctor, graph, audience list/check, token-exchange status, client-scope list, get as table/CSV/JSON, export: no active character reaches stdout or stderr; each is shown as `\\u001b`",
            test: "TerminalAttackTests.swift: humanOutputShowsEscapesInsteadOfSendingThem"),
        SecurityAttack(
            boundary: "terminal", attack: "An OSC 52 clipboard write hidden in a created object's id (`Location`)",
            outcome: "`Created new client-scope with id 'x\\u001b]52;…'`: shown, not sent",
            test: "TerminalAttackTests.swift: humanOutputShowsEscapesInsteadOfSendingThem"),
        SecurityAttack(
            boundary: "terminal", attack: "Control characters in JSON output",
            outcome: "Escaped the JSON way: the output parses to the exact value",
            test: "TerminalAttackTests.swift: jsonOutputStaysValidAndHoldsTheExactValue"),
        SecurityAttack(
            boundary: "terminal",
            attack: "A clientId `p;touch${IFS}/tmp/x;#`, so that pasting doctor's fix runs a second command",
            outcome: "The fix is shell-quoted: pasted into bash it runs kcx with exactly the shown words, and no file appears",
            test: "TerminalAttackTests.swift: aPastedFixRunsExactlyThatCommand"),
        SecurityAttack(
            boundary: "terminal",
            attack: "Words with quotes, `$(…)`, backquotes, globs, newlines, ESC, C1 and bidi characters in a printed command",
            outcome:
                "bash (and sh, for words without control characters) reads back exactly the words; the printed line holds no control character",
            test: "TerminalTextTests.swift: aShellReadsBackExactlyTheWords"),
    ]
}
