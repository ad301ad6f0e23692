import Testing

/// The site helpers themselves.
struct TestSiteTests {
    /// A log read while the server writes it can end in half a line: counted, it made a
    /// test take that half for the last line (`theHostPicksTheServerWhateverItsCasePortOrTrailingDot`).
    @Test func aLineWithoutItsNewlineYetIsNotALine() throws {
        let site = try TestSite()
        _ = try site.write("access.log", "{\"server\":\"apex\"}\n{\"server\":\"named\"}\n{\"server\":\"na")
        #expect(site.completeLines(of: "access.log") == ["{\"server\":\"apex\"}", "{\"server\":\"named\"}"])
        #expect(site.completeLines(of: "missing.log").isEmpty)
    }
}
