// The fields each strictly-bound representation knows (unknown ones are a 400, admin-api.md §10.4).
import KcxJSON

enum Schemas {
    static let protocolMapper: [String: FieldKind] = [
        "id": .string, "name": .string, "protocol": .string, "protocolMapper": .string, "consentRequired": .bool,
        "consentText": .string, "config": .object,
    ]

    static let client: [String: FieldKind] = [
        "id": .string, "clientId": .string, "name": .string, "description": .string, "type": .string,
        "rootUrl": .string, "adminUrl": .string, "baseUrl": .string, "surrogateAuthRequired": .bool,
        "enabled": .bool, "alwaysDisplayInConsole": .bool, "clientAuthenticatorType": .string, "secret": .string,
        "registrationAccessToken": .string, "defaultRoles": .stringArray, "redirectUris": .stringArray,
        "webOrigins": .stringArray, "notBefore": .int, "bearerOnly": .bool, "consentRequired": .bool,
        "standardFlowEnabled": .bool, "implicitFlowEnabled": .bool, "directAccessGrantsEnabled": .bool,
        "serviceAccountsEnabled": .bool, "authorizationServicesEnabled": .bool, "directGrantsOnly": .bool,
        "publicClient": .bool, "frontchannelLogout": .bool, "protocol": .string, "attributes": .object,
        "authenticationFlowBindingOverrides": .object, "fullScopeAllowed": .bool,
        "nodeReRegistrationTimeout": .int, "registeredNodes": .object, "protocolMappers": .array,
        "clientTemplate": .string, "useTemplateConfig": .bool, "useTemplateScope": .bool,
        "useTemplateMappers": .bool, "defaultClientScopes": .stringArray, "optionalClientScopes": .stringArray,
        "authorizationSettings": .object, "access": .object, "origin": .string,
    ]

    static let user: [String: FieldKind] = [
        "id": .string, "username": .string, "firstName": .string, "lastName": .string, "email": .string,
        "emailVerified": .bool, "attributes": .object, "userProfileMetadata": .object, "enabled": .bool,
        "self": .string, "origin": .string, "createdTimestamp": .int, "totp": .bool,
        "federationLink": .string, "serviceAccountClientId": .string, "credentials": .array,
        "disableableCredentialTypes": .stringArray, "requiredActions": .stringArray,
        "federatedIdentities": .array, "realmRoles": .stringArray, "clientRoles": .object,
        "clientConsents": .array, "notBefore": .int, "applicationRoles": .object, "socialLinks": .array,
        "groups": .stringArray, "access": .object,
    ]

    static let role: [String: FieldKind] = [
        "id": .string, "name": .string, "description": .string, "scopeParamRequired": .bool, "composite": .bool,
        "composites": .object, "clientRole": .bool, "containerId": .string, "attributes": .object,
    ]

    static let credential: [String: FieldKind] = [
        "id": .string, "type": .string, "userLabel": .string, "createdDate": .int, "secretData": .string,
        "credentialData": .string, "priority": .int, "value": .string, "temporary": .bool, "device": .string,
        "hashedSaltedValue": .string, "salt": .string, "hashIterations": .int, "counter": .int,
        "algorithm": .string, "digits": .int, "period": .int, "config": .object, "federationLink": .string,
    ]

    /// Realm fields: every key of a realm Keycloak emits, plus the importable collections.
    static var realm: [String: FieldKind] {
        var schema: [String: FieldKind] = [:]
        for (key, _) in RealmDefaults.representation { schema[key] = .any }
        for key in RealmDefaults.otherKnownKeys { schema[key] = .any }
        schema["defaultRole"] = .object
        schema["enabled"] = .bool
        schema["realm"] = .string
        schema["id"] = .string
        return schema
    }
}
