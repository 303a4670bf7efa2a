// The client scopes Keycloak 26.7 creates in every realm, with their mappers, in Keycloak's order
// (as a live 26.7.1 lists them for a pristine realm), and the realm default/optional lists.
import KcxJSON

enum BuiltinClientScopes {
    /// Realm default scopes of a new realm, in Keycloak's insertion order (admin-api.md §2.4).
    static let realmDefaults = [
        "role_list", "saml_organization", "AuthnContextClassRef", "profile", "email", "roles", "web-origins", "acr",
        "basic",
    ]
    static let realmOptionals = ["offline_access", "address", "phone", "microprofile-jwt", "organization"]

    /// The scopes as ClientScopeRepresentations without ids (ids are generated per realm).
    static var representations: [JSONObject] {
        // Parsed on each realm creation: a few microseconds, and no shared mutable state.
        guard case .array(let scopes) = try! JSON.parse(source) else { return [] }
        return scopes.compactMap { $0.objectValue }
    }

    /// The scopes as JSON; `ATTR(name, user attribute, claim, type)` and `PROFILE_MAPPERS` are
    /// expanded below to keep the repetitive user-attribute mappers short.
    private static let source = #"""
        [
         {"name":"email","description":"OpenID Connect built-in scope: email","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","consent.screen.text":"${emailScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           {"name":"email verified","protocol":"openid-connect","protocolMapper":"oidc-usermodel-property-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","userinfo.token.claim":"true","user.attribute":"emailVerified","id.token.claim":"true","access.token.claim":"true","claim.name":"email_verified","jsonType.label":"boolean"}},
           {"name":"email","protocol":"openid-connect","protocolMapper":"oidc-usermodel-attribute-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","userinfo.token.claim":"true","user.attribute":"email","id.token.claim":"true","access.token.claim":"true","claim.name":"email","jsonType.label":"String"}}]},
         {"name":"acr","description":"OpenID Connect scope for add acr (authentication context class reference) to the token","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"false","display.on.consent.screen":"false"},
          "protocolMappers":[
           {"name":"acr loa level","protocol":"openid-connect","protocolMapper":"oidc-acr-mapper","consentRequired":false,
            "config":{"id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true"}}]},
         {"name":"offline_access","description":"OpenID Connect built-in scope: offline_access","protocol":"openid-connect",
          "attributes":{"consent.screen.text":"${offlineAccessScopeConsentText}","display.on.consent.screen":"true"}},
         {"name":"AuthnContextClassRef","description":"AuthnContextClassRef Level of Authentiation","protocol":"saml",
          "attributes":{},
          "protocolMappers":[
           {"name":"AuthnContextClassRef","protocol":"saml","protocolMapper":"saml-authn-context-class-ref-mapper","consentRequired":false,"config":{}}]},
         {"name":"role_list","description":"SAML role list","protocol":"saml",
          "attributes":{"consent.screen.text":"${samlRoleListScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           {"name":"role list","protocol":"saml","protocolMapper":"saml-role-list-mapper","consentRequired":false,
            "config":{"single":"false","attribute.nameformat":"Basic","attribute.name":"Role"}}]},
         {"name":"address","description":"OpenID Connect built-in scope: address","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","consent.screen.text":"${addressScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           {"name":"address","protocol":"openid-connect","protocolMapper":"oidc-address-mapper","consentRequired":false,
            "config":{"user.attribute.formatted":"formatted","user.attribute.country":"country","introspection.token.claim":"true","user.attribute.postal_code":"postal_code","userinfo.token.claim":"true","user.attribute.street":"street","id.token.claim":"true","user.attribute.region":"region","access.token.claim":"true","user.attribute.locality":"locality"}}]},
         {"name":"service_account","description":"Specific scope for a client enabled for service accounts","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"false","display.on.consent.screen":"false"},
          "protocolMappers":[
           {"name":"Client IP Address","protocol":"openid-connect","protocolMapper":"oidc-usersessionmodel-note-mapper","consentRequired":false,
            "config":{"user.session.note":"clientAddress","id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","claim.name":"clientAddress","jsonType.label":"String"}},
           {"name":"Client ID","protocol":"openid-connect","protocolMapper":"oidc-usersessionmodel-note-mapper","consentRequired":false,
            "config":{"user.session.note":"client_id","id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","claim.name":"client_id","jsonType.label":"String"}},
           {"name":"Client Host","protocol":"openid-connect","protocolMapper":"oidc-usersessionmodel-note-mapper","consentRequired":false,
            "config":{"user.session.note":"clientHost","id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","claim.name":"clientHost","jsonType.label":"String"}}]},
         {"name":"roles","description":"OpenID Connect scope for add user roles to the access token","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"false","consent.screen.text":"${rolesScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           {"name":"client roles","protocol":"openid-connect","protocolMapper":"oidc-usermodel-client-role-mapper","consentRequired":false,
            "config":{"user.attribute":"foo","introspection.token.claim":"true","access.token.claim":"true","claim.name":"resource_access.${client_id}.roles","jsonType.label":"String","multivalued":"true"}},
           {"name":"audience resolve","protocol":"openid-connect","protocolMapper":"oidc-audience-resolve-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","access.token.claim":"true"}},
           {"name":"realm roles","protocol":"openid-connect","protocolMapper":"oidc-usermodel-realm-role-mapper","consentRequired":false,
            "config":{"user.attribute":"foo","introspection.token.claim":"true","access.token.claim":"true","claim.name":"realm_access.roles","jsonType.label":"String","multivalued":"true"}}]},
         {"name":"web-origins","description":"OpenID Connect scope for add allowed web origins to the access token","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"false","consent.screen.text":"","display.on.consent.screen":"false"},
          "protocolMappers":[
           {"name":"allowed web origins","protocol":"openid-connect","protocolMapper":"oidc-allowed-origins-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","access.token.claim":"true"}}]},
         {"name":"profile","description":"OpenID Connect built-in scope: profile","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","consent.screen.text":"${profileScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           PROFILE_MAPPERS]},
         {"name":"saml_organization","description":"Organization Membership","protocol":"saml",
          "attributes":{"display.on.consent.screen":"false"},
          "protocolMappers":[
           {"name":"organization","protocol":"saml","protocolMapper":"saml-organization-membership-mapper","consentRequired":false,"config":{}}]},
         {"name":"phone","description":"OpenID Connect built-in scope: phone","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","consent.screen.text":"${phoneScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           ATTR("phone number verified","phoneNumberVerified","phone_number_verified","boolean"),
           ATTR("phone number","phoneNumber","phone_number","String")]},
         {"name":"microprofile-jwt","description":"Microprofile - JWT built-in scope","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","display.on.consent.screen":"false"},
          "protocolMappers":[
           ATTR("upn","username","upn","String"),
           {"name":"groups","protocol":"openid-connect","protocolMapper":"oidc-usermodel-realm-role-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","multivalued":"true","user.attribute":"foo","id.token.claim":"true","access.token.claim":"true","claim.name":"groups","jsonType.label":"String"}}]},
         {"name":"basic","description":"OpenID Connect scope for add all basic claims to the token","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"false","display.on.consent.screen":"false"},
          "protocolMappers":[
           {"name":"auth_time","protocol":"openid-connect","protocolMapper":"oidc-usersessionmodel-note-mapper","consentRequired":false,
            "config":{"user.session.note":"AUTH_TIME","id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","claim.name":"auth_time","jsonType.label":"long"}},
           {"name":"sub","protocol":"openid-connect","protocolMapper":"oidc-sub-mapper","consentRequired":false,
            "config":{"introspection.token.claim":"true","access.token.claim":"true"}}]},
         {"name":"organization","description":"Additional claims about the organization a subject belongs to","protocol":"openid-connect",
          "attributes":{"include.in.token.scope":"true","consent.screen.text":"${organizationScopeConsentText}","display.on.consent.screen":"true"},
          "protocolMappers":[
           {"name":"organization","protocol":"openid-connect","protocolMapper":"oidc-organization-membership-mapper","consentRequired":false,
            "config":{"id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","claim.name":"organization","jsonType.label":"String","multivalued":"true"}}]}
        ]
        """#
        .replacing("PROFILE_MAPPERS", with: profileMappers)
        .replacing(#/ATTR\("([^"]*)","([^"]*)","([^"]*)","([^"]*)"\)/#) { match in
            attributeMapper(String(match.1), String(match.2), String(match.3), String(match.4))
        }

    /// The profile scope's mappers, in Keycloak's order.
    private static var profileMappers: String {
        let attributeMappers: [(String, String, String, String)] = [
            ("middle name", "middleName", "middle_name", "String"), ("birthdate", "birthdate", "birthdate", "String"),
            ("profile", "profile", "profile", "String"), ("locale", "locale", "locale", "String"),
            ("zoneinfo", "zoneinfo", "zoneinfo", "String"), ("family name", "lastName", "family_name", "String"),
            ("gender", "gender", "gender", "String"), ("username", "username", "preferred_username", "String"),
            ("given name", "firstName", "given_name", "String"),
        ]
        let trailing: [(String, String, String, String)] = [
            ("website", "website", "website", "String"), ("nickname", "nickname", "nickname", "String"),
            ("updated at", "updatedAt", "updated_at", "long"), ("picture", "picture", "picture", "String"),
        ]
        let fullName = #"""
            {"name":"full name","protocol":"openid-connect","protocolMapper":"oidc-full-name-mapper","consentRequired":false,"config":{"id.token.claim":"true","introspection.token.claim":"true","access.token.claim":"true","userinfo.token.claim":"true"}}
            """#
        return (attributeMappers.map(attributeMapper) + [fullName] + trailing.map(attributeMapper))
            .joined(separator: ",")
    }

    /// An `oidc-usermodel-attribute-mapper` with every include flag on, config keys in Keycloak's order.
    private static func attributeMapper(_ name: String, _ attribute: String, _ claim: String, _ type: String) -> String {
        #"{"name":"\#(name)","protocol":"openid-connect","protocolMapper":"oidc-usermodel-attribute-mapper","consentRequired":false,"config":{"introspection.token.claim":"true","userinfo.token.claim":"true","user.attribute":"\#(attribute)","id.token.claim":"true","access.token.claim":"true","claim.name":"\#(claim)","jsonType.label":"\#(type)"}}"#
    }
}
