// Client policies on a token-exchange request (TOKEN_EXCHANGE_REQUEST): which enabled policies apply
// and the `downscope-assertion-grant-enforcer` executor (client-policies-events.md §1.5–§1.7).
import KcxJSON

/// A `ClientPolicyException`: answered as `{"error","error_description"}` with `status`.
struct ClientPolicyRejection: Error, Equatable {
    var status = 400
    var error: String
    var detail: String
}

enum ClientPolicyEnforcement {
    enum Vote { case yes, no, abstain }

    /// Runs the realm's enabled policies for a token exchange. On success, the scope names the
    /// token may carry when a downscope executor ran (nil: no restriction).
    static func onTokenExchange(realm: Realm, requester: Client, form: FormBody) -> Result<Set<String>?, ClientPolicyRejection> {
        let profiles = ClientPolicyStore.profiles(realm) + GlobalClientProfiles.profiles
        var restricted: Set<String>? = nil
        for policy in ClientPolicyStore.policies(realm) where policy["enabled"]?.boolValue == true {
            guard applies(policy, realm: realm, requester: requester, form: form) else { continue }
            for name in policy["profiles"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                // A profile dropped after the policy was written is skipped (PROFILE NOT FOUND, §1.4).
                guard let profile = profiles.first(where: { $0["name"]?.stringValue == name }) else { continue }
                for executor in profile["executors"]?.arrayValue ?? []
                where executor["executor"]?.stringValue == "downscope-assertion-grant-enforcer" {
                    switch downscope(realm: realm, requester: requester, form: form) {
                    case .failure(let rejection): return .failure(rejection)
                    case .success(let scopes): restricted = scopes
                    }
                }
            }
        }
        return .success(restricted)
    }

    /// DEFAULT mode: no NO and at least one YES; STRICT: every condition YES. No conditions: never.
    static func applies(_ policy: JSON, realm: Realm, requester: Client, form: FormBody) -> Bool {
        let strict = policy["mode"]?.stringValue == "STRICT"
        var sawYes = false
        for condition in policy["conditions"]?.arrayValue ?? [] {
            switch vote(condition, realm: realm, requester: requester, form: form) {
            case .no: return false
            case .abstain: if strict { return false }
            case .yes: sawYes = true
            }
        }
        return sawYes
    }

    static func vote(_ condition: JSON, realm: Realm, requester: Client, form: FormBody) -> Vote {
        let configuration = condition["configuration"]?.objectValue ?? JSONObject()
        let raw: Vote
        switch condition["condition"]?.stringValue {
        case "any-client": raw = .yes
        case "grant-type":
            let types = configuration["grant_types"]?.arrayValue?.compactMap(\.stringValue) ?? []
            raw = types.contains(GrantType.tokenExchange) ? .yes : .no
        case "client-scopes":
            let listed = Set(configuration["scopes"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let defaults = requester.defaultScopeIds.compactMap { realm.clientScope(id: $0)?.name }
            let requested = Set(TokenClaims.words(form.first("scope")))
            let optional = requester.optionalScopeIds.compactMap { realm.clientScope(id: $0)?.name }.filter {
                requested.contains($0)
            }
            let byDefault = defaults.contains { listed.contains($0) }
            let byOptional = optional.contains { listed.contains($0) }
            // Choice: a missing or unknown `type` matches nothing (Keycloak's switch(null) is UNVERIFIED, §1.7).
            switch configuration["type"]?.stringValue {
            case "Default": raw = byDefault ? .yes : .no
            case "Optional": raw = byOptional ? .yes : .no
            case "Any": raw = byDefault || byOptional ? .yes : .no
            default: raw = .no
            }
        default:
            // client-roles, client-access-type, client-attributes and the updater conditions do not
            // handle TOKEN_EXCHANGE_REQUEST.
            return .abstain
        }
        guard configuration["is-negative-logic"]?.boolValue == true else { return raw }
        return raw == .yes ? .no : .yes
    }

    /// DownscopeAssertionGrantEnforcerExecutor on TOKEN_EXCHANGE_REQUEST (§1.6).
    static func downscope(realm: Realm, requester: Client, form: FormBody) -> Result<Set<String>, ClientPolicyRejection> {
        guard form.first("subject_token_type") == TokenType.accessToken else {
            return .failure(
                ClientPolicyRejection(
                    error: "invalid_request", detail: "Parameter 'subject_token' should be access_token for the executor"))
        }
        // The claim is read without verifying the signature.
        guard let token = form.first("subject_token"), let decoded = SandboxJWT.decode(token) else {
            return .failure(ClientPolicyRejection(error: "invalid_request", detail: "Assertion contains an invalid access token"))
        }
        let tokenScopes = JavaHashSet.ordered(TokenClaims.words(decoded.claims["scope"]?.stringValue))
        let tokenSet = Set(tokenScopes)
        let missing = JavaHashSet.ordered(TokenClaims.words(form.first("scope")).filter { !tokenSet.contains($0) })
        if !missing.isEmpty {
            return .failure(
                ClientPolicyRejection(
                    error: "invalid_scope",
                    detail:
                        "Scopes [\(missing.joined(separator: ", "))] not present in the initial access token [\(tokenScopes.joined(separator: ", "))]"
                ))
        }
        var allowed = tokenSet
        for id in requester.defaultScopeIds {
            guard let scope = realm.clientScope(id: id), scope.attributes["include.in.token.scope"]?.stringValue == "false" else {
                continue
            }
            allowed.insert(scope.name)
        }
        return .success(allowed)
    }
}

/// Iteration order of a `java.util.HashSet<String>` built from a list, so `Set.toString()` texts match
/// Keycloak's byte for byte (bucket order by spread String.hashCode, insertion order within a bucket).
enum JavaHashSet {
    static func ordered(_ items: [String]) -> [String] {
        var unique: [String] = []
        for item in items where !unique.contains(item) { unique.append(item) }
        // new HashSet<>(collection): capacity max(size/.75 + 1, 16), rounded up to a power of two.
        let wanted = max(Int(Double(unique.count) / 0.75) + 1, 16)
        var capacity = 1
        while capacity < wanted { capacity <<= 1 }
        func bucket(_ text: String) -> Int {
            var hash: Int32 = 0
            for unit in text.utf16 { hash = hash &* 31 &+ Int32(unit) }
            let bits = UInt32(bitPattern: hash)
            return Int((bits ^ (bits >> 16)) & UInt32(capacity - 1))
        }
        return unique.enumerated().sorted { (bucket($0.element), $0.offset) < (bucket($1.element), $1.offset) }.map(\.element)
    }
}
