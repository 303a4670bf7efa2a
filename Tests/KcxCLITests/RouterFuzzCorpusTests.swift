// Replays every argv in fuzz/corpus/router (NUL-separated words; seeds and what scripts/fuzz found)
// through the real command table's router: it routes, or refuses with a usage error (exit 2).
import Foundation
import KeycloakKit
import Testing

@testable import KcxCLI

@Suite struct RouterFuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/corpus/router")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func corpusIsSeeded() {
        #expect(Self.names.count >= 10)
    }

    @Test(arguments: RouterFuzzCorpusTests.names)
    func routes(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let router = Router(commands: CommandTable.all)
        do {
            switch try router.route(arguments) {
            case .run(let invocation): #expect(router.command(at: invocation.command.path) != nil)
            case .help(let path): #expect(path.isEmpty || router.command(at: path) != nil || router.isGroup(path))
            case .version: #expect(arguments.contains("--version"))
            }
        } catch {
            #expect(error.code == .usage)
            #expect(!error.message.isEmpty && error.hint != nil, "a usage error says what to do")
        }
    }
}
