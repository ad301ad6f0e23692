import NIOHTTP1
import Testing
@testable import ZeroDTHTTP

@Suite struct MethodLabelTests {
    @Test func standardMethodsByNameEveryOtherAsOther() {
        #expect(MethodLabel(.GET).name == "GET")
        #expect(MethodLabel(.PATCH).name == "PATCH")
        #expect(MethodLabel(.OPTIONS).name == "OPTIONS")
        #expect(MethodLabel(.PROPFIND).name == "other")
        #expect(MethodLabel(.RAW(value: "BREW")).name == "other")
        // Distinct numbers: the counter table is keyed by them.
        #expect(Set(MethodLabel.allCases.map(\.rawValue)).count == MethodLabel.allCases.count)
    }
}
