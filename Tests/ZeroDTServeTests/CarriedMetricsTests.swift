import CoreMetrics
import Prometheus
import Testing
import ZeroDT
import ZeroDTHTTP
@testable import ZeroDTServe

/// Reading back swift-prometheus's exposition, and what a successor adds from it.
@Suite struct CarriedMetricsTests {
    typealias Label = ExpositionSample.Label

    /// A registry as a generation's, filled through swift-metrics as the server fills it:
    /// the response bytes of two routes (one with characters the format escapes), a restart, a drain,
    /// a histogram and the generation.
    static func registry(hello: Int64, odd: Int64) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        CoreMetrics.Counter(label: RouteMetrics.responseBytes, dimensions: [("server", "web"), ("route", "/hello")],
                            factory: factory).increment(by: hello)
        CoreMetrics.Counter(label: RouteMetrics.responseBytes, dimensions: [("server", "web"), ("route", "/a\"b\\c\nd")],
                            factory: factory).increment(by: odd)
        CoreMetrics.Counter(label: RuntimeMetrics.restarts, dimensions: [("result", "ok")], factory: factory).increment()
        CoreMetrics.Gauge(label: RuntimeMetrics.drainDuration, factory: factory).record(0.25)
        CoreMetrics.Gauge(label: RuntimeMetrics.generation, factory: factory).record(2)
        CoreMetrics.Timer(label: RouteMetrics.duration, dimensions: [("route", "/hello")], factory: factory)
            .recordNanoseconds(10_000)
        return registry
    }

    @Test func theRegistrysOwnTextReadsBackWithItsTypesAndLabels() {
        let samples = ExpositionSample.parse(Self.registry(hello: 5, odd: 3).emitToBuffer())
        #expect(samples.contains(ExpositionSample(
            name: RouteMetrics.responseBytes, labels: [Label(name: "server", value: "web"), Label(name: "route", value: "/hello")],
            value: 5, type: "counter")))
        #expect(samples.contains(ExpositionSample(
            name: RouteMetrics.responseBytes,
            labels: [Label(name: "server", value: "web"), Label(name: "route", value: "/a\"b\\c\nd")],
            value: 3, type: "counter")))
        #expect(samples.contains(ExpositionSample(name: RuntimeMetrics.drainDuration, labels: [], value: 0.25,
                                                  type: "gauge")))
        #expect(samples.contains { $0.name == RouteMetrics.duration + "_count" && $0.value == 1 })
    }

    @Test func malformedLinesAreSkipped() {
        let text = "# TYPE x counter\nx{a=\"1\" 3\nx{a=\"1\"} three\nx 4\n{a=\"1\"} 5\n"
        #expect(ExpositionSample.parse(Array(text.utf8)) == [ExpositionSample(name: "x", labels: [], value: 4,
                                                                                 type: "counter")])
    }

    @Test func countersGainWhatTheyGrewByAndOnlyTheCarriedNamesCross() {
        var carried = CarriedMetrics()
        let hello = [Label(name: "server", value: "web"), Label(name: "route", value: "/hello")]
        let first = carried.changes(for: ExpositionSample.parse(Self.registry(hello: 5, odd: 3).emitToBuffer()))
        #expect(first.contains(.increment(name: RouteMetrics.responseBytes, labels: hello, by: 5)))
        #expect(first.contains(.increment(name: RuntimeMetrics.restarts, labels: [Label(name: "result", value: "ok")],
                                          by: 1)))
        #expect(first.contains(.set(name: RuntimeMetrics.drainDuration, labels: [], to: 0.25)))
        // Neither the generation nor a histogram crosses.
        #expect(!first.contains { change in
            if case .set(RuntimeMetrics.generation, _, _) = change { return true }
            if case .increment(let name, _, _) = change { return name.hasPrefix(RouteMetrics.duration) }
            return false
        })
        // The final state after the drain: only the growth is added; what did not grow adds nothing.
        let second = carried.changes(for: ExpositionSample.parse(Self.registry(hello: 9, odd: 3).emitToBuffer()))
        #expect(second.contains(.increment(name: RouteMetrics.responseBytes, labels: hello, by: 4)))
        #expect(!second.contains { if case .increment(RuntimeMetrics.restarts, _, _) = $0 { true } else { false } })
        #expect(second.filter { if case .increment = $0 { true } else { false } }.count == 1)
    }

    @Test func whatIsSentIsWhatCrossesAndNoMore() {
        let exposition = Self.registry(hello: 5, odd: 3).emitToBuffer()
        let sent = ExpositionSample.parse(CarriedMetrics.carriedLines(of: exposition))
        let all = ExpositionSample.parse(exposition)
        var fromAll = CarriedMetrics()
        var fromSent = CarriedMetrics()
        #expect(fromSent.changes(for: sent) == fromAll.changes(for: all))
        #expect(sent.count == 4, "two byte counters, a restart counter, the drain gauge: \(sent)")
    }

    @Test func aCounterOfAnotherTypeIsNotCarried() {
        var carried = CarriedMetrics()
        let text = "# TYPE \(RouteMetrics.responseBytes) gauge\n\(RouteMetrics.responseBytes) 7\n"
        #expect(carried.changes(for: ExpositionSample.parse(Array(text.utf8))).isEmpty)
    }

    /// A predecessor of another release may label a metric otherwise; swift-prometheus
    /// stops the process on a family whose metrics differ in their label names.
    @Test func aMetricWithOtherLabelNamesIsNotCarried() {
        var carried = CarriedMetrics()
        let text = """
            # TYPE \(RouteMetrics.drainForcedCloses) counter
            \(RouteMetrics.drainForcedCloses){server="web"} 3
            # TYPE \(RuntimeMetrics.restarts) counter
            \(RuntimeMetrics.restarts) 2
            \(RuntimeMetrics.restarts){result="ok",kind="hup"} 4
            \(RuntimeMetrics.restarts){result="ok"} 5
            # TYPE \(RuntimeMetrics.drainDuration) gauge
            \(RuntimeMetrics.drainDuration){server="web"} 1.5

            """
        #expect(carried.changes(for: ExpositionSample.parse(Array(text.utf8)))
            == [.increment(name: RuntimeMetrics.restarts, labels: [.init(name: "result", value: "ok")], by: 5)])
    }
}
