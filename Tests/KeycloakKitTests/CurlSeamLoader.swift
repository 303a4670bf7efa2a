// One half of the C seam test (CurlSeamTests.swift is the other): libcurl is loaded from this file
// only, so a call from the other file works only if both see the same table of functions.
import CCurl

/// Loads libcurl through this file's view of the C target; nil when ready, else why not.
func loadCurlFromAnotherFile() -> String? {
    ccurl_load().map { String(cString: $0) }
}
