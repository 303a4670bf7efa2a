// libFuzzer target: the `-s`/`-d` key-path grammar and `--fields` never trap; bad text gives
// SetExpressionError / FieldFilterError naming the input, and a parsed path prints back to itself.
import KcxJSON
import KeycloakKit

private let body: JSON = [
    "clientId": "api", "attributes": ["include.in.token.scope": "true"], "redirectUris": ["https://a/*"],
    "protocolMappers": [["name": "aud", "config": ["included.client.audience": "api"]]],
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSetExpression(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let expression = try SetExpression.parse(text)
        roundTrip(expression.path)
        var edited = body
        do { try edited.apply(expression) } catch { if error.message.isEmpty { fatalError("empty JSONEditError") } }
    } catch {
        if error.input != text || error.reason.isEmpty { fatalError("SetExpressionError does not name the input: \(error)") }
    }
    do {
        let path = try JSONPath.parse(text)
        roundTrip(path)
        var edited = body
        do { try edited.remove(path) } catch { if error.message.isEmpty { fatalError("empty JSONEditError") } }
    } catch {
        if error.input != text || error.reason.isEmpty { fatalError("SetExpressionError does not name the input: \(error)") }
    }
    do {
        let filter = try FieldFilter.parse(text)
        if filter.names.isEmpty { fatalError("a parsed field filter with no fields") }
        _ = filter.apply(to: body)
    } catch {
        if error.input != text || error.reason.isEmpty { fatalError("FieldFilterError does not name the input: \(error)") }
    }
    return 0
}

/// Error messages print paths; what they print must read back as the same path.
private func roundTrip(_ path: JSONPath) {
    guard let again = try? JSONPath.parse(path.description), again == path else {
        fatalError("path \(path.components) prints as '\(path.description)', which does not parse back")
    }
}
