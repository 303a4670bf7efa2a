// The options of `kcx audience …`, read and checked in one pure step before any request.
import KeycloakKit

struct AudienceAddOptions: CommandOptions {
    let audience: AudienceValue
    let container: MapperContainer
    let settings: AudienceMapperSettings
    /// Clients to assign the --scope to, with `list` saying how (nil when none).
    let assignTo: [String]
    let list: ScopeList?
    let createScope: Bool
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        audience = try AudienceCommands.audienceValue(invocation, required: true)!
        container = try AudienceCommands.mapperContainer(invocation, required: true)!
        settings = AudienceMapperSettings(
            mapperName: invocation.value("mapper-name"),
            accessToken: try AudienceCommands.exclusive(invocation, "access-token", "no-access-token", default: true),
            idToken: invocation.flag("id-token"),
            introspection: try AudienceCommands.exclusive(invocation, "introspection", "no-introspection", default: true),
            lightweight: invocation.flag("lightweight"))
        assignTo = invocation.all("assign")
        if !assignTo.isEmpty || invocation.flag("default") || invocation.flag("optional") {
            guard case .clientScope = container else {
                throw KcxError.usage("--assign works with --scope: a client's own mappers need no assignment")
            }
            guard !assignTo.isEmpty else { throw KcxError.usage("--default/--optional go with --assign CLIENT") }
            list = try ClientScopeCommands.scopeList(invocation)
        } else {
            list = nil
        }
        createScope = invocation.flag("create-scope")
        if createScope, case .client = container { throw KcxError.usage("--create-scope goes with --scope") }
        output = try invocation.textOrJSON()
    }
}

struct AudienceListOptions: CommandOptions {
    /// Where to look; nil lists the whole realm.
    let container: MapperContainer?
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        container = try AudienceCommands.mapperContainer(invocation, required: false)
        output = try invocation.textOrJSON()
    }
}

struct AudienceRemoveOptions: CommandOptions {
    let audience: AudienceValue?
    let mapperName: String?
    let container: MapperContainer
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        audience = try AudienceCommands.audienceValue(invocation, required: false)
        container = try AudienceCommands.mapperContainer(invocation, required: true)!
        mapperName = invocation.value("mapper-name")
        if audience == nil && mapperName == nil {
            throw KcxError.usage("name what to remove: --audience, --custom-audience or --mapper-name")
        }
        output = try invocation.textOrJSON()
    }
}

struct AudienceCheckOptions: CommandOptions {
    let client: String
    let audience: String
    /// Optional scopes to request (the space-separated --scope).
    let scopes: [String]
    let user: String?
    let output: TextOrJSON

    init(_ invocation: Invocation) throws {
        guard let client = invocation.value("client") else {
            throw KcxError.usage("--client is required: the client requesting the token")
        }
        guard let audience = invocation.value("audience") else {
            throw KcxError.usage("--audience is required: the audience that should be in aud")
        }
        self.client = client
        self.audience = audience
        scopes = (invocation.value("scope") ?? "").split(separator: " ").map(String.init)
        user = invocation.value("user")
        output = try invocation.textOrJSON()
    }
}
