// `GET /admin/serverinfo`: the version and the feature flags, reported as Keycloak's
// ServerInfoRepresentation does (token-exchange.md §3). Providers, themes and the rest are not served.
import Foundation
import KcxJSON
import LoopbackHTTP

enum ServerInfoRoute {
    /// The Keycloak version whose behaviour the sandbox reproduces (the recordings it was checked against).
    static let emulatedVersion = "26.7.1"

    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? {
        guard request.path == "/admin/serverinfo" || request.path == "/admin/serverinfo/" else { return nil }
        guard let caller = AdminAuth.caller(for: request, context) else { return AdminResponse.unauthorized }
        // ServerInfoAdminResource answers any caller holding an admin role in some realm; others get 403.
        let isAdmin = context.store.read { state in
            state.realms.contains { caller.rights(in: $0.name, state).isAdmin }
        }
        guard isAdmin else { return AdminResponse.forbidden }
        guard request.method == "GET" else { return AdminResponse.methodNotAllowed }
        return AdminResponse.json(representation(context))
    }

    /// `systemInfo`, `profileInfo` and `features`, in Keycloak's key order.
    static func representation(_ context: SandboxContext) -> JSON {
        let now = context.now()
        var systemInfo = JSONObject()
        systemInfo["version"] = .string(emulatedVersion)
        systemInfo["serverTime"] = .string(serverTime(now))
        systemInfo["uptimeMillis"] = .int(Int64(uptime() * 1000))
        var info = JSONObject()
        info["systemInfo"] = .object(systemInfo)
        info["profileInfo"] = context.features.serverInfoProfile()
        info["features"] = context.features.serverInfoFeatures()
        return .object(info)
    }

    private static let processStart = Date()

    private static func uptime() -> Double { Date().timeIntervalSince(processStart) }

    /// Java's `Date.toString()` shape (e.g. "Mon Jan 05 10:11:12 UTC 2026"), always in UTC here.
    private static func serverTime(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss zzz yyyy"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
