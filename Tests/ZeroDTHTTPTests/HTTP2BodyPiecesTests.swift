import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// A direct stream's body goes out a few pieces at a time, and its files stay open until no
/// piece of it is left below.
@Suite struct HTTP2BodyPiecesTests {
    private let loop = EmbeddedEventLoop()

    /// Ten pieces; what was written (its promises, in order), and how `done` ended.
    private final class Recorder {
        var written: [(last: Bool, promise: EventLoopPromise<Void>)] = []
        var flushes = 0
        var done: Result<Void, any Error>?
    }

    private func start(_ recorder: Recorder, count: Int = 10) -> HTTP2BodyPieces {
        let pieces = (0..<count).map { _ in HTTPResponse.Write(data: .byteBuffer(ByteBuffer(string: "piece")), isFileChunk: false) }
        let done = loop.makePromise(of: Void.self)
        done.futureResult.assumeIsolated().whenComplete { recorder.done = $0 }
        let body = HTTP2BodyPieces(pieces, eventLoop: loop, done: done, write: { _, last, promise in
            recorder.written.append((last, promise))
        }, flush: { recorder.flushes += 1 }, pieceWritten: { _, _ in })
        body.start()
        return body
    }

    @Test func atMostAFewPiecesAreOutAtOnce() {
        let recorder = Recorder()
        let body = start(recorder)
        #expect(recorder.written.count == HTTP2BodyPieces.inFlight)
        recorder.written[0].promise.succeed()
        #expect(recorder.written.count == HTTP2BodyPieces.inFlight, "not from inside the completion")
        loop.run()
        #expect(recorder.written.count == HTTP2BodyPieces.inFlight + 1)
        #expect(recorder.flushes == 1)
        var completed = 1
        while completed < recorder.written.count {
            recorder.written[completed].promise.succeed()
            completed += 1
            loop.run()
        }
        #expect(recorder.written.count == 10 && recorder.written.map(\.last) == Array(repeating: false, count: 9) + [true])
        if case .success = recorder.done {} else { Issue.record("\(String(describing: recorder.done))") }
        withExtendedLifetime(body) {}
    }

    @Test func aFailedPieceStopsTheBodyAndEndsItOnceTheOthersAreBack() {
        struct Reset: Error {}
        let recorder = Recorder()
        let body = start(recorder)
        recorder.written[0].promise.fail(Reset())
        loop.run()
        #expect(recorder.done == nil, "three pieces are still below")
        for index in 1..<HTTP2BodyPieces.inFlight { recorder.written[index].promise.fail(Reset()) }
        loop.run()
        #expect(recorder.written.count == HTTP2BodyPieces.inFlight, "none after the failure")
        #expect(recorder.done.map { if case .failure = $0 { true } else { false } } == true)
        withExtendedLifetime(body) {}
    }
}
