import Foundation
import Testing

extension OperationsTests {
    /// The control socket cannot be held hostage by clients that never finish a request.
    @Suite(.serialized) struct ControlLimits {
        /// Past the cap, connections are closed as they come; the ones admitted are closed
        /// when their request does not arrive in time; and the socket still answers after.
        @Test func halfSentRequestsAreCappedAndTimedOut() throws {
            let server = try OperationsTests.start()
            defer { try? server.family.stop() }
            let clock = ContinuousClock()
            let started = clock.now
            var clients: [HTTPTestClient] = []
            for _ in 0..<80 {
                let client = try HTTPTestClient(connectingTo: .unix(path: server.control))
                try? client.send("{\"comm")
                clients.append(client)
            }
            // Without a cap every one stays open; with it, 16 at least are closed at once.
            let closedEarly = clients.filter { client in
                if case .timedOut = client.waitForClose(timeout: .milliseconds(50)) { return false }
                return true
            }
            #expect(closedEarly.count >= 80 - 64, "closed before any timeout: \(closedEarly.count)")
            // One deadline for all, well past the 5 s request timeout, so that a failure is quick too.
            let deadline = started + .seconds(15)
            let keptOpen = clients.filter { client in
                let left = max(.zero, deadline - clock.now)
                if case .timedOut = client.waitForClose(timeout: left) { return true }
                return false
            }
            #expect(keptOpen.isEmpty, "\(keptOpen.count) half-sent control requests were kept open")
            let status = try server.command("status")
            #expect(status.status == 0, "\(status)")
        }
    }
}
