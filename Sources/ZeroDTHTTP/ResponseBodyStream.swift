import NIOCore
import NIOPosix

/// A response body produced piece by piece, whose length is not known before it ends: the
/// connection sends it as it comes, HTTP/1.1 chunked, HTTP/1.0 up to the connection's close,
/// HTTP/2 in DATA frames up to END_STREAM.
///
/// The connection asks for the next piece only once the previous one is written, so a stream
/// holds one piece at a time however slow the client, and a client that stops reading stops
/// the production (the write timeout then ends the connection).
///
/// A response carrying a stream is handed from its handler to its connection once; from then
/// on one thread at a time touches the stream (a piece is asked for only once the previous
/// one is written). Hence `Sendable` without locks in the implementations (`@unchecked`).
protocol ResponseBodyStream: AnyObject, Sendable {
    /// Produces the next piece, which may be empty (nothing to send yet: ask again), or nil once
    /// the whole body has been produced.
    /// - Throws: when the body cannot be completed (a file cut short); the connection then
    ///   ends the response unfinished, so that the client sees it is incomplete.
    /// - Important: called through `nextPiece(on:)`; each call must take a bounded time.
    func next() throws -> ByteBuffer?

    /// `next()`, run where it does not hold up the connection's event loop; the result is
    /// delivered on `eventLoop`.
    func nextPiece(on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?>

    /// Releases what the stream holds (files, a compressor). Called once, whether the body
    /// was produced to its end or not (a `HEAD`, a client gone, an error).
    func close()
}

extension ResponseBodyStream {
    /// `next()` on NIO's thread pool. The event loop runs every task that is ready before it
    /// polls its sockets again, so pieces made on it one task after another held its other
    /// connections off until a whole body was sent (35 s for a `/hello` behind ten level-9
    /// compressed downloads).
    func nextPiece(on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer?> {
        NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { try self.next() }
    }
}
