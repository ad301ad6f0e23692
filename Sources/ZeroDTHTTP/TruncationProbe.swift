#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Watches the files of a response sent with `sendfile` for being cut short underneath it.
///
/// A file truncated mid-response can never deliver the promised `Content-Length`, and NIO's
/// `sendfile` returns 0 at end of file, which NIO takes as "try again": the connection
/// would spin a core until the write timeout. NIO reports nothing per attempt, so the probe
/// looks at the files' sizes instead: soon after the response starts (50 ms), then at
/// doubling intervals, settling at four times a second while it is still being written.
/// A truncated file so spins a core for a quarter of a second at most; the `fstat`s cost
/// far less.
///
/// Responses with less than `minimumWatchedSize` bytes of file go without a probe (and so
/// without a timer each): they fit the socket buffer and leave in the `sendfile` of the
/// flush, microseconds after the file was opened and measured. Larger ones often leave in
/// that flush too (a 1 MiB file on loopback does), so the timer is set only after it: a
/// response already written by then has stopped the probe and costs no timer (scheduling
/// and cancelling one cost about 4,000 instructions). The HTTP/1 handler arms its probes
/// right after its flush (``AwaitingFlush``); where the flush is not the caller's own, a
/// task queued on the loop does (`start`), which cost a 1 MiB response about 4,500
/// instructions of its 54,000.
final class TruncationProbe {
    static let firstCheck: TimeAmount = .milliseconds(50)
    static let longestInterval: TimeAmount = .milliseconds(250)
    static let minimumWatchedSize = 64 * 1024

    /// Each file and the size it must keep for the response to complete.
    private let files: [(handle: NIOFileHandle, requiredSize: Int)]
    private var scheduled: Scheduled<Void>?
    /// Whether a check is set: a stopped probe has none.
    var isArmed: Bool { scheduled != nil }
    /// Stopped, or it found a file truncated (and so said it once).
    private(set) var isStopped = false
    /// What is called once a file is found too short: given when the probe waits for a flush.
    private var truncated: (() -> Void)?
    /// The probe after this one in an ``AwaitingFlush`` list.
    private var nextAwaitingFlush: TruncationProbe?

    /// A probe for the file parts of `body`; nil when they are fewer than
    /// `minimumWatchedSize` bytes.
    init?(body: [HTTPResponse.BodyPart]) {
        var files: [(handle: NIOFileHandle, requiredSize: Int)] = []
        var fileBytes = 0
        for case .file(let slice) in body {
            fileBytes += slice.count
            let end = slice.offset + slice.count
            if let index = files.firstIndex(where: { $0.handle === slice.handle }) {
                files[index].requiredSize = max(files[index].requiredSize, end)
            } else {
                files.append((slice.handle, end))
            }
        }
        guard fileBytes >= Self.minimumWatchedSize else { return nil }
        self.files = files
    }

    /// Checks until `stop()`, and calls `truncated` once a file has become too short. The
    /// first check is `firstCheck` after the tasks the loop runs next (after the flush that
    /// sends the response), unless the probe is stopped before those.
    /// - Important: must run on `eventLoop`, as must `stop()`.
    func start(on eventLoop: any EventLoop, truncated: @escaping () -> Void) {
        eventLoop.assumeIsolated().execute { [self] in
            arm(on: eventLoop, truncated: truncated)
        }
    }

    /// Checks from `firstCheck` on until `stop()`, unless it is stopped already: to be called
    /// right after the flush that sends the response, which stops the probe of a response it
    /// wrote whole.
    /// - Important: must run on `eventLoop`, as must `stop()`.
    func arm(on eventLoop: any EventLoop, truncated: @escaping () -> Void) {
        guard !isStopped else { return }
        schedule(on: eventLoop, in: Self.firstCheck, truncated: truncated)
    }

    /// The probes of responses written but not yet flushed, armed by the flush that sends
    /// them (``arm(on:truncated:)``): a list through the probes themselves, so that waiting
    /// costs a connection no storage of its own beyond its first probe's reference.
    struct AwaitingFlush {
        private var first: TruncationProbe?

        /// Keeps `probe` until the next flush, with what it calls when it finds a file too short.
        mutating func add(_ probe: TruncationProbe, truncated: @escaping () -> Void) {
            probe.truncated = truncated
            probe.nextAwaitingFlush = first
            first = probe
        }

        /// Arms every probe kept (those their flush stopped stay unarmed), and forgets them.
        /// - Important: must run on `eventLoop`, right after the flush.
        mutating func armAll(on eventLoop: any EventLoop) {
            while let probe = first {
                first = probe.nextAwaitingFlush
                probe.nextAwaitingFlush = nil
                if let truncated = probe.truncated.take() {
                    probe.arm(on: eventLoop, truncated: truncated)
                }
            }
        }
    }

    /// The response is done (or dropped): no more checks.
    func stop() {
        isStopped = true
        // What it would have called holds the connection's handler, which may hold this
        // probe until a flush that never comes (``AwaitingFlush``).
        truncated = nil
        scheduled?.cancel()
        scheduled = nil
    }

    private func schedule(on eventLoop: any EventLoop, in delay: TimeAmount, truncated: @escaping () -> Void) {
        scheduled = eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            scheduled = nil
            if isTruncated {
                isStopped = true
                truncated()
            } else {
                let next = TimeAmount.nanoseconds(min(delay.nanoseconds * 2, Self.longestInterval.nanoseconds))
                schedule(on: eventLoop, in: next, truncated: truncated)
            }
        }
    }

    /// Whether a file is now shorter than the response needs (a closed handle counts as not).
    private var isTruncated: Bool {
        files.contains { file in
            let size = try? file.handle.withUnsafeFileDescriptor { descriptor -> Int in
                var status = stat()
                return fstat(descriptor, &status) == 0 ? Int(status.st_size) : Int.max
            }
            return (size ?? Int.max) < file.requiredSize
        }
    }
}

@available(*, unavailable)
extension TruncationProbe: Sendable {}

/// A response's file turned out shorter than its response says (it shrank after it was
/// measured): the write of its region fails with this, so that the response's owner can cut
/// it short visibly (close an HTTP/1 connection, reset an HTTP/2 stream) and say so.
struct TruncatedFileError: Error, CustomStringConvertible {
    /// The bytes of the file that went out in the failed write before its end was found.
    var bytesSent = 0

    var description: String { "file shorter than the response says" }
}
