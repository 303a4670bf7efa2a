// The plan for machines (`--output json`, schema in docs/plan-format.md) and for reviews
// (`--output markdown`, a table for a pull-request comment). The text form is renderText.
import KcxJSON
import KeycloakKit

extension DeclarativeCommands {
    /// The version of `plan --output json`; raised only when a field changes meaning or goes away.
    static let planJSONVersion: Int64 = 1

    static func planJSON(_ plans: [RealmPlan], requests: Int) -> JSON {
        let (create, update, delete) = counts(plans)
        return .object(
            JSONObject([
                ("version", .int(planJSONVersion)),
                ("realms", .array(plans.map { ["realm": .string($0.realm), "changes": .array($0.changes.map(\.json))] })),
                ("summary", ["create": .int(Int64(create)), "update": .int(Int64(update)), "delete": .int(Int64(delete))]),
                ("requests", .int(Int64(requests))),
            ]))
    }

    static func summaryLine(_ plans: [RealmPlan]) -> String {
        let (create, update, delete) = counts(plans)
        return create + update + delete == 0
            ? "No changes." : "Plan: \(create) to create, \(update) to update, \(delete) to delete."
    }

    /// A compact markdown table per realm. Every server or file value is escaped, so a name cannot
    /// add links, images or HTML to the comment; secret values are already `<redacted>`.
    static func renderMarkdown(_ plans: [RealmPlan]) -> String {
        var out = "### kcx plan\n\n"
        for plan in plans {
            guard !plan.changes.isEmpty else {
                out += "**\(markdown(plan.realm))**: no changes\n\n"
                continue
            }
            let (create, update, delete) = counts([plan])
            out += "**\(markdown(plan.realm))**: \(create) to create, \(update) to update, \(delete) to delete\n\n"
            out += "| | Kind | Name | Details |\n|---|---|---|---|\n"
            for change in plan.changes {
                let verb: String
                switch change.operation {
                case .create: verb = "+ create"
                case .update: verb = "\\~ update"
                case .delete: verb = "- delete"
                }
                out +=
                    "| \(verb) | \(markdown(change.kind)) | \(markdown(change.name)) | \(change.details.map(markdown).joined(separator: "<br>")) |\n"
            }
            out += "\n"
        }
        out += "**\(summaryLine(plans))**\n"
        return out
    }

    /// Text as literal markdown inside a table cell: HTML's special characters as entities; what
    /// makes emphasis, code, links or images (`* _ ` [ ] ~`), and the cell separator, backslash-
    /// escaped; line breaks as spaces. (`+`, `-` and `#` act only at a line's start, never in a cell.)
    static func markdown(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\n", "\r": out += " "
            case "\\", "`", "*", "_", "[", "]", "|", "~":
                out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }
}
