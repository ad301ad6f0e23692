import CoreMetrics
import Foundation

/// The runtime's metrics, recorded through swift-metrics where restarts and drains happen:
/// nothing is recorded anywhere until the program bootstraps a metrics backend
/// (`MetricsSystem.bootstrap`), and only what it created after that counts.
public enum RuntimeMetrics {
    /// Gauge: this generation's number.
    public static let generation = "zerodt_generation"
    /// Gauge: when this generation's runtime started serving, in seconds since the epoch.
    public static let processStartTime = "zerodt_process_start_time_seconds"
    /// Counter with `result` = `ok` (counted by the successor that took over) or `failed`
    /// (counted by the generation that serves on).
    public static let restarts = "zerodt_restarts_total"
    /// Gauge: the last restart's time from the request (signal, command, watched file) to
    /// the successor's ready report, in seconds.
    public static let restartDuration = "zerodt_restart_duration_seconds"
    /// Gauge: the last hand-over drain's length, from the start of the drain to the last
    /// connection closed, in seconds.
    public static let drainDuration = "zerodt_drain_duration_seconds"

    /// The metric objects, made once per generation.
    struct Recorder: Sendable {
        let restartsOK: Counter
        let restartsFailed: Counter
        let restartDuration: Gauge
        let drainDuration: Gauge

        /// Makes the metrics and records the generation and its start.
        init(generation: Int, startedAt: Date) {
            restartsOK = Counter(label: RuntimeMetrics.restarts, dimensions: [("result", "ok")])
            restartsFailed = Counter(label: RuntimeMetrics.restarts, dimensions: [("result", "failed")])
            restartDuration = Gauge(label: RuntimeMetrics.restartDuration)
            drainDuration = Gauge(label: RuntimeMetrics.drainDuration)
            Gauge(label: RuntimeMetrics.generation).record(generation)
            Gauge(label: RuntimeMetrics.processStartTime).record(startedAt.timeIntervalSince1970)
        }
    }
}
