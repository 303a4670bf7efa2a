// The libcurl loader's state exists once per process: loaded through one Swift file
// (CurlSeamLoader.swift), its functions are callable from another. With the table in a header's
// static locals, each file had its own empty copy and this call went through a NULL pointer.
import CCurl
import Testing

@Suite struct CurlSeamTests {
    @Test func libcurlLoadedInOneFileIsUsableFromAnother() throws {
        #expect(loadCurlFromAnotherFile() == nil)
        let handle = try #require(ccurl_easy_init())
        defer { ccurl_easy_cleanup(handle) }
        #expect(ccurl_setopt_long(handle, CURLOPT_VERBOSE, 0) == CURLE_OK)
        #expect(String(cString: ccurl_easy_strerror(CURLE_OK)) == "No error")
    }
}
