import Testing
@testable import ZeroDTHTTP

/// `RequestHost`'s one-pass reading of a plain `Host` must give what the general reading
/// gives, and leave everything else to it.
@Suite struct RequestHostPlainNameTests {
    @Test(arguments: ["example.com", "127.0.0.1:8080", "a", "x-y_z~1.example:0", "h:65535", "h:", "sub.example.org:443",
                      "!$&'()*+,;=.example", "a:000080", "a:0000000000065535"])
    func aPlainHostIsReadInOnePassAsTheGeneralReadingReadsIt(_ host: String) {
        #expect(RequestHost.plainName(host) != nil)
        #expect(RequestHost.plainName(host) == RequestHost.name(ofAuthority: Substring(host)))
    }

    @Test(arguments: ["Example.com", "example.com.", "example.com.:80", " a", "a ", "[::1]", "[::1]:80", "a:65536",
                      "a:123456", "a:0000000000065536", "a:1:2", "a:x", ":80", "", "a%41", "é.example", "a@b", "a/b",
                      String(repeating: "a", count: 256), "\u{212A}.example"])
    func anythingElseIsLeftToTheGeneralReading(_ host: String) {
        #expect(RequestHost.plainName(host) == nil)
    }

    @Test func plainNameMasksAreTheRegNameBytesButCapitals() {
        for byte in UInt8.min...UInt8.max {
            let expected = RequestHost.isRegNameByte(byte) && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            #expect(RequestHost.isPlainNameByte(byte) == expected, "byte \(byte)")
        }
    }
}
