// Placeholder: what every route handler gets (store, features, base URL, clock).

public final class SandboxContext: @unchecked Sendable {
    public let store: SandboxStore

    public init(store: SandboxStore) {
        self.store = store
    }
}
