import NIOCore
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

/// Following the client's frames from its preface on, however its reads cut them, to spot
/// the answer to the final PING.
@Suite struct HTTP2FrameHeadsTests {
    private static let ping = HTTP2ConnectionStateMachine.finalPing

    private static func answer(_ data: UInt64) -> ByteBuffer { HTTP2Frames.ping(data, ack: true) }

    /// The preface, a request, a DATA frame whose payload holds the answer's very bytes, a
    /// PING (not an answer) with the payload, another PING's answer, and then the answer.
    private static let stream: [UInt8] = {
        var all = HTTP2Frames.preface
        all.writeImmutableBuffer(HTTP2Frames.get("/hi", stream: 1))
        all.writeImmutableBuffer(HTTP2Frames.frame(.data, stream: 1, payload: Array(answer(ping.integer).readableBytesView)))
        all.writeImmutableBuffer(HTTP2Frames.ping(ping.integer))
        all.writeImmutableBuffer(answer(7))
        all.writeImmutableBuffer(answer(ping.integer))
        return Array(all.readableBytesView)
    }()

    /// Feeds `bytes` in reads of `size`: the indexes of the reads that held the answer's end.
    private static func answeredIn(readsOf size: Int, awaiting ping: HTTP2PingData? = ping) -> [Int] {
        var heads = HTTP2FrameHeads()
        return stride(from: 0, to: stream.count, by: size).enumerated().compactMap { read, start in
            let bytes = ByteBuffer(bytes: stream[start..<min(start + size, stream.count)])
            return heads.scan(bytes, forAnswerTo: ping) ? read : nil
        }
    }

    @Test func theAnswerIsFoundOnceWhereverTheReadsEnd() {
        for size in [1, 2, 5, 8, 9, 10, 16, 17, 18, 33, Self.stream.count] {
            #expect(Self.answeredIn(readsOf: size) == [(Self.stream.count - 1) / size], "reads of \(size)")
        }
    }

    @Test func nothingIsFoundWhileNoAnswerIsAwaited() {
        #expect(Self.answeredIn(readsOf: 7, awaiting: nil).isEmpty)
    }
}
