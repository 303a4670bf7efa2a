// Entry point of the front end: parse, dispatch, map errors to exit codes.

public enum Kcx {
    /// Runs one kcx command line (without the program name) and returns the exit status.
    public static func run(_ arguments: [String], context: CommandContext) -> Int32 {
        context.stderr.write("error: the router is not implemented yet\n")
        return 2
    }
}
