import ZeroDT
import ZeroDTHTTP

/// What a successor does with the hand-over states its predecessor sends
/// (`Runtime.HandOverState`): each is the predecessor's whole exposition, running totals
/// included, and this value turns each into what to add to this process's metrics, so that
/// a counter goes on from where the predecessor's stood.
///
/// A counter gains what its total grew by since the last state (the first time, all of it),
/// so the two states of one hand-over (stopped accepting, drained) add up to the
/// predecessor's final total, whichever arrive. The gauges that describe the last restart
/// and drain are taken as they are. Nothing else crosses: the generation, connections and
/// requests in flight are this process's own, and histograms start afresh in each generation
/// (swift-prometheus cannot seed one).
struct CarriedMetrics: Sendable {
    /// What to do to this process's metrics.
    enum Change: Equatable, Sendable {
        case increment(name: String, labels: [ExpositionSample.Label], by: Int64)
        case set(name: String, labels: [ExpositionSample.Label], to: Double)
    }

    /// The counters that cross a restart, with the names of their labels in this release.
    static let counters: [String: Set<String>] = [
        RouteMetrics.requests: ["server", "route", "method", "code"],
        RouteMetrics.responseBytes: ["server", "route"],
        RouteMetrics.drainForcedCloses: [],
        RuntimeMetrics.restarts: ["result"],
    ]
    /// The gauges that cross a restart, with the names of their labels in this release.
    static let gauges: [String: Set<String>] = [RuntimeMetrics.restartDuration: [], RuntimeMetrics.drainDuration: []]

    /// The lines of an exposition that cross a restart, with their `# TYPE` lines: what a
    /// generation sends (the histograms, most of the text, stay behind).
    static func carriedLines(of exposition: [UInt8]) -> [UInt8] {
        let carried = Set(counters.keys).union(gauges.keys)
        var kept: [UInt8] = []
        for line in exposition.split(separator: UInt8(ascii: "\n")) {
            let name: ArraySlice<UInt8>
            if line.starts(with: "# TYPE ".utf8) {
                name = line.dropFirst(7).prefix { $0 != UInt8(ascii: " ") }
            } else {
                name = line.prefix { $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: " ") }
            }
            guard carried.contains(String(decoding: name, as: UTF8.self)) else { continue }
            kept += line
            kept.append(UInt8(ascii: "\n"))
        }
        return kept
    }

    private struct Key: Hashable {
        var name: String
        var labels: [ExpositionSample.Label]
    }

    /// Each counter's total in the last state received.
    private var received: [Key: Double] = [:]

    /// The changes one state asks for. Samples of other names, or of another type or other
    /// label names than this release gives them (a predecessor of another release), are left
    /// out: swift-prometheus refuses a name with two types, and stops the process on a
    /// family whose metrics differ in their label names.
    mutating func changes(for samples: [ExpositionSample]) -> [Change] {
        samples.compactMap { sample in
            let labelNames = Set(sample.labels.map(\.name))
            if sample.type == "counter", Self.counters[sample.name] == labelNames {
                let key = Key(name: sample.name, labels: sample.labels)
                let growth = sample.value - received[key, default: 0]
                received[key] = max(sample.value, received[key, default: 0])
                guard growth >= 1, let amount = Int64(exactly: growth.rounded(.down)) else { return nil }
                return .increment(name: sample.name, labels: sample.labels, by: amount)
            }
            if sample.type == "gauge", Self.gauges[sample.name] == labelNames {
                return .set(name: sample.name, labels: sample.labels, to: sample.value)
            }
            return nil
        }
    }
}
