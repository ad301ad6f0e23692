import NIOCore

/// Writes a direct stream's body (`HTTPResponse.writes`) as DATA frames in order, at most
/// `inFlight` at a time: the next piece goes once one is written. Written all at once, a
/// body left nio-http2 holding a frame, a promise and their callbacks for every 16 KiB of a
/// file its client did not read (2.4 MB for each 64 MiB download a paused client had open).
final class HTTP2BodyPieces {
    /// Enough to keep a connection's window busy between two completions.
    static let inFlight = 4

    /// Writes one piece as a DATA frame, `endStream` on the last, completing `promise`.
    typealias Write = (_ piece: IOData, _ endStream: Bool, _ promise: EventLoopPromise<Void>) -> Void
    /// A piece was written, or failed (and with it the body): its file bytes, 0 for others.
    typealias PieceWritten = (_ result: Result<Void, any Error>, _ fileBytes: Int) -> Void

    private let pieces: [HTTPResponse.Write]
    private let eventLoop: any EventLoop
    private let write: Write
    private let flush: () -> Void
    private let pieceWritten: PieceWritten
    /// Completed when the last piece is written, failed when one fails.
    private let done: EventLoopPromise<Void>?
    private var next = 0
    private var pending = 0
    /// The first piece's failure: no piece is written after it.
    private var failure: (any Error)?
    private var finished = false

    /// - Parameters:
    ///   - flush: after pieces written from a completion (the first ones go with the head's
    ///     flush).
    init(_ pieces: [HTTPResponse.Write], eventLoop: any EventLoop, done: EventLoopPromise<Void>?,
         write: @escaping Write, flush: @escaping () -> Void, pieceWritten: @escaping PieceWritten) {
        self.pieces = pieces
        self.eventLoop = eventLoop
        self.done = done
        self.write = write
        self.flush = flush
        self.pieceWritten = pieceWritten
    }

    /// Writes the first pieces.
    /// - Important: on the stream's event loop.
    func start() {
        writeMore()
    }

    private func writeMore() {
        while failure == nil, next < pieces.count, pending < Self.inFlight {
            let piece = pieces[next]
            let isLast = next == pieces.count - 1
            next += 1
            pending += 1
            let written = eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { [self] result in
                pending -= 1
                pieceWritten(result, piece.isFileChunk ? piece.data.readableBytes : 0)
                switch result {
                case .success where failure == nil && !isLast:
                    // Not from inside the write that completed (a handler below may still be
                    // working through its flush).
                    eventLoop.assumeIsolated().execute { [self] in
                        let before = next
                        writeMore()
                        if next > before { flush() }
                    }
                case .success:
                    break
                case .failure(let error):
                    // A reset stream fails what nio-http2 holds of it; the rest is never written.
                    if failure == nil { failure = error }
                }
                finishIfDone()
            }
            write(piece.data, isLast, written)
        }
    }

    /// Completes `done` once no piece is left below (the body's files stay open until then):
    /// failed after a failure, else once the last piece is written.
    private func finishIfDone() {
        guard pending == 0, !finished else { return }
        if let failure {
            finished = true
            done?.fail(failure)
        } else if next == pieces.count {
            finished = true
            done?.succeed()
        }
    }
}

@available(*, unavailable)
extension HTTP2BodyPieces: Sendable {}
