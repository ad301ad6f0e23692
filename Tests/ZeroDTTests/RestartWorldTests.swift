import Foundation
import TestSupport
import Testing
@testable import ZeroDT

/// Every restart decision explored across generations in a fake world: a seeded scheduler
/// tries thousands of orderings of signals, `reload`s, stops, SIGKILLs at any moment,
/// pid-file failures and message delays, and checks the restart contract after every step.
/// A failure prints its seed and the end of its trace; `ZERODT_WORLD_SEED` replays one.
@Suite struct RestartWorldTests {
    static let schedules = 10_000
    /// Bounded in time on a loaded machine; the count is checked, so a slow run fails loudly.
    static let budget: Duration = .seconds(120)

    @Test(arguments: [false, true])
    func everyScheduleKeepsTheContract(stateful: Bool) throws {
        if let seed = ProcessInfo.processInfo.environment["ZERODT_WORLD_SEED"].flatMap(UInt64.init) {
            var world = RestartWorld(seed: seed, stateful: stateful)
            try world.run()
            return
        }
        let start = ContinuousClock.now
        var explored = 0
        var seeds = SplitMix64(seed: stateful ? 0x5EED_0002 : 0x5EED_0001)
        while explored < Self.schedules && ContinuousClock.now - start < Self.budget {
            let seed = seeds.next()
            var world = RestartWorld(seed: seed, stateful: stateful)
            do {
                try world.run()
            } catch {
                Issue.record("seed \(seed) (stateful: \(stateful)): \(error)")
                return
            }
            explored += 1
        }
        #expect(explored == Self.schedules, "only \(explored) schedules in \(Self.budget)")
    }
}
