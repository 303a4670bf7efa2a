// The binaries start and answer their most basic questions.
import Testing

@Suite struct BinarySmokeTests {
    @Test func kcxPrintsItsVersion() throws {
        let result = try runProcess(Binaries.kcx, ["--version"], environment: [:])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("kcx "), "\(result)")
    }
}
