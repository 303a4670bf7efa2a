// `kcx doctor` (best-practice findings for a realm, with a CI exit status) and `kcx graph` (who
// carries whose audience and who may exchange for whom, as text, Mermaid or DOT).
import KcxJSON
import KeycloakKit

public enum SecurityCommands {
    enum Threshold: String, CaseIterable { case warning, error }
    enum GraphFormat: String, CaseIterable { case text, json, mermaid, dot }

    public static let specs: [CommandSpec] = [
        CommandSpec(
            ["doctor"], summary: "Check a realm against audience and token-exchange best practices",
            discussion: """
                Reads the realm (nothing is changed) and reports each finding with its severity, the objects \
                involved, why it matters and the kcx command that fixes it. Checks: public clients allowed to \
                exchange; standard exchange without downscope enforcement; legacy permissions with several \
                policies under UNANIMOUS; audience mappers naming a missing client; audience scopes as realm \
                defaults; clients whose default scopes give tokens more than \(Doctor.maximumDefaultAudiences) \
                audiences; exchange requesters with access tokens living over \(Doctor.maximumRequesterLifespan) s; \
                exchange events not stored; sslRequired none; a plain-http server that is not loopback. \
                With --fail-on, exit status 7 says a finding at or above that severity exists.
                """,
            options: [
                OptionSpec(
                    "fail-on", value: "SEVERITY", "Exit 7 when a finding is at least this severe: warning or error",
                    completion: .choices(["warning", "error"]))
            ] + ProvisioningOptions.reading,
            examples: [
                ExampleSpec("kcx doctor -r myrealm", "List findings"),
                ExampleSpec("kcx doctor -r myrealm --fail-on error --output json", "A CI gate: exit 7 on any error"),
            ],
            handler: doctor),
        CommandSpec(
            ["graph"], summary: "Draw which tokens carry which audiences, and who may exchange for whom",
            discussion: """
                Clients, the audiences their tokens carry (own mappers, default scopes, optional scopes on request) \
                and the exchange rights: standard (the requester's switch and the audiences its scopes reach) and \
                legacy (fine-grained permissions). text is for the terminal; mermaid and dot paste into docs \
                (render dot with 'dot -Tpng').
                """,
            options: [
                ProvisioningOptions.targetRealm,
                SharedOptions.output(
                    GraphFormat.allCases.map(\.rawValue), "text (default), json (the graph as data), mermaid or dot",
                    aliases: ["format"]),
            ],
            examples: [
                ExampleSpec("kcx graph -r myrealm", "The graph in the terminal"),
                ExampleSpec("kcx graph -r myrealm -o dot | dot -Tpng -o realm.png", "A picture with Graphviz"),
            ],
            handler: graph),
    ]

    static func doctor(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let options = try DoctorOptions(invocation)
        let threshold = options.failOn
        let session = try ProvisioningSession(invocation, context)
        let survey = try Lookup(api: session.client, realm: session.realm).survey()
        let findings = Doctor(survey: survey, serverURL: session.client.server).findings()
        if options.output == .json {
            let document: JSON = ["realm": .string(session.realm), "findings": .array(findings.map(\.json))]
            context.stdout.write(document.serialized(.pretty) + "\n")
        } else if findings.isEmpty {
            context.stdout.write("realm \(session.realm): no findings\n")
        } else {
            for finding in findings {
                context.stdout.write(
                    "\(finding.severity.rawValue): \(finding.check): \(finding.objects.joined(separator: ", "))\n")
                context.stdout.write("    why: \(finding.why)\n")
                context.stdout.write("    fix: \(finding.fix)\n")
            }
            let errors = findings.filter { $0.severity == .error }.count
            context.stdout.write(
                "realm \(session.realm): \(findings.count) finding\(findings.count == 1 ? "" : "s") (\(errors) error\(errors == 1 ? "" : "s"))\n"
            )
        }
        guard let threshold else { return .ok }
        let limit: Severity = threshold == .error ? .error : .warning
        return findings.contains { $0.severity >= limit } ? .checkFailed : .ok
    }

    static func graph(_ invocation: Invocation, _ context: CommandContext) throws -> ExitCode {
        let format = try GraphOptions(invocation).output
        let session = try ProvisioningSession(invocation, context)
        let graph = AudienceGraph(survey: try Lookup(api: session.client, realm: session.realm).survey())
        switch format {
        case .json: context.stdout.write(graph.json.serialized(.pretty) + "\n")
        case .text: context.stdout.write(graph.text())
        case .mermaid: context.stdout.write(graph.mermaid())
        case .dot: context.stdout.write(graph.dot())
        }
        return .ok
    }
}
