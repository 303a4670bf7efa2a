// docs/security.md's attack table is generated from SecurityAttack.all and checked here, so it cannot
// drift from the tests: every row's test must exist, and the committed table must equal the catalog.
// KCX_UPDATE_GOLDEN=1 rewrites the table between its markers.
import Foundation
import Testing

@Suite struct SecurityCatalogTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let begin = "<!-- attack-table:begin -->"
    static let end = "<!-- attack-table:end -->"

    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func table() -> String {
        var lines = [
            begin,
            "Generated from `Tests/EndToEndTests/Security/SecurityAttack*.swift` (\(SecurityAttack.all.count) attacks); "
                + "`KCX_UPDATE_GOLDEN=1 swift test --filter SecurityCatalogTests` rewrites it.",
            "",
            "| boundary | attack | outcome | test |",
            "|---|---|---|---|",
        ]
        lines += SecurityAttack.all.map { row in
            "| " + [row.boundary, row.attack, row.outcome, "`\(row.test)`"].map(cell).joined(separator: " | ") + " |"
        }
        lines.append(end)
        return lines.joined(separator: "\n")
    }

    /// Test sources by file name (unique across Tests/).
    static func testSources() throws -> [String: String] {
        var sources: [String: String] = [:]
        let tests = root.appendingPathComponent("Tests")
        let walker = FileManager.default.enumerator(at: tests, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "swift" { sources[url.lastPathComponent] = try String(contentsOf: url, encoding: .utf8) }
        }
        return sources
    }

    @Test func everyRowNamesATestThatExists() throws {
        let sources = try Self.testSources()
        for row in SecurityAttack.all {
            let parts = row.test.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(parts.count == 2, "'\(row.test)' is not 'File.swift: function'")
            guard parts.count == 2 else { continue }
            let source = sources[parts[0]]
            #expect(source != nil, "\(parts[0]) (named by '\(row.attack)') is not a test file")
            #expect(source?.contains("func \(parts[1])(") == true, "\(parts[0]) has no test function \(parts[1])")
        }
    }

    /// Each boundary of the threat model's guarantee table is tried by at least one attack.
    @Test func everyBoundaryIsTried() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/security.md"), encoding: .utf8)
        let guarantees = text.components(separatedBy: "## Attacks the tests try")[0]
        let boundaries = guarantees.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| "), !line.hasPrefix("| boundary"), !line.hasPrefix("|---") else { return nil }
            return line.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        #expect(boundaries.count == 10, "\(boundaries)")
        for boundary in boundaries {
            #expect(SecurityAttack.all.contains { $0.boundary == boundary }, "no attack tries the '\(boundary)' boundary")
        }
        #expect(
            Set(SecurityAttack.all.map(\.boundary)).isSubset(of: Set(boundaries)),
            "a row names a boundary docs/security.md does not")
    }

    @Test func theCommittedTableEqualsTheCatalog() throws {
        let url = Self.root.appendingPathComponent("docs/security.md")
        var text = try String(contentsOf: url, encoding: .utf8)
        guard let start = text.range(of: Self.begin), let stop = text.range(of: Self.end), start.lowerBound < stop.lowerBound
        else {
            Issue.record("docs/security.md lacks the markers \(Self.begin) ... \(Self.end)")
            return
        }
        let committed = String(text[start.lowerBound..<stop.upperBound])
        if ProcessInfo.processInfo.environment["KCX_UPDATE_GOLDEN"] == "1", committed != Self.table() {
            text.replaceSubrange(start.lowerBound..<stop.upperBound, with: Self.table())
            try Data(text.utf8).write(to: url)
            return
        }
        #expect(
            committed == Self.table(),
            "docs/security.md's attack table is stale: KCX_UPDATE_GOLDEN=1 swift test --filter SecurityCatalogTests")
    }
}
