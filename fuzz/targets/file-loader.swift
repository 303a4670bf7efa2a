// libFuzzer target: a declarative file (YAML or JSON, `${VAR}` expansion) never traps; bad files
// give FileError with file:line:column, bad JSON gives JSONParseError with line and column.
import KcxJSON
import KeycloakKit

private let environment = ["REALM": "demo", "EMPTY": "", "SCOPE": "api-audience", "WEIRD": "${REALM}"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFileLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try JSON.parse(bytes).serialized()
    } catch {
        if error.line < 1 || error.column < 1 || error.message.isEmpty {
            fatalError("JSONParseError without a position: \(error)")
        }
    }
    // kcx refuses a file that is not UTF-8 before parsing it (a usage error), as DeclarativeCommands does.
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    if let root = try? YAML.parse(text) { _ = root.json.serialized() }
    do {
        _ = try DesiredState.parse(text, file: "fuzz.yaml", environment: environment)
    } catch {
        if error.file != "fuzz.yaml" || error.line < 1 || error.column < 1 || error.field.isEmpty || error.message.isEmpty {
            fatalError("FileError without file:line:column and field: \(error)")
        }
    }
    return 0
}
