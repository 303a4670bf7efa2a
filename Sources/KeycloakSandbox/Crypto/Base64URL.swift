// Base64url without padding (RFC 4648 §5), the encoding of every JWT and JWK part.
import Foundation

enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// nil when `text` holds characters outside the url-safe alphabet or has an impossible length.
    static func decode(_ text: String) -> [UInt8]? { decode(text.utf8) }

    /// Decodes straight from the UTF-8 bytes: every admin request decodes a bearer token, so this
    /// avoids building an intermediate standard-alphabet string.
    static func decode<Bytes: Collection<UInt8>>(_ text: Bytes) -> [UInt8]? {
        let count = text.count
        // A single leftover character cannot encode a whole byte.
        guard count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            let value = sextets[Int(byte)]
            guard value >= 0 else { return nil }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Non-zero leftover bits are ignored, as Foundation's and Java's decoders do.
        return out
    }

    /// The 6-bit value of each byte of the url-safe alphabet, -1 for every other byte.
    private static let sextets: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(character)] = Int8(index)
        }
        return table
    }()
}
