import CoreMetrics
import NIOConcurrencyHelpers
import NIOPosix
import NIOHTTP1

/// The request metrics of one route of one server, or of the requests a server routed
/// nowhere (`RoutingTable.unroutedMetrics`), recorded through swift-metrics.
///
/// Made once, when the routing table is built, so that a request costs no label strings and
/// no lookup in the metrics backend: only its counter for its method and status is found,
/// by number, in its thread's table of the ones found before. No lock is taken: two event
/// loops contending for one would sleep in the kernel (measured: a sixth of the hello
/// case's requests per second).
public final class RouteMetrics: Sendable {
    /// Counter with `server`, `route`, `method` and `code`.
    public static let requests = "zerodt_http_requests_total"
    /// Histogram with `server` and `route`: from the request head to the response handed to
    /// the socket.
    public static let duration = "zerodt_http_request_duration_seconds"
    /// Counter with `server` and `route`: response body bytes.
    public static let responseBytes = "zerodt_http_response_bytes_total"
    /// Counter: connections a drain closed at its deadline (or when a second stop signal cut
    /// it short) rather than waiting for them to finish.
    public static let drainForcedCloses = "zerodt_drain_forced_closes_total"
    /// The `route` label of the requests no route answered (404s, redirects to a subtree):
    /// never a path, so that it cannot be confused with a route's pattern.
    public static let unroutedLabel = "unrouted"
    /// The upper bounds of the duration histogram's buckets: from half a millisecond (a
    /// cached file) to ten seconds (a slow module).
    public static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    private let dimensions: [(String, String)]
    private let duration: CoreMetrics.Timer
    private let bytes: Counter
    /// By `MethodLabel` and status code: the codes a route answers with are few, but not
    /// known in advance. Each is made once, here; threads keep what they found in `found`.
    private let requests = NIOLockedValueBox<[Int: Counter]>([:])
    /// Each thread's counters, by route and key, found without a lock.
    private static let found = ThreadSpecificVariable<FoundCounters>()

    /// The metrics of route `route` (its pattern, or `unroutedLabel`) of server `server`.
    /// - Important: make them after the program has bootstrapped its metrics backend.
    public init(server: String, route: String) {
        dimensions = [("server", server), ("route", route)]
        duration = CoreMetrics.Timer(label: Self.duration, dimensions: dimensions)
        bytes = Counter(label: Self.responseBytes, dimensions: dimensions)
    }

    /// Records one response.
    func record(method: HTTPMethod, status: Int, bytes sent: Int, duration elapsed: Duration) {
        counter(method: MethodLabel(method), status: status).increment()
        if sent > 0 { bytes.increment(by: Int64(sent)) }
        let (seconds, attoseconds) = elapsed.components
        duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private func counter(method: MethodLabel, status: Int) -> Counter {
        let key = method.rawValue << 16 | status
        let found = Self.found.currentValue ?? {
            let found = FoundCounters()
            Self.found.currentValue = found
            return found
        }()
        let foundKey = FoundCounters.Key(route: ObjectIdentifier(self), key: key)
        // Most responses repeat the thread's last route, method and status: no hashing then.
        if let last = found.last, last.key == foundKey { return last.counter }
        if let entry = found.counters[foundKey] {
            found.last = (foundKey, entry.route, entry.counter)
            return entry.counter
        }
        let counter = requests.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: Self.requests,
                                  dimensions: dimensions + [("method", method.name), ("code", String(status))])
            counters[key] = counter
            return counter
        }
        found.counters[foundKey] = (self, counter)
        found.last = (foundKey, self, counter)
        return counter
    }
}

/// One thread's request counters, as `RouteMetrics` found them: read and written only by
/// that thread (a `ThreadSpecificVariable`'s value), hence unchecked. Each entry holds its
/// route, so that no other route can come to have the same identifier.
private final class FoundCounters: @unchecked Sendable {
    struct Key: Hashable {
        var route: ObjectIdentifier
        var key: Int
    }

    var counters: [Key: (route: RouteMetrics, counter: Counter)] = [:]
    /// The entry found last (with its route, as in `counters`), checked before the table.
    var last: (key: Key, route: RouteMetrics, counter: Counter)?
}

/// A request method as a metrics label: the methods of RFC 9110 and PATCH by name, every
/// other one as `other`, so that a client cannot add label values at will.
enum MethodLabel: Int, CaseIterable {
    case get, head, post, put, delete, connect, options, trace, patch, other

    init(_ method: HTTPMethod) {
        switch method {
        case .GET: self = .get
        case .HEAD: self = .head
        case .POST: self = .post
        case .PUT: self = .put
        case .DELETE: self = .delete
        case .CONNECT: self = .connect
        case .OPTIONS: self = .options
        case .TRACE: self = .trace
        case .PATCH: self = .patch
        default: self = .other
        }
    }

    /// The label value.
    var name: String {
        self == .other ? "other" : String(describing: self).uppercased()
    }
}
