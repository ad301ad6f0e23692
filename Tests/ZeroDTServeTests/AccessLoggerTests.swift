import Testing
@testable import ZeroDTServe

/// The text access log quotes the request line; what a client sent cannot break out of it.
@Suite struct AccessLoggerTests {
    @Test func quotesBackslashesControlsAndNonASCIIAreEscaped() {
        #expect(AccessLogger.escaped("/plain?a=1") == "/plain?a=1")
        #expect(AccessLogger.escaped("/a\"b\\c") == #"/a\"b\\c"#)
        #expect(AccessLogger.escaped("/x\r\ny\u{7F}é") == #"/x\x0D\x0Ay\x7F\xC3\xA9"#)
    }
}
