import CoreMetrics
import NIOConcurrencyHelpers
import Prometheus
import ZeroDT
import ZeroDTHTTP

/// The process's metrics backend: swift-prometheus's registry behind swift-metrics, which
/// `ZeroDT` and `ZeroDTHTTP` record through. Made (and swift-metrics bootstrapped) only when
/// the config serves a `metrics` route: otherwise nothing is recorded at all, and a request
/// costs no more than a nil check.
final class ServeMetrics: Sendable {
    /// Gauge with `server`: its open connections (this generation's, not those a
    /// predecessor is still draining).
    static let connections = "zerodt_http_connections"
    /// Gauge: requests being answered by handler modules.
    static let inFlight = "zerodt_http_requests_in_flight"
    /// Gauge with `version`, always 1.
    static let buildInfo = "zerodt_build_info"

    /// The one backend, bootstrapped on first use; swift-metrics takes one per process.
    static let shared = ServeMetrics()

    let registry: PrometheusCollectorRegistry
    private let factory: BufferedTimerFactory
    private let carried = NIOLockedValueBox(CarriedMetrics())

    private init() {
        registry = PrometheusCollectorRegistry()
        var prometheus = PrometheusMetricsFactory(registry: registry)
        prometheus.durationHistogramBuckets[RouteMetrics.duration] = RouteMetrics.durationBuckets
        factory = BufferedTimerFactory(prometheus)
        MetricsSystem.bootstrap(factory)
        CoreMetrics.Gauge(label: Self.buildInfo, dimensions: [("version", ZeroDTServe.version)]).record(1)
        // Present from the start, not from the first drain that closes one.
        _ = CoreMetrics.Counter(label: RouteMetrics.drainForcedCloses)
    }

    /// Whether `config` serves metrics: some route names the `metrics` module.
    static func isWanted(by config: SiteConfig) -> Bool {
        config.servers.contains { server in
            server.routes.contains { route in
                if case .handler(let handler) = route.action { return handler.name == MetricsModule.name }
                return false
            }
        }
    }

    /// The hand-over: the exposition's carried lines go to the successor, which adds them to
    /// its own.
    var handOverState: Runtime.HandOverState {
        Runtime.HandOverState(snapshot: { [registry] in CarriedMetrics.carriedLines(of: registry.emitToBuffer()) },
                              receive: { [self] in receive($0) })
    }

    /// Adds what a predecessor's state carries (`CarriedMetrics`).
    func receive(_ state: [UInt8]) {
        let changes = carried.withLockedValue { $0.changes(for: ExpositionSample.parse(state)) }
        for change in changes {
            switch change {
            case .increment(let name, let labels, let amount):
                CoreMetrics.Counter(label: name, dimensions: labels.map { ($0.name, $0.value) }).increment(by: amount)
            case .set(let name, let labels, let value):
                CoreMetrics.Gauge(label: name, dimensions: labels.map { ($0.name, $0.value) }).record(value)
            }
        }
    }

    /// The exposition, with the gauges that are read rather than recorded brought up to date.
    func exposition(state: ServeState) -> [UInt8] {
        for server in state.servers {
            CoreMetrics.Gauge(label: Self.connections, dimensions: [("server", server.name)]).record(server.connections)
        }
        CoreMetrics.Gauge(label: Self.inFlight).record(state.inFlightRequests)
        factory.flush()
        return registry.emitToBuffer()
    }
}
