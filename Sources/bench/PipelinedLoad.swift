#if canImport(Glibc)
import Glibc
#endif
import GatewayWire
import NIOCore
import NIOPosix

/// What a bare load client says on the wire: the echo baseline and the real RPC protocol differ only here.
protocol LoadDialect {
    /// Bytes to send once the connection is up, before the first request (the RPC handshake).
    func greeting(into buffer: inout ByteBuffer)
    /// Appends request number `sequence` (with its length prefix).
    mutating func request(_ sequence: UInt64, into buffer: inout ByteBuffer)
    /// The sequence number an answer's frame body completes, or nil for frames that complete nothing.
    mutating func completed(by frame: ByteBuffer) throws -> UInt64?
}

/// The echo baseline: the same request bytes every time; the server answers in order.
struct EchoDialect: LoadDialect {
    let frame: ByteBuffer
    private var answered: UInt64 = 0

    init(frame: ByteBuffer) {
        self.frame = frame
    }

    func greeting(into buffer: inout ByteBuffer) {}

    mutating func request(_ sequence: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeLengthPrefixed(frame)
    }

    mutating func completed(by frame: ByteBuffer) throws -> UInt64? {
        answered += 1
        return answered
    }
}

/// The real protocol: a Hello first, a fresh call id per request, and every answer's envelope decoded and checked.
struct RPCDialect: LoadDialect {
    /// The request sent every time; dialects that vary the payload per call change it before each send.
    var request: Aigw_V1_Request

    init(method: String, token: String, payload: [UInt8] = []) {
        var request = Aigw_V1_Request()
        request.method = method
        request.payload = payload
        var metadata = Aigw_V1_Metadata()
        metadata.authToken = token
        request.metadata = metadata
        self.request = request
    }

    func greeting(into buffer: inout ByteBuffer) {
        var hello = Aigw_V1_Hello()
        hello.minVersion = WireProtocol.version
        hello.maxVersion = WireProtocol.version
        buffer.writeFrame(.with(WireProtocol.connectionCallID, .hello(hello)))
    }

    mutating func request(_ sequence: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeFrame(.with(sequence, .request(request)))
    }

    mutating func completed(by frame: ByteBuffer) throws -> UInt64? {
        let decoded = try Aigw_V1_Frame(frameBytes: frame)
        if decoded.callId == WireProtocol.connectionCallID, case .helloAck = decoded.kind { return nil }
        guard case .response = decoded.kind else { throw BenchError("unexpected answer \(decoded)") }
        return decoded.callId
    }
}

/// Keeps `inFlight` requests outstanding on one connection with a bare NIO client and times each round trip.
enum PipelinedLoad {
    final class Handler<Dialect: LoadDialect>: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private var dialect: Dialect
        private let inFlight: Int
        private let deadline: NIODeadline
        private let done: EventLoopPromise<[UInt64]>
        private var sentAt: [UInt64: UInt64] = [:]
        private var nextSequence: UInt64 = 1
        private var latencies: [UInt64] = []
        private var stopping = false
        private var finished = false

        init(dialect: Dialect, inFlight: Int, deadline: NIODeadline, done: EventLoopPromise<[UInt64]>) {
            self.dialect = dialect
            self.inFlight = inFlight
            self.deadline = deadline
            self.done = done
            latencies.reserveCapacity(1 << 20)
        }

        func channelActive(context: ChannelHandlerContext) {
            var greeting = context.channel.allocator.buffer(capacity: 64)
            dialect.greeting(into: &greeting)
            if greeting.readableBytes > 0 { context.write(wrapOutboundOut(greeting), promise: nil) }
            for _ in 0..<inFlight { send(context) }
            context.flush()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let now = Clock.nanos()
            let sequence: UInt64?
            do {
                sequence = try dialect.completed(by: unwrapInboundIn(data))
            } catch {
                finish(context, .failure(error))
                return
            }
            guard let sequence else { return }
            guard let start = sentAt.removeValue(forKey: sequence) else {
                finish(context, .failure(BenchError("answer for unknown request \(sequence)")))
                return
            }
            latencies.append(now - start)
            if NIODeadline.now() >= deadline { stopping = true }
            if !stopping {
                send(context)
            } else if sentAt.isEmpty {
                finish(context, .success(latencies))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(context, .failure(BenchError("the server closed the connection")))
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(context, .failure(error))
        }

        private func finish(_ context: ChannelHandlerContext, _ result: Result<[UInt64], any Error>) {
            guard !finished else { return }
            finished = true
            done.completeWith(result)
            context.close(promise: nil)
        }

        private func send(_ context: ChannelHandlerContext) {
            let sequence = nextSequence
            nextSequence += 1
            sentAt[sequence] = Clock.nanos()
            var out = context.channel.allocator.buffer(capacity: 64)
            dialect.request(sequence, into: &out)
            context.write(wrapOutboundOut(out), promise: nil)
        }
    }

    /// A warm-up run of `warmUp`, then the measured run of `duration`, at `inFlight`. `dialect` makes each run's
    /// dialect from its phase ("w" for the warm-up, "m" for the measurement), so suites whose requests must be
    /// fresh in each run (unique request ids) get fresh ones. Answers the warm-up's call count and the measured
    /// latencies.
    static func measure<Dialect: LoadDialect>(
        target: Target, inFlight: Int, warmUp: Duration, duration: Duration, dialect: (String) -> Dialect
    ) async throws -> (warmUpCalls: Int, latencies: [UInt64]) {
        let warm = try await run(target: target, dialect: dialect("w"), inFlight: inFlight, duration: warmUp)
        return (warm.count, try await run(target: target, dialect: dialect("m"), inFlight: inFlight, duration: duration))
    }

    static func run<Dialect: LoadDialect>(target: Target, dialect: Dialect, inFlight: Int, duration: Duration)
        async throws -> [UInt64]
    {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt64].self)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(duration / .nanoseconds(1)))
        let bootstrap = ClientBootstrap(group: loop).channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
                try channel.pipeline.syncOperations.addHandler(
                    Handler(dialect: dialect, inFlight: inFlight, deadline: deadline, done: done))
            }
        }
        switch target {
        case .unix(let path):
            _ = try await bootstrap.connect(unixDomainSocketPath: path).get()
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
enum Clock {
    static func nanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
