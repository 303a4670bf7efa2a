// libFuzzer target: the router never traps on any argv; what it refuses is a usage error (exit 2)
// with a message. Input: argv words separated by NUL bytes (bytes decoded as the process's argv are).
import KcxCLI
import KeycloakKit

private let router = Router(commands: CommandTable.all)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRouter(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    do {
        switch try router.route(arguments) {
        case .run(let invocation):
            if router.command(at: invocation.command.path) == nil { fatalError("routed to a command not in the table") }
        case .help(let path):
            if !path.isEmpty && router.command(at: path) == nil && !router.isGroup(path) {
                fatalError("help for unknown path \(path)")
            }
        case .version:
            break
        }
    } catch {
        if error.code != .usage || error.message.isEmpty { fatalError("router threw a non-usage error: \(error)") }
    }
    return 0
}
