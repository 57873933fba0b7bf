import GatewayWire
import NIOCore
import NIOPosix

/// The baseline: a server that reads length-prefixed frames with the same decoder and socket options as aigw and
/// writes each one straight back. The gap between it and aigw is the cost of the RPC layer.
enum EchoServer {
    final class EchoHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var pending = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var out = context.channel.allocator.buffer(capacity: 0)
            out.writeLengthPrefixed(unwrapInboundIn(data))
            context.write(wrapOutboundOut(out), promise: nil)
            pending = true
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            if pending {
                pending = false
                context.flush()
            }
        }
    }

    static func start(unixPath: String) async throws -> (any Channel, any Channel) {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                    if channel.localAddress?.protocol != .unix {
                        try channel.syncOptions?.setOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    }
                }
            }
        let unix = try await bootstrap.bind(unixDomainSocketPath: unixPath, cleanupExistingSocketFile: true).get()
        let tcp = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        return (unix, tcp)
    }
}

extension EchoServer {
    /// The echo baseline for an RPC: a private echo server on `socket` answering the envelope `sample` would send (its
    /// first request), at each level of calls in flight. Stats per level.
    static func baseline(
        echoing sample: UniqueIDDialect, socket: String, levels: [Int], duration: Duration, warmUp: Duration
    ) async throws -> [Int: Stats] {
        var sample = sample
        var envelope = ByteBuffer()
        sample.request(1, into: &envelope)
        envelope.moveReaderIndex(forwardBy: WireProtocol.lengthPrefixBytes)
        let (echoUnix, echoTCP) = try await EchoServer.start(unixPath: socket)
        var echo: [Int: Stats] = [:]
        for n in levels {
            let dialect = EchoDialect(frame: envelope)
            echo[n] = Stats(try await PipelinedLoad.measure(
                target: .unix(socket), inFlight: n, warmUp: warmUp, duration: duration) { _ in dialect }.latencies,
                duration)
        }
        try await echoUnix.close()
        try await echoTCP.close()
        return echo
    }
}
