// The binaries start and answer their most basic questions.
import Testing

@Suite struct BinarySmokeTests {
    @Test func kcxPrintsItsVersion() throws {
        let result = try runProcess(Binaries.kcx, ["--version"], environment: [:])
        // A source build knows no release; scripts/package-test checks the packaged binaries' version.
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "kcx 0.0.0-dev (commit unknown)\n", "\(result)")
    }
}
