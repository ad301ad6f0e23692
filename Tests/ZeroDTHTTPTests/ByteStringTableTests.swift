import Testing
@testable import ZeroDTHTTP

@Suite struct ByteStringTableTests {
    private func lookUp<Value>(_ key: String, in table: ByteStringTable<Value>) -> Value? {
        Array(key.utf8).withUnsafeBytes { table.value(for: $0) }
    }

    @Test func everyKeyIsFoundAmongThousandsAndNothingElse() {
        // Enough keys for their slots' probes to run into each other.
        let keys = (0..<3000).map { "/section\($0)/" } + ["", "/", "/a", "/é/ü"]
        let table = ByteStringTable(keys.enumerated().map { (key: $0.element, value: $0.offset) })
        for (index, key) in keys.enumerated() {
            #expect(lookUp(key, in: table) == index, "\(key)")
        }
        for missing in ["/section3000/", "/section1", "section1/", "/section1//", "/A", "//", "/é", "/section12/x"] {
            #expect(lookUp(missing, in: table) == nil, "\(missing)")
        }
    }

    @Test func anEmptyTableFindsNothing() {
        let table = ByteStringTable<Int>([])
        #expect(lookUp("", in: table) == nil)
        #expect(lookUp("/", in: table) == nil)
    }
}
