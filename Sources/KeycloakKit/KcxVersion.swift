// kcx's version and the commit it was built from.
public enum KcxVersion {
    /// `X.Y.Z` from a `vX.Y.Z` tag (or a later commit's `git describe`) in a packaged build.
    public static let current = BuildInfo.version
    /// The short commit hash of a packaged build; `unknown` in a plain `swift build`.
    public static let commit = BuildInfo.commit
    /// What `kcx --version` prints.
    public static var line: String { "kcx \(current) (commit \(commit))" }
}

// A plain `swift build` (a clone, the tests) says what it cannot know. scripts/package writes the
// real values from git into BuildInfo.generated.swift (gitignored) and builds with -DKCX_PACKAGED,
// which compiles that file in and this one out.
#if !KCX_PACKAGED
    enum BuildInfo {
        static let version = "0.0.0-dev"
        static let commit = "unknown"
    }
#endif
