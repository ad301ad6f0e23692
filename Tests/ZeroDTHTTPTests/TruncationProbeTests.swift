import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// The probe that ends a response whose file is cut short under it, on a loop whose time
/// the test moves.
@Suite struct TruncationProbeTests {
    /// A response still being written once the loop has run its next tasks gets checked
    /// `firstCheck` later, and a file cut short by then is reported once.
    @Test func aFileCutShortWhileItIsSentIsReported() throws {
        let watch = try Watch()
        watch.loop.run()
        #expect(truncate(watch.path, 10) == 0)
        watch.loop.advanceTime(by: TruncationProbe.firstCheck)
        #expect(watch.reports == 1)
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 1, "reported once: the probe stops checking")
    }

    /// A response written in the flush that follows it (the usual fate of a file on a fast
    /// connection) stops the probe before the loop's next tasks run: no check is ever made,
    /// so a file cut short afterwards, when the response is complete, is no concern of it.
    @Test func aProbeStoppedBeforeTheLoopsNextTasksNeverChecks() throws {
        let watch = try Watch()
        watch.probe.stop()
        #expect(truncate(watch.path, 10) == 0)
        watch.loop.run()
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 0)
    }

    /// A probe waiting for its flush (the HTTP/1 handler's) makes no check before it, and
    /// checks from the flush on: a file cut short is reported `firstCheck` after it.
    @Test func aProbeAwaitingAFlushChecksFromThatFlushOn() throws {
        let watch = try Watch(starts: false)
        var waiting = TruncationProbe.AwaitingFlush()
        waiting.add(watch.probe) { [unowned watch] in watch.reports += 1 }
        #expect(truncate(watch.path, 10) == 0)
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 0, "no check before the flush")
        waiting.armAll(on: watch.loop)
        watch.loop.advanceTime(by: TruncationProbe.firstCheck)
        #expect(watch.reports == 1)
        // Armed once: a second flush finds nothing waiting.
        waiting.armAll(on: watch.loop)
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 1)
    }

    /// A response its flush wrote whole stopped its probe during the flush: the probe is
    /// never armed, and costs no timer.
    @Test func aProbeStoppedByItsFlushIsNotArmed() throws {
        let watch = try Watch(starts: false)
        let other = try Watch(starts: false)
        var waiting = TruncationProbe.AwaitingFlush()
        waiting.add(watch.probe) { [unowned watch] in watch.reports += 1 }
        waiting.add(other.probe) { [unowned other] in other.reports += 1 }
        watch.probe.stop()
        waiting.armAll(on: watch.loop)
        #expect(!watch.probe.isArmed, "no timer for it")
        #expect(other.probe.isArmed)
        #expect(truncate(watch.path, 10) == 0)
        #expect(truncate(other.path, 10) == 0)
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 0)
        #expect(other.reports == 1, "the other probe of the same flush is armed")
        other.probe.stop()
    }

    /// A file that keeps its size is checked again and again, and never reported.
    @Test func aFileThatKeepsItsSizeIsNotReported() throws {
        let watch = try Watch()
        watch.loop.run()
        watch.loop.advanceTime(by: .seconds(2))
        #expect(watch.reports == 0)
        watch.probe.stop()
    }

    /// A probe on a file of `minimumWatchedSize` bytes, on a loop of the test's own (started
    /// on it unless `starts` is false), counting its reports.
    private final class Watch {
        let tree: TemporaryTree
        let path: String
        let handle: NIOFileHandle
        let loop = EmbeddedEventLoop()
        let probe: TruncationProbe
        var reports = 0

        init(starts: Bool = true) throws {
            tree = try TemporaryTree()
            path = try tree.file("big.bin", [UInt8](repeating: 0x61, count: TruncationProbe.minimumWatchedSize))
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
            handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            let slice = HTTPResponse.FileSlice(handle: handle, offset: 0, count: TruncationProbe.minimumWatchedSize)
            probe = try #require(TruncationProbe(body: [.file(slice)]))
            if starts {
                probe.start(on: loop) { [unowned self] in reports += 1 }
            }
        }

        deinit {
            try? handle.close()
        }
    }
}
