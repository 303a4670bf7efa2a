// Placeholder: the in-memory realm store (filled in by the store/admin work).

public final class SandboxStore: @unchecked Sendable {
    public init() {}
}
