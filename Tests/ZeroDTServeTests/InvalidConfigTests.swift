import Testing
@testable import ZeroDTServe

@Suite struct InvalidConfigTests {
    static let corpus = InvalidConfigCase.syntax + InvalidConfigCase.structure + InvalidConfigCase.listen
        + InvalidConfigCase.routes + InvalidConfigCase.environment + InvalidConfigCase.site + InvalidConfigCase.hosts
        + InvalidConfigCase.compression

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 40)
        #expect(Set(Self.corpus.map(\.name)).count == Self.corpus.count, "case names must be unique")
    }

    @Test(arguments: corpus)
    func reportsEveryDiagnostic(_ testCase: InvalidConfigCase) throws {
        let (actual, expected) = try testCase.run()
        #expect(actual == expected)
    }
}
