import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Answers every request on a connection (``RequestEnds``) with a file: its head, then the
/// file as a `FileRegion`, which NIO sends with `sendfile`. As zerodt-serve and nginx
/// (`tcp_nopush`) do, the socket is corked while responses are being written and uncorked
/// once the last of them is, so that a head and its file's start share segments. Answers go
/// out at the end of each read burst. Linux only, as `TCP_CORK` is.
final class FileHTTP1Handler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    private let file: FileResponse
    private var ends = RequestEnds()
    /// The last response written: the cork is lifted when it is done, not when an earlier
    /// read's last one is (NIO completes each write's promise as that write finishes).
    private var lastWritten: EventLoopFuture<Void>?
    var answered = false

    init(file: FileResponse) {
        self.file = file
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let requests = ends.count(in: unwrapInboundIn(data))
        guard requests > 0 else { return }
        if lastWritten == nil { setCork(true, context: context) }
        let response = file.current
        let done = context.eventLoop.makePromise(of: Void.self)
        for index in 0..<requests {
            context.write(wrapOutboundOut(.byteBuffer(response.head)), promise: nil)
            context.write(wrapOutboundOut(.fileRegion(response.region)), promise: index == requests - 1 ? done : nil)
        }
        lastWritten = done.futureResult
        done.futureResult.assumeIsolated().whenComplete { [self] _ in
            guard lastWritten === done.futureResult else { return }
            lastWritten = nil
            setCork(false, context: context)
        }
        answered = true
    }

    /// As zerodt-serve sets it: NIO's `SocketOptionProvider` costs more (a conformance lookup
    /// for the cast, and a promise per call).
    private func setCork(_ on: Bool, context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(.tcpOption(.init(rawValue: TCP_CORK)), value: on ? 1 : 0)
    }
}

/// The file every request gets, with its head as zerodt-serve sends a static file's (the same
/// fields, in the same order): per event loop thread, its own descriptor of the file (a
/// `NIOFileHandle` allows one user at a time: a second, concurrent use fails with `EBUSY`, so
/// its write fails before `sendfile`) and its own head, remade at most once a second for its
/// `Date`. The descriptors are never closed: the event loops serve until the process is killed.
final class FileResponse: Sendable {
    private let path: String
    private let size: Int
    /// The head's fields before `Date`, which do not change.
    private let leadingFields: String

    init(path: String) throws {
        // Measured where it is opened, as the static route does.
        let handle = try NIOFileHandle(_deprecatedPath: path)
        defer { try? handle.close() }
        var status = stat()
        guard try handle.withUnsafeFileDescriptor({ fstat($0, &status) }) == 0 else {
            throw IOError(errnoCode: errno, reason: "fstat \(path)")
        }
        self.path = path
        size = Int(status.st_size)
        let modified = status.st_mtim
        let tag = String(status.st_ino, radix: 16) + "-" + String(modified.tv_sec, radix: 16) + "."
            + String(modified.tv_nsec, radix: 16) + "-" + String(size, radix: 16)
        leadingFields = "HTTP/1.1 200 OK\r\nETag: \"\(tag)\"\r\nLast-Modified: \(HelloResponse.httpDate(modified.tv_sec))\r\n"
            + "Accept-Ranges: bytes\r\nContent-Type: application/octet-stream\r\n"
    }

    /// This thread's region of the file and head.
    final class Current {
        let region: FileRegion
        fileprivate(set) var second: time_t = -1
        fileprivate(set) var head = ByteBuffer()

        fileprivate init(region: FileRegion) {
            self.region = region
        }
    }

    /// The instance's own (a static one would hand another file's region out).
    nonisolated(unsafe) private let caches = ThreadSpecificVariable<Current>()

    var current: Current {
        let cache: Current
        if let existing = caches.currentValue {
            cache = existing
        } else {
            // Opened once in `init` already: a file that cannot be read fails there.
            let handle = try! NIOFileHandle(_deprecatedPath: path)
            cache = Current(region: FileRegion(fileHandle: handle, readerIndex: 0, endIndex: size))
            caches.currentValue = cache
        }
        let second = time(nil)
        if second != cache.second {
            cache.second = second
            cache.head = ByteBuffer(string: leadingFields + "Date: \(HelloResponse.httpDate(second))\r\n"
                + "Server: \(HelloResponse.server)\r\nContent-Length: \(size)\r\n\r\n")
        }
        return cache
    }
}
