// The options of plan, apply and export read into typed values in one pure step: every usage
// check happens here, before a file is read or a request is sent.
import KeycloakKit

/// How a plan is written on stdout.
enum PlanFormat: String, Sendable, Equatable {
    case text, json, markdown
}

struct PlanOptions: Sendable, Equatable {
    var file: String
    var prune: Bool
    var format: PlanFormat
    var detailedExitcode: Bool
    /// `--out PLAN`: where to save the plan for `kcx apply PLAN`.
    var out: String?
}

extension PlanOptions: CommandOptions {
    init(_ invocation: Invocation) throws {
        guard let file = invocation.value("file") else { throw KcxError.usage("--file is required: the declarative file to use") }
        self.file = file
        prune = invocation.flag("prune")
        detailedExitcode = invocation.flag("detailed-exitcode")
        format = try PlanOptions.format(invocation, allowed: [.text, .json, .markdown])
        out = try PlanOptions.outPath(invocation)
    }

    /// `--output`: one of `allowed`, text by default.
    static func format(_ invocation: Invocation, allowed: [PlanFormat]) throws -> PlanFormat {
        guard let text = invocation.value("output") else { return .text }
        guard let format = PlanFormat(rawValue: text), allowed.contains(format) else {
            let names = allowed.map { "'\($0.rawValue)'" }
            let list =
                names.count == 2
                ? names.joined(separator: " or ") : names.dropLast().joined(separator: ", ") + " or " + names.last!
            throw KcxError.usage("--output must be \(list), not '\(text)'")
        }
        return format
    }

    static func outPath(_ invocation: Invocation) throws -> String? {
        guard let out = invocation.value("out") else { return nil }
        if out.isEmpty { throw KcxError.usage("--out needs a file name: where to save the plan") }
        if out == "-" {
            throw KcxError.usage(
                "--out takes a file, not '-': standard output carries the plan as --output shows it",
                hint: "for example: --out plan.json")
        }
        return out
    }
}

struct ApplyOptions: Sendable, Equatable {
    enum Source: Sendable, Equatable {
        /// `-f FILE`: plan now, then apply.
        case file(String)
        /// `apply PLAN`: a plan saved by `kcx plan --out`.
        case saved(String)
    }

    var source: Source
    var prune: Bool
    var autoApprove: Bool
    var parallel: Int
    var format: PlanFormat
    var dryRun: Bool
    var detailedExitcode: Bool
}

extension ApplyOptions: CommandOptions {
    init(_ invocation: Invocation) throws {
        let file = invocation.value("file")
        let saved = invocation.positionals.first
        switch (file, saved) {
        case (let file?, nil): source = .file(file)
        case (nil, let saved?): source = .saved(saved)
        case (_?, let saved?):
            throw KcxError.usage(
                "give either a saved plan ('\(saved)') or --file, not both",
                hint: "kcx apply PLAN applies a saved plan; kcx apply -f FILE plans and applies the file")
        case (nil, nil):
            throw KcxError.usage("--file is required: the declarative file to use (or a saved plan: kcx apply PLAN)")
        }
        prune = invocation.flag("prune")
        if prune, case .saved = source {
            throw KcxError.usage(
                "--prune cannot change a saved plan: whether it prunes was decided by 'kcx plan --out'",
                hint: "drop --prune, or make the plan again with --prune")
        }
        autoApprove = invocation.flag("auto-approve")
        dryRun = invocation.flag("dry-run")
        detailedExitcode = invocation.flag("detailed-exitcode")
        if detailedExitcode && !dryRun {
            throw KcxError.usage("--detailed-exitcode goes with --dry-run (or kcx plan): apply itself exits 0 when it succeeds")
        }
        format = try PlanOptions.format(invocation, allowed: dryRun ? [.text, .json, .markdown] : [.text, .json])
        if let text = invocation.value("parallel") {
            guard let value = Int(text), (1...32).contains(value) else {
                throw KcxError.usage("--parallel takes a number from 1 to 32, not '\(text)'")
            }
            parallel = value
        } else {
            parallel = 4
        }
    }
}

struct ExportOptions: Sendable, Equatable {
    enum Format: String, Sendable { case yaml, json }

    var format: Format
    /// The realm named with -r/--target-realm or --realm; nil: the session's realm.
    var realm: String?
    var clients: [String]
}

extension ExportOptions: CommandOptions {
    init(_ invocation: Invocation) throws {
        let text = invocation.value("output") ?? "yaml"
        guard let format = Format(rawValue: text) else {
            throw KcxError.usage("--output must be 'yaml' or 'json', not '\(text)'")
        }
        self.format = format
        let named = invocation.value("target-realm")
        if let named, let other = invocation.value("realm"), other != named {
            throw KcxError.usage("--realm '\(other)' and -r/--target-realm '\(named)' name different realms: give one")
        }
        realm = named ?? invocation.value("realm")
        clients = invocation.all("client")
    }
}
