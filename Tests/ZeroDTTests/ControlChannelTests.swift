#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import ZeroDT

/// The hand-over state on the real control channel, and across releases.
@Suite struct ControlChannelTests {
    @Test func eachStageCarriesTheStateSentWithIt() async throws {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemError(call: "socketpair", errno: errno)
        }
        let parent = try await ControlChannel.adopt(fd: fds[0])
        let child = try await ControlChannel.adopt(fd: fds[1])
        try await parent.send(.acceptingStopped(state: Data([1, 2, 3])))
        #expect(try await child.stages.acceptingStopped.futureResult.get() == [1, 2, 3])
        try await parent.send(.shutdownComplete(state: nil))
        #expect(try await child.stages.shutdownComplete.futureResult.get() == nil)
        await parent.close()
        await child.close()
    }

    @Test func aStageWithoutStateReadsAsTheFirstReleaseWroteIt() throws {
        // What releases before the hand-over state sent, and what they expect to read.
        let old = Data(#"{"acceptingStopped":{}}"#.utf8)
        #expect(try JSONDecoder().decode(ControlMessage.self, from: old) == .acceptingStopped(state: nil))
        let none = try JSONEncoder().encode(ControlMessage.shutdownComplete(state: nil))
        #expect(String(decoding: none, as: UTF8.self) == #"{"shutdownComplete":{}}"#)
        // A newer peer's field is ignored by a decoder that knows none: the same enum shape.
        let carried = try JSONEncoder().encode(ControlMessage.shutdownComplete(state: Data([7])))
        #expect(try JSONDecoder().decode(ControlMessage.self, from: carried) == .shutdownComplete(state: Data([7])))
    }
}
