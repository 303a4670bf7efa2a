// Redaction of URLs (user info, secret query and fragment fields) and of Keycloak's secret-holding
// members, and the verbose trace using them for request lines, failures and redirect Locations.
import KcxJSON
import Testing

@testable import KeycloakKit

@Suite struct RedactionURLTests {
    @Test(arguments: [
        (
            "https://kc.example.com/admin/realms/x/clients?first=0&max=10",
            "https://kc.example.com/admin/realms/x/clients?first=0&max=10"
        ),
        ("https://admin:hunter2@kc.example.com/realms/x", "https://admin:<redacted>@kc.example.com/realms/x"),
        ("https://admin@kc.example.com/realms/x", "https://admin@kc.example.com/realms/x"),
        ("https://a:b:c@kc.example.com", "https://a:<redacted>@kc.example.com"),
        ("https://kc/cb?state=s1&code=abc.def&session_state=z", "https://kc/cb?state=s1&code=<redacted>&session_state=z"),
        (
            "https://app/cb#state=s&access_token=eyJx.eyJy.sig&token_type=Bearer",
            "https://app/cb#state=s&access_token=<redacted>&token_type=Bearer"
        ),
        ("https://kc/x?client%5Fsecret=s&Password=p&other", "https://kc/x?client%5Fsecret=<redacted>&Password=<redacted>&other"),
        ("/relative/path?token=t#frag", "/relative/path?token=<redacted>#frag"),
        ("https://kc/a?b=1#", "https://kc/a?b=1#"),
    ])
    func urls(input: String, shown: String) {
        #expect(Redaction.url(input) == shown)
    }

    @Test func keycloakMembersHoldingSecretsAreRedacted() throws {
        let client = try JSON.parse(
            #"{"clientId":"c","secret":"s1","registrationAccessToken":"eyJr","attributes":{"client.secret.rotated":"old","client.secret.creation.time":"1"}}"#
        )
        #expect(
            Redaction.json(client).serialized()
                == #"{"clientId":"c","secret":"<redacted>","registrationAccessToken":"<redacted>","attributes":{"client.secret.rotated":"<redacted>","client.secret.creation.time":"1"}}"#
        )
        let provider = try JSON.parse(
            #"{"alias":"corp","config":{"clientId":"kc","clientSecret":"idp-secret","bindCredential":"ldap-pw","privateKey":"MIIE"}}"#
        )
        #expect(
            Redaction.json(provider).serialized()
                == #"{"alias":"corp","config":{"clientId":"kc","clientSecret":"<redacted>","bindCredential":"<redacted>","privateKey":"<redacted>"}}"#
        )
        // The config file's own spelling, should a session ever be shown.
        let session = try JSON.parse(#"{"server":"https://kc","accessToken":"eyJa","refreshToken":"eyJr"}"#)
        #expect(
            Redaction.json(session).serialized()
                == #"{"server":"https://kc","accessToken":"<redacted>","refreshToken":"<redacted>"}"#)
    }

    @Test func aRedirectErrorNamesTheLocationRedacted() {
        let response = HTTPResponse(status: 302, headers: [("Location", "https://sso.example.com/login?code=c1&next=/admin")])
        let error = APIError.error(method: "GET", url: "https://kc/admin/realms/x", server: "https://kc", response: response)
        #expect(
            error.hint
                == "the server redirects to https://sso.example.com/login?code=<redacted>&next=/admin; kcx does not follow redirects, so check the server URL"
        )
    }

    @Test func theVerboseTraceRedactsURLsAndRedirectLocations() throws {
        let inner = ScriptedHTTPTransport()
        inner.expect(
            "GET", "https://ops:pw1@kc/admin/realms/x",
            respond: HTTPResponse(
                status: 302, headers: [("Location", "https://app/cb#access_token=eyJa.eyJb.sig&state=1")]))
        inner.expect(
            "GET", "https://ops:pw1@kc/down?token=t2",
            fail: TransportError(
                kind: .connectionRefused, message: "Failed to connect to https://ops:pw1@kc/down?token=t2",
                url: "https://ops:pw1@kc/down?token=t2"))
        var lines: [String] = []
        let verbose = VerboseTransport(wrapping: inner, log: { lines.append($0) }, clock: { 1 })
        _ = try verbose.send(HTTPRequest(method: "GET", url: "https://ops:pw1@kc/admin/realms/x"))
        #expect(throws: TransportError.self) {
            try verbose.send(HTTPRequest(method: "GET", url: "https://ops:pw1@kc/down?token=t2"))
        }
        #expect(
            lines == [
                "> GET https://ops:<redacted>@kc/admin/realms/x",
                "< 302 Found (0 ms)",
                "< Location: https://app/cb#access_token=<redacted>&state=1",
                "> GET https://ops:<redacted>@kc/down?token=<redacted>",
                "! GET https://ops:<redacted>@kc/down?token=<redacted> failed after 0 ms: Failed to connect to https://ops:<redacted>@kc/down?token=<redacted>",
            ])
    }
}
