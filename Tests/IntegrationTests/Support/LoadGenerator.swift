import Foundation

/// Steady HTTP load from worker threads, counting every request that does not come back
/// as expected: refused, reset, end of file, timeout, wrong status or short body. Workers
/// behave as a correct HTTP client does: they do not reuse a keep-alive connection the
/// server has closed, and retry a GET (never a POST) once on a new connection when a reused
/// one fails before any byte of response (RFC 9112 §9.3.1). Otherwise a failed request is
/// not retried; the worker reconnects and goes on.
///
/// Workers take turns at three styles: keep-alive GETs, keep-alive POSTs with a body, and a
/// fresh connection per GET, so that both reused and new connections cross every restart.
final class LoadGenerator: @unchecked Sendable {
    struct Report: CustomStringConvertible {
        var requests: Int
        var failures: Int
        /// Failures to connect at all: nobody accepted (or kept in a backlog) the connection.
        var refused: Int
        /// GETs sent again because a reused connection closed before any byte of response.
        var retried: Int
        /// Keep-alive connections found closed by the server before the next request.
        var closedWhileIdle: Int
        /// The first few failures, for the test's message.
        var samples: [String]

        var description: String {
            "\(requests) requests, \(failures) failed, \(retried) GETs retried, \(closedWhileIdle) idle connections found closed" + (samples.isEmpty ? "" : ":\n" + samples.joined(separator: "\n"))
        }
    }

    private enum Style: CaseIterable {
        case keepAliveGet, keepAlivePost, freshConnection
    }

    private let address: TestAddress
    private let path: String
    private let expectedBody: String
    private let workers: Int
    private let lock = NSLock()
    private var running = true
    private var requests = 0
    private var failures = 0
    private var refused = 0
    private var retried = 0
    private var closedWhileIdle = 0
    private var samples: [String] = []
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    /// - Parameter expectedBody: what every response body must be (any status but 200 fails).
    init(address: TestAddress, path: String, expectedBody: String, workers: Int = 33) {
        self.address = address
        self.path = path
        self.expectedBody = expectedBody
        self.workers = workers
    }

    func start() {
        for index in 0..<workers {
            let style = Style.allCases[index % Style.allCases.count]
            finished.enter()
            let thread = Thread { [self] in
                work(style)
                finished.leave()
            }
            threads.append(thread)
            thread.start()
        }
    }

    /// Requests completed so far (successful or not).
    var completed: Int {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// Stops the workers and reports; waits at most `timeout` for them to finish.
    func stop(timeout: Duration = .seconds(15)) -> Report {
        lock.lock()
        running = false
        lock.unlock()
        let seconds = Double(timeout.components.seconds)
        if finished.wait(timeout: .now() + seconds) == .timedOut {
            record(failure: "load workers did not stop within \(timeout)")
        }
        lock.lock()
        defer { lock.unlock() }
        return Report(requests: requests, failures: failures, refused: refused, retried: retried, closedWhileIdle: closedWhileIdle,
                      samples: samples)
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    private func record(failure: String?, refused connection: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        requests += 1
        if connection { refused += 1 }
        if let failure {
            failures += 1
            if samples.count < 10 { samples.append(failure) }
        }
    }

    private func work(_ style: Style) {
        var client: HTTPTestClient?
        /// Responses read on `client`: above zero, it is a reused keep-alive connection.
        var answered = 0
        var sequence = 0
        while isRunning {
            sequence += 1
            let body = style == .keepAlivePost ? String(repeating: "p", count: 100 + sequence % 900) : ""
            let method = style == .keepAlivePost ? "POST" : "GET"
            let close = style == .freshConnection
            var request = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
            if !body.isEmpty { request += "Content-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n" }
            if close { request += "Connection: close\r\n" }
            request += "\r\n" + body
            // A server may close an idle keep-alive connection at any time (RFC 9112 §9.3,
            // §9.6); a draining one does after `drain_grace`. A client that was descheduled
            // meanwhile finds the server's FIN already there, often right behind the last
            // response: it must not send on that connection, as browsers and curl do not.
            if let reused = client, answered > 0, reused.peerHasClosed {
                lock.withLock { closedWhileIdle += 1 }
                client = nil
            }
            if client == nil {
                do {
                    client = try HTTPTestClient(connectingTo: address, timeout: .seconds(10))
                    answered = 0
                } catch {
                    record(failure: "\(method) (\(style)): cannot connect: \(error)", refused: true)
                    continue
                }
            }
            var attempt = exchange(request, method: method, on: client!, reused: answered > 0)
            // The server's close can still cross a request sent a moment after that check; then
            // it fails before any byte of response. RFC 9112 §9.3.1 and RFC 9110 §9.2.2: a
            // client may retry such a request on a new connection only when its method is
            // idempotent. So a GET is retried once; a POST never is, and counts as lost.
            if case .failure(let failure) = attempt, answered > 0, method == "GET",
               client!.failedBeforeAnyResponseByte(failure.error) {
                noteRetry()
                answered = 0
                do {
                    client = try HTTPTestClient(connectingTo: address, timeout: .seconds(10))
                    attempt = exchange(request, method: method, on: client!, reused: false)
                } catch {
                    record(failure: "\(method) (\(style)) retry: cannot connect: \(error)", refused: true)
                    client = nil
                    continue
                }
            }
            switch attempt {
            case .success(let response):
                answered += 1
                if response.status != 200 || response.text != expectedBody {
                    record(failure: "\(method): \(response.status) \(response.text.debugDescription)")
                } else {
                    record(failure: nil)
                }
                if close || response.headers["Connection"]?.lowercased() == "close" {
                    client = nil
                }
            case .failure(let failure):
                record(failure: "\(method) (\(style)): \(failure)")
                client = nil
            }
        }
    }

    /// What went wrong, with what the test needs to tell a server's fault from a race.
    private struct Failure: Error, CustomStringConvertible {
        var error: any Error
        var detail: String
        var description: String { "\(error) [\(detail)]" }
    }

    private func exchange(_ request: String, method: String, on client: HTTPTestClient, reused: Bool)
        -> Result<HTTPTestResponse, Failure>
    {
        let sent = Self.wallClock()
        do {
            return .success(try client.exchange(request, method: method, timeout: .seconds(10)))
        } catch {
            return .failure(Failure(error: error, detail: "local port \(client.localPort), sent \(sent), failed \(Self.wallClock()), "
                                    + (reused ? "reused keep-alive connection" : "new connection")))
        }
    }

    private func noteRetry() {
        lock.withLock { retried += 1 }
    }

    /// UTC time of day with microseconds, to line a failure up with the server's log.
    private static func wallClock() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%02d:%02d:%02d.%06d", parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1000)
    }
}
