import Foundation
import NIOHTTP1

/// `handler: status`: this generation's facts as JSON. It takes no options.
///
/// ```json
/// {
///   "draining" : false,
///   "generation" : 2,
///   "in_flight_requests" : 1,
///   "last_reload" : { "generation" : 2, "message" : "", "result" : "succeeded", "time" : "…" },
///   "pid" : 4242,
///   "servers" : [ { "connections" : 3, "listeners" : [ { "address" : "127.0.0.1:8080", … } ], "name" : "site" } ],
///   "start_time" : "2026-01-01T12:00:00Z",
///   "uptime_seconds" : 12.5
/// }
/// ```
/// `last_reload` is null until a reload happens; `in_flight_requests` counts module requests
/// being handled, this one included.
public struct StatusModule: HandlerModule {
    /// No options.
    public typealias Configuration = Void

    /// Named `status` in configs.
    public static let name = "status"
    /// Read-only.
    public static let allowedMethods: [HTTPMethod]? = [.GET, .HEAD]

    /// Nothing to set up.
    public init(configuration: Void, setup: ModuleSetup) {}

    private struct Report: Encodable {
        var pid: Int32
        var generation: Int
        var startTime: Date
        var uptimeSeconds: Double
        var draining: Bool
        var lastReload: ServeState.ReloadResult?
        var servers: [ServeState.ServerInfo]
        var inFlightRequests: Int

        enum CodingKeys: String, CodingKey {
            case pid, generation, draining, servers
            case startTime = "start_time"
            case uptimeSeconds = "uptime_seconds"
            case lastReload = "last_reload"
            case inFlightRequests = "in_flight_requests"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pid, forKey: .pid)
            try container.encode(generation, forKey: .generation)
            try container.encode(startTime, forKey: .startTime)
            try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
            try container.encode(draining, forKey: .draining)
            try container.encode(lastReload, forKey: .lastReload)
            try container.encode(servers, forKey: .servers)
            try container.encode(inFlightRequests, forKey: .inFlightRequests)
        }
    }

    /// The process's state as JSON.
    public func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        let state = context.state
        let uptime = state.uptime.components
        let report = Report(pid: state.pid, generation: state.generation, startTime: state.startTime,
                            uptimeSeconds: ((Double(uptime.seconds) + Double(uptime.attoseconds) / 1e18) * 1000)
                                .rounded() / 1000,
                            draining: state.isDraining, lastReload: state.lastReload, servers: state.servers,
                            inFlightRequests: state.inFlightRequests)
        return try .json(report, headers: ["Cache-Control": "no-store"])
    }
}
