import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

/// `Expect: 100-continue` is read in the check's one pass over the headers: by its first
/// `Expect`, name and value in any case.
@Suite struct RequestHeadCheckExpectTests {
    private func expectsContinue(_ headers: [(String, String)]) -> Bool {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/",
                                   headers: HTTPHeaders([("Host", "a")] + headers))
        return RequestHeadCheck(head, maxBodySize: 100).expectsContinue
    }

    @Test func theFirstExpectDecides() {
        #expect(expectsContinue([("Expect", "100-continue")]))
        #expect(expectsContinue([("EXPECT", "100-Continue")]))
        #expect(expectsContinue([("expect", "100-continue"), ("Expect", "other")]))
        #expect(!expectsContinue([]))
        #expect(!expectsContinue([("Expect", "other"), ("Expect", "100-continue")]))
        #expect(!expectsContinue([("Expect", "100-continue-not")]))
        #expect(!expectsContinue([("Accept", "100-continue")]))
    }
}
