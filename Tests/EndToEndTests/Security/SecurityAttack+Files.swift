// The rows of docs/security.md's attack table for the 'files' boundary.
extension SecurityAttack {
    static let files: [SecurityAttack] = [
        SecurityAttack(
            boundary: "files",
            attack:
                "Another user plants a config in a config directory group or others can write, naming their server and the victim's password file",
            outcome:
                "Every command refuses it before any request: exit 2, naming the directory and `chmod go-w`; the planted server receives nothing (with the directory fixed, the same config does post the password)",
            test: "FileAttackTests.swift: plantedConfigInWritableDirectoryIsRefused"),
        SecurityAttack(
            boundary: "files",
            attack: "A config file group or others can write, at the default path or given with `--config FILE`",
            outcome:
                "Refused with exit 2 naming the file, its mode and `chmod go-w`; the file is left as it is and nothing is sent",
            test: "FileAttackTests.swift: writableConfigFileIsRefused"),
        SecurityAttack(
            boundary: "files",
            attack: "A config file owned by another user (not root)",
            outcome: "Refused with exit 2 naming its owner's uid and `chown`; nothing is sent",
            test: "FileAttackTests.swift: configOwnedByAnotherUserIsRefused"),
        SecurityAttack(
            boundary: "files",
            attack:
                "The config's lock file is replaced by a symbolic link to a victim file, or to a path that does not exist yet",
            outcome:
                "Never followed (O_NOFOLLOW): login, logout and a token refresh exit 2 naming the link and `rm`; the victim keeps its content and mode, no file appears at the link's target, the config is unchanged",
            test: "FileAttackTests.swift: lockFileSymlinkIsRefused"),
        SecurityAttack(
            boundary: "files",
            attack:
                "`/dev/zero`, an endless FIFO or a 4 GiB sparse file as `-f`/`--file`, a body on standard input, `--password-stdin`, `--secret-stdin`, `--password-file`, `--subject-token -` or a token on standard input",
            outcome:
                "A usage error naming the input and its limit (64 MiB for data, 64 KiB for a password, secret or token), exit 2, no trap or register dump, nothing sent",
            test: "FileAttackTests.swift: endlessInputsAreBounded"),
        SecurityAttack(
            boundary: "files",
            attack: "A config file over 1 MiB",
            outcome: "Exit 2 naming the file and the 1 MiB limit, read no further",
            test: "FileAttackTests.swift: oversizedConfigIsRefused"),
    ]
}
