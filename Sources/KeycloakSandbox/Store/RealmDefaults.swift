// The settings of a realm Keycloak 26.7 creates from `{"realm":"x"}`, in its key order
// (as a live 26.7.1 returns them); `id`, `realm` and `defaultRole` are filled in per realm.
import KcxJSON

enum RealmDefaults {
    static var representation: JSONObject {
        (try? JSON.parse(source))?.objectValue ?? JSONObject()
    }

    /// Keys a RealmRepresentation may carry beyond the defaults (accepted on create/update, §10.4).
    static let otherKnownKeys: Set<String> = [
        "displayName", "displayNameHtml", "accessTokenLifespanForWebApps", "roles", "groups", "defaultRoles",
        "defaultGroups", "requiredCredentials", "passwordPolicy", "otpPolicyType", "users", "federatedUsers",
        "scopeMappings", "clientScopeMappings", "clients", "clientScopes", "defaultDefaultClientScopes",
        "defaultOptionalClientScopes", "identityProviders", "identityProviderMappers", "protocolMappers",
        "components", "loginTheme", "accountTheme", "adminTheme", "emailTheme", "supportedLocales",
        "defaultLocale", "authenticationFlows", "authenticatorConfig", "requiredActions", "keycloakVersion",
        "userManagedAccessAllowed", "social", "updateProfileOnInitialSocialLogin", "socialProviders",
        "applicationScopeMappings", "applications", "oauthClients", "clientTemplates", "oAuth2DeviceCodeLifespan",
        "oAuth2DevicePollingInterval", "codeSecret", "privateKey", "publicKey", "certificate",
        "localizationTexts", "organizations", "registrationAllowed", "userProfileEnabled", "adminUrl",
        "clientOfflineSessionIdleTimeout", "firstBrokerLoginFlow",
    ]

    private static let source = #"""
        {"id":"","realm":"","notBefore":0,"defaultSignatureAlgorithm":"RS256","revokeRefreshToken":false,
        "refreshTokenMaxReuse":0,"accessTokenLifespan":300,"accessTokenLifespanForImplicitFlow":900,
        "ssoSessionIdleTimeout":1800,"ssoSessionMaxLifespan":36000,"ssoSessionIdleTimeoutRememberMe":0,
        "ssoSessionMaxLifespanRememberMe":0,"offlineSessionIdleTimeout":2592000,
        "offlineSessionMaxLifespanEnabled":false,"offlineSessionMaxLifespan":5184000,"clientSessionIdleTimeout":0,
        "clientSessionMaxLifespan":0,"clientOfflineSessionIdleTimeout":0,"clientOfflineSessionMaxLifespan":0,
        "accessCodeLifespan":60,"accessCodeLifespanUserAction":300,"accessCodeLifespanLogin":1800,
        "actionTokenGeneratedByAdminLifespan":43200,"actionTokenGeneratedByUserLifespan":300,
        "oauth2DeviceCodeLifespan":600,"oauth2DevicePollingInterval":5,"enabled":false,"sslRequired":"external",
        "registrationAllowed":false,"registrationEmailAsUsername":false,"rememberMe":false,"verifyEmail":false,
        "loginWithEmailAllowed":true,"duplicateEmailsAllowed":false,"resetPasswordAllowed":false,
        "editUsernameAllowed":false,"bruteForceProtected":false,"permanentLockout":false,"maxTemporaryLockouts":0,
        "bruteForceStrategy":"MULTIPLE","maxFailureWaitSeconds":900,"minimumQuickLoginWaitSeconds":60,
        "waitIncrementSeconds":60,"quickLoginCheckMilliSeconds":1000,"maxDeltaTimeSeconds":43200,
        "failureFactor":30,"maxSecondaryAuthFailures":0,"requiredCredentials":["password"],"otpPolicyType":"totp",
        "otpPolicyAlgorithm":"HmacSHA1","otpPolicyInitialCounter":0,"otpPolicyDigits":6,
        "otpPolicyLookAheadWindow":1,"otpPolicyPeriod":30,"otpPolicyCodeReusable":false,
        "otpSupportedApplications":["totpAppFreeOTPName","totpAppGoogleName","totpAppMicrosoftAuthenticatorName"],
        "webAuthnPolicyRpEntityName":"keycloak","webAuthnPolicySignatureAlgorithms":["ES256","RS256"],
        "webAuthnPolicyRpId":"","webAuthnPolicyAttestationConveyancePreference":"not specified",
        "webAuthnPolicyAuthenticatorAttachment":"not specified","webAuthnPolicyRequireResidentKey":"not specified",
        "webAuthnPolicyResidentKey":"not specified","webAuthnPolicyUserVerificationRequirement":"not specified",
        "webAuthnPolicyCreateTimeout":0,"webAuthnPolicyAvoidSameAuthenticatorRegister":false,
        "webAuthnPolicyAcceptableAaguids":[],"webAuthnPolicyExtraOrigins":[],
        "webAuthnPolicyPasswordlessRpEntityName":"keycloak",
        "webAuthnPolicyPasswordlessSignatureAlgorithms":["ES256","RS256"],"webAuthnPolicyPasswordlessRpId":"",
        "webAuthnPolicyPasswordlessAttestationConveyancePreference":"not specified",
        "webAuthnPolicyPasswordlessAuthenticatorAttachment":"not specified",
        "webAuthnPolicyPasswordlessRequireResidentKey":"not specified",
        "webAuthnPolicyPasswordlessResidentKey":"required",
        "webAuthnPolicyPasswordlessUserVerificationRequirement":"required",
        "webAuthnPolicyPasswordlessCreateTimeout":0,"webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister":false,
        "webAuthnPolicyPasswordlessAcceptableAaguids":[],"webAuthnPolicyPasswordlessExtraOrigins":[],
        "browserSecurityHeaders":{"contentSecurityPolicyReportOnly":"","xContentTypeOptions":"nosniff",
        "referrerPolicy":"no-referrer","xRobotsTag":"none","xFrameOptions":"SAMEORIGIN",
        "contentSecurityPolicy":"frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
        "strictTransportSecurity":"max-age=31536000; includeSubDomains"},"smtpServer":{},"eventsEnabled":false,
        "eventsListeners":["jboss-logging"],"enabledEventTypes":[],"adminEventsEnabled":false,
        "adminEventsDetailsEnabled":false,"internationalizationEnabled":false,"browserFlow":"browser",
        "registrationFlow":"registration","directGrantFlow":"direct grant","resetCredentialsFlow":"reset credentials",
        "clientAuthenticationFlow":"clients","dockerAuthenticationFlow":"docker auth",
        "firstBrokerLoginFlow":"first broker login","attributes":{"cibaBackchannelTokenDeliveryMode":"poll",
        "cibaExpiresIn":"120","cibaAuthRequestedUserHint":"login_hint","oauth2DeviceCodeLifespan":"600",
        "oauth2DevicePollingInterval":"5","parRequestUriLifespan":"60","cibaInterval":"5",
        "realmReusableOtpCode":"false"},"userManagedAccessAllowed":false,"organizationsEnabled":false,
        "verifiableCredentialsEnabled":false,"adminPermissionsEnabled":false,"scimApiEnabled":false,
        "clientProfiles":{"profiles":[]},"clientPolicies":{"policies":[]}}
        """#
}
