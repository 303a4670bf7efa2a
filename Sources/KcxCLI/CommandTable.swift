// The one table of kcx's commands, assembled from the command families (one file each).

public enum CommandTable {
    public static let all: [CommandSpec] = []
}
