import NIOHTTP1

/// `handler: health`: 200 `ok` while the service runs, 503 `draining` once a stop has reached
/// this generation: at once, while it still accepts for `shutdown_delay`, so that a load
/// balancer stops sending before any connection is refused. It takes no options.
///
/// A restart is not a stop: the old generation's keep-alive connections and the successor
/// both answer 200.
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
