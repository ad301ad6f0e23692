import NIOCore
import NIOPosix

// nio-floor MODE PORT [CERT KEY | FILE]: serves "Hello, World!" (or FILE, for `h1-file`) on
// 127.0.0.1:PORT with two event loops, as zerodt-serve answers its hello route (or a static
// file), until killed. MODE is one of `Mode`'s.
let arguments = CommandLine.arguments
guard arguments.count >= 3, let mode = Mode(rawValue: arguments[1]), let port = Int(arguments[2]),
      arguments.count == (mode.usesTLS ? 5 : mode == .h1File ? 4 : 3)
else {
    print("usage: nio-floor h1 PORT | nio-floor h1-file PORT FILE | nio-floor h2|h2-streams PORT CERT.pem KEY.pem")
    exit(2)
}

let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
let tls = mode.usesTLS ? try TLSSetup.context(certificate: arguments[3], key: arguments[4]) : nil
let file = mode == .h1File ? try FileResponse(path: arguments[3]) : nil
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            switch mode {
            case .h1:
                try channel.pipeline.syncOperations.addHandler(HelloHTTP1Handler())
            case .h1File:
                try channel.pipeline.syncOperations.addHandler(FileHTTP1Handler(file: file!))
            case .h2, .h2Streams:
                try TLSSetup.addHandlers(to: channel, context: tls!) { channel in
                    try HTTP2Floor.addHandlers(to: channel, streams: mode == .h2Streams)
                }
            }
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
print("nio-floor \(mode.rawValue) on \(channel.localAddress!)")
try await channel.closeFuture.get()
