// libFuzzer target: JWT decoding and RS256 verification never trap; bad tokens are JWTError.
// Input: `token`, or `JWKS JSON` NUL `token` (verify), or 0x01 then claims JSON (wrapped into a
// token here, so the fuzzer reaches the claim accessors without having to learn base64url).
import KcxJSON
import KeycloakKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.first == 0x01 {
        let header = base64URL(Array(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
        check(header + "." + base64URL(Array(bytes.dropFirst())) + ".c2ln")
    } else if let separator = bytes.firstIndex(of: 0) {
        let token = String(decoding: bytes[(separator + 1)...], as: UTF8.self)
        guard let document = try? JSON.parse(Array(bytes[..<separator])) else { return 0 }
        do {
            let jwks = try JWKS(document)
            _ = try JWT.verify(
                token, jwks: jwks,
                expectations: JWTExpectations(issuer: "https://kc/realms/r", audience: "api", now: 1_700_000_000))
        } catch {
            if error.description.isEmpty { fatalError("JWTError with an empty description") }
        }
    } else {
        check(String(decoding: bytes, as: UTF8.self))
    }
    return 0
}

private func check(_ token: String) {
    do {
        let jwt = try JWT.decode(token)
        _ = (jwt.audiences, jwt.issuer, jwt.expiresAt, jwt.keyID)
        _ = JSON.object(jwt.claims).serialized(.pretty)
    } catch {
        guard case .malformed(let what) = error, !what.isEmpty else { fatalError("decode threw \(error), not .malformed") }
    }
}

private func base64URL(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    var text = ""
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        var value: UInt32 = 0
        for byte in chunk { value = value << 8 | UInt32(byte) }
        value <<= UInt32(8 * (3 - chunk.count))
        for position in 0..<(chunk.count + 1) { text.append(alphabet[Int((value >> UInt32(18 - 6 * position)) & 63)]) }
        index += 3
    }
    return text
}
