import Foundation

/// Steady HTTP load from worker threads, counting every request that does not come back
/// as expected: refused, reset, end of file, timeout, wrong status or short body. A failed
/// request is never retried; the worker reconnects and goes on.
///
/// Workers take turns at three styles: keep-alive GETs, keep-alive POSTs with a body, and a
/// fresh connection per GET, so that both reused and new connections cross every restart.
final class LoadGenerator: @unchecked Sendable {
    struct Report: CustomStringConvertible {
        var requests: Int
        var failures: Int
        /// Failures to connect at all: nobody accepted (or kept in a backlog) the connection.
        var refused: Int
        /// The first few failures, for the test's message.
        var samples: [String]

        var description: String {
            "\(requests) requests, \(failures) failed" + (samples.isEmpty ? "" : ":\n" + samples.joined(separator: "\n"))
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
        return Report(requests: requests, failures: failures, refused: refused, samples: samples)
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
            if client == nil {
                do {
                    client = try HTTPTestClient(connectingTo: address, timeout: .seconds(10))
                } catch {
                    record(failure: "\(method) (\(style)): cannot connect: \(error)", refused: true)
                    continue
                }
            }
            do {
                let response = try client!.exchange(request, method: method, timeout: .seconds(10))
                if response.status != 200 || response.text != expectedBody {
                    record(failure: "\(method): \(response.status) \(response.text.debugDescription)")
                } else {
                    record(failure: nil)
                }
                if close || response.headers["Connection"]?.lowercased() == "close" {
                    client = nil
                }
            } catch {
                record(failure: "\(method) (\(style)): \(error)")
                client = nil
            }
        }
    }
}
