// The slice of the admin client the provisioning operations need, so they test against a fake.
import KcxJSON

public protocol AdminAPI: AnyObject {
    /// Returns 2xx responses; throws KcxError for error statuses and TransportError below HTTP.
    func send(method: String, endpoint: String, realm: String?, query: [(String, String)], body: JSON?) throws -> HTTPResponse
}

extension AdminClient: AdminAPI {}

extension AdminAPI {
    func get(_ endpoint: String, realm: String, query: [(String, String)] = []) throws -> JSON {
        let response = try send(method: "GET", endpoint: endpoint, realm: realm, query: query, body: nil)
        guard let json = response.json else {
            throw KcxError(.serverError, "GET \(endpoint): the server's answer is not JSON")
        }
        return json
    }

    /// GET that answers nil for 404 instead of throwing.
    func getIfExists(_ endpoint: String, realm: String, query: [(String, String)] = []) throws -> JSON? {
        do {
            return try get(endpoint, realm: realm, query: query)
        } catch let error as KcxError where error.code == .notFound {
            return nil
        }
    }
}

/// Keycloak ids are UUIDs; anything else given where an object is named is a clientId or name.
func looksLikeUUID(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (index, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            if byte != UInt8(ascii: "-") { return false }
        } else if !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) && !(byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            && !(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
        {
            return false
        }
    }
    return true
}

/// Last path segment of a `Location` header: the id Keycloak gave a created object.
func createdID(from response: HTTPResponse) -> String? {
    guard let location = response.header("Location"), let slash = location.lastIndex(of: "/") else { return nil }
    let id = String(location[location.index(after: slash)...])
    return id.isEmpty ? nil : id
}
