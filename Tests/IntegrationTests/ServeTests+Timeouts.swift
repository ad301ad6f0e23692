import Testing

extension ServeTests {
    /// `timeouts:` and `max_connections`, with durations short enough to measure in a test.
    @Suite struct Timeouts {
        private static let get = "GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"
        private static let short = "    timeouts: { read_header: 1s, idle: 1s }"

        @Test func slowHeadersAreCutOffWhileOtherClientsAreServed() throws {
            try ServeTests.withServer(settings: Self.short) { address in
                let slow = try HTTPTestClient(connectingTo: address)
                let other = try HTTPTestClient(connectingTo: address)
                let padding = String(repeating: "z", count: 100)
                let head = Array("GET /hello HTTP/1.1\r\nHost: test\r\nX-Slow: \(padding)".utf8)
                let start = ContinuousClock.now
                var closed: HTTPTestClientError?
                var served = 0
                for byte in head {
                    do {
                        try slow.send([byte])
                    } catch {
                        closed = error as? HTTPTestClientError
                        break
                    }
                    // Paces the bytes, and notices the close as soon as it happens.
                    let outcome = slow.waitForClose(timeout: .milliseconds(150))
                    guard case .timedOut = outcome else {
                        closed = outcome
                        break
                    }
                    #expect(try other.exchange(Self.get).status == 201)
                    served += 1
                }
                let elapsed = ContinuousClock.now - start
                #expect(closed == .endOfFile(received: []), "closed without an answer")
                #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "after \(elapsed)")
                #expect(served >= 2, "the other client was served meanwhile")
                #expect(try other.exchange(Self.get).status == 201)
            }
        }

        @Test func aConnectionThatSendsNothingIsClosedAfterReadHeader() throws {
            try ServeTests.withServer(settings: "    timeouts: { read_header: 1s, idle: 30s }") { address in
                let client = try HTTPTestClient(connectingTo: address)
                let start = ContinuousClock.now
                #expect(client.waitForClose(timeout: .seconds(5)) == .endOfFile(received: []))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "after \(elapsed)")
            }
        }

        @Test func idleKeepAliveConnectionIsClosedAfterIdle() throws {
            try ServeTests.withServer(settings: "    timeouts: { read_header: 30s, idle: 1s }") { address in
                let client = try HTTPTestClient(connectingTo: address)
                // Requests closer together than `idle` keep the connection, for longer than
                // `idle` in all; the wide margin keeps a loaded machine from failing this.
                for _ in 0..<5 {
                    #expect(try client.exchange(Self.get).status == 201)
                    #expect(client.staysSilent(for: .milliseconds(250)))
                }
                #expect(try client.exchange(Self.get).status == 201)
                let start = ContinuousClock.now
                #expect(client.waitForClose(timeout: .seconds(5)) == .endOfFile(received: []))
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(3), "after \(elapsed)")
            }
        }

        @Test func clientBeyondMaxConnectionsWaitsUntilOneCloses() throws {
            try ServeTests.withServer(settings: "    limits: { max_connections: 2 }") { address in
                let first = try HTTPTestClient(connectingTo: address)
                let second = try HTTPTestClient(connectingTo: address)
                #expect(try first.exchange(Self.get).status == 201)
                #expect(try second.exchange(Self.get).status == 201)
                let third = try HTTPTestClient(connectingTo: address)
                try third.send(Self.get)
                #expect(third.staysSilent(for: .milliseconds(300)), "not accepted, and not reset")
                first.close()
                #expect(try third.readResponse(timeout: .seconds(2)).status == 201)
                #expect(try second.exchange(Self.get).status == 201)
            }
        }

        @Test func clientsArrivingTogetherAreAcceptedOnlyUpToMaxConnections() throws {
            try ServeTests.withServer(settings: "    limits: { max_connections: 2 }") { address in
                let clients = try (0..<6).map { _ in try HTTPTestClient(connectingTo: address) }
                for client in clients { try client.send(Self.get) }
                let answered = clients.filter { !$0.staysSilent(for: .milliseconds(200)) }
                #expect(answered.count == 2)
            }
        }
    }
}
