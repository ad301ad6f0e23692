import NIOHTTP1

/// `handler: health`: 200 `ok` while this generation serves, 503 `draining` once it has
/// stopped accepting and is finishing its connections, so that a load balancer stops
/// sending to a generation on its way out. It takes no options.
///
/// During a zero-downtime restart the successor accepts new connections as soon as the old
/// generation stops, so a health check on a new connection sees 200 throughout; only
/// requests still arriving on the old generation's keep-alive connections see 503.
public struct HealthModule: HandlerModule {
    /// No options.
    public typealias Configuration = Void

    /// Named `health` in configs.
    public static let name = "health"
    /// Read-only.
    public static let allowedMethods: [HTTPMethod]? = [.GET, .HEAD]

    /// Nothing to set up.
    public init(configuration: Void, setup: ModuleSetup) {}

    /// 200 `ok`, or 503 `draining`.
    public func handle(_ request: ModuleRequest, context: ModuleContext) async throws -> ModuleResponse {
        let headers: HTTPHeaders = ["Cache-Control": "no-store"]
        if context.state.isDraining {
            return ModuleResponse(status: .serviceUnavailable, headers: headers, text: "draining\n")
        }
        return ModuleResponse(status: .ok, headers: headers, text: "ok\n")
    }
}
