// The version kcx-sandbox reports: kcx's, written by scripts/package into
// BuildInfo.generated.swift (gitignored, compiled in with -DKCX_PACKAGED). A plain `swift build`
// says what it cannot know, as kcx does (KeycloakKit/KcxVersion.swift).
#if !KCX_PACKAGED
    enum BuildInfo {
        static let version = "0.0.0-dev"
        static let commit = "unknown"
    }
#endif
