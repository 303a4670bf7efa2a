// The control API under `/_sandbox/` (only with `--control`, only for loopback clients, never for web
// pages: loopback Host, no Origin, JSON bodies only): fault rules, the clock, expiring every token and
// session, statistics. Not a Keycloak API; documented in docs/sandbox.md.
import KcxJSON
import LoopbackHTTP

enum ControlRoutes {
    /// The answer refusing a request from a loopback peer that a web page could have sent, or nil.
    /// A browser on this machine reaches 127.0.0.1 too: a page could post a form here (CSRF), or
    /// rebind its own host name to 127.0.0.1 and read the answers (DNS rebinding). So the control API
    /// takes only requests addressed to a loopback name (a rebound page sends its own name as `Host`),
    /// no request carrying `Origin` (browsers add it to every cross-origin POST, including body-less
    /// `fetch(…, {mode: "no-cors"})` ones), and only JSON bodies (an HTML form cannot send
    /// `application/json`; any other declared type is refused even on an empty body).
    static func refusal(_ request: ServerRequest) -> ServerResponse? {
        let hosts = request.headers.filter { $0.name.lowercased() == "host" }
        guard hosts.count == 1, isLoopbackAuthority(hosts[0].value) else {
            return error(403, "the control API answers requests addressed to 127.0.0.1, localhost or [::1] only (Host header)")
        }
        if request.header("Origin") != nil {
            return error(403, "the control API refuses requests from web pages (Origin header)")
        }
        let contentType = request.header("Content-Type")
        if contentType != nil || !request.body.isEmpty, !isJSON(contentType) {
            return error(415, "send the body as Content-Type: application/json")
        }
        return nil
    }

    /// `127.0.0.1`, `localhost` or `[::1]`, each with an optional numeric port (any port: the peer
    /// is already known to be local, and a proxy or port mapping may change the number).
    static func isLoopbackAuthority(_ authority: String) -> Bool {
        let text = authority.lowercased()
        for host in ["127.0.0.1", "localhost", "[::1]"] where text.hasPrefix(host) {
            let rest = text.dropFirst(host.count)
            if rest.isEmpty { return true }
            guard rest.first == ":" else { return false }
            let port = rest.dropFirst()
            return (1...5).contains(port.count) && port.allSatisfy { ("0"..."9").contains($0) }
        }
        return false
    }

    /// `application/json`, with or without parameters such as `charset`.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.lowercased().split(separator: " ") == ["application/json"]
    }

    static func handle(_ request: ServerRequest, _ sandbox: Sandbox) -> ServerResponse {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let route = Array(segments.dropFirst())  // drop "_sandbox"
        switch (request.method, route.first, route.count) {
        case ("GET", "faults", 1):
            return json(200, .array(sandbox.faults.all.map(\.json)))
        case ("POST", "faults", 1):
            let body: JSON
            switch parseBody(request) {
            case .success(let parsed): body = parsed
            case .failure(let box): return box.response
            }
            do {
                let rule = try sandbox.faults.add(body)
                return json(201, rule.json, location: "\(sandbox.context.baseURL)/_sandbox/faults/\(rule.id)")
            } catch {
                return self.error(400, "invalid fault rule: \(error.message)")
            }
        case ("DELETE", "faults", 1):
            sandbox.faults.removeAll()
            return ServerResponse(status: 204)
        case ("DELETE", "faults", 2):
            return sandbox.faults.remove(id: route[1]) ? ServerResponse(status: 204) : error(404, "no fault rule '\(route[1])'")
        case ("GET", "stats", 1):
            return json(200, stats(sandbox))
        case ("GET", "clock", 1):
            return json(200, clock(sandbox))
        case ("POST", "clock", 1):
            let body: JSON
            switch parseBody(request) {
            case .success(let parsed): body = parsed
            case .failure(let box): return box.response
            }
            guard body.objectValue?.keys == ["advanceSeconds"], let seconds = body["advanceSeconds"]?.doubleValue, seconds > 0
            else {
                return error(400, "expected {\"advanceSeconds\": N} with N > 0 (the clock only moves forward)")
            }
            sandbox.context.advanceClock(by: seconds)
            return json(200, clock(sandbox))
        case ("POST", "expire-tokens", 1):
            sandbox.expireAllTokensAndSessions()
            return json(200, clock(sandbox))
        case (_, "faults", 1), (_, "faults", 2), (_, "stats", 1), (_, "clock", 1), (_, "expire-tokens", 1):
            return error(405, "method \(request.method) not allowed on \(request.path)")
        default:
            return error(404, "no control endpoint \(request.path) (see docs/sandbox.md)")
        }
    }

    static func stats(_ sandbox: Sandbox) -> JSON {
        var object = JSONObject()
        object["requests"] = .int(Int64(sandbox.handledRequestCount))
        object["acceptedConnections"] = .int(Int64(sandbox.acceptedConnectionCount))
        object["faultsApplied"] = .int(Int64(sandbox.faults.appliedCount))
        object["activeFaultRules"] = .int(Int64(sandbox.faults.all.count))
        object["stateWriteFailures"] = .int(Int64(sandbox.persistFailureCount))
        object["clockOffsetSeconds"] = .double(sandbox.context.clockOffset)
        return .object(object)
    }

    static func clock(_ sandbox: Sandbox) -> JSON {
        .object(JSONObject([("now", .double(sandbox.context.now())), ("offsetSeconds", .double(sandbox.context.clockOffset))]))
    }

    /// The body as JSON (`refusal` has already required the JSON content type for any body).
    private static func parseBody(_ request: ServerRequest) -> Result<JSON, ServerResponseBox> {
        guard isJSON(request.header("Content-Type")) else {
            return .failure(ServerResponseBox(error(415, "send the body as Content-Type: application/json")))
        }
        do {
            return .success(try JSON.parse(request.body))
        } catch {
            return .failure(ServerResponseBox(self.error(400, "invalid JSON: \(error.description)")))
        }
    }

    static func json(_ status: Int, _ body: JSON, location: String? = nil) -> ServerResponse {
        var headers = [("Content-Type", "application/json")]
        if let location { headers.append(("Location", location)) }
        return ServerResponse(status: status, headers: headers, body: body.serializedBytes())
    }

    static func error(_ status: Int, _ message: String) -> ServerResponse {
        json(status, .object(JSONObject([("error", .string(message))])))
    }
}

/// A ready answer carried through `Result`'s failure side.
struct ServerResponseBox: Error {
    let response: ServerResponse
    init(_ response: ServerResponse) { self.response = response }
}
