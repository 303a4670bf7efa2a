// User sessions kept in the realm (`Realm.sessions`): created on password login, kept alive by
// refreshes, ended by logout/revocation, judged by the realm's SSO idle and max lifetimes.
import Foundation
import KcxJSON

enum Sessions {
    /// A new session; expired ones of the realm are dropped first to keep the list short.
    static func create(_ state: inout StoreState, realmIndex: Int, userId: String, clientId: String, now: Double)
        -> UserSession
    {
        let realm = state.realms[realmIndex]
        state.realms[realmIndex].sessions.removeAll { !SessionRules.isActive($0, realm: realm, now: now) }
        let session = UserSession(id: SandboxStore.newId(), userId: userId, clientId: clientId, started: now, lastRefresh: now)
        // No AUTH_TIME note: a 26.7.1 introspection of a password-grant token shows no `auth_time`.
        state.realms[realmIndex].sessions.append(session)
        return session
    }

    /// The session if it exists and is within its idle and max lifetimes.
    static func active(_ realm: Realm, id: String, now: Double) -> UserSession? {
        guard let session = realm.sessions.first(where: { $0.id == id }),
            SessionRules.isActive(session, realm: realm, now: now)
        else { return nil }
        return session
    }

    static func touch(_ state: inout StoreState, realmIndex: Int, id: String, now: Double) {
        if let index = state.realms[realmIndex].sessions.firstIndex(where: { $0.id == id }) {
            state.realms[realmIndex].sessions[index].lastRefresh = now
        }
    }

    @discardableResult
    static func remove(_ state: inout StoreState, realmIndex: Int, id: String) -> Bool {
        let before = state.realms[realmIndex].sessions.count
        state.realms[realmIndex].sessions.removeAll { $0.id == id }
        return state.realms[realmIndex].sessions.count != before
    }

    /// The notes of a service account's transient session, read by the `service_account` scope's mappers.
    static func serviceAccountNotes(clientId: String, address: String) -> JSONObject {
        JSONObject([
            ("client_id", .string(clientId)),
            ("clientHost", .string(address)), ("clientAddress", .string(address)),
        ])
    }
}

extension UserSession {
    var facts: SessionFacts { SessionFacts(id: id, started: started, lastRefresh: lastRefresh) }
}
