import NIOCore
import NIOHTTP1

/// `handler: metrics`: the process's metrics in the Prometheus text format (version 0.0.4),
/// for a Prometheus server to scrape. It takes no options. A config with such a route turns
/// metrics on for the whole process (`ServeMetrics`); see docs/operations.md for the metrics.
///
/// swift-prometheus writes only the Prometheus text format, so a scraper that asks for
/// OpenMetrics (`Accept: application/openmetrics-text`) gets that too, as Prometheus
/// accepts: the `Content-Type` says which it is.
///
/// A generation that no longer accepts answers 503: its successor serves the series on,
/// from the totals it was handed, and the old generation's own figures run ahead of those
/// until its drain ends. A scrape reaching it over a connection it still has (a keep-alive
/// one) would let the series go back at the next scrape, which Prometheus takes for a
/// counter reset; a failed scrape is only a gap.
public struct MetricsModule: HandlerModule {
    /// No options.
    public typealias Configuration = Void

    /// Named `metrics` in configs.
    public static let name = "metrics"
    /// Read-only.
    public static let allowedMethods: [HTTPMethod]? = [.GET, .HEAD]

    /// The Prometheus text format's media type.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Nothing to set up.
    public init(configuration: Void, setup: ModuleSetup) {}

    /// The exposition.
    public func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        guard context.state.isAccepting else {
            return ModuleResponse(status: .serviceUnavailable, headers: ["Cache-Control": "no-store", "Retry-After": "1"],
                                  text: "this generation is draining: its successor serves the metrics\n")
        }
        let text = ServeMetrics.shared.exposition(state: context.state)
        return ModuleResponse(headers: ["Content-Type": Self.contentType, "Cache-Control": "no-store"],
                              body: .bytes(ByteBuffer(bytes: text)))
    }
}
