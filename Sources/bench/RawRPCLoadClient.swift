import GatewayWire
import NIOCore
import NIOPosix

/// Keeps `inFlight` calls of one method outstanding on one connection with a bare NIO client: the same load generator as
/// the echo baseline, but speaking the real protocol (handshake, a fresh call id per request, each answer's envelope
/// decoded and checked). The difference to the echo is the server's RPC layer.
enum RawRPCLoadClient {
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let inFlight: Int
        let deadline: NIODeadline
        let done: EventLoopPromise<[UInt64]>
        let request: Aigw_V1_Request
        private var sentAt: [UInt64: UInt64] = [:]
        private var nextCallID: UInt64 = 1
        private var latencies: [UInt64] = []
        private var stopping = false
        private var failures = 0

        init(inFlight: Int, deadline: NIODeadline, done: EventLoopPromise<[UInt64]>, token: String, method: String) {
            self.inFlight = inFlight
            self.deadline = deadline
            self.done = done
            var request = Aigw_V1_Request()
            request.method = method
            var metadata = Aigw_V1_Metadata()
            metadata.authToken = token
            request.metadata = metadata
            self.request = request
            latencies.reserveCapacity(1 << 20)
        }

        func channelActive(context: ChannelHandlerContext) {
            var hello = Aigw_V1_Hello()
            hello.minVersion = WireProtocol.version
            hello.maxVersion = WireProtocol.version
            var out = ByteBuffer()
            out.writeFrame(.with(0, .hello(hello)))
            context.write(wrapOutboundOut(out), promise: nil)
            for _ in 0..<inFlight { send(context) }
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = DispatchTimeNanos.now()
            guard let frame = try? Aigw_V1_Frame(frameBytes: unwrapInboundIn(data)) else {
                done.fail(BenchError("malformed answer"))
                context.close(promise: nil)
                return
            }
            guard frame.callId != 0 else { return }  // hello_ack
            guard case .response = frame.kind, let start = sentAt.removeValue(forKey: frame.callId) else {
                done.fail(BenchError("unexpected answer \(frame)"))
                context.close(promise: nil)
                return
            }
            latencies.append(now - start)
            if NIODeadline.now() >= deadline { stopping = true }
            if !stopping {
                send(context)
            } else if sentAt.isEmpty {
                done.succeed(latencies)
                context.close(promise: nil)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }

        private func send(_ context: ChannelHandlerContext) {
            let callID = nextCallID
            nextCallID += 1
            sentAt[callID] = DispatchTimeNanos.now()
            var out = context.channel.allocator.buffer(capacity: 64)
            out.writeFrame(.with(callID, .request(request)))
            context.write(wrapOutboundOut(out), promise: nil)
        }
    }

    static func run(
        target: Target, token: String, method: String = Aigw_V1_Admin.health.path, inFlight: Int, duration: Duration
    ) async throws -> [UInt64] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt64].self)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(duration / .nanoseconds(1)))
        let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                try channel.pipeline.syncOperations.addHandler(
                    Handler(inFlight: inFlight, deadline: deadline, done: done, token: token, method: method))
            }
        }
        switch target {
        case .unix(let path): _ = try await bootstrap.connect(unixDomainSocketPath: path).get()
        case .tcp(let port):
            _ = try await bootstrap.channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .connect(host: "127.0.0.1", port: port).get()
        }
        return try await done.futureResult.get()
    }
}
