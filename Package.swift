// swift-tools-version:6.0
// kcx: a native CLI that configures Keycloak audiences and token exchange, and kcx-sandbox,
// a Keycloak-compatible server for its tests. No external Swift packages: build time stays low
// and start-up stays free of framework initialisation.
import PackageDescription

let package = Package(
    name: "kcx",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kcx", targets: ["kcx"]),
        .executable(name: "kcx-sandbox", targets: ["kcx-sandbox"]),
    ],
    targets: [
        // C libraries, wrapped with typed shims (Swift cannot call C variadics).
        // libcurl, opened on first use (Sources/CCurl/ccurl.c) so that commands sending no request
        // start without loading it and its dependencies; a C target, so its table of functions
        // exists once per process. Needs libcurl's headers (libcurl4-openssl-dev).
        .target(name: "CCurl"),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libyaml for declarative files, wrapped by KeycloakKit's YAML loader (KeycloakKit/YAML.swift).
        // Not Yams: it imports Foundation, whose loading (ICU) would double kcx's start-up time.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // Plain data: an order-preserving JSON value, shared by client and sandbox.
        .target(name: "KcxJSON"),

        // The client side: core (never prints) -> front end -> thin executable.
        .target(name: "KeycloakKit", dependencies: ["CCurl", "CCrypto", "KcxJSON", "CYAML"]),
        .target(name: "KcxCLI", dependencies: ["KeycloakKit", "KcxJSON"]),
        .executableTarget(name: "kcx", dependencies: ["KcxCLI"]),

        // The sandbox side: a small HTTP/1.1 server, the Keycloak emulation, a thin executable.
        .target(name: "LoopbackHTTP"),
        .target(name: "KeycloakSandbox", dependencies: ["LoopbackHTTP", "KcxJSON", "CCrypto"]),
        .executableTarget(name: "kcx-sandbox", dependencies: ["KeycloakSandbox"]),

        .testTarget(name: "KcxJSONTests", dependencies: ["KcxJSON"]),
        .testTarget(name: "KeycloakKitTests", dependencies: ["KeycloakKit", "LoopbackHTTP", "CCurl"]),
        .testTarget(name: "KcxCLITests", dependencies: ["KcxCLI", "KeycloakKit", "LoopbackHTTP"]),
        .testTarget(name: "KeycloakSandboxTests", dependencies: ["KeycloakSandbox", "LoopbackHTTP", "KcxJSON"]),
        // Runs the built kcx and kcx-sandbox binaries as processes (or against a real Keycloak
        // when KCX_TEST_KEYCLOAK_URL is set).
        // KcxCLI for the command table the secrets test walks; LoopbackHTTP for its redirect servers.
        .testTarget(name: "EndToEndTests", dependencies: ["KcxJSON", "KcxCLI", "LoopbackHTTP"], exclude: ["Golden"]),
    ]
)
