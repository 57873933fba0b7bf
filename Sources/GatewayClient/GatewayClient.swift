import GatewayWire
import NIOCore
import NIOPosix
import Synchronization

/// A connection to aigw with async/await calls. Any number of calls may be in flight at once from any tasks; they are
/// multiplexed on the one connection and answered independently. Cancelling a calling task cancels the call on the
/// server.
public final class GatewayClient: Sendable {
    public let target: GatewayTarget
    /// What the server announced in the handshake.
    public let serverVersion: String
    public let maxFrameBytes: Int
    public let maxConcurrentCalls: Int

    private let channel: any Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let token: String?
    private let nextCallID = Atomic<UInt64>(1)

    /// Runs tasks on this connection's event loop. Callers that make many small calls can prefer it
    /// (`Task(executorPreference: client.taskExecutor)`) so their calls cost no thread hops.
    public let taskExecutor: EventLoopTaskExecutor

    private init(target: GatewayTarget, channel: any Channel, handler: NIOLoopBound<ClientConnectionHandler>,
                 ack: Aigw_V1_HelloAck, token: String?) {
        self.target = target
        self.channel = channel
        self.handler = handler
        self.token = token
        taskExecutor = EventLoopTaskExecutor(channel.eventLoop)
        serverVersion = ack.serverVersion
        maxFrameBytes = Int(ack.maxFrameBytes)
        maxConcurrentCalls = Int(ack.maxConcurrentCalls)
    }

    /// Connects and completes the version handshake.
    public static func connect(
        to target: GatewayTarget,
        token: String? = nil,
        clientName: String = "aigw-swift/\(AigwVersion.current)",
        connectTimeout: Duration = .seconds(5),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> GatewayClient {
        let loop = group.next()
        let helloPromise = loop.makePromise(of: Aigw_V1_HelloAck.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(Int64(connectTimeout / .milliseconds(1))))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: 256 * 1024 * 1024)))
                    try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(helloPromise: helloPromise))
                }
            }
        let channel: any Channel
        do {
            switch target {
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            case .tcp(let host, let port):
                channel = try await bootstrap.channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                    .connect(host: host, port: port).get()
            }
        } catch {
            helloPromise.fail(error)
            throw RPCError(.unavailable, "cannot connect to \(target): \(error)", detail: .reason("connect_failed"))
        }
        var hello = Aigw_V1_Hello()
        hello.minVersion = WireProtocol.version
        hello.maxVersion = WireProtocol.version
        hello.clientName = clientName
        var out = ByteBuffer()
        out.writeFrame(.with(WireProtocol.connectionCallID, .hello(hello)))
        channel.writeAndFlush(out, promise: nil)
        let timeout = loop.scheduleTask(in: .milliseconds(Int64(connectTimeout / .milliseconds(1)))) {
            helloPromise.fail(RPCError(.deadlineExceeded, "no handshake answer from \(target)"))
        }
        let ack: Aigw_V1_HelloAck
        do {
            ack = try await helloPromise.futureResult.get()
            timeout.cancel()
        } catch {
            timeout.cancel()
            try? await channel.close()
            throw error
        }
        let handler = try await loop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ClientConnectionHandler.self), eventLoop: loop)
        }.get()
        return GatewayClient(target: target, channel: channel, handler: handler, ack: ack, token: token)
    }

    /// A unary call with typed messages.
    public func call<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, options: CallOptions = CallOptions()
    ) async throws -> Response {
        let payload = try await callRaw(path: method.path, payload: request.serializedBytes(), options: options)
        do {
            return try Response(serializedBytes: payload)
        } catch {
            throw RPCError(.internal, "server sent a malformed \(error.typeName)", detail: .reason("malformed_response"))
        }
    }

    /// A server-streaming call with typed messages. Breaking out of the loop cancels the call.
    ///
    /// Items are decoded in the consuming task as it pulls them, so a typed stream costs no extra task hop per item
    /// over `streamRaw`.
    public func stream<Request, Response>(
        _ method: RPCMethod<Request, Response>, _ request: Request, options: CallOptions = CallOptions()
    ) -> ResponseStream<Response> {
        ResponseStream(raw: streamRaw(path: method.path, payload: request.serializedBytes(), options: options))
    }

    /// A unary call by path with encoded payloads: for generic tools, tests and the benchmark.
    public func callRaw(path: String, payload: [UInt8], options: CallOptions = CallOptions()) async throws -> [UInt8] {
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        let request = requestFrame(callID, path, payload, options)
        let handler = self.handler
        let loop = channel.eventLoop
        let timer = watchdog(callID, options)
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                if loop.inEventLoop {
                    handler.value.start(callID, request, .unary(continuation))
                } else {
                    loop.execute { handler.value.start(callID, request, .unary(continuation)) }
                }
            }
        } onCancel: {
            loop.execute { handler.value.cancel(callID, with: CancellationError()) }
        }
    }

    /// A server-streaming call by path with encoded payloads.
    public func streamRaw(path: String, payload: [UInt8], options: CallOptions = CallOptions())
        -> AsyncThrowingStream<[UInt8], any Error>
    {
        let callID = nextCallID.wrappingAdd(1, ordering: .relaxed).oldValue
        let request = requestFrame(callID, path, payload, options)
        let handler = self.handler
        let loop = channel.eventLoop
        let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let timer = watchdog(callID, options)
        continuation.onTermination = { termination in
            timer?.cancel()
            if case .cancelled = termination {
                loop.execute { handler.value.cancel(callID, with: CancellationError()) }
            }
        }
        loop.execute { handler.value.start(callID, request, .stream(continuation)) }
        return stream
    }

    /// Round-trips a ping frame.
    public func ping() async throws {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Void.self)
        let nonce = UInt64.random(in: 1 ... .max)
        let handler = self.handler
        loop.execute { handler.value.ping(nonce, promise) }
        try await promise.futureResult.get()
    }

    /// Whether the server announced a drain; new calls then fail with UNAVAILABLE.
    public var isDraining: Bool {
        get async { (try? await channel.eventLoop.submit { [handler] in handler.value.isDraining }.get()) ?? true }
    }

    public func close() async {
        try? await channel.close()
    }

    private func requestFrame(_ callID: UInt64, _ path: String, _ payload: [UInt8], _ options: CallOptions)
        -> ByteBuffer
    {
        var metadata = Aigw_V1_Metadata()
        metadata.requestId = options.requestID
        metadata.authToken = options.authToken ?? token ?? ""
        if let timeout = options.timeout {
            metadata.timeoutMs = UInt64(max(1, timeout / .milliseconds(1)))
        }
        var request = Aigw_V1_Request()
        request.method = path
        request.payload = payload
        request.metadata = metadata
        var out = ByteBuffer()
        out.writeFrame(.with(callID, .request(request)))
        return out
    }

    /// Stops waiting a little after the deadline the server should have enforced.
    private func watchdog(_ callID: UInt64, _ options: CallOptions) -> Scheduled<Void>? {
        guard let timeout = options.timeout else { return nil }
        let handler = self.handler
        let grace = timeout + .milliseconds(500)
        return channel.eventLoop.scheduleTask(in: .milliseconds(Int64(grace / .milliseconds(1)))) {
            handler.value.cancel(
                callID, with: RPCError(.deadlineExceeded, "no answer within \(timeout)", detail: .reason("client_deadline")))
        }
    }
}
