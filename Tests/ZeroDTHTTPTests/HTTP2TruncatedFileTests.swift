import Foundation
import NIOCore
import Testing
@testable import ZeroDTHTTP

/// A file that shrinks while an HTTP/2 response sends it: the stream is reset with
/// INTERNAL_ERROR, on both paths (answered directly, or by a stream channel), and the
/// connection goes on serving. `FileRegionReader` sits below, as under TLS.
extension HTTP2DirectStreamsTests {
    private static let internalError: UInt32 = 0x2

    /// Sends `request` for `/file` on stream 1, which goes out as far as the initial windows
    /// let it; truncates the file; then opens the windows, so that the next frames find the
    /// file short (the probe's clock never moves here). Checks the stream's end and that
    /// stream 3 is served after it.
    private func truncatedWhileStalled(_ request: ByteBuffer...) throws {
        defer { removeDirectory() }
        try send(contentsOf: request)
        #expect(bodyBytes(of: try received(), stream: 1) == 65_535)
        #expect(truncate(directory.appendingPathComponent("file").path, 70_000) == 0)
        try send(windowUpdate(stream: 1, by: 1 << 20), windowUpdate(stream: 0, by: 1 << 20))
        let frames = try received().filter { $0.stream == 1 }
        #expect(frames.compactMap(\.resetCode) == [Self.internalError], "\(frames)")
        #expect(!frames.contains { $0.flags & HTTP2Frames.endStream != 0 }, "no END_STREAM: the body is not complete")
        #expect(bodyBytes(of: frames, stream: 1) == 70_000 - 65_535, "what the file still holds, no more")
        try send(HTTP2Frames.get("/hi", stream: 3))
        #expect(bodyBytes(of: try received(), stream: 3) == 6)
        #expect(channel.isActive, "the connection goes on")
        #expect(handler.handles.allSatisfy { !$0.isOpen })
    }

    @Test func aFileTruncatedUnderADirectStreamResetsOnlyThatStream() throws {
        try truncatedWhileStalled(HTTP2Frames.get("/file", stream: 1))
        #expect(handler.direct == 2 && handler.throughStream == 0, "/file and /hi")
        // The bytes that went, as nginx's log counts them, not the length the head promised.
        let entry = logged.withLockedValue { $0.first { $0.target == "/file" } }
        #expect(entry?.status == 200 && entry?.bytes == 70_000, "\(String(describing: entry))")
    }

    @Test func aFileTruncatedUnderAStreamChannelResetsOnlyThatStream() throws {
        try truncatedWhileStalled(HTTP2Frames.postHead("/file", stream: 1),
                                  HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: [1]))
        #expect(handler.throughStream == 1 && handler.direct == 1, "/file, then /hi")
    }

    /// The probe sees the file shrink before any frame reads it: the stream is reset alike,
    /// on both paths. On a stream channel, the frames nio-http2 holds for the window fail
    /// as the reset goes, which ends the response's last write and closes the stream: the
    /// reset must still be the first word, not nio-http2's CANCEL for a closed channel.
    @Test(arguments: [false, true]) func aTruncationTheProbeFindsResetsTheStreamWithInternalError(
        throughStream: Bool) throws {
        defer { removeDirectory() }
        if throughStream {
            try send(HTTP2Frames.postHead("/file", stream: 1),
                     HTTP2Frames.frame(.data, flags: HTTP2Frames.endStream, stream: 1, payload: [1]))
        } else {
            try send(HTTP2Frames.get("/file", stream: 1))
        }
        _ = try received()
        #expect(truncate(directory.appendingPathComponent("file").path, 1000) == 0)
        loop.advanceTime(by: TruncationProbe.firstCheck)
        #expect(try received().filter { $0.stream == 1 }.compactMap(\.resetCode) == [Self.internalError])
        try send(windowUpdate(stream: 0, by: 100), HTTP2Frames.get("/hi", stream: 3))
        #expect(bodyBytes(of: try received(), stream: 3) == 6)
        #expect(channel.isActive)
    }
}
