// Feature flags: Keycloak 26 defaults, --features parsing rules and the serverinfo shapes (token-exchange.md §3, §2.1).
import KcxJSON
import Testing

@testable import KeycloakSandbox

@Suite struct ServerFeatureSetTests {
    // token-exchange.md §3: standard exchange v2 and FGAP v2 are DEFAULT; legacy v1 and FGAP v1 are off.
    @Test func defaultsAreKeycloak26s() {
        let features = FeatureSet.keycloakDefaults
        #expect(features.tokenExchangeV2)
        #expect(features.fineGrainedAuthzV2)
        #expect(!features.tokenExchangeV1)
        #expect(!features.fineGrainedAuthzV1)
        #expect(features.isEnabled(.authorization))
        #expect(!features.isEnabled(.tokenExchangeExternalInternalV2))
        #expect(features.contains("token-exchange-standard:v2"))
        #expect(features.contains("admin-fine-grained-authz"))
        #expect(!features.contains("token-exchange:v1"))
        #expect(!features.contains("token-exchange"))
    }

    // token-exchange.md §2.1: explicitly enabling `admin-fine-grained-authz:v1` replaces the default v2.
    @Test func legacyModeSelectsV1OfBoth() throws {
        let features = try FeatureSet(featuresOption: "token-exchange,admin-fine-grained-authz:v1")
        #expect(features.tokenExchangeV1)
        #expect(features.fineGrainedAuthzV1)
        #expect(!features.fineGrainedAuthzV2)
        #expect(features.tokenExchangeV2)  // V1 and V2 exchange have different keys and run side by side
    }

    @Test func unversionedKeyPicksTheDefaultVersion() throws {
        let features = try FeatureSet(featuresOption: "admin-fine-grained-authz, token-exchange:v1")
        #expect(features.fineGrainedAuthzV2)
        #expect(!features.fineGrainedAuthzV1)
        #expect(features.tokenExchangeV1)
    }

    // token-exchange.md §3, Profile.configure: start-up refusals.
    @Test func refusesWhatKeycloakRefusesAtStartUp() {
        #expect(
            throws: FeatureSetError(
                description:
                    "Multiple versions of the same feature admin-fine-grained-authz:v1, admin-fine-grained-authz:v2 should not be enabled."
            )
        ) {
            try FeatureSet(featuresOption: "admin-fine-grained-authz:v1,admin-fine-grained-authz:v2")
        }
        #expect(
            throws: FeatureSetError(
                description:
                    "Feature token-exchange-standard:v2 should be disabled using the unversioned key token-exchange-standard")
        ) {
            try FeatureSet(featuresOption: "", disabledOption: "token-exchange-standard:v2")
        }
        #expect(
            throws: FeatureSetError(description: "Feature admin-fine-grained-authz:v2 depends on disabled feature authorization")
        ) {
            try FeatureSet(featuresOption: "", disabledOption: "authorization")
        }
        #expect(throws: FeatureSetError(description: "Feature token-exchange cannot be both enabled and disabled")) {
            try FeatureSet(featuresOption: "token-exchange", disabledOption: "token-exchange")
        }
        do {
            _ = try FeatureSet(featuresOption: "token-exchnage")
            Issue.record("an unknown feature was accepted")
        } catch {
            #expect(
                error.description.hasPrefix(
                    "Invalid value for option '--features': token-exchnage. Expected values are: authorization, authorization:v1, account-api, "
                ))
            #expect(
                error.description.contains(
                    "token-exchange, token-exchange:v1, token-exchange-standard, token-exchange-standard:v2"))
        }
    }

    @Test func disablingByUnversionedKeyTurnsEveryVersionOff() throws {
        let features = try FeatureSet(featuresOption: "", disabledOption: "token-exchange-standard,admin-fine-grained-authz")
        #expect(!features.tokenExchangeV2)
        #expect(!features.fineGrainedAuthzV1)
        #expect(!features.fineGrainedAuthzV2)
    }

    // token-exchange.md §3: FeatureRepresentation {name,label,type,enabled,dependencies}; deprecated only when set.
    @Test func serverInfoFeaturesHaveKeycloaksShape() throws {
        let features = try FeatureSet(featuresOption: "token-exchange").serverInfoFeatures().arrayValue ?? []
        #expect(features.count == KeycloakFeature.allCases.count)
        let standard = features.first { $0["name"] == "TOKEN_EXCHANGE_STANDARD_V2" }
        #expect(
            standard?.serialized()
                == #"{"name":"TOKEN_EXCHANGE_STANDARD_V2","label":"Standard Token Exchange version 2","type":"DEFAULT","enabled":true,"dependencies":[]}"#
        )
        let legacy = features.first { $0["name"] == "TOKEN_EXCHANGE" }
        #expect(
            legacy?.serialized()
                == #"{"name":"TOKEN_EXCHANGE","label":"Token Exchange Service","type":"PREVIEW","enabled":true,"deprecated":true,"dependencies":[]}"#
        )
        let fgap2 = features.first { $0["name"] == "ADMIN_FINE_GRAINED_AUTHZ_V2" }
        #expect(
            fgap2?.serialized()
                == #"{"name":"ADMIN_FINE_GRAINED_AUTHZ_V2","label":"Fine-Grained Admin Permissions version 2","type":"DEFAULT","enabled":true,"dependencies":["AUTHORIZATION"]}"#
        )
    }

    @Test func profileInfoListsDisabledPreviewAndExperimentalFeatures() {
        let profile = FeatureSet.keycloakDefaults.serverInfoProfile()
        #expect(profile["name"] == "community")
        let disabled = profile["disabledFeatures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(disabled.contains("TOKEN_EXCHANGE"))
        #expect(disabled.contains("ADMIN_FINE_GRAINED_AUTHZ"))
        #expect(!disabled.contains("TOKEN_EXCHANGE_STANDARD_V2"))
        #expect(disabled == disabled.sorted())
        #expect(
            profile["previewFeatures"]?.arrayValue?.compactMap(\.stringValue) == [
                "ADMIN_FINE_GRAINED_AUTHZ", "CLIENT_SECRET_ROTATION", "RECOVERY_CODES", "SCRIPTS", "TOKEN_EXCHANGE",
                "TOKEN_EXCHANGE_DELEGATION", "UPDATE_EMAIL",
            ])
        #expect(
            profile["experimentalFeatures"]?.arrayValue?.compactMap(\.stringValue) == [
                "CLIENT_TYPES", "DYNAMIC_SCOPES", "TOKEN_EXCHANGE_EXTERNAL_INTERNAL_V2", "TRANSIENT_USERS",
            ])
    }
}
