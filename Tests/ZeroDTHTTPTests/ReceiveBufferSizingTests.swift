import NIOCore
import Testing
@testable import ZeroDTHTTP

/// The size of each read's buffer: the kept one while reads fit it, buffers of their own for
/// longer reads.
@Suite struct ReceiveBufferSizingTests {
    private static let kept = ReceiveBufferSizing.keptSize
    private static let large = ReceiveBufferSizing.largeSize

    /// Records reads of `sizes` in turn; the buffer size asked for after each.
    private static func sizes(after reads: [Int]) -> [Int] {
        var sizing = ReceiveBufferSizing()
        return reads.map { read in
            let ownBuffer = sizing.record(actualReadBytes: read)
            #expect(ownBuffer == (sizing.nextSize != kept), "after \(read) bytes")
            return sizing.nextSize
        }
    }

    @Test func theFirstBufferIsTheSmallKeptOneAndNIOIsAskedForNoSize() {
        let sizing = ReceiveBufferSizing()
        #expect(sizing.buffer(allocator: ByteBufferAllocator()).capacity == Self.kept)
        #expect(sizing.nextBufferSize() == nil)
    }

    @Test func shortReadsStayInTheKeptBuffer() {
        #expect(Self.sizes(after: [40, 1, Self.kept - 1]) == [Self.kept, Self.kept, Self.kept])
    }

    @Test func aReadThatFillsTheKeptBufferIsFollowedByALargeOne() {
        #expect(Self.sizes(after: [Self.kept]) == [Self.large])
        #expect(ReceiveBufferSizing(nextSize: Self.large).buffer(allocator: ByteBufferAllocator()).capacity == Self.large)
    }

    @Test func longHeadsKeepTheLargeBufferAndShortOnesGoBackToTheKeptOne() {
        // A browser's heads, then a health check's.
        #expect(Self.sizes(after: [Self.kept, 572, 700, 700, 40]) == [Self.large, Self.large, Self.large, Self.large, Self.kept])
    }

    /// A head a little longer than the kept buffer (140 bytes) is read in two the first
    /// time; the rest of it does not send the next one back to the kept buffer, so it then
    /// takes one read. A short head that comes by itself does.
    @Test func theRestOfALongerHeadKeepsTheLargeBuffer() {
        #expect(Self.sizes(after: [Self.kept, 12, 140, 140, 40]) == [Self.large, Self.large, Self.large, Self.large, Self.kept])
    }

    @Test func fullReadsDoubleUpToTheMaximumAndShortOnesHalveDownToLarge() {
        var reads = [Self.kept]
        var size = Self.large
        while size < ReceiveBufferSizing.maximumSize {
            reads.append(size)
            size *= 2
        }
        let grown = Self.sizes(after: reads + [ReceiveBufferSizing.maximumSize])
        #expect(grown.last == ReceiveBufferSizing.maximumSize)
        #expect(grown.dropLast().last == ReceiveBufferSizing.maximumSize)
        var sizing = ReceiveBufferSizing(nextSize: ReceiveBufferSizing.maximumSize)
        var halved: [Int] = []
        for _ in 0..<7 {
            _ = sizing.record(actualReadBytes: 1000)
            halved.append(sizing.nextSize)
        }
        #expect(halved == [32768, 16384, 8192, 4096, 2048, 1024, 1024])
        // A read more than half the buffer leaves it as it is.
        var steady = ReceiveBufferSizing(nextSize: 16384)
        _ = steady.record(actualReadBytes: 8193)
        #expect(steady.nextSize == 16384)
    }

    @Test func itFitsInlineInNIOsExistentialWithoutABox() {
        #expect(MemoryLayout<ReceiveBufferSizing>.size <= 3 * MemoryLayout<Int>.size)
    }
}
