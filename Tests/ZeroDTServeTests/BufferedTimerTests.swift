import CoreMetrics
import Prometheus
import Testing
@testable import ZeroDTServe

/// Recordings reach the histogram at a flush, in their buckets, with their exact sum.
@Suite struct BufferedTimerTests {
    @Test func aFlushPassesEveryRecordingOnInItsBucket() {
        let registry = PrometheusCollectorRegistry()
        var prometheus = PrometheusMetricsFactory(registry: registry)
        prometheus.durationHistogramBuckets["t"] = [.milliseconds(1), .milliseconds(10)]
        let factory = BufferedTimerFactory(prometheus)
        let timer = CoreMetrics.Timer(label: "t", factory: factory)
        for nanoseconds: Int64 in [100_000, 900_000, 1_000_000, 5_000_000, 20_000_000] {
            timer.recordNanoseconds(nanoseconds)
        }
        let before = registry.emitToString()
        #expect(before.contains(#"t_count 0"#), "nothing before the flush: \(before)")
        factory.flush()
        let text = registry.emitToString()
        #expect(text.contains(#"t_bucket{le="0.001"} 3"#), "\(text)")
        #expect(text.contains(#"t_bucket{le="0.01"} 4"#), "\(text)")
        #expect(text.contains(#"t_bucket{le="+Inf"} 5"#), "\(text)")
        #expect(text.contains("t_count 5"), "\(text)")
        #expect(text.contains("t_sum 0.027"), "100µs+900µs+1ms+5ms+20ms: \(text)")
        // A second flush adds only what came since.
        timer.recordNanoseconds(2_000_000)
        factory.flush()
        factory.flush()
        #expect(registry.emitToString().contains("t_count 6"))
    }
}
