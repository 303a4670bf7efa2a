// Verification of presented access tokens, for admin authorization and userinfo: signature by the
// issuing realm's key, `Bearer` type, expiry, revocation, live session, existing enabled user and client.
import Foundation
import KcxJSON

/// A bearer token the sandbox issued and still honours.
public struct VerifiedToken: Sendable {
    public let realmName: String
    /// The user's id: `sub`, or for lightweight tokens (no `sub`) the session's user.
    public let userId: String
    /// The `azp` clientId.
    public let clientId: String
    /// `sid`; nil for transient sessions (client credentials).
    public let sessionId: String?
    public let claims: JSONObject
}

/// Why a token is refused; userinfo turns these into its `WWW-Authenticate` reasons.
enum TokenRejection: Error, Equatable {
    case malformed
    case badSignature
    case notBearer
    case expired
    case revoked
    case sessionNotActive
    case unknownUser
    case userDisabled
    case clientGone
}

/// The token if the sandbox issued it and it is still valid now (AuthenticationManager.verifyIdentityToken).
public func verifyAccessToken(_ token: String, context: SandboxContext) -> VerifiedToken? {
    try? AccessTokenVerifier.verify(token, context: context).get()
}

enum AccessTokenVerifier {
    /// The realm a token claims to come from, by its `iss` under this server's base URL.
    static func realmName(of claims: JSONObject, baseURL: String) -> String? {
        guard let issuer = claims["iss"]?.stringValue, issuer.hasPrefix(baseURL + "/realms/") else { return nil }
        let name = String(issuer.dropFirst(baseURL.count + "/realms/".count))
        return name.isEmpty || name.contains("/") ? nil : name
    }

    static func verify(_ token: String, context: SandboxContext, expectedRealm: String? = nil)
        -> Result<VerifiedToken, TokenRejection>
    {
        let claims: JSONObject
        let realmName: String
        if let cached = context.keys.cachedVerification(of: token) {
            // Signed by a realm's current key and parsed before: only the per-request checks remain.
            guard let issuerRealm = self.realmName(of: cached.claims, baseURL: context.baseURL), issuerRealm == cached.realm
            else { return .failure(.malformed) }
            if let expectedRealm, expectedRealm != issuerRealm { return .failure(.badSignature) }
            (claims, realmName) = (cached.claims, issuerRealm)
        } else {
            // Decoded once: the issuer names the realm whose key must have signed it.
            guard let decoded = SandboxJWT.decode(token),
                let issuerRealm = self.realmName(of: decoded.claims, baseURL: context.baseURL)
            else { return .failure(.malformed) }
            if let expectedRealm, expectedRealm != issuerRealm { return .failure(.badSignature) }
            guard let key = SandboxJWT.signingKey(of: decoded, realm: issuerRealm, keys: context.keys) else {
                return .failure(.badSignature)
            }
            context.keys.rememberVerification(of: token, realm: issuerRealm, key: key, claims: decoded.claims)
            (claims, realmName) = (decoded.claims, issuerRealm)
        }
        let now = context.now()
        return context.store.read { state in
            guard let realm = state.realm(named: realmName) else { return .failure(.badSignature) }
            return check(claims, realm: realm, now: now)
        }
    }

    /// The checks after the signature, against one consistent store state.
    static func check(_ claims: JSONObject, realm: Realm, now: Double) -> Result<VerifiedToken, TokenRejection> {
        guard claims["typ"]?.stringValue == "Bearer" else { return .failure(.notBearer) }
        guard let exp = claims["exp"]?.intValue, Double(exp) >= now.rounded(.down) else { return .failure(.expired) }
        if let jti = claims["jti"]?.stringValue, Revocations.isRevoked(jti, in: realm) { return .failure(.revoked) }
        guard let azp = claims["azp"]?.stringValue, let client = realm.client(clientId: azp), client.enabled else {
            return .failure(.clientGone)
        }
        let sessionId = claims["sid"]?.stringValue
        var userId = claims["sub"]?.stringValue
        if let sessionId {
            guard let session = Sessions.active(realm, id: sessionId, now: now) else { return .failure(.sessionNotActive) }
            if let userId, userId != session.userId { return .failure(.sessionNotActive) }
            userId = session.userId
        }
        guard let userId, let user = realm.user(id: userId) else { return .failure(.unknownUser) }
        guard user.enabled else { return .failure(.userDisabled) }
        return .success(
            VerifiedToken(realmName: realm.name, userId: userId, clientId: azp, sessionId: sessionId, claims: claims))
    }
}

/// Access tokens revoked through `/revoke`, kept per realm as `{jti: exp}` until they expire.
enum Revocations {
    static let key = "oidc.revokedAccessTokens"

    static func isRevoked(_ jti: String, in realm: Realm) -> Bool {
        realm.extensions[key]?[jti] != nil
    }

    static func revoke(_ state: inout StoreState, realmIndex: Int, jti: String, expiry: Int64, now: Double) {
        var revoked = state.realms[realmIndex].extensions[key]?.objectValue ?? JSONObject()
        for (id, exp) in revoked where Double(exp.intValue ?? 0) < now { revoked.removeValue(forKey: id) }
        revoked[jti] = .int(expiry)
        state.realms[realmIndex].extensions[key] = .object(revoked)
    }
}
