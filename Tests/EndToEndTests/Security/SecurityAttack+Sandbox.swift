// The rows of docs/security.md's attack table for the 'sandbox' boundary.
extension SecurityAttack {
    static let sandbox: [SecurityAttack] = [
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "A realm admin holding only manage-clients adds realm-admin to the composites of manage-clients (by name and through /roles-by-id) or of a role of a client it created.",
            outcome:
                "403 {\"error\":\"HTTP 403 Forbidden\"} as Keycloak's canMapComposite/checkAdminRoles answer; the master admin reads no new composite and a fresh token of the attacker still gets 403 on users and on the realm.",
            test: "SandboxAttackTests.swift: manageClientsCannotBecomeRealmAdmin"),
        SecurityAttack(
            boundary: "sandbox",
            attack: "The same manage-clients admin maps realm-admin to its own user.",
            outcome:
                "403 {\"error\":\"HTTP 403 Forbidden\"} (user role mappings need manage-users and the role granted); its mappings stay manage-clients alone.",
            test: "SandboxAttackTests.swift: manageClientsCannotBecomeRealmAdmin"),
        SecurityAttack(
            boundary: "sandbox",
            attack: "The same manage-clients admin puts realm-admin in a client's scope mappings to gain its rights.",
            outcome:
                "204, as Keycloak (canMapClientScope is manage-clients alone: a scope mapping grants no role); the attacker's effective roles stay manage-clients and its fresh token still gets 403 on users and on the realm.",
            test: "SandboxAttackTests.swift: scopeMappingRealmAdminGrantsNothing"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "A manage-users admin maps admin roles it does not hold (realm-admin, manage-clients, view-clients, manage-realm, impersonation) to a user, or removes realm-admin from one.",
            outcome:
                "403 {\"error\":\"HTTP 403 Forbidden\"} per role, nothing changed; manage-users, view-users and query-* roles are mapped; /available lists only the mappable roles.",
            test: "AdminRoleGrantTests.swift: userRoleMappingsNeedManageUsersAndTheAdminRolesGranted"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "A master user with master-realm's manage-users maps master's admin or create-realm role, or a role of another realm's admin client (demo-realm), to a user.",
            outcome:
                "403 {\"error\":\"HTTP 403 Forbidden\"}: master's admin roles go only to those who hold them, as in Keycloak's checkAdminRoles.",
            test: "AdminRoleGrantTests.swift: masterAdminRolesAreGrantedOnlyByTheirHolders"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "A web page on the same machine posts a form (urlencoded, text/plain, multipart) to /_sandbox/expire-tokens (CSRF).",
            outcome:
                "415 {\"error\":\"send the body as Content-Type: application/json\"}; the clock is not moved and the admin's token stays valid.",
            test: "SandboxAttackTests.swift: formPostIsRefused"),
        SecurityAttack(
            boundary: "sandbox",
            attack: "A web page sends a body-less cross-origin POST (fetch no-cors) to /_sandbox/expire-tokens.",
            outcome:
                "403 {\"error\":\"the control API refuses requests from web pages (Origin header)\"}; the clock is not moved.",
            test: "SandboxAttackTests.swift: crossOriginIsRefused"),
        SecurityAttack(
            boundary: "sandbox",
            attack: "A web page rebinds its own host name to 127.0.0.1 and calls the control API (DNS rebinding).",
            outcome:
                "403 {\"error\":\"the control API answers requests addressed to 127.0.0.1, localhost or [::1] only (Host header)\"}; the clock is not moved; the Keycloak-compatible API keeps answering any Host.",
            test: "SandboxAttackTests.swift: reboundHostIsRefused"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "Look-alike or missing Host headers on the control API (127.0.0.1.evil.example, localhost., 127.0.0.2, [::2], bad ports, userinfo, empty, none on HTTP/1.0).",
            outcome:
                "403 with the Host refusal for each, the clock untouched; 127.0.0.1, localhost and [::1] with or without a port are served.",
            test: "ControlRequestGateTests.swift: refusesHostsOtherThanLoopbackNames"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "Control requests with a non-JSON body or declared type on any method (DELETE /_sandbox/faults with text/plain, an empty urlencoded POST, a JSON body without Content-Type, application/jsonp).",
            outcome:
                "415 for each; no fault rule removed and the clock untouched; body-less requests without Content-Type and JSON with parameters are served.",
            test: "ControlRequestGateTests.swift: refusesBodiesThatAreNotJSON"),
        SecurityAttack(
            boundary: "sandbox",
            attack:
                "A client-jwt client's token request with a client assertion that was already used, that expired, that was issued more than max-exp (60 s) ago, for another audience, signed by another key, unsigned (`alg: none`), or a client secret instead of an assertion",
            outcome:
                "400 invalid_client with Keycloak's description (`Token reuse detected`, `Token is not active`, `Token was issued too far in the past to be used now`, `Invalid token audience`, `Client authentication with signed JWT failed: Signature on JWT token failed validation`, `Parameter client_assertion_type is missing`); no token is issued",
            test: "KeystoreAttackTests.swift: replayedExpiredOrForeignAssertionIsRefused"),
    ]
}
