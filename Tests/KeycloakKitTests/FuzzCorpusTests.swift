// Replays every input in fuzz/corpus/{set-expression,file-loader,jwt} (seeds and what scripts/fuzz
// found) through the same entry points as the fuzz targets in fuzz/targets/, and checks the same
// contract: the input parses, or it throws the parser's own error naming the input or its position.
import Foundation
import KcxJSON
import Testing

@testable import KeycloakKit

/// The checked-in corpus of one fuzz target, file names sorted.
enum FuzzCorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/corpus")

    static func names(_ target: String) -> [String] {
        let directory = root.appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
    }

    static func bytes(_ target: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(target).appendingPathComponent(name)))
    }
}

@Suite struct FuzzCorpusTests {
    @Test func everyTargetHasASeededCorpus() {
        for target in ["router", "set-expression", "file-loader", "jwt"] {
            #expect(FuzzCorpus.names(target).count >= 10, "fuzz/corpus/\(target)")
        }
    }

    @Test(arguments: FuzzCorpus.names("set-expression"))
    func setExpression(_ name: String) throws {
        let text = String(decoding: try FuzzCorpus.bytes("set-expression", name), as: UTF8.self)
        let body: JSON = ["clientId": "api", "attributes": ["include.in.token.scope": "true"], "redirectUris": ["https://a/*"]]
        do {
            let expression = try SetExpression.parse(text)
            #expect(try JSONPath.parse(expression.path.description) == expression.path, "path prints back as itself")
            var edited = body
            do { try edited.apply(expression) } catch { #expect(!error.message.isEmpty) }
        } catch {
            #expect(error.input == text)
            #expect(error.description.hasPrefix("'\(text)': "))
        }
        do {
            let path = try JSONPath.parse(text)
            #expect(try JSONPath.parse(path.description) == path)
            var edited = body
            do { try edited.remove(path) } catch { #expect(!error.message.isEmpty) }
        } catch {
            #expect(error.input == text && !error.reason.isEmpty)
        }
        do {
            let filter = try FieldFilter.parse(text)
            #expect(!filter.names.isEmpty)
            _ = filter.apply(to: body)
        } catch {
            #expect(error.input == text && !error.reason.isEmpty)
        }
    }

    @Test(arguments: FuzzCorpus.names("file-loader"))
    func fileLoader(_ name: String) throws {
        let bytes = try FuzzCorpus.bytes("file-loader", name)
        do {
            _ = try JSON.parse(bytes).serialized()
        } catch {
            #expect(error.line >= 1 && error.column >= 1 && !error.message.isEmpty)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        if let root = try? YAML.parse(text) { _ = root.json.serialized() }
        let environment = ["REALM": "demo", "EMPTY": "", "SCOPE": "api-audience", "WEIRD": "${REALM}"]
        do {
            _ = try DesiredState.parse(text, file: "fuzz.yaml", environment: environment)
        } catch {
            #expect(error.file == "fuzz.yaml" && error.line >= 1 && error.column >= 1)
            #expect(!error.field.isEmpty && !error.message.isEmpty)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(error.line <= max(lines, 1), "the line is inside the file")
        }
    }

    @Test(arguments: FuzzCorpus.names("jwt"))
    func jwt(_ name: String) throws {
        let bytes = try FuzzCorpus.bytes("jwt", name)
        if bytes.first == 0x01 {
            let header = JWTTestEncoding.base64URL(Array(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
            try checkDecode(header + "." + JWTTestEncoding.base64URL(Array(bytes.dropFirst())) + ".c2ln")
        } else if let separator = bytes.firstIndex(of: 0) {
            let token = String(decoding: bytes[(separator + 1)...], as: UTF8.self)
            guard let document = try? JSON.parse(Array(bytes[..<separator])) else { return }
            // No corpus key signs the tokens, so verification must fail, and say why.
            #expect(throws: JWTError.self) {
                let jwks = try JWKS(document)
                _ = try JWT.verify(
                    token, jwks: jwks,
                    expectations: JWTExpectations(issuer: "https://kc/realms/r", audience: "api", now: 1_700_000_000))
            }
        } else {
            try checkDecode(String(decoding: bytes, as: UTF8.self))
        }
    }

    private func checkDecode(_ token: String) throws {
        do {
            let jwt = try JWT.decode(token)
            _ = (jwt.audiences, jwt.issuer, jwt.expiresAt, jwt.keyID)
        } catch {
            guard case .malformed(let what) = error else {
                Issue.record("decode threw \(error), not .malformed")
                return
            }
            #expect(!what.isEmpty)
        }
    }
}

enum JWTTestEncoding {
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// One test per problem fuzzing found, with the exact outcome now expected (see docs/fuzzing.md).
@Suite struct FuzzFindingTests {
    @Test func aCombiningMarkAfterADelimiterStaysItsOwnScalar() throws {
        let name = "\u{59D}+E\u{1}+"
        let path = JSONPath([.key(name)])
        #expect(path.description == "\"\(name)\"")
        #expect(try JSONPath.parse(path.description) == path)
        let expression = try SetExpression.parse("a.\u{301}b=1")
        #expect(expression.path == JSONPath([.key("a"), .key("\u{301}b")]))
        #expect(try FieldFilter.parse("a,\u{301}b").names == ["a", "\u{301}b"])
        // A quote inside a name carrying a combining mark is still escaped when printed.
        let quoted = JSONPath([.key("a\"\u{59C}.b")])
        #expect(quoted.description == "\"a\\\"\u{59C}.b\"")
        #expect(try JSONPath.parse(quoted.description) == quoted)
    }

    @Test func fieldSelectionsNestAtMost32Levels() throws {
        let deepest = String(repeating: "a(", count: 32) + "b" + String(repeating: ")", count: 32)
        #expect(try FieldFilter.parse(deepest).names == ["a"])
        let tooDeep = String(repeating: "a(", count: 33) + "b" + String(repeating: ")", count: 33)
        #expect(throws: FieldFilterError(input: tooDeep, reason: "fields nest deeper than 32 levels")) {
            try FieldFilter.parse(tooDeep)
        }
        let hostile = String(repeating: "a(", count: 60_000)
        #expect(throws: FieldFilterError(input: hostile, reason: "fields nest deeper than 32 levels")) {
            try FieldFilter.parse(hostile)
        }
    }

    @Test func aLongFieldListParsesAndStillRefusesARepeat() throws {
        let names = (0..<20_000).map { "f\($0)" }
        #expect(try FieldFilter.parse(names.joined(separator: ",")).names == names)
        #expect(throws: FieldFilterError(input: "a,b(c,c)", reason: "field 'c' is named twice")) {
            try FieldFilter.parse("a,b(c,c)")
        }
    }

    @Test func aFileWhoseTopLevelIsNotAMappingNamesTheFile() {
        #expect(throws: FileError(file: "f.yaml", line: 1, column: 1, field: "(file)", message: "expected a mapping")) {
            try DesiredState.parse("realm[[[[[[[[Z[[[[[[r\r\n", file: "f.yaml", environment: [:])
        }
        #expect(throws: FileError(file: "f.yaml", line: 1, column: 1, field: "(file)", message: "expected a mapping")) {
            try DesiredState.parse("- realm: a\n", file: "f.yaml", environment: [:])
        }
    }

    @Test func anAliasCannotNestDeeperThanAFileMay() throws {
        let inner = "a: &deep " + String(repeating: "[", count: 200) + "x" + String(repeating: "]", count: 200) + "\n"
        let outer = "b: " + String(repeating: "[", count: 100) + "*deep" + String(repeating: "]", count: 100) + "\n"
        #expect(throws: YAMLError(message: "alias *deep nests deeper than 256 levels", line: 2, column: 104)) {
            try YAML.parse(inner + outer)
        }
        let shallow = "b: " + String(repeating: "[", count: 50) + "*deep" + String(repeating: "]", count: 50) + "\n"
        #expect(try YAML.parse(inner + shallow)?["b"] != nil)
        // The chain that overflowed the stack before the bound: each level aliases the previous one.
        var chain = "l0: &l0 " + String(repeating: "[", count: 250) + "x" + String(repeating: "]", count: 250) + "\n"
        for level in 1..<400 {
            chain +=
                "l\(level): &l\(level) " + String(repeating: "[", count: 250) + "*l\(level - 1)"
                + String(repeating: "]", count: 250) + "\n"
        }
        #expect(throws: YAMLError(message: "alias *l0 nests deeper than 256 levels", line: 2, column: 259)) {
            try YAML.parse(chain)
        }
    }

    @Test func largeMappingsAndSequencesParseInLinearTime() throws {
        let keys = (0..<50_000).map { "k\($0)" }
        let mapping = try #require(try YAML.parse(keys.map { "\($0): v\n" }.joined()))
        #expect(mapping.json.objectValue?.keys == keys)
        #expect(throws: YAMLError(message: "duplicate key 'k7'", line: 50_001, column: 1)) {
            try YAML.parse(keys.map { "\($0): v\n" }.joined() + "k7: again\n")
        }
        let sequence = try #require(try YAML.parse((0..<200_000).map { "- x\($0)\n" }.joined()))
        #expect(sequence.json.arrayValue?.count == 200_000)
        let object = try JSON.parse("{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + ",\"k3\":2}")
        #expect(object.objectValue?.keys == keys)
        #expect(object["k3"] == 2)
    }

    @Test func aRepeatedJSONKeyKeepsItsPlaceAndTheLastValue() throws {
        #expect(try JSON.parse(#"{"a":1,"b":2,"a":3}"#).objectValue?.entries.map(\.key) == ["a", "b"])
        #expect(try JSON.parse(#"{"a":1,"b":2,"a":3}"#)["a"] == 3)
        let many = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let parsed = try JSON.parse("{" + many + ",\"k0\":99}")
        #expect(parsed.objectValue?.keys.first == "k0" && parsed.objectValue?.count == 20 && parsed["k0"] == 99)
    }
}
