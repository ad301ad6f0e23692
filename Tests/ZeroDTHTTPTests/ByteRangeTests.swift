import Testing

@testable import ZeroDTHTTP

@Suite struct ByteRangeTests {
    @Test func parsesTheThreeSpecForms() {
        #expect(ByteRanges.parse("bytes=0-499") == [.closed(first: 0, last: 499)])
        #expect(ByteRanges.parse("bytes=500-") == [.from(500)])
        #expect(ByteRanges.parse("bytes=-500") == [.suffix(500)])
        #expect(ByteRanges.parse("bytes=0-0,-1") == [.closed(first: 0, last: 0), .suffix(1)])
    }

    @Test func toleratesListWhitespaceEmptyElementsAndUnitCase() {
        #expect(ByteRanges.parse("Bytes=1-2 ,\t3-4, ,") == [.closed(first: 1, last: 2), .closed(first: 3, last: 4)])
        #expect(ByteRanges.parse(" BYTES=5-") == [.from(5)])
    }

    @Test(arguments: [
        "", "bytes=", "bytes=,", "bytes 0-1", "bytes =0-1", "items=0-1", "bytes=-", "bytes=1", "bytes=a-b",
        "bytes=5-4", "bytes=0-1-2", "bytes=0 -1", "bytes=+1-2", "bytes=-+1", "bytes=0-1;x", "bytes=1-2,junk",
    ])
    func rejectsInvalidFields(_ value: String) {
        #expect(ByteRanges.parse(value) == nil)
    }

    @Test func hugeNumbersSaturate() {
        #expect(ByteRanges.parse("bytes=0-99999999999999999999999") == [.closed(first: 0, last: Int.max)])
        #expect(ByteRanges.select(["bytes=0-99999999999999999999999"], size: 10) == .ranges([0..<10]))
        #expect(ByteRanges.select(["bytes=99999999999999999999999-"], size: 10) == .unsatisfiable)
        #expect(ByteRanges.select(["bytes=-99999999999999999999999"], size: 10) == .ranges([0..<10]))
    }

    @Test func resolvesAgainstTheSize() {
        #expect(ByteRanges.select(["bytes=0-499"], size: 1000) == .ranges([0..<500]))
        #expect(ByteRanges.select(["bytes=900-2000"], size: 1000) == .ranges([900..<1000]))
        #expect(ByteRanges.select(["bytes=500-"], size: 1000) == .ranges([500..<1000]))
        #expect(ByteRanges.select(["bytes=-300"], size: 1000) == .ranges([700..<1000]))
        #expect(ByteRanges.select(["bytes=-3000"], size: 1000) == .ranges([0..<1000]))
        #expect(ByteRanges.select(["bytes=999-999"], size: 1000) == .ranges([999..<1000]))
    }

    @Test func unsatisfiableWhenNothingOverlaps() {
        #expect(ByteRanges.select(["bytes=1000-"], size: 1000) == .unsatisfiable)
        #expect(ByteRanges.select(["bytes=1000-1001, 2000-"], size: 1000) == .unsatisfiable)
        #expect(ByteRanges.select(["bytes=-0"], size: 1000) == .unsatisfiable)
        #expect(ByteRanges.select(["bytes=0-"], size: 0) == .unsatisfiable)
        #expect(ByteRanges.select(["bytes=-5"], size: 0) == .unsatisfiable)
    }

    @Test func dropsUnsatisfiableSpecsAmongSatisfiableOnes() {
        #expect(ByteRanges.select(["bytes=5000-, 0-9"], size: 1000) == .ranges([0..<10]))
    }

    @Test func sortsAndCoalescesOverlappingAndAdjacentRanges() {
        #expect(ByteRanges.select(["bytes=500-599,0-99"], size: 1000) == .ranges([0..<100, 500..<600]))
        #expect(ByteRanges.select(["bytes=0-99,50-149"], size: 1000) == .ranges([0..<150]))
        #expect(ByteRanges.select(["bytes=0-99,100-199"], size: 1000) == .ranges([0..<200]))
        #expect(ByteRanges.select(["bytes=0-99,101-199"], size: 1000) == .ranges([0..<100, 101..<200]))
        #expect(ByteRanges.select(["bytes=-100,0-,10-20"], size: 1000) == .ranges([0..<1000]))
        #expect(ByteRanges.select(["bytes=10-20,0-5,12-14,3-8"], size: 1000) == .ranges([0..<9, 10..<21]))
    }

    @Test func ignoresAbsentRepeatedInvalidAndOverlongFields() {
        #expect(ByteRanges.select([], size: 1000) == .whole)
        #expect(ByteRanges.select(["bytes=0-1", "bytes=2-3"], size: 1000) == .whole)
        #expect(ByteRanges.select(["bytes=5-4"], size: 1000) == .whole)
        #expect(ByteRanges.select(["lines=0-1"], size: 1000) == .whole)
        let sixteen = (0..<16).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        let seventeen = sixteen + ",500-501"
        #expect(ByteRanges.select(["bytes=" + sixteen], size: 1000) != .whole)
        #expect(ByteRanges.select(["bytes=" + seventeen], size: 1000) == .whole)
    }
}
