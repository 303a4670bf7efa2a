// `GET /realms/{realm}`: the public realm information clients read for the realm's public key
// (python-keycloak's `public_key()`, older adapters).
//
// Source (read, not copied): keycloak/keycloak services/.../resources/PublicRealmResource.java and
// representations/idm/PublishedRealmRepresentation.java (Keycloak 26): `realm`, `public_key` (the
// active RS256 key, base64 SubjectPublicKeyInfo), `token-service`, `account-service`,
// `tokens-not-before`; no authentication; an unknown realm is 404 `Realm does not exist`.
import Foundation
import KcxJSON
import LoopbackHTTP

enum PublicRealm {
    static func handle(_ request: ServerRequest, _ context: SandboxContext) -> ServerResponse? {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count == 2, segments[0] == "realms" else { return nil }
        let realmName = AdminRoutes.percentDecoded(segments[1])
        guard let realm = context.store.read({ $0.realm(named: realmName) }) else { return OIDCResponse.realmNotFound }
        guard request.method == "GET" || request.method == "HEAD" else {
            return OIDCResponse.json(405, JSONObject([("error", "HTTP 405 Method Not Allowed")]), cacheControl: nil)
        }
        let key = context.keys.signingKey(realm: realm.name)
        let base = "\(context.baseURL)/realms/\(AdminPath.encode(realm.name))"
        let body = JSONObject([
            ("realm", .string(realm.name)), ("public_key", .string(Data(key.publicKeyDER).base64EncodedString())),
            ("token-service", .string("\(base)/protocol/openid-connect")), ("account-service", .string("\(base)/account")),
            ("tokens-not-before", .int(realm.representation["notBefore"]?.intValue ?? 0)),
        ])
        return ServerResponse(
            status: 200, headers: [("Content-Type", "application/json;charset=UTF-8"), ("Cache-Control", "no-cache")],
            body: JSON.object(body).serializedBytes())
    }
}
