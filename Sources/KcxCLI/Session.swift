// Turns the global options, environment and stored session into a logged-in AdminClient.
import KeycloakKit

/// Placeholder until the session layer lands: the signature is the contract for commands.
public func openAdminClient(_ invocation: Invocation, _ context: CommandContext) throws -> AdminClient {
    throw KcxError(.authentication, "not logged in", hint: "run 'kcx config credentials --server URL --realm REALM --user NAME'")
}
