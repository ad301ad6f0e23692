package extension Duration {
    /// `60s`, `1.5s` or `250ms`, for messages.
    var formatted: String {
        let (seconds, attoseconds) = components
        let milliseconds = Int(attoseconds / 1_000_000_000_000_000)
        if seconds == 0 { return "\(milliseconds)ms" }
        guard milliseconds > 0 else { return "\(seconds)s" }
        let fraction = String(milliseconds)
        return "\(seconds).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }

    /// The duration in seconds, as metrics and logs give it.
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
