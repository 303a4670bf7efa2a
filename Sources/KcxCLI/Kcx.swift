// Entry point of the front end: parse, dispatch, map errors to exit codes and messages.
import KeycloakKit

public enum Kcx {
    /// Runs one kcx command line (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], context: CommandContext) -> Int32 {
        run(arguments, commands: CommandTable.all, context: context)
    }

    /// Runs one command line as the program `programName` (argv[0]) was invoked: under the name
    /// `kcadm.sh` or `kcadm` (a symbolic link for kcadm's scripts) kcx behaves as kcadm does where a
    /// script can tell: every error exits 1 and no warning lines are printed.
    public static func run(_ arguments: [String], programName: String, context: CommandContext) -> Int32 {
        let name = programName.split(separator: "/").last.map(String.init) ?? programName
        guard name == "kcadm.sh" || name == "kcadm" else { return run(arguments, context: context) }
        context.kcadmMode = true
        // kcadm prints a command's help, and fails, when the command is given nothing to do.
        if kcadmHelpOnly.contains(arguments) {
            context.stdout.write(HelpRenderer.text(for: arguments, in: CommandTable.all))
            return 1
        }
        let status = run(arguments, commands: CommandTable.all, context: context)
        return status == 0 ? 0 : 1
    }

    /// kcadm's commands that, given no options or arguments at all, print their help and exit 1
    /// (get-roles is not one: GetRolesCmd has always something to do, listing the realm's roles).
    static let kcadmHelpOnly: [[String]] = [
        ["get"], ["create"], ["update"], ["delete"], ["add-roles"], ["remove-roles"], ["set-password"],
        ["config", "credentials"], ["config", "truststore"],
    ]

    /// Runs against any table (tests use small ones).
    public static func run(_ arguments: [String], commands: [CommandSpec], context: CommandContext) -> Int32 {
        do {
            switch try Router(commands: commands).route(arguments) {
            case .version:
                context.stdout.write(KcxVersion.line + "\n")
                return ExitCode.ok.rawValue
            case .help(let path):
                context.stdout.write(HelpRenderer.text(for: path, in: commands))
                return ExitCode.ok.rawValue
            case .run(let invocation):
                return try invocation.command.handler(invocation, context).rawValue
            }
        } catch let error as KcxError {
            report(error.message, hint: error.hint, context)
            return error.code.rawValue
        } catch let error as TransportError {
            var message =
                error.url.isEmpty || error.message.contains(error.url) ? error.message : "\(error.message) (\(error.url))"
            if let note = error.retryNote { message += " (\(note))" }
            report(message, hint: hint(for: error.kind), context)
            switch error.kind {
            case .responseTooLarge: return ExitCode.serverError.rawValue
            case .invalidRequest: return ExitCode.usage.rawValue
            default: return ExitCode.network.rawValue
            }
        } catch {
            report("\(error)", hint: nil, context)
            return ExitCode.serverError.rawValue
        }
    }

    static func report(_ message: String, hint: String?, _ context: CommandContext) {
        context.diagnostic(.error, message)
        if let hint { context.diagnostic(.hint, hint) }
    }

    static func hint(for kind: TransportError.Kind) -> String? {
        switch kind {
        case .connectionRefused: return "nothing answered at that address: check the server URL and that Keycloak is running"
        case .couldNotResolveHost: return "check the host name in the server URL"
        case .timedOut: return "the server did not answer in time: check the network, or allow more time with --timeout SECONDS"
        case .tls: return "trust the server's CA with --cacert FILE, or (not recommended) skip verification with --insecure"
        case .connectionLost:
            return "the connection broke before a whole answer came: try again, or allow more attempts with --retries N"
        case .responseTooLarge: return "no Keycloak answer should be that large: check the server URL"
        case .invalidRequest, .other: return nil
        }
    }
}
