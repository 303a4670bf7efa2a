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
    /// Makes an OpenID Connect client `clientId` exist with the settings; returns its id (a
    /// placeholder in a dry run that would create it).
    @discardableResult
    public func ensureClient(_ clientId: String, _ settings: ClientSettings) throws -> String {
        guard !clientId.isEmpty else { throw KcxError.usage("the clientId must not be empty") }
        if settings.publicClient && settings.serviceAccount {
            throw KcxError.usage("a public client cannot have a service account: use --confidential with --service-account")
        }
        let existing = try lookup.client(clientId)
        var desired = JSONObject([("clientId", .string(clientId)), ("publicClient", .bool(settings.publicClient))])
        if settings.serviceAccount { desired["serviceAccountsEnabled"] = true }
        if !settings.redirectURIs.isEmpty {
            var uris = existing?.representation["redirectUris"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for uri in settings.redirectURIs where !uris.contains(uri) { uris.append(uri) }
            desired["redirectUris"] = .array(uris.map { .string($0) })
        }
        if let existing {
            let diff = differences(current: existing.representation, desired: .object(desired))
            if diff.isEmpty {
                record(Change(kind: "client", name: clientId, outcome: .unchanged))
            } else {
                try write("PUT", "clients/\(existing.id)", body: overlay(existing.representation, with: .object(desired)))
                record(Change(kind: "client", name: clientId, outcome: .updated, details: diff))
            }
            return existing.id
        }
        desired["protocol"] = "openid-connect"
        desired["enabled"] = true
        switch try create(
            "clients", body: .object(desired), placeholder: "client \(clientId)", find: { try lookup.client(clientId)?.id })
        {
        case .created(let id):
            record(
                Change(
                    kind: "client", name: clientId, outcome: .created,
                    details: differences(current: nil, desired: .object(desired))))
            return id ?? "<new client \(clientId)>"
        case .alreadyExists:
            return try ensureClient(clientId, settings)
        }
    }

    /// Makes realm `name` exist (enabled when created); an existing realm is left as it is.
    public func ensureRealm(_ name: String) throws {
        guard !name.isEmpty else { throw KcxError.usage("the realm name must not be empty") }
        if try api.getIfExists("realms/\(name)", realm: name) != nil {
            record(Change(kind: "realm", name: name, outcome: .unchanged))
            return
        }
        let body: JSON = ["realm": .string(name), "enabled": true]
        switch try create(
            "realms", body: body, placeholder: "realm \(name)",
            find: { try api.getIfExists("realms/\(name)", realm: name).map { _ in name } })
        {
        case .created:
            record(Change(kind: "realm", name: name, outcome: .created, details: differences(current: nil, desired: body)))
        case .alreadyExists:
            record(Change(kind: "realm", name: name, outcome: .unchanged))
        }
    }
}
