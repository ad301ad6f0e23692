import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import ZeroDTHTTP

/// Files over TLS: regions become buffers of at most one chunk, one in flight at a time,
/// in order with the writes around them.
@Suite struct FileRegionReaderTests {
    /// A temporary file of `count` bytes (0, 1, 2, … modulo 251), open for reading.
    private static func file(count: Int) throws -> (NIOFileHandle, [UInt8], String) {
        let bytes = (0..<count).map { UInt8($0 % 251) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zerodt-region-\(UUID())").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return (try NIOFileHandle(_deprecatedPath: path), bytes, path)
    }

    private static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// Everything written out, in order, running the loop so that each next chunk goes out.
    private static func drain(_ channel: EmbeddedChannel) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        while true {
            channel.embeddedEventLoop.run()
            guard let next = try channel.readOutbound(as: IOData.self) else { return out }
            guard case .byteBuffer(let buffer) = next else {
                Issue.record("a file region reached the channel")
                return out
            }
            out.append(buffer)
        }
    }

    @Test func aRegionGoesOutInChunksBetweenTheWritesAroundIt() throws {
        let (handle, bytes, path) = try Self.file(count: 3 * FileRegionReader.chunkSize + 100)
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: path) }
        let channel = EmbeddedChannel(handler: FileRegionReader())
        let region = FileRegion(fileHandle: handle, readerIndex: 50, endIndex: bytes.count)
        let regionDone = channel.eventLoop.makePromise(of: Void.self)
        channel.write(IOData.byteBuffer(Self.buffer("head")), promise: nil)
        channel.write(IOData.fileRegion(region), promise: regionDone)
        let afterDone = channel.eventLoop.makePromise(of: Void.self)
        channel.write(IOData.byteBuffer(Self.buffer("next")), promise: afterDone)
        channel.flush()

        let out = try Self.drain(channel)
        #expect(out.map(\.readableBytes) == [4, 65536, 65536, 65536, 50, 4])
        #expect(out.first.map { String(buffer: $0) } == "head")
        #expect(out.last.map { String(buffer: $0) } == "next")
        let sent = out.dropFirst().dropLast().flatMap { $0.readableBytesView }
        #expect(Array(sent) == Array(bytes[50...]))
        var completed = false
        regionDone.futureResult.assumeIsolated().whenSuccess { completed = true }
        #expect(completed)
        #expect(try channel.finish().isClean)
        _ = afterDone
    }

    @Test func aFileShorterThanItsRegionFailsTheWriteAndClosesTheConnection() throws {
        let (handle, bytes, path) = try Self.file(count: 1000)
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: path) }
        let channel = EmbeddedChannel(handler: FileRegionReader())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let region = FileRegion(fileHandle: handle, readerIndex: 0, endIndex: bytes.count + 10)
        let done = channel.eventLoop.makePromise(of: Void.self)
        var failure: (any Error)?
        done.futureResult.assumeIsolated().whenFailure { failure = $0 }
        channel.writeAndFlush(IOData.fileRegion(region), promise: done)
        let out = try Self.drain(channel)
        #expect(out.map(\.readableBytes) == [1000])
        #expect(failure is TruncatedFileError, "\(String(describing: failure))")
        #expect(!channel.isActive)
    }

    /// Holds every write's promise, as a socket that the client does not read from would.
    private final class StalledSocket: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var promises: [EventLoopPromise<Void>?] = []
        var bytes = 0

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .byteBuffer(let buffer) = unwrapOutboundIn(data) { bytes += buffer.readableBytes }
            promises.append(promise)
        }

        func flush(context: ChannelHandlerContext) {}
    }

    @Test func aClientThatStopsReadingStopsTheReads() throws {
        let (handle, bytes, path) = try Self.file(count: 10 * FileRegionReader.chunkSize)
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: path) }
        let socket = StalledSocket()
        let channel = EmbeddedChannel(handlers: [socket, FileRegionReader()])
        channel.writeAndFlush(IOData.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: bytes.count)),
                              promise: nil)
        channel.embeddedEventLoop.run()
        // One chunk in memory, however large the file, until the socket takes it.
        #expect(socket.bytes == FileRegionReader.chunkSize)
        socket.promises.removeFirst()?.succeed()
        channel.embeddedEventLoop.run()
        #expect(socket.bytes == 2 * FileRegionReader.chunkSize)
        // The client goes away: the write in flight fails, and so does the region's.
        socket.promises.forEach { $0?.fail(ChannelError.ioOnClosedChannel) }
        channel.embeddedEventLoop.run()
        #expect(socket.bytes == 2 * FileRegionReader.chunkSize)
        _ = try? channel.finish()
    }
}

/// Under HTTP/2 a region is a DATA frame's payload, after its 9-byte header: a file cut
/// short ends that frame (and its stream, through the failed write), not the connection.
extension FileRegionReaderTests {
    /// A DATA frame header for `length` bytes on stream 1, with `flags`.
    private static func frameHeader(length: Int, flags: UInt8) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8(length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
                           0x0, flags, 0, 0, 0, 1])
    }

    private static func framesChannel() throws -> EmbeddedChannel {
        let reader = FileRegionReader()
        reader.carriesHTTP2Frames = true
        let channel = EmbeddedChannel(handler: reader)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    @Test func aFrameWhoseFileEndsEarlyIsCutWithoutEndStreamAndTheConnectionStays() throws {
        let (handle, _, path) = try Self.file(count: 1000)
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: path) }
        let channel = try Self.framesChannel()
        let done = channel.eventLoop.makePromise(of: Void.self)
        var failure: (any Error)?
        done.futureResult.assumeIsolated().whenFailure { failure = $0 }
        channel.write(IOData.byteBuffer(Self.frameHeader(length: 1500, flags: 0x1)), promise: nil)
        channel.write(IOData.fileRegion(FileRegion(fileHandle: handle, readerIndex: 500, endIndex: 2000)), promise: done)
        channel.write(IOData.byteBuffer(Self.buffer("next")), promise: nil)
        channel.flush()
        let out = try Self.drain(channel)
        #expect(out.map(\.readableBytes) == [9, 500, 4])
        #expect(out.first.map { Array($0.readableBytesView) } == [0, 0x01, 0xF4, 0x0, 0x0, 0, 0, 0, 1],
                "500 bytes, END_STREAM cleared")
        #expect(failure is TruncatedFileError)
        #expect(channel.isActive)
    }

    @Test func aWholeFramePassesUnchangedAndAHeaderSizedBufferAloneIsNotHeldPastAFlush() throws {
        let (handle, bytes, path) = try Self.file(count: 1000)
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: path) }
        let channel = try Self.framesChannel()
        channel.write(IOData.byteBuffer(Self.frameHeader(length: 1000, flags: 0x1)), promise: nil)
        channel.write(IOData.fileRegion(FileRegion(fileHandle: handle, readerIndex: 0, endIndex: 1000)), promise: nil)
        // An empty DATA frame is a header alone.
        channel.write(IOData.byteBuffer(Self.frameHeader(length: 0, flags: 0x1)), promise: nil)
        channel.flush()
        let out = try Self.drain(channel)
        #expect(out.map(\.readableBytes) == [9, 1000, 9])
        #expect(out.first?.getInteger(at: 4, as: UInt8.self) == 0x1)
        #expect(out.dropFirst().first.map { Array($0.readableBytesView) } == bytes)
    }
}
