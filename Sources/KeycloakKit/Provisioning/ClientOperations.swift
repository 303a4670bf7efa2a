// `kcx client ensure` and `kcx realm ensure`: make a client or a realm exist with the settings
// named, idempotently, with outcomes and dry runs like every other provisioning command.
import KcxJSON

public struct ClientSettings: Sendable {
    /// true: public, false: confidential.
    public var publicClient: Bool
    /// Turned on when given; never turned off by omission.
    public var serviceAccount: Bool
    /// Added to the client's redirect URIs (existing ones stay).
    public var redirectURIs: [String]

    public init(publicClient: Bool, serviceAccount: Bool = false, redirectURIs: [String] = []) {
        self.publicClient = publicClient
        self.serviceAccount = serviceAccount
        self.redirectURIs = redirectURIs
    }
}

extension Writer {
    /// Makes an OpenID Connect client `clientId` exist with the settings, through the engine: the
    /// fragment "this client, with these fields" (created enabled when missing, never marked as
    /// kcx's, so no `--prune` removes it; redirect URIs given are added to those it has).
    public func ensureClient(_ clientId: String, _ settings: ClientSettings) throws {
        guard !clientId.isEmpty else { throw KcxError.usage("the clientId must not be empty") }
        if settings.publicClient && settings.serviceAccount {
            throw KcxError.usage("a public client cannot have a service account: use --confidential with --service-account")
        }
        let existing = try lookup.client(clientId)
        var client = DesiredClient(clientId: clientId, defaultScopes: [], optionalScopes: [])
        client.marksManaged = false
        if existing == nil {
            client.settings["protocol"] = "openid-connect"
            client.settings["enabled"] = true
        }
        client.settings["publicClient"] = .bool(settings.publicClient)
        if settings.serviceAccount { client.settings["serviceAccountsEnabled"] = true }
        if !settings.redirectURIs.isEmpty {
            var uris = existing?.representation["redirectUris"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for uri in settings.redirectURIs where !uris.contains(uri) { uris.append(uri) }
            client.settings["redirectUris"] = .array(uris.map { .string($0) })
        }
        let fragment = Fragment(desired: DesiredRealm(realm: realm, clients: [client]))
        try converge(
            fragment, live: try liveRealm(clients: existing.map { [$0] } ?? [], scopes: false),
            expected: [Change(kind: "client", name: clientId, outcome: .unchanged)])
    }

    /// Makes realm `name` exist, through the engine (created enabled, never marked as kcx's, so no
    /// `--prune` deletes it); an existing realm is left as it is.
    public func ensureRealm(_ name: String) throws {
        guard !name.isEmpty else { throw KcxError.usage("the realm name must not be empty") }
        guard try api.getIfExists("realms/\(name)", realm: name) == nil else {
            record(Change(kind: "realm", name: name, outcome: .unchanged))
            return
        }
        var desired = DesiredRealm(realm: name)
        desired.settings = DesiredRealmSettings(values: JSONObject([("enabled", true)]))
        desired.settings.marksManaged = false
        try converge(
            Fragment(desired: desired), live: .missing, expected: [Change(kind: "realm", name: name, outcome: .unchanged)])
    }
}
