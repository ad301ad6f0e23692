import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Answers every request on a connection (``RequestEnds``) with a file: its head, then the
/// file as a `FileRegion`, which NIO sends with `sendfile`. As zerodt-serve and nginx
/// (`tcp_nopush`) do, the socket is corked while a response is written and uncorked once its
/// last write is done, so that the head and the file's start share segments. Answers go out
/// at the end of each read burst.
final class FileHTTP1Handler: ChannelInboundHandler, FlushesAtReadComplete {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    private let file: FileResponse
    private var ends = RequestEnds()
    private var corked = false
    var answered = false

    init(file: FileResponse) {
        self.file = file
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let requests = ends.count(in: unwrapInboundIn(data))
        guard requests > 0 else { return }
        if !corked { setCork(true, context: context) }
        let response = file.current
        var last: EventLoopPromise<Void>?
        for index in 0..<requests {
            context.write(wrapOutboundOut(.byteBuffer(response.head)), promise: nil)
            last = index == requests - 1 ? context.eventLoop.makePromise() : nil
            context.write(wrapOutboundOut(.fileRegion(response.region)), promise: last)
        }
        last!.futureResult.assumeIsolated().whenComplete { [self] _ in setCork(false, context: context) }
        answered = true
    }

    /// As zerodt-serve sets it: NIO's `SocketOptionProvider` costs more (a conformance lookup
    /// for the cast, and a promise per call).
    private func setCork(_ on: Bool, context: ChannelHandlerContext) {
        corked = on
        try? context.channel.syncOptions?.setOption(.tcpOption(.init(rawValue: TCP_CORK)), value: on ? 1 : 0)
    }
}

/// The file every request gets, with its head as zerodt-serve sends a static file's (the same
/// fields, in the same order): per event loop thread, its own descriptor of the file (a
/// `NIOFileHandle` allows one user at a time, and fails a second's `sendfile` with `EBUSY`)
/// and its own head, remade at most once a second for its `Date`.
final class FileResponse: Sendable {
    private let path: String
    private let size: Int
    /// The head's fields before `Date`, which do not change.
    private let leadingFields: String

    init(path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else { throw IOError(errnoCode: errno, reason: "stat \(path)") }
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

    nonisolated(unsafe) private static let caches = ThreadSpecificVariable<Current>()

    var current: Current {
        let cache: Current
        if let existing = Self.caches.currentValue {
            cache = existing
        } else {
            // A floor that cannot open its file cannot serve at all.
            let handle = try! NIOFileHandle(_deprecatedPath: path)
            cache = Current(region: FileRegion(fileHandle: handle, readerIndex: 0, endIndex: size))
            Self.caches.currentValue = cache
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
