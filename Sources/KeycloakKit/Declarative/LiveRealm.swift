// The live realm as a plan needs it: scopes, clients and the realm's default lists read in a handful
// of list requests (or exact look-ups for few clients), and the legacy exchange wiring per target.
import KcxJSON

/// kcx marks the client scopes it creates with this attribute; `--prune` deletes only marked scopes
/// (with their mappers) that the file no longer declares, and audience mappers on marked scopes.
public let managedAttribute = "kcx.managed"

/// The reads behind a `LiveRealm`: enough to make them again.
public struct LiveReadSpec: Sendable, Equatable {
    public var realm: String
    /// The clients looked up by clientId; nil: every client was listed (a --prune plan).
    public var clients: [String]?
    /// `GET realms/{realm}` was read (the file gives realm settings); a missing realm reads as empty.
    public var realmSettings = false
    /// A realm `--prune` deletes: only its representation was read.
    public var prunedRealm = false
    public var downscope = false
    public var events = false
    public var legacyTargets: [String] = []
    /// Legacy targets the file creates (nothing of them was on the server).
    public var createdLegacyTargets: [String] = []

    public init(realm: String, clients: [String]? = nil, realmSettings: Bool = false, prunedRealm: Bool = false) {
        self.realm = realm
        self.clients = clients
        self.realmSettings = realmSettings
        self.prunedRealm = prunedRealm
    }
}

/// A target's legacy (V1) exchange wiring as it is now: management permissions and kcx's client policy.
public struct LiveLegacyExchange: Sendable, Equatable {
    public var permissionID: String?
    public var policyID: String?
    /// Client ids (UUIDs, or clientIds) the kcx policy names.
    public var members: [String]
    /// Whether the kcx policy is attached to the target's token-exchange permission.
    public var attached: Bool
    /// clientIds of members the file does not name (read for the plan's text).
    public var otherMemberNames: [String: String]

    public init(
        permissionID: String?, policyID: String?, members: [String], attached: Bool, otherMemberNames: [String: String] = [:]
    ) {
        self.permissionID = permissionID
        self.policyID = policyID
        self.members = members
        self.attached = attached
        self.otherMemberNames = otherMemberNames
    }
}

/// What a realm looks like now, from four list requests (or one look-up per named client instead
/// of the client list, when the file names few clients).
public struct LiveRealm: Sendable, Equatable {
    public var clientScopes: [JSON] { didSet { scopeIndex = LiveRealm.index(clientScopes, by: "name") } }
    public var clients: [JSON] {
        didSet {
            clientIndex = LiveRealm.index(clients, by: "clientId")
            clientIDIndex = LiveRealm.index(clients, by: "id")
        }
    }
    /// Position of the first scope with each name, of the first client with each clientId: looked up
    /// once per scope and client of the file, a scan each made a plan against a realm of 16,000
    /// scopes quadratic (70 s, debug build).
    private var scopeIndex: [String: Int]
    private var clientIndex: [String: Int]
    private var clientIDIndex: [String: Int]
    public var realmDefaultScopeIDs: [String]
    public var realmOptionalScopeIDs: [String]
    /// Per target clientId the file gives legacyExchange for.
    public var legacy: [String: LiveLegacyExchange] = [:]
    /// False for a realm the server lacks and the file creates (everything in it reads as empty).
    public var exists = true
    /// `GET /admin/realms/{realm}`, read only when the file gives realm settings.
    public var realmRepresentation: JSON? = nil
    /// `GET client-policies/profiles` and `GET client-policies/policies` (read only when downscope is
    /// wanted one way or the other): what downscope changes are planned against, and what the
    /// executor lays them over.
    public var clientProfiles: JSON? = nil
    public var clientPolicies: JSON? = nil
    /// Whether exchange events are stored (read only when the file asks for them).
    public var exchangeEventsRecorded: Bool? = nil
    /// `GET events/config` as read for `exchangeEventsRecorded`: what the executor lays its change over.
    public var exchangeEventsConfig: JSON? = nil
    /// What was read to get this value, recorded by the reads themselves, so a saved plan can make
    /// exactly the same reads again (`LiveRealm.read(_:_:)`) and compare.
    public var readSpec = LiveReadSpec(realm: "")

    /// A realm that does not exist yet: nothing in it, nothing switched on.
    public static var missing: LiveRealm {
        var live = LiveRealm(clientScopes: [], clients: [], realmDefaultScopeIDs: [], realmOptionalScopeIDs: [])
        live.exists = false
        live.clientProfiles = ["profiles": []]
        live.clientPolicies = ["policies": []]
        live.exchangeEventsRecorded = false
        return live
    }

    /// Reads what the file's `downscope` and `exchangeEvents` are compared with: kcx's downscope
    /// policy and profile (on = the policy enabled for every exchange, its profile present), and
    /// whether exchange events are stored (the rule `kcx token-exchange audit` goes by).
    public mutating func readSecuritySettings(_ api: AdminAPI, realm: String, downscope: Bool, events: Bool) throws {
        readSpec.downscope = readSpec.downscope || downscope
        readSpec.events = readSpec.events || events
        if downscope {
            clientPolicies = try api.get(ClientPolicyList.policies.endpoint, realm: realm)
            clientProfiles = try api.get(ClientPolicyList.profiles.endpoint, realm: realm)
        }
        if events {
            let config = try api.get("events/config", realm: realm)
            exchangeEventsConfig = config
            exchangeEventsRecorded = exchangeEventsUpdate(config) == nil
        }
    }

    /// Whether kcx's downscope policy covers every token exchange, its profile present (nil: not read).
    public var downscopeOn: Bool? {
        guard let clientProfiles, let clientPolicies else { return nil }
        return downscopeCoversEveryClient(clientPolicies)
            && entries(clientProfiles, .profiles).contains { $0["name"]?.stringValue == downscopeProfileName }
    }

    public init(clientScopes: [JSON], clients: [JSON], realmDefaultScopeIDs: [String], realmOptionalScopeIDs: [String]) {
        self.clientScopes = clientScopes
        self.clients = clients
        self.realmDefaultScopeIDs = realmDefaultScopeIDs
        self.realmOptionalScopeIDs = realmOptionalScopeIDs
        scopeIndex = LiveRealm.index(clientScopes, by: "name")
        clientIndex = LiveRealm.index(clients, by: "clientId")
        clientIDIndex = LiveRealm.index(clients, by: "id")
    }

    static func index(_ representations: [JSON], by key: String) -> [String: Int] {
        var index: [String: Int] = [:]
        index.reserveCapacity(representations.count)
        for (position, representation) in representations.enumerated() {
            if let name = representation[key]?.stringValue, index[name] == nil { index[name] = position }
        }
        return index
    }

    /// Up to this many named clients are looked up one by one (exact, server-side); more are listed
    /// at once. Listing a realm of 10,000 clients costs far more than a few exact look-ups.
    public static let lookupLimit = 8

    /// Reads the realm: client scopes (mappers inline), clients (attributes, mappers and scope names
    /// inline) and the realm's two default lists. With `onlyClients`, only those clients are read.
    public static func read(_ api: AdminAPI, realm: String, onlyClients: Set<String>? = nil) throws -> LiveRealm {
        func ids(_ endpoint: Endpoint) throws -> [String] {
            (try api.getArray(endpoint, realm: realm)).compactMap { $0["id"]?.stringValue }
        }
        var clients: [JSON] = []
        if let names = onlyClients, names.count <= lookupLimit {
            for name in names.sorted() {
                // search=false makes clientId an exact match (Keycloak's default is a substring search).
                let matches = try api.getArray("clients", realm: realm, query: [("clientId", name), ("search", "false")])
                clients += matches.filter { $0["clientId"]?.stringValue == name }
            }
        } else {
            clients = try api.getArray("clients", realm: realm)
        }
        var live = LiveRealm(
            clientScopes: try api.getArray("client-scopes", realm: realm),
            clients: clients,
            realmDefaultScopeIDs: try ids(ScopeList.default.realmEndpoint),
            realmOptionalScopeIDs: try ids(ScopeList.optional.realmEndpoint))
        live.readSpec = LiveReadSpec(realm: realm, clients: onlyClients.map { $0.sorted() })
        return live
    }

    /// Makes the reads `spec` records, in the order planning made them: what a saved plan checks
    /// before it is applied. A realm that is gone reads as `missing`.
    public static func read(_ api: AdminAPI, _ spec: LiveReadSpec) throws -> LiveRealm {
        var live: LiveRealm
        if spec.realmSettings || spec.prunedRealm {
            if let representation = try api.getIfExists("realms/\(spec.realm)", realm: spec.realm) {
                live = spec.prunedRealm ? .missing : try read(api, realm: spec.realm, onlyClients: spec.clients.map(Set.init))
                live.exists = true
                live.realmRepresentation = representation
            } else {
                live = .missing
            }
        } else {
            live = try read(api, realm: spec.realm, onlyClients: spec.clients.map(Set.init))
        }
        live.readSpec = spec
        if live.exists && !spec.prunedRealm {
            try live.readSecuritySettings(api, realm: spec.realm, downscope: spec.downscope, events: spec.events)
        }
        try live.readLegacy(api, realm: spec.realm, targets: spec.legacyTargets, created: Set(spec.createdLegacyTargets))
        return live
    }

    /// Reads each target's management permission and kcx exchange policy (four requests per target).
    /// A target the file creates (`created`, not on the server yet) has none of it.
    public mutating func readLegacy(_ api: AdminAPI, realm: String, targets: [String], created: Set<String> = []) throws {
        readSpec.legacyTargets = targets
        readSpec.createdLegacyTargets = created.filter(targets.contains).sorted()
        let existing = targets.filter { client($0) != nil || !created.contains($0) }
        for target in targets where !existing.contains(target) {
            legacy[target] = LiveLegacyExchange(permissionID: nil, policyID: nil, members: [], attached: false)
        }
        let targets = existing
        guard !targets.isEmpty else { return }
        guard let management = client("realm-management")?["id"]?.stringValue else {
            throw KcxError(.notFound, "realm '\(realm)' has no realm-management client, which legacy token exchange needs")
        }
        let base: Endpoint = "clients/\(management)/authz/resource-server"
        for target in targets {
            guard let targetID = client(target)?["id"]?.stringValue else { continue }
            let permissions = try api.get("clients/\(targetID)/management/permissions", realm: realm)
            let permissionID =
                permissions["enabled"]?.boolValue == true ? permissions["scopePermissions"]?["token-exchange"]?.stringValue : nil
            let policyName = exchangePolicyName(forTarget: target)
            let found = try api.send(
                method: "GET", endpoint: "\(base)/policy/search", realm: realm, query: [("name", policyName)], body: nil)
            var state = LiveLegacyExchange(permissionID: permissionID, policyID: nil, members: [], attached: false)
            if let policyID = found.json?["id"]?.stringValue {
                state.policyID = policyID
                state.members = clientPolicyMembers(try api.get("\(base)/policy/client/\(policyID)", realm: realm))
                for member in state.members where client(id: member) == nil && client(member) == nil {
                    state.otherMemberNames[member] = try api.getIfExists("clients/\(member)", realm: realm)?["clientId"]?
                        .stringValue
                }
            }
            if let permissionID {
                state.attached = try api.getArray("\(base)/permission/scope/\(permissionID)/associatedPolicies", realm: realm)
                    .contains { $0["name"]?.stringValue == policyName }
            }
            legacy[target] = state
        }
    }

    func scope(named name: String) -> JSON? { scopeIndex[name].map { clientScopes[$0] } }
    func client(_ clientId: String) -> JSON? { clientIndex[clientId].map { clients[$0] } }
    /// The client whose internal id is `id`.
    public func client(id: String) -> JSON? { clientIDIndex[id].map { clients[$0] } }
}
