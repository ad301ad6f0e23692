import NIOCore
import NIOHTTP2
import Testing
@testable import ZeroDTHTTP

@Suite struct HTTP2StreamEventTests {
    @Test func nioHTTP2sStreamEventsAreToldApartByTypeWithTheirStream() {
        let created = NIOHTTP2StreamCreatedEvent(streamID: 5, localInitialWindowSize: 65_535,
                                                 remoteInitialWindowSize: 65_535)
        guard case .created(let id) = HTTP2StreamEvent(created) else { Issue.record("created"); return }
        #expect(id == 5)
        guard case .closed(let closedID) = HTTP2StreamEvent(StreamClosedEvent(streamID: 7, reason: .cancel)) else {
            Issue.record("closed")
            return
        }
        #expect(closedID == 7)
        let window = NIOHTTP2WindowUpdatedEvent(streamID: .rootStream, inboundWindowSize: 10, outboundWindowSize: 20)
        guard case .windowUpdated(let windowID) = HTTP2StreamEvent(window) else { Issue.record("window"); return }
        #expect(windowID == .rootStream)
    }

    @Test func otherEventsAreOther() {
        for event in [ChannelShouldQuiesceEvent() as Any, ChannelEvent.inputClosed, "text", 3] {
            guard case .other = HTTP2StreamEvent(event) else {
                Issue.record("\(event)")
                continue
            }
        }
    }
}
