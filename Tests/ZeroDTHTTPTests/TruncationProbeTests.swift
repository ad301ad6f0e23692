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
        let (tree, handle) = try Self.largeFile()
        defer { try? handle.close() }
        let loop = EmbeddedEventLoop()
        let probe = try #require(TruncationProbe(body: [Self.slice(handle)]))
        var reports = 0
        probe.start(on: loop) { reports += 1 }
        loop.run()
        #expect(truncate(tree.path + "/big.bin", 10) == 0)
        loop.advanceTime(by: TruncationProbe.firstCheck)
        #expect(reports == 1)
        loop.advanceTime(by: .seconds(2))
        #expect(reports == 1, "reported once: the probe stops checking")
    }

    /// A response written in the flush that follows it (the usual fate of a file on a fast
    /// connection) stops the probe before the loop's next tasks run: no check is ever made,
    /// so a file cut short afterwards, when the response is complete, is no concern of it.
    @Test func aProbeStoppedBeforeTheLoopsNextTasksNeverChecks() throws {
        let (tree, handle) = try Self.largeFile()
        defer { try? handle.close() }
        let loop = EmbeddedEventLoop()
        let probe = try #require(TruncationProbe(body: [Self.slice(handle)]))
        var reports = 0
        probe.start(on: loop) { reports += 1 }
        probe.stop()
        #expect(truncate(tree.path + "/big.bin", 10) == 0)
        loop.run()
        loop.advanceTime(by: .seconds(2))
        #expect(reports == 0)
    }

    /// A file that keeps its size is checked again and again, and never reported.
    @Test func aFileThatKeepsItsSizeIsNotReported() throws {
        let (_, handle) = try Self.largeFile()
        defer { try? handle.close() }
        let loop = EmbeddedEventLoop()
        let probe = try #require(TruncationProbe(body: [Self.slice(handle)]))
        var reports = 0
        probe.start(on: loop) { reports += 1 }
        loop.run()
        loop.advanceTime(by: .seconds(2))
        #expect(reports == 0)
        probe.stop()
    }

    private static let size = TruncationProbe.minimumWatchedSize

    private static func largeFile() throws -> (TemporaryTree, NIOFileHandle) {
        let tree = try TemporaryTree()
        let path = try tree.file("big.bin", [UInt8](repeating: 0x61, count: size))
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        return (tree, NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor))
    }

    private static func slice(_ handle: NIOFileHandle) -> HTTPResponse.BodyPart {
        .file(HTTPResponse.FileSlice(handle: handle, offset: 0, count: size))
    }
}
