import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

/// The gate's output hold for the drain's probe: the PING goes out ahead of what is held,
/// the GOAWAY ahead of its release, and nothing held is lost or left hanging.
@Suite struct HTTP2InputGateTests {
    private let gate = HTTP2InputGate()
    private let channel = EmbeddedChannel()

    init() throws {
        try channel.pipeline.syncOperations.addHandler(gate)
    }

    private func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func written() throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            frames.append(Array(buffer.readableBytesView))
        }
        return frames
    }

    private static let pingHeader: [UInt8] = [0, 0, 8, 6, 0, 0, 0, 0, 0]
    /// The probe's 8 bytes (not `Array(probePing)`: nio-http2 1.46's collection of them ends at 7).
    private static let probeData = withUnsafeBytes(of: HTTP2ConnectionStateMachine.probePing.integer.bigEndian, Array.init)
    private static let goAwayMaxID: [UInt8] = [0, 0, 8, 7, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]

    @Test func whatIsWrittenDuringTheProbeFollowsTheGoAway() throws {
        try channel.writeAndFlush(bytes("before")).wait()
        gate.holdOutput(behindPing: HTTP2ConnectionStateMachine.probePing)
        let held = channel.write(bytes("held"))
        channel.flush()
        var heldWritten = false
        held.assumeIsolated().whenSuccess { heldWritten = true }
        let probe = try written()
        #expect(probe == [Array("before".utf8), Self.pingHeader + Self.probeData], "\(probe)")
        #expect(!heldWritten)

        gate.announce()
        #expect(try written() == [Self.goAwayMaxID, Array("held".utf8)])
        #expect(heldWritten)
        // Released: writes pass again.
        try channel.writeAndFlush(bytes("after")).wait()
        #expect(try written() == [Array("after".utf8)])
    }

    /// The channel stays writable while output is held, so nio-http2 would go on sending all
    /// that the client's windows allow: past the gate's limit the hold ends, the GOAWAY
    /// going out first, flushed on the next turn (not inside nio-http2's write), when the
    /// connection's handler is told.
    @Test func aHoldOverTheHighWaterMarkEndsWithTheGoAwayFirst() throws {
        let half = HTTP2InputGate.heldBytesLimit / 2 + 1
        var endedEarly = 0
        gate.holdEndedEarly = { endedEarly += 1 }
        gate.holdOutput(behindPing: HTTP2ConnectionStateMachine.probePing)
        _ = try written()
        channel.write(ByteBuffer(repeating: 1, count: half), promise: nil)
        #expect(try written().isEmpty)
        channel.write(ByteBuffer(repeating: 2, count: half), promise: nil)
        #expect(try written().isEmpty && endedEarly == 0, "not from inside the write")
        channel.embeddedEventLoop.run()
        #expect(try written().map(\.count) == [Self.goAwayMaxID.count, half, half])
        #expect(endedEarly == 1)
        // Not announced twice; writes pass again.
        gate.announce()
        channel.write(bytes("after"), promise: nil)
        channel.flush()
        #expect(try written() == [Array("after".utf8)])
    }

    @Test func aCloseDuringTheProbeWritesWhatWasHeldFirst() throws {
        gate.holdOutput(behindPing: HTTP2ConnectionStateMachine.probePing)
        channel.write(bytes("held"), promise: nil)
        _ = try written()
        try channel.close().wait()
        #expect(try written() == [Array("held".utf8)])
    }

    @Test func whatIsHeldWhenTheConnectionGoesFailsItsPromises() throws {
        gate.holdOutput(behindPing: HTTP2ConnectionStateMachine.probePing)
        let held = channel.write(bytes("held"))
        var failure: (any Error)?
        held.assumeIsolated().whenFailure { failure = $0 }
        channel.pipeline.fireChannelInactive()
        #expect(failure as? ChannelError == .ioOnClosedChannel)
    }
}
