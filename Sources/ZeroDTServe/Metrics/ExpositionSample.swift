/// One sample of the Prometheus text format as swift-prometheus writes it: `name{labels} value`,
/// with the type its family's `# TYPE` line gives. Enough to read back this process's own
/// exposition (the hand-over state), not a parser for any exporter's output.
struct ExpositionSample: Equatable, Sendable {
    /// A label name and its value, unescaped.
    struct Label: Equatable, Hashable, Sendable {
        var name: String
        var value: String
    }

    var name: String
    var labels: [Label]
    var value: Double
    /// `counter`, `gauge`, `histogram`; nil when no `# TYPE` line named the sample.
    var type: String?

    /// The samples of `text`; a line that is not a well-formed sample is skipped.
    static func parse(_ text: [UInt8]) -> [ExpositionSample] {
        var types: [String: String] = [:]
        var samples: [ExpositionSample] = []
        for line in text.split(separator: UInt8(ascii: "\n")) {
            if line.first == UInt8(ascii: "#") {
                let fields = line.split(separator: UInt8(ascii: " "))
                if fields.count == 4, fields[1].elementsEqual("TYPE".utf8) {
                    types[String(decoding: fields[2], as: UTF8.self)] = String(decoding: fields[3], as: UTF8.self)
                }
                continue
            }
            guard var sample = sample(line) else { continue }
            sample.type = types[sample.name]
            samples.append(sample)
        }
        return samples
    }

    private static func sample(_ line: ArraySlice<UInt8>) -> ExpositionSample? {
        var index = line.startIndex
        while index < line.endIndex, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") {
            index += 1
        }
        guard index > line.startIndex, index < line.endIndex else { return nil }
        let name = String(decoding: line[line.startIndex..<index], as: UTF8.self)
        var labels: [Label] = []
        if line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.endIndex, line[index] != UInt8(ascii: "}") {
                guard let parsed = label(line, from: index) else { return nil }
                labels.append(parsed.label)
                index = parsed.end
                if index < line.endIndex, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.endIndex else { return nil }
            index += 1
        }
        guard index < line.endIndex, line[index] == UInt8(ascii: " "),
              let value = Double(String(decoding: line[(index + 1)...], as: UTF8.self))
        else { return nil }
        return ExpositionSample(name: name, labels: labels, value: value, type: nil)
    }

    /// `name="value"` at `start`, with `\\`, `\"` and `\n` unescaped, and the index after it.
    private static func label(_ line: ArraySlice<UInt8>, from start: Int) -> (label: Label, end: Int)? {
        guard let equals = line[start...].firstIndex(of: UInt8(ascii: "=")),
              equals + 1 < line.endIndex, line[equals + 1] == UInt8(ascii: "\"")
        else { return nil }
        var value: [UInt8] = []
        var index = equals + 2
        while index < line.endIndex {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                let label = Label(name: String(decoding: line[start..<equals], as: UTF8.self),
                                  value: String(decoding: value, as: UTF8.self))
                return (label, index + 1)
            }
            if byte == UInt8(ascii: "\\"), index + 1 < line.endIndex {
                index += 1
                value.append(line[index] == UInt8(ascii: "n") ? UInt8(ascii: "\n") : line[index])
            } else {
                value.append(byte)
            }
            index += 1
        }
        return nil
    }
}
