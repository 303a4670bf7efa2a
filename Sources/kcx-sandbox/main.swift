// kcx-sandbox: parses the command line, starts the sandbox, prints the base URL, waits for SIGTERM/SIGINT.
import Foundation
import KeycloakSandbox

// Block the stop signals before any server thread exists, so every thread inherits the mask and only
// `sigwait` below receives them.
var stopSignals = sigset_t()
sigemptyset(&stopSignals)
sigaddset(&stopSignals, SIGTERM)
sigaddset(&stopSignals, SIGINT)
pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

func fail(_ text: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    exit(code)
}

let command: SandboxCommand
do {
    command = try SandboxCommandLine.parse(
        Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
        readFile: { try String(contentsOfFile: $0, encoding: .utf8) })
} catch {
    fail(error.description, code: SandboxCommandLine.exitUsage)
}

switch command {
case .help:
    FileHandle.standardOutput.write(Data(SandboxCommandLine.helpText.utf8))
case .version:
    FileHandle.standardOutput.write(Data((SandboxCommandLine.versionText + "\n").utf8))
case .run(let options, let passwordWasGenerated):
    let sandbox: Sandbox
    let baseURL: String
    do {
        sandbox = try Sandbox(options: options)
        baseURL = try sandbox.start()
    } catch {
        fail(
            "error: \(error.description)\nhint: \(error.hint ?? "check --host/--port, --state and --import files")",
            code: SandboxCommandLine.exitStartupFailure)
    }
    // The first stdout line is the contract with scripts and tests: written and flushed at once.
    FileHandle.standardOutput.write(Data((baseURL + "\n").utf8))
    if sandbox.createdMasterRealm && passwordWasGenerated {
        FileHandle.standardError.write(
            Data("kcx-sandbox: generated password for admin user '\(options.adminUsername)': \(options.adminPassword)\n".utf8))
    } else if !sandbox.createdMasterRealm {
        FileHandle.standardError.write(
            Data("kcx-sandbox: master realm loaded from the state file; admin password options not used\n".utf8))
    }
    for name in sandbox.skippedImports {
        FileHandle.standardError.write(Data("kcx-sandbox: realm '\(name)' already exists; import skipped\n".utf8))
    }
    var received: Int32 = 0
    sigwait(&stopSignals, &received)
    do {
        try sandbox.shutdown()
    } catch {
        // The journal is kept: the next start replays it, so nothing acknowledged is lost.
        FileHandle.standardError.write(Data("kcx-sandbox: \(error.description)\n".utf8))
    }
}
exit(SandboxCommandLine.exitOK)
