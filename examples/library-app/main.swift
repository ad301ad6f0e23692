// A program that uses the ZeroDT library directly: its own NIO protocol, no YAML.
//
// It answers each line a client sends with "gen G pid P: <line>". A line "slow N" is
// answered after N seconds, to show (and test) that a draining generation finishes its
// work. SIGHUP restarts with zero downtime; SIGTERM drains and stops.
//
// Settings come from the environment, so that the same binary runs every generation:
//   LIBRARY_APP_LISTEN        listen address (default 127.0.0.1:9090)
//   LIBRARY_APP_PID_FILE      pid file (optional)
//   LIBRARY_APP_WAIT_PARENT   seconds; above 0 makes restarts stateful (default 0)
//   LIBRARY_APP_WAIT_CHILD    seconds a successor may take to become ready (default 60)
//   LIBRARY_APP_START_DELAY   seconds a successor sleeps before getting ready (default 0)
//   LIBRARY_APP_FAIL_PRESERVE when set, a successor's preServe hook fails (a rollback demo)
import Foundation
import Logging
import NIOCore
import NIOPosix
import ZeroDT
import ZeroDTHTTP

let environment = ProcessInfo.processInfo.environment
func seconds(_ name: String, default value: Duration) -> Duration {
    environment[name].flatMap(Double.init).map { .milliseconds(Int($0 * 1000)) } ?? value
}

let generation = Int(environment["ZERODT_GENERATION"] ?? "") ?? 1
let pid = getpid()
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.metadata = ["gen": "\(generation)", "pid": "\(pid)"]
    return handler
}
let logger = Logger(label: "library-app")

if generation > 1 {
    try await Task.sleep(for: seconds("LIBRARY_APP_START_DELAY", default: .zero))
}

var options = Runtime.Options()
options.pidFile = environment["LIBRARY_APP_PID_FILE"]
options.waitParent = seconds("LIBRARY_APP_WAIT_PARENT", default: .zero)
options.waitChild = seconds("LIBRARY_APP_WAIT_CHILD", default: Runtime.Options.defaultWaitChild)
// Every hook says when it runs, so a test can check the order across generations.
struct PreServeRefused: Error, CustomStringConvertible {
    var description: String { "preServe refused (LIBRARY_APP_FAIL_PRESERVE is set)" }
}
let failPreServe = generation > 1 && environment["LIBRARY_APP_FAIL_PRESERVE"] != nil
options.hooks.preServe = { inherited in
    logger.info("hook preServe inherited=\(inherited)")
    if failPreServe { throw PreServeRefused() }
}
options.hooks.preShutdown = { logger.info("hook preShutdown") }
options.hooks.completeShutdown = { logger.info("hook completeShutdown") }
options.hooks.preParentExit = { logger.info("hook preParentExit") }

let label = "gen \(generation) pid \(pid)"
let app = App(servers: [
    try App.Server(listen: [environment["LIBRARY_APP_LISTEN"] ?? "127.0.0.1:9090"]) { listeners in
        NIOServer(listeners: listeners, group: MultiThreadedEventLoopGroup.singleton) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(LineHandler(label: label))
            }
        }
    },
], options: options, logger: logger)

// The library never exits the process: a second stop signal ends the drain early, and
// the program says so with its exit status.
if try await app.serve() == .interrupted {
    logger.warning("exiting without finishing the drain")
    exit(1)
}
logger.info("exiting")
