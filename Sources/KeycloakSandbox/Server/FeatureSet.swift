// Keycloak's feature flags: the catalogue, `--features` / `--features-disabled` parsing with Keycloak's
// start-up rules, and the `GET /admin/serverinfo` representation of them (token-exchange.md §3).
import KcxJSON

/// The type Keycloak gives a feature (`Profile.Feature.Type`).
public enum KeycloakFeatureType: String, Sendable {
    case `default` = "DEFAULT"
    case disabledByDefault = "DISABLED_BY_DEFAULT"
    case preview = "PREVIEW"
    case experimental = "EXPERIMENTAL"
    case deprecated = "DEPRECATED"
}

/// The features the sandbox knows, by Keycloak's enum name (what serverinfo reports). A subset of
/// Keycloak 26's list: the ones kcx's domain touches plus the common ones a console or script checks.
/// Declaration order follows Keycloak's `Profile.Feature` enum (serverinfo lists features in that order).
public enum KeycloakFeature: String, CaseIterable, Sendable {
    case authorization = "AUTHORIZATION"
    case accountAPI = "ACCOUNT_API"
    case accountV3 = "ACCOUNT_V3"
    case adminFineGrainedAuthz = "ADMIN_FINE_GRAINED_AUTHZ"
    case adminFineGrainedAuthzV2 = "ADMIN_FINE_GRAINED_AUTHZ_V2"
    case adminAPI = "ADMIN_API"
    case adminV2 = "ADMIN_V2"
    case docker = "DOCKER"
    case impersonation = "IMPERSONATION"
    case scripts = "SCRIPTS"
    case tokenExchange = "TOKEN_EXCHANGE"
    case tokenExchangeStandardV2 = "TOKEN_EXCHANGE_STANDARD_V2"
    case tokenExchangeExternalInternalV2 = "TOKEN_EXCHANGE_EXTERNAL_INTERNAL_V2"
    case tokenExchangeDelegation = "TOKEN_EXCHANGE_DELEGATION"
    case webAuthn = "WEB_AUTHN"
    case clientPolicies = "CLIENT_POLICIES"
    case ciba = "CIBA"
    case par = "PAR"
    case dynamicScopes = "DYNAMIC_SCOPES"
    case clientSecretRotation = "CLIENT_SECRET_ROTATION"
    case stepUpAuthentication = "STEP_UP_AUTHENTICATION"
    case kerberos = "KERBEROS"
    case recoveryCodes = "RECOVERY_CODES"
    case updateEmail = "UPDATE_EMAIL"
    case fips = "FIPS"
    case dpop = "DPOP"
    case deviceFlow = "DEVICE_FLOW"
    case transientUsers = "TRANSIENT_USERS"
    case organization = "ORGANIZATION"
    case persistentUserSessions = "PERSISTENT_USER_SESSIONS"
    case clientTypes = "CLIENT_TYPES"

    /// The unversioned CLI key (`token-exchange-standard`), shared by every version of a feature.
    public var key: String {
        switch self {
        case .authorization: return "authorization"
        case .accountAPI: return "account-api"
        case .accountV3: return "account"
        case .adminFineGrainedAuthz, .adminFineGrainedAuthzV2: return "admin-fine-grained-authz"
        case .adminAPI: return "admin-api"
        case .adminV2: return "admin"
        case .docker: return "docker"
        case .impersonation: return "impersonation"
        case .scripts: return "scripts"
        case .tokenExchange: return "token-exchange"
        case .tokenExchangeStandardV2: return "token-exchange-standard"
        case .tokenExchangeExternalInternalV2: return "token-exchange-external-internal"
        case .tokenExchangeDelegation: return "token-exchange-delegation"
        case .webAuthn: return "web-authn"
        case .clientPolicies: return "client-policies"
        case .ciba: return "ciba"
        case .par: return "par"
        case .dynamicScopes: return "dynamic-scopes"
        case .clientSecretRotation: return "client-secret-rotation"
        case .stepUpAuthentication: return "step-up-authentication"
        case .kerberos: return "kerberos"
        case .recoveryCodes: return "recovery-codes"
        case .updateEmail: return "update-email"
        case .fips: return "fips"
        case .dpop: return "dpop"
        case .deviceFlow: return "device-flow"
        case .transientUsers: return "transient-users"
        case .organization: return "organization"
        case .persistentUserSessions: return "persistent-user-sessions"
        case .clientTypes: return "client-types"
        }
    }

    public var version: Int {
        switch self {
        case .accountV3: return 3
        case .adminFineGrainedAuthzV2, .adminV2, .tokenExchangeStandardV2, .tokenExchangeExternalInternalV2: return 2
        default: return 1
        }
    }

    /// `token-exchange:v1`, the versioned CLI key.
    public var versionedKey: String { "\(key):v\(version)" }

    public var type: KeycloakFeatureType {
        switch self {
        case .adminFineGrainedAuthz, .scripts, .tokenExchange, .clientSecretRotation, .recoveryCodes, .updateEmail:
            return .preview
        // Reported as a disabled preview by a 26.7.1 server (gloak's notes); its key is our best reading.
        case .tokenExchangeDelegation: return .preview
        case .tokenExchangeExternalInternalV2, .dynamicScopes, .transientUsers, .clientTypes: return .experimental
        case .docker, .fips: return .disabledByDefault
        default: return .default
        }
    }

    /// Marked deprecated in serverinfo (the legacy exchange reports `deprecated: true` in 26.6+).
    public var isDeprecated: Bool { self == .tokenExchange }

    public var label: String {
        switch self {
        case .authorization: return "Authorization Service"
        case .accountAPI: return "Account Management REST API"
        case .accountV3: return "Account Console version 3"
        case .adminFineGrainedAuthz: return "Fine-Grained Admin Permissions"
        case .adminFineGrainedAuthzV2: return "Fine-Grained Admin Permissions version 2"
        case .adminAPI: return "Admin API"
        case .adminV2: return "New Admin Console"
        case .docker: return "Docker Registry protocol"
        case .impersonation: return "Ability for admins to impersonate users"
        case .scripts: return "Write custom authenticators using JavaScript"
        case .tokenExchange: return "Token Exchange Service"
        case .tokenExchangeStandardV2: return "Standard Token Exchange version 2"
        case .tokenExchangeExternalInternalV2: return "External to Internal Token Exchange version 2"
        case .tokenExchangeDelegation: return "Token Exchange Delegation"
        case .webAuthn: return "W3C Web Authentication (WebAuthn)"
        case .clientPolicies: return "Client configuration policies"
        case .ciba: return "OpenID Connect Client Initiated Backchannel Authentication (CIBA)"
        case .par: return "OAuth 2.0 Pushed Authorization Requests (PAR)"
        case .dynamicScopes: return "Dynamic OAuth 2.0 scopes"
        case .clientSecretRotation: return "Client Secret Rotation"
        case .stepUpAuthentication: return "Step-up Authentication"
        case .kerberos: return "Kerberos"
        case .recoveryCodes: return "Recovery codes"
        case .updateEmail: return "Update Email Action"
        case .fips: return "FIPS 140-2 mode"
        case .dpop: return "OAuth 2.0 Demonstrating Proof-of-Possession at the Application Layer"
        case .deviceFlow: return "OAuth 2.0 Device Authorization Grant"
        case .transientUsers: return "Transient users for brokering"
        case .organization: return "Organization support within realms"
        case .persistentUserSessions: return "Persistent online user sessions across restarts and upgrades"
        case .clientTypes: return "Client Types"
        }
    }

    public var dependencies: [KeycloakFeature] {
        switch self {
        case .adminFineGrainedAuthz, .adminFineGrainedAuthzV2: return [.authorization]
        case .accountV3: return [.accountAPI]
        case .adminV2: return [.adminAPI]
        default: return []
        }
    }

    /// Every version sharing this feature's unversioned key, highest version first.
    public static func versions(ofKey key: String) -> [KeycloakFeature] {
        allCases.filter { $0.key == key }.sorted { $0.version > $1.version }
    }
}

/// Why a feature list was refused; the messages follow Keycloak's start-up errors.
public struct FeatureSetError: Error, Equatable, CustomStringConvertible {
    public var description: String
}

/// The enabled features of one sandbox run.
public struct FeatureSet: Sendable, Equatable {
    public private(set) var enabled: Set<KeycloakFeature>

    /// Keycloak 26's defaults: every DEFAULT feature on, previews/experimental/disabled-by-default off.
    public static let keycloakDefaults: FeatureSet = {
        // Cannot fail: no explicit choices.
        try! FeatureSet(enabling: [], disabling: [])
    }()

    public func isEnabled(_ feature: KeycloakFeature) -> Bool { enabled.contains(feature) }

    /// True when the feature named by its CLI key is enabled: `token-exchange:v1`, or an unversioned
    /// `admin-fine-grained-authz` (any of its versions).
    public func contains(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return enabled.contains { $0.versionedKey == lowered || $0.key == lowered }
    }

    /// Legacy token exchange (V1): `token-exchange` on.
    public var tokenExchangeV1: Bool { isEnabled(.tokenExchange) }
    /// Standard token exchange (V2): `token-exchange-standard:v2` on (the 26.x default).
    public var tokenExchangeV2: Bool { isEnabled(.tokenExchangeStandardV2) }
    /// Fine-grained admin permissions v1 (`management/permissions` served; V1 exchange to other clients works).
    public var fineGrainedAuthzV1: Bool { isEnabled(.adminFineGrainedAuthz) }
    /// Fine-grained admin permissions v2 (`management/permissions` answers 501).
    public var fineGrainedAuthzV2: Bool { isEnabled(.adminFineGrainedAuthzV2) }

    /// Parses comma-separated `--features` and `--features-disabled` values (either may be empty).
    public init(featuresOption: String, disabledOption: String = "") throws(FeatureSetError) {
        func split(_ text: String) -> [String] {
            text.split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
                .filter { !$0.isEmpty }
        }
        try self.init(enabling: split(featuresOption), disabling: split(disabledOption))
    }

    /// Applies Keycloak's `Profile.configure` rules: per unversioned key, the unversioned name picks the
    /// default (else highest) version; an explicit `key:vN` picks that version (so `admin-fine-grained-authz:v1`
    /// replaces the default v2); two explicit versions of one key, or disabling by a versioned key, fail.
    public init(enabling: [String], disabling: [String]) throws(FeatureSetError) {
        var explicitlyEnabled: [String: [KeycloakFeature]] = [:]
        var disabledKeys: Set<String> = []
        for name in enabling {
            let versions = try FeatureSet.resolve(name)
            explicitlyEnabled[versions[0].key, default: []].append(
                contentsOf: versions.count == 1 ? versions : [FeatureSet.preferredVersion(versions)])
        }
        for name in disabling {
            let versions = try FeatureSet.resolve(name)
            if name.contains(":") {
                throw FeatureSetError(
                    description: "Feature \(name) should be disabled using the unversioned key \(versions[0].key)")
            }
            disabledKeys.insert(versions[0].key)
        }

        var result: Set<KeycloakFeature> = []
        for key in Set(KeycloakFeature.allCases.map(\.key)) {
            let wanted = Array(Set(explicitlyEnabled[key] ?? []))
            if disabledKeys.contains(key) {
                if !wanted.isEmpty {
                    throw FeatureSetError(description: "Feature \(key) cannot be both enabled and disabled")
                }
                continue
            }
            if wanted.count > 1 {
                let names = wanted.sorted { $0.version < $1.version }.map(\.versionedKey).joined(separator: ", ")
                throw FeatureSetError(description: "Multiple versions of the same feature \(names) should not be enabled.")
            }
            if let choice = wanted.first {
                result.insert(choice)
            } else if let defaultVersion = KeycloakFeature.versions(ofKey: key).first(where: { $0.type == .default }) {
                result.insert(defaultVersion)
            }
        }
        for feature in result.sorted(by: { $0.rawValue < $1.rawValue }) {
            for dependency in feature.dependencies where !result.contains(dependency) {
                throw FeatureSetError(
                    description: "Feature \(feature.versionedKey) depends on disabled feature \(dependency.key)")
            }
        }
        enabled = result
    }

    /// `token-exchange` → all its versions; `token-exchange:v1` → that one. Unknown names fail like Keycloak's option check.
    private static func resolve(_ name: String) throws(FeatureSetError) -> [KeycloakFeature] {
        let lowered = name.lowercased()
        if let exact = KeycloakFeature.allCases.first(where: { $0.versionedKey == lowered }) { return [exact] }
        let versions = KeycloakFeature.versions(ofKey: lowered)
        if !versions.isEmpty { return versions }
        var expected: [String] = []
        for feature in KeycloakFeature.allCases {
            if !expected.contains(feature.key) { expected.append(feature.key) }
            expected.append(feature.versionedKey)
        }
        throw FeatureSetError(
            description:
                "Invalid value for option '--features': \(name). Expected values are: \(expected.joined(separator: ", "))")
    }

    /// For an unversioned key: its DEFAULT version, else the highest.
    private static func preferredVersion(_ versions: [KeycloakFeature]) -> KeycloakFeature {
        versions.first { $0.type == .default } ?? versions[0]
    }

    /// The `features` array of `GET /admin/serverinfo` (`FeatureRepresentation`).
    public func serverInfoFeatures() -> JSON {
        .array(
            KeycloakFeature.allCases.map { feature in
                var object = JSONObject()
                object["name"] = .string(feature.rawValue)
                object["label"] = .string(feature.label)
                object["type"] = .string(feature.type.rawValue)
                object["enabled"] = .bool(isEnabled(feature))
                // `deprecated` is only present when true (FeatureRepresentation); its key position is our choice.
                if feature.isDeprecated { object["deprecated"] = .bool(true) }
                object["dependencies"] = .array(feature.dependencies.map { .string($0.rawValue) })
                return .object(object)
            })
    }

    /// `profileInfo` of `GET /admin/serverinfo` (`ProfileInfoRepresentation`); lists sorted by name (our choice:
    /// Keycloak builds them from hash sets, so no order is promised).
    public func serverInfoProfile() -> JSON {
        let all = KeycloakFeature.allCases
        var object = JSONObject()
        object["name"] = .string("community")
        object["disabledFeatures"] = .array(all.filter { !isEnabled($0) }.map(\.rawValue).sorted().map { .string($0) })
        object["previewFeatures"] = .array(all.filter { $0.type == .preview }.map(\.rawValue).sorted().map { .string($0) })
        object["experimentalFeatures"] = .array(
            all.filter { $0.type == .experimental }.map(\.rawValue).sorted().map { .string($0) })
        return .object(object)
    }
}
