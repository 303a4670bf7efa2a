// kcadm's --server on a request command without credentials, with the real binary under both names:
// the stored session's server works with its token; another server gets no token, so kcx refuses
// before connecting (a connection would fail with exit 6 here: nothing listens on port 9).
import Foundation
import KcxJSON
import Testing

@Suite(.serialized) struct KcadmServerTests {
    @Test(arguments: ["kcx", "kcadm.sh"])
    func serverWithoutCredentials(_ name: String) throws {
        let keycloak = TestKeycloak.shared
        let shell = try KcadmShell()
        let login = try shell.run(
            name, ["config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser],
            stdin: keycloak.adminPassword + "\n")
        #expect(login.status == 0, "\(login)")

        let same = try shell.run(
            name, ["get", "realms/master", "-F", "realm", "--format", "csv", "--server", keycloak.baseURL + "/"])
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout == "\"master\"\n")

        let other = try shell.run(name, ["get", "realms/master", "--server", "http://127.0.0.1:9"])
        #expect(other.status == (name == "kcx" ? 4 : 1), "\(other)")
        #expect(other.stdout == "")
        #expect(
            other.stderr
                == "error: no credentials for --server http://127.0.0.1:9: the stored session is for \(keycloak.baseURL)\n"
                + "hint: log in for this command with --realm REALM and --user NAME (--password, a prompt or standard input) "
                + "or --client ID --secret SECRET, or give --token TOKEN\n")
    }
}

/// kcadm's `config credentials --status` (ConfigCredentialsCmd): one line on stdout, exit 0 whether
/// or not the session is usable, nothing sent.
@Suite(.serialized) struct KcadmCredentialsStatusTests {
    @Test(arguments: ["kcx", "kcadm.sh"])
    func statusSaysWhetherTheStoredSessionIsLoggedIn(_ name: String) throws {
        let keycloak = TestKeycloak.shared
        let shell = try KcadmShell()
        let before = try shell.run(name, ["config", "credentials", "--status"])
        #expect(before.status == 0, "\(before)")
        #expect(before.stdout == "You are not logged in\n")

        let login = try shell.run(
            name, ["config", "credentials", "--server", keycloak.baseURL, "--realm", "master", "--user", keycloak.adminUser],
            stdin: keycloak.adminPassword + "\n")
        #expect(login.status == 0, "\(login)")
        let status = try shell.run(name, ["config", "credentials", "--status"])
        #expect(status.status == 0, "\(status)")
        let prefix = "Logged in (server: \(keycloak.baseURL), realm: master, expired: false, timeToExpiry: "
        #expect(status.stdout.hasPrefix(prefix) && status.stdout.hasSuffix("s from now)\n"), "\(status.stdout)")
        let seconds = Int(status.stdout.dropFirst(prefix.count).prefix { $0.isNumber }) ?? -1
        #expect(seconds > 5 && seconds <= 60, "\(status.stdout)")

        let mixed = try shell.run(name, ["config", "credentials", "--status", "--user", "admin"])
        #expect(mixed.status == (name == "kcx" ? 2 : 1), "\(mixed)")
        #expect(mixed.stderr.contains("--status checks the stored session: it takes no --user"), "\(mixed)")
    }
}
