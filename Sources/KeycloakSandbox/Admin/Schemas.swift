// The field types of every representation the sandbox reads from a request body, as Keycloak's
// representation classes declare them (org.keycloak.representations.idm.*). AdminBody.bind coerces
// and refuses by these tables, as Jackson does; unknown fields are a 400 (admin-api.md §10.4) except
// for the classes in `ignoresUnknownFields`.
import KcxJSON

enum Schemas {
    static let protocolMapper: [String: FieldKind] = [
        "id": .string, "name": .string, "protocol": .string, "protocolMapper": .string, "consentRequired": .bool,
        "consentText": .string, "config": .stringMap,
    ]

    static let client: [String: FieldKind] = [
        "id": .string, "clientId": .string, "name": .string, "description": .string, "type": .string,
        "rootUrl": .string, "adminUrl": .string, "baseUrl": .string, "surrogateAuthRequired": .bool,
        "enabled": .bool, "alwaysDisplayInConsole": .bool, "clientAuthenticatorType": .string, "secret": .string,
        "registrationAccessToken": .string, "defaultRoles": .stringArray, "redirectUris": .stringArray,
        "webOrigins": .stringArray, "notBefore": .int, "bearerOnly": .bool, "consentRequired": .bool,
        "standardFlowEnabled": .bool, "implicitFlowEnabled": .bool, "directAccessGrantsEnabled": .bool,
        "serviceAccountsEnabled": .bool, "authorizationServicesEnabled": .bool, "directGrantsOnly": .bool,
        "publicClient": .bool, "frontchannelLogout": .bool, "protocol": .string, "attributes": .stringMap,
        "authenticationFlowBindingOverrides": .object, "fullScopeAllowed": .bool,
        "nodeReRegistrationTimeout": .int, "registeredNodes": .object, "protocolMappers": .objects(protocolMapper),
        "clientTemplate": .string, "useTemplateConfig": .bool, "useTemplateScope": .bool,
        "useTemplateMappers": .bool, "defaultClientScopes": .stringArray, "optionalClientScopes": .stringArray,
        "authorizationSettings": .object, "access": .object, "origin": .string,
    ]

    static let user: [String: FieldKind] = [
        "id": .string, "username": .string, "firstName": .string, "lastName": .string, "email": .string,
        "emailVerified": .bool, "attributes": .object, "userProfileMetadata": .object, "enabled": .bool,
        "self": .string, "origin": .string, "createdTimestamp": .long, "totp": .bool,
        "federationLink": .string, "serviceAccountClientId": .string, "credentials": .objects(credential),
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
        "id": .string, "type": .string, "userLabel": .string, "createdDate": .long, "secretData": .string,
        "credentialData": .string, "priority": .int, "value": .string, "temporary": .bool, "device": .string,
        "hashedSaltedValue": .string, "salt": .string, "hashIterations": .int, "counter": .int,
        "algorithm": .string, "digits": .int, "period": .int, "config": .object, "federationLink": .string,
    ]

    /// ClientScopeRepresentation.
    static let clientScope: [String: FieldKind] = [
        "id": .string, "name": .string, "description": .string, "type": .string, "protocol": .string,
        "attributes": .stringMap, "protocolMappers": .objects(protocolMapper),
    ]

    /// ManagementPermissionReference (`…/management/permissions`).
    static let managementPermission: [String: FieldKind] = ["enabled": .bool, "resource": .string, "scopePermissions": .object]

    /// AbstractPolicyRepresentation and ClientPolicyRepresentation (`…/authz/resource-server/policy/client`).
    static let clientPolicy: [String: FieldKind] = [
        "id": .string, "name": .string, "description": .string, "type": .string, "policies": .stringArray,
        "resources": .stringArray, "scopes": .stringArray, "logic": .string, "decisionStrategy": .string,
        "owner": .string, "resourceType": .string, "clients": .stringArray, "config": .stringMap,
    ]

    /// PartialImportRepresentation (`…/partialImport`); only its clients are imported.
    static let partialImport: [String: FieldKind] = [
        "ifResourceExists": .string, "policy": .string, "clients": .objects(client), "users": .objects(user),
    ]

    /// Classes read with unknown fields ignored (the sandbox has always accepted them on these routes).
    static let ignoresUnknownFields: Set<String> = ["ClientScopeRepresentation"]

    /// Realm fields: every key of a realm Keycloak emits, typed by its default value (a Boolean, an
    /// Integer, a String...), plus the importable collections, whose elements bind as their own classes.
    static let realm: [String: FieldKind] = {
        var schema: [String: FieldKind] = [:]
        for (key, value) in RealmDefaults.representation {
            switch value {
            case .bool: schema[key] = .bool
            case .int: schema[key] = .int
            case .string: schema[key] = .string
            case .array(let items) where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }): schema[key] = .stringArray
            default: schema[key] = .any
            }
        }
        for key in RealmDefaults.otherKnownKeys where schema[key] == nil { schema[key] = .any }
        for key in [
            "displayName", "displayNameHtml", "passwordPolicy", "otpPolicyType", "loginTheme", "accountTheme",
            "adminTheme", "emailTheme", "defaultLocale", "keycloakVersion", "codeSecret", "privateKey", "publicKey",
            "certificate", "adminUrl",
        ] {
            schema[key] = .string
        }
        for key in ["registrationAllowed", "userManagedAccessAllowed", "userProfileEnabled"] { schema[key] = .bool }
        schema["attributes"] = .stringMap
        schema["clients"] = .objects(client)
        schema["users"] = .objects(user)
        schema["clientScopes"] = .objects(clientScope)
        schema["defaultRole"] = .object
        schema["enabled"] = .bool
        schema["realm"] = .string
        schema["id"] = .string
        return schema
    }()
}
