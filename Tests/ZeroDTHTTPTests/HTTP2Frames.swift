import Logging
import NIOCore
import NIOEmbedded
import NIOHPACK
import Testing
@testable import ZeroDTHTTP

/// Raw HTTP/2 frames for driving the server's HTTP/2 pipeline as a client would, floods
/// included (a client built on nio-http2 refuses to send them).
enum HTTP2Frames {
    /// The client connection preface and an empty SETTINGS frame.
    static let preface: ByteBuffer = {
        var buffer = ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        buffer.writeImmutableBuffer(frame(.settings))
        return buffer
    }()

    enum Kind: UInt8 {
        case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7, windowUpdate = 8,
             continuation = 9
    }

    static let endStream: UInt8 = 0x1
    static let ack: UInt8 = 0x1
    static let endHeaders: UInt8 = 0x4

    static func frame(_ kind: Kind, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8] = []) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(payload.count) << 8 | UInt32(kind.rawValue))
        buffer.writeInteger(flags)
        buffer.writeInteger(stream)
        buffer.writeBytes(payload)
        return buffer
    }

    /// A header block for a GET (or a POST) of `path`, in HPACK: indexed `:method` and
    /// `:scheme https`, then `:path` and `:authority` as literals without indexing (no table
    /// state to track).
    static func requestBlock(path: String, post: Bool = false, extra: [UInt8] = []) -> [UInt8] {
        [post ? 0x83 : 0x82, 0x87] + literal(nameIndex: 4, path) + literal(nameIndex: 1, "test") + extra
    }

    /// The start of a POST of `path` on `stream`: its HEADERS, the body to follow.
    static func postHead(_ path: String, stream: UInt32) -> ByteBuffer {
        frame(.headers, flags: endHeaders, stream: stream, payload: requestBlock(path: path, post: true))
    }

    static func literal(nameIndex: UInt8, _ value: String) -> [UInt8] {
        precondition(value.utf8.count < 127)
        return [nameIndex, UInt8(value.utf8.count)] + Array(value.utf8)
    }

    /// A header with a new name, as a literal without indexing.
    static func literal(name: String, _ value: String) -> [UInt8] {
        precondition(name.utf8.count < 127 && value.utf8.count < 127)
        return [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
    }

    /// A complete GET request on `stream`.
    static func get(_ path: String, stream: UInt32) -> ByteBuffer {
        frame(.headers, flags: endHeaders | endStream, stream: stream, payload: requestBlock(path: path))
    }

    static func ping(_ data: UInt64, ack isAck: Bool = false) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(data)
        return frame(.ping, flags: isAck ? ack : 0, payload: Array(payload.readableBytesView))
    }

    /// The answer to the PING among `frames` (the drain's probe, or its PING after the first
    /// GOAWAY).
    static func pingAnswer(in frames: [Received]) throws -> ByteBuffer {
        let ping = try #require(frames.first { $0.kind == Kind.ping.rawValue })
        return frame(.ping, flags: ack, payload: Array(ping.payload.readableBytesView))
    }

    /// The client's answer to the PING that goes with the final GOAWAY.
    static let finalPingAnswer = ping(HTTP2ConnectionStateMachine.finalPing.integer, ack: true)

    /// The final GOAWAY went out with its PING, the last of `frames`: `channel` stays open
    /// until the client answers that PING, and closes then.
    static func expectClosedOnceTheFinalPingIsAnswered(_ channel: EmbeddedChannel, after frames: [Received],
                                                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ping = try #require(frames.last, sourceLocation: sourceLocation)
        #expect(ping.kind == Kind.ping.rawValue && ping.flags & ack == 0
                && ping.payload.getInteger(at: ping.payload.readerIndex, as: UInt64.self)
                == HTTP2ConnectionStateMachine.finalPing.integer, "\(frames)", sourceLocation: sourceLocation)
        #expect(channel.isActive, "until the final PING is answered", sourceLocation: sourceLocation)
        _ = try? channel.writeInbound(finalPingAnswer)
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive, sourceLocation: sourceLocation)
    }

    static func rstStream(_ stream: UInt32, code: UInt32 = 0x8) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        return frame(.rstStream, stream: stream, payload: Array(payload.readableBytesView))
    }

    /// A frame the server sent.
    struct Received: CustomStringConvertible {
        var kind: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: ByteBuffer

        /// A GOAWAY's last stream id and error code.
        var goAway: (lastStreamID: UInt32, code: UInt32)? {
            guard kind == Kind.goAway.rawValue,
                  let last = payload.getInteger(at: payload.readerIndex, as: UInt32.self),
                  let code = payload.getInteger(at: payload.readerIndex + 4, as: UInt32.self) else { return nil }
            return (last & 0x7FFF_FFFF, code)
        }

        /// A RST_STREAM's error code.
        var resetCode: UInt32? {
            kind == Kind.rstStream.rawValue ? payload.getInteger(at: payload.readerIndex, as: UInt32.self) : nil
        }

        /// A HEADERS frame's `:status`, decoded on its own (the frame must not refer to
        /// entries earlier frames put in the dynamic table: one response per test).
        var status: String? {
            guard kind == Kind.headers.rawValue else { return nil }
            var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
            var block = payload
            return (try? decoder.decodeHeaders(from: &block))?.first(name: ":status")
        }

        var description: String { "frame(type \(kind), flags \(flags), stream \(stream), \(payload.readableBytes) bytes)" }
    }

    /// Splits what the server wrote into frames (after its preface there is nothing else).
    static func parse(_ buffer: ByteBuffer) -> [Received] {
        var buffer = buffer
        var frames: [Received] = []
        while let header = buffer.readInteger(as: UInt32.self), let flags = buffer.readInteger(as: UInt8.self),
              let stream = buffer.readInteger(as: UInt32.self) {
            let length = Int(header >> 8)
            guard let payload = buffer.readSlice(length: length) else { break }
            frames.append(Received(kind: UInt8(header & 0xFF), flags: flags, stream: stream & 0x7FFF_FFFF,
                                   payload: payload))
        }
        return frames
    }
}

extension HTTP2Frames {
    /// The configuration the HTTP/2 pipeline tests start from, with short timeouts; then `configure`'s changes.
    static func configuration(_ configure: (inout HTTPServerConfiguration) -> Void) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.readHeaderTimeout = .seconds(1)
        configuration.idleTimeout = .seconds(5)
        configuration.drainGrace = .milliseconds(500)
        configure(&configuration)
        return configuration
    }

    /// Adds the server's HTTP/2 handlers for `hosts` to `channel`, connects it and goes through
    /// the prefaces: the server's SETTINGS, acknowledged, and its acknowledgement of ours.
    static func startServer(on channel: EmbeddedChannel, hosts: VirtualHosts,
                            configuration: HTTPServerConfiguration) throws {
        let pipeline = ConnectionPipeline(configuration: configuration, hosts: [hosts], tls: [nil],
                                          logger: Logger(label: "test"))
        try pipeline.addHTTP2Handlers(to: channel, hosts: hosts, tlsServerName: nil)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8443)).wait()
        try channel.writeInbound(preface)
        try channel.writeInbound(frame(.settings, flags: ack))
        _ = try received(on: channel)
    }

    /// The frames the server wrote on `channel` since the last call, once its loop has run.
    static func received(on channel: EmbeddedChannel) throws -> [Received] {
        channel.embeddedEventLoop.run()
        var all = ByteBuffer()
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&buffer) }
        return parse(all)
    }
}
