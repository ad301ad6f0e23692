extension Runtime {
    /// What an app carries from one generation to the next over the control channel, as
    /// bytes the runtime does not read: the running totals of its metrics, say, so that a
    /// scraper sees counters go on rather than back to zero after a restart.
    ///
    /// A generation that hands over takes a `snapshot` twice: when it has stopped accepting
    /// (before its successor accepts) and again when it has drained (with what the drain
    /// added). The successor `receive`s each, in that order, the first before it accepts.
    /// Each snapshot is the whole state, not a difference: a successor whose predecessor
    /// died receives fewer, and the later one stands for the earlier. A snapshot larger than
    /// 512 KiB is not sent (a warning says so).
    public struct HandOverState: Sendable {
        /// In the generation handing over: the state as it is now.
        public var snapshot: @Sendable () -> [UInt8]
        /// In the successor: one snapshot its predecessor sent.
        public var receive: @Sendable (_ state: [UInt8]) -> Void

        /// A hand-over of what `snapshot` returns to the successor's `receive`.
        public init(snapshot: @escaping @Sendable () -> [UInt8], receive: @escaping @Sendable ([UInt8]) -> Void) {
            self.snapshot = snapshot
            self.receive = receive
        }
    }
}
