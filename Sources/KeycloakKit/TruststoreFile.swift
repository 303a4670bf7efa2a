// What a truststore file holds (kcadm's `--truststore`, `config truststore`), and its certificates as
// the PEM bundle libcurl takes as its CA list. PEM is used as it is; a PKCS#12 file (or a single DER
// certificate) is read with OpenSSL; a Java keystore (JKS, JCEKS) is recognised so it can be named.
import CCrypto

public enum TruststoreFile {
    public enum Format: Sendable, Equatable {
        case pem
        /// A Java KeyStore or JCEKS file (magic 0xFEEDFEED / 0xCECECECE), which OpenSSL cannot read.
        case javaKeystore
        /// DER: a PKCS#12 file or a single certificate.
        case der
        case unknown
    }

    public static func format(of bytes: [UInt8]) -> Format {
        if bytes.starts(with: [0xFE, 0xED, 0xFE, 0xED]) || bytes.starts(with: [0xCE, 0xCE, 0xCE, 0xCE]) { return .javaKeystore }
        if bytes.first == 0x30 { return .der }
        if String(decoding: bytes, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") { return .pem }
        return .unknown
    }

    public enum ReadError: Error, Sendable, Equatable {
        /// Neither PKCS#12 nor a DER certificate.
        case notPKCS12
        /// The integrity check failed: the password is wrong (or one is needed).
        case wrongPassword
        /// The contents could not be decrypted (wrong password without a MAC, or an unknown algorithm).
        case unreadable
        case noCertificate
    }

    /// The certificates of a DER file as PEM text. `password` nil or empty: the file has none.
    public static func certificatesPEM(der bytes: [UInt8], password: String?) -> Result<[UInt8], ReadError> {
        var out: UnsafeMutablePointer<CChar>? = nil
        var length = 0
        let code = bytes.withUnsafeBufferPointer { buffer in
            if let password {
                return password.withCString { kcx_truststore_pem(buffer.baseAddress, buffer.count, $0, &out, &length) }
            }
            return kcx_truststore_pem(buffer.baseAddress, buffer.count, nil, &out, &length)
        }
        defer { kcx_free(out) }
        switch code {
        case 0:
            guard let out else { return .failure(.unreadable) }
            return .success(
                out.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
        case 1: return .failure(.notPKCS12)
        case 2: return .failure(.wrongPassword)
        case 4: return .failure(.noCertificate)
        default: return .failure(.unreadable)
        }
    }
}
