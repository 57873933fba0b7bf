#if canImport(Glibc)
import Glibc
#endif
import GatewayWire
import NIOCore
import NIOPosix

/// Keeps `inFlight` copies of one frame outstanding against the echo server and times each round trip.
enum EchoLoadClient {
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let frame: ByteBuffer
        let inFlight: Int
        let deadline: NIODeadline
        let done: EventLoopPromise<[UInt64]>
        private var sentAt: CircularBuffer<UInt64> = []
        private var latencies: [UInt64] = []
        private var stopping = false

        init(frame: ByteBuffer, inFlight: Int, deadline: NIODeadline, done: EventLoopPromise<[UInt64]>) {
            self.frame = frame
            self.inFlight = inFlight
            self.deadline = deadline
            self.done = done
            latencies.reserveCapacity(1 << 20)
        }

        func channelActive(context: ChannelHandlerContext) {
            for _ in 0..<inFlight { send(context) }
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = DispatchTimeNanos.now()
            latencies.append(now - sentAt.removeFirst())
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
            sentAt.append(DispatchTimeNanos.now())
            var out = context.channel.allocator.buffer(capacity: frame.readableBytes + 4)
            out.writeLengthPrefixed(frame)
            context.write(wrapOutboundOut(out), promise: nil)
        }
    }

    static func run(target: Target, frame: ByteBuffer, inFlight: Int, duration: Duration) async throws -> [UInt64] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt64].self)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(duration / .nanoseconds(1)))
        let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                try channel.pipeline.syncOperations.addHandler(
                    Handler(frame: frame, inFlight: inFlight, deadline: deadline, done: done))
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

enum Target {
    case unix(String)
    case tcp(Int)
}

/// Monotonic nanoseconds.
enum DispatchTimeNanos {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
