// The realm's audience and exchange graph: which client's tokens carry which audiences (and
// through which scope or mapper), and who may exchange for whom, rendered as text, Mermaid or DOT.
import KcxJSON

public struct AudienceGraph: Sendable, Equatable {
    public enum Edge: Sendable, Equatable {
        /// A client's tokens carry an audience: via `client` (own mapper), or a default/optional scope.
        case carries(client: String, audience: String, via: String, onRequest: Bool)
        /// A requester may exchange a token for a target's audience.
        case exchange(requester: String, target: String, mechanism: String)
    }

    public struct Node: Sendable, Equatable {
        public let clientId: String
        public let publicClient: Bool
        public let standardExchange: Bool
    }

    public let realm: String
    public let nodes: [Node]
    public let edges: [Edge]

    /// Builds the graph from a survey: only clients, audiences and exchange rights, sorted so the picture is stable.
    public init(survey: RealmSurvey) {
        realm = survey.realm
        var nodes = survey.clients.map {
            Node(clientId: $0.clientId, publicClient: $0.publicClient, standardExchange: $0.standardExchange)
        }
        var edges: [Edge] = []
        for client in survey.clients.sorted(by: { $0.clientId < $1.clientId }) {
            for site in survey.audienceMappers where site.inAccessToken {
                switch site.container {
                case .client(let name) where name == client.clientId:
                    edges.append(.carries(client: client.clientId, audience: site.audience, via: "own mapper", onRequest: false))
                case .clientScope(let scope) where client.defaultScopes.contains(scope):
                    edges.append(
                        .carries(
                            client: client.clientId, audience: site.audience, via: "default scope \(scope)", onRequest: false))
                case .clientScope(let scope) where client.optionalScopes.contains(scope):
                    edges.append(
                        .carries(
                            client: client.clientId, audience: site.audience, via: "optional scope \(scope)", onRequest: true))
                default: break
                }
            }
            // Standard exchange reaches the audiences the requester's own scopes can put in a token.
            if client.standardExchange {
                for audience in survey.audiences(of: client, includeOptional: true) where audience != client.clientId {
                    edges.append(.exchange(requester: client.clientId, target: audience, mechanism: "standard"))
                }
            }
        }
        for permission in survey.legacyPermissions.sorted(by: { $0.target < $1.target }) {
            for requester in permission.requesters.sorted() {
                edges.append(.exchange(requester: requester, target: permission.target, mechanism: "legacy"))
            }
        }
        // Audiences that are not clients of the realm still appear, as plain names.
        for edge in edges {
            if case .carries(_, let audience, _, _) = edge, !nodes.contains(where: { $0.clientId == audience }) {
                nodes.append(Node(clientId: audience, publicClient: false, standardExchange: false))
            }
        }
        self.nodes = nodes.sorted { $0.clientId < $1.clientId }
        self.edges = edges
    }

    /// `kcx graph -o json`: the nodes and edges as data.
    public var json: JSON {
        let nodeList = nodes.map { node -> JSON in
            [
                "client": .string(node.clientId), "public": .bool(node.publicClient),
                "standardExchange": .bool(node.standardExchange),
            ]
        }
        let edgeList = edges.map { edge -> JSON in
            switch edge {
            case .carries(let client, let audience, let via, let onRequest):
                return [
                    "kind": "carries", "client": .string(client), "audience": .string(audience), "via": .string(via),
                    "onRequest": .bool(onRequest),
                ]
            case .exchange(let requester, let target, let mechanism):
                return [
                    "kind": "exchange", "requester": .string(requester), "target": .string(target),
                    "mechanism": .string(mechanism),
                ]
            }
        }
        return ["realm": .string(realm), "nodes": .array(nodeList), "edges": .array(edgeList)]
    }

    func label(_ node: Node) -> String {
        var notes: [String] = []
        if node.publicClient { notes.append("public") }
        if node.standardExchange { notes.append("exchange on") }
        return notes.isEmpty ? node.clientId : "\(node.clientId) (\(notes.joined(separator: ", ")))"
    }

    /// For the terminal: one section per kind of edge.
    public func text() -> String {
        var lines = ["realm \(realm)", "", "clients:"]
        lines += nodes.map { "  \(label($0))" }
        lines += ["", "tokens carry (client -> audience, via):"]
        var carried = false
        for case .carries(let client, let audience, let via, let onRequest) in edges {
            lines.append("  \(client) -> \(audience)  [\(via)\(onRequest ? ", on request" : "")]")
            carried = true
        }
        if !carried { lines.append("  (none)") }
        lines += ["", "may exchange (requester => target):"]
        var exchanged = false
        for case .exchange(let requester, let target, let mechanism) in edges {
            lines.append("  \(requester) => \(target)  [\(mechanism)]")
            exchanged = true
        }
        if !exchanged { lines.append("  (none)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mermaid flowchart: solid arrows for audiences, thick arrows for exchange rights.
    public func mermaid() -> String {
        var lines = ["flowchart LR"]
        for node in nodes { lines.append("  \(identifier(node.clientId))[\"\(escapeQuotes(label(node)))\"]") }
        for edge in edges {
            switch edge {
            case .carries(let client, let audience, let via, let onRequest):
                let arrow = onRequest ? "-.->" : "-->"
                lines.append("  \(identifier(client)) \(arrow)|\"aud via \(escapeQuotes(via))\"| \(identifier(audience))")
            case .exchange(let requester, let target, let mechanism):
                lines.append("  \(identifier(requester)) ==>|\"exchange (\(mechanism))\"| \(identifier(target))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Graphviz DOT: audiences blue (dashed when only on request), exchange rights red and bold.
    public func dot() -> String {
        var lines = ["digraph \"\(escapeQuotes(realm))\" {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
        for node in nodes {
            let shape = node.publicClient ? ", style=\"rounded,dashed\"" : ""
            lines.append("  \"\(escapeQuotes(node.clientId))\" [label=\"\(escapeQuotes(label(node)))\"\(shape)];")
        }
        for edge in edges {
            switch edge {
            case .carries(let client, let audience, let via, let onRequest):
                lines.append(
                    "  \"\(escapeQuotes(client))\" -> \"\(escapeQuotes(audience))\" [label=\"aud via \(escapeQuotes(via))\", color=blue\(onRequest ? ", style=dashed" : "")];"
                )
            case .exchange(let requester, let target, let mechanism):
                lines.append(
                    "  \"\(escapeQuotes(requester))\" -> \"\(escapeQuotes(target))\" [label=\"exchange (\(mechanism))\", color=red, penwidth=2];"
                )
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Mermaid ids allow letters, digits and underscores only.
    func identifier(_ name: String) -> String {
        "c_"
            + String(
                name.unicodeScalars.map { scalar -> Character in
                    let ascii = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
                    return ascii ? Character(scalar) : "_"
                })
    }

    func escapeQuotes(_ text: String) -> String {
        String(text.flatMap { $0 == "\"" ? Array("\\\"") : [$0] })
    }
}
