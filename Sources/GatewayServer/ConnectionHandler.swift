import GatewayCore
import GatewayWire
import Logging
import NIOCore

/// Serves one client connection: handshake, call multiplexing, cancellation, deadlines, ping and drain.
///
/// All state lives on the connection's event loop. Each call's handler runs in its own task, so a slow call never
/// blocks a fast one; the task encodes its answer off the loop and hops back only to write it. Writes made in one
/// loop tick are flushed together, which keeps syscalls per call low when many calls are in flight.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings: Sendable {
        var transport: Transport
        var maxConcurrentCalls: Int
        var maxFrameBytes: Int
        var serverVersion: String
    }

    private enum State {
        case awaitingHello
        case open
        case draining
        case closed
    }

    private struct Call {
        var task: Task<Void, Never>?
        var deadlineTimer: Scheduled<Void>?
    }

    private let router: MethodRouter
    private let settings: Settings
    private let stats: ServerStats
    private let logger: Logger
    private var state = State.awaitingHello
    private var calls: [UInt64: Call] = [:]
    private var highestCallID: UInt64 = 0
    private var context: ChannelHandlerContext?
    private let flusher = BatchedFlusher()
    /// Runs this connection's handlers on its event loop (see `EventLoopTaskExecutor`).
    private var executor: EventLoopTaskExecutor!

    init(router: MethodRouter, settings: Settings, stats: ServerStats, logger: Logger) {
        self.router = router
        self.settings = settings
        self.stats = stats
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        executor = EventLoopTaskExecutor(context.eventLoop)
        stats.connectionOpened()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endAllCalls()
        state = .closed
        self.context = nil
        stats.connectionClosed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        endAllCalls()
        state = .closed
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A client that stops reading stops being read: its answers cannot pile up without bound.
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let frameError = error as? FrameError, case .frameTooLarge = frameError {
            connectionError(.resourceExhausted, frameError.description, reason: "frame_too_large")
        } else if state != .closed {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            state = .closed
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event as? ConnectionEvent {
        case .drain: drain()
        case .forceClose: forceClose()
        case nil: context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard state != .closed else { return }
        let bytes = unwrapInboundIn(data)
        let frame: Aigw_V1_Frame
        do {
            frame = try Aigw_V1_Frame(frameBytes: bytes)
        } catch {
            connectionError(.invalidArgument, error.description, reason: "malformed_envelope")
            return
        }
        switch (state, frame.kind) {
        case (.awaitingHello, .hello(let hello)):
            handshake(hello)
        case (.awaitingHello, _):
            connectionError(.failedPrecondition, "the first frame on a connection must be hello", reason: "hello_required")
        case (_, .request(let request)):
            handleRequest(frame.callId, request)
        case (_, .cancel):
            end(frame.callId, .cancelled, "cancelled by the client", reason: "client_cancelled")
        case (_, .ping(let ping)):
            var pong = Aigw_V1_Pong()
            pong.nonce = ping.nonce
            write(.with(WireProtocol.connectionCallID, .pong(pong)))
        case (_, .pong):
            break
        default:
            connectionError(.invalidArgument, "unexpected frame kind from a client", reason: "unexpected_frame")
        }
    }

    private func handshake(_ hello: Aigw_V1_Hello) {
        let version = WireProtocol.version
        guard hello.minVersion <= version, version <= hello.maxVersion else {
            connectionError(
                .failedPrecondition,
                "client speaks protocol versions \(hello.minVersion)...\(hello.maxVersion); this server speaks \(version)",
                reason: "unsupported_protocol_version")
            return
        }
        var ack = Aigw_V1_HelloAck()
        ack.version = version
        ack.serverVersion = settings.serverVersion
        ack.maxFrameBytes = UInt32(settings.maxFrameBytes)
        ack.maxConcurrentCalls = UInt32(settings.maxConcurrentCalls)
        state = .open
        write(.with(WireProtocol.connectionCallID, .helloAck(ack)))
    }

    private func handleRequest(_ callID: UInt64, _ request: Aigw_V1_Request) {
        guard callID != WireProtocol.connectionCallID else {
            connectionError(.invalidArgument, "call id 0 is reserved for connection frames", reason: "reserved_call_id")
            return
        }
        guard state == .open else {
            write(.status(callID, .unavailable, "the server is draining; retry on a new connection", reason: "draining"))
            return
        }
        highestCallID = max(highestCallID, callID)
        guard calls[callID] == nil else {
            write(.status(callID, .invalidArgument, "call id \(callID) is already in flight", reason: "duplicate_call_id"))
            return
        }
        guard calls.count < settings.maxConcurrentCalls else {
            write(.status(callID, .resourceExhausted,
                          "more than \(settings.maxConcurrentCalls) calls in flight on this connection",
                          reason: "too_many_calls"))
            return
        }
        switch router.lookup(request.method) {
        case .unknown:
            write(.status(callID, .unimplemented, "unknown method \(request.method)", reason: "unknown_method"))
        case .notImplemented(let method):
            write(.status(callID, .unimplemented, "\(method.path) is not implemented by this server yet",
                          reason: "not_implemented"))
        case .found(let method, let handler):
            start(callID, method, handler, request)
        }
    }

    private func start(_ callID: UInt64, _ method: RPCMethodDescriptor, _ handler: MethodRouter.Handler,
                       _ request: Aigw_V1_Request) {
        guard let context else { return }
        let metadata = request.metadata ?? Aigw_V1_Metadata()
        // Cap absurd deadlines instead of overflowing: a day is "no deadline" for any RPC.
        let timeoutMs = min(metadata.timeoutMs, 86_400_000)
        let deadline = timeoutMs > 0 ? ContinuousClock.now + .milliseconds(Int64(timeoutMs)) : nil
        let callContext = CallContext(
            method: method, clientRequestID: metadata.requestId, sequence: RequestID.next(), transport: settings.transport, authToken: metadata.authToken,
            deadline: deadline, baseLogger: logger)

        let invoke: MethodRouter.Invoke
        switch handler {
        case .inline(let answer):
            // Answered now, on the loop: no task, no entry in the call table.
            do {
                writeBytes(try answer(request.payload, callContext, callID))
            } catch {
                write(.status(callID, Self.rpcError(error, callContext.logger).status))
            }
            return
        case .callback(let answer):
            startCallback(callID, answer, request.payload, callContext, timeoutMs: timeoutMs)
            return
        case .task(let body):
            invoke = body
        }

        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let stats = self.stats
        stats.callStarted()
        let job = CallJob(callID: callID, invoke: invoke, payload: request.payload, context: callContext,
                          handler: bound, loop: loop, stats: stats)
        let task = Task(executorPreference: executor) { await job.run() }
        var call = Call(task: task)
        if timeoutMs > 0 {
            call.deadlineTimer = loop.scheduleTask(in: .milliseconds(Int64(timeoutMs))) {
                bound.value.end(callID, .deadlineExceeded, "deadline of \(timeoutMs) ms exceeded",
                                  reason: "deadline_exceeded")
            }
        }
        calls[callID] = call
    }

    /// Starts a call that answers through a callback: it is in the call table like a task's (so cancel, deadline and
    /// drain treat it alike), but nothing runs until the answer arrives. An answer made on this loop (a Redis reply
    /// read here) is written at once; one from elsewhere hops here first.
    private func startCallback(_ callID: UInt64, _ answer: MethodRouter.CallbackInvoke, _ payload: [UInt8],
                               _ callContext: CallContext, timeoutMs: UInt64) {
        guard let context else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let stats = self.stats
        stats.callStarted()
        var call = Call()
        if timeoutMs > 0 {
            call.deadlineTimer = loop.scheduleTask(in: .milliseconds(Int64(timeoutMs))) {
                bound.value.end(callID, .deadlineExceeded, "deadline of \(timeoutMs) ms exceeded",
                                reason: "deadline_exceeded")
            }
        }
        // In the table before the start, which may answer at once (a store that fails fast).
        calls[callID] = call
        do {
            try answer(payload, callContext, callID) { result in
                stats.callFinished()
                var frame: ByteBuffer
                switch result {
                case .success(let answered):
                    frame = answered
                case .failure(let error):
                    frame = ByteBuffer()
                    frame.writeFrame(.status(callID, ConnectionHandler.rpcError(error, callContext.logger).status))
                }
                if loop.inEventLoop {
                    bound.value.finish(callID, frame)
                } else {
                    loop.execute { [frame] in bound.value.finish(callID, frame) }
                }
            }
        } catch {
            stats.callFinished()
            calls.removeValue(forKey: callID)?.deadlineTimer?.cancel()
            write(.status(callID, Self.rpcError(error, callContext.logger).status))
            closeIfDrained()
        }
    }

    fileprivate static func sendStreamItem(
        _ frame: ByteBuffer, callID: UInt64, handler: NIOLoopBound<ConnectionHandler>, loop: any EventLoop
    ) async throws {
        if loop.inEventLoop {
            try await handler.value.writeStreamItem(callID, frame, loop: loop).get()
        } else {
            try await loop.flatSubmit { handler.value.writeStreamItem(callID, frame, loop: loop) }.get()
        }
    }

    private func writeStreamItem(_ callID: UInt64, _ bytes: ByteBuffer, loop: any EventLoop) -> EventLoopFuture<Void> {
        guard let context, calls[callID] != nil, state != .closed else {
            return loop.makeFailedFuture(CancellationError())
        }
        // While the channel is writable the item goes out with the tick's batched flush and the producer carries on
        // at once; only past the high-water mark does it wait for this write to drain, which is the backpressure a
        // slow reader exerts.
        if context.channel.isWritable {
            context.write(wrapOutboundOut(bytes), promise: nil)
            scheduleFlush()
            return loop.makeSucceededVoidFuture()
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(bytes), promise: promise)
        scheduleFlush()
        return promise.futureResult
    }

    /// Turns whatever a handler threw into the status the client sees. Unexpected errors are logged here and
    /// reach the client only as INTERNAL, without their text.
    static func rpcError(_ error: any Error, _ logger: Logger) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as GatewayError:
            if error.code == .internalError { logger.error("handler failed", metadata: ["error": "\(error)"]) }
            return RPCError(error)
        case is CancellationError:
            return RPCError(.cancelled, "the call was cancelled")
        default:
            logger.error("handler failed", metadata: ["error": "\(error)"])
            return RPCError(.internal, "internal error")
        }
    }

    // MARK: Ending calls

    /// A handler finished: send its answer unless the call already ended by cancel or deadline.
    fileprivate func finish(_ callID: UInt64, _ frame: ByteBuffer) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.deadlineTimer?.cancel()
        if calls.isEmpty, let context, state != .closed {
            // The last answer outstanding goes out at once: no other answer is coming to share its flush, and
            // waiting for the end of the loop's tick (a Redis reply's read, a task's completion) only delays it.
            context.write(wrapOutboundOut(frame), promise: nil)
            flusher.flushNow(context)
        } else {
            writeBytes(frame)
        }
        closeIfDrained()
    }

    /// Ends a call from the server's side (cancel frame, deadline, shutdown): cancels its work and sends `code`.
    private func end(_ callID: UInt64, _ code: Aigw_V1_StatusCode, _ message: String, reason: String) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        call.deadlineTimer?.cancel()
        call.task?.cancel()
        write(.status(callID, code, message, reason: reason))
        closeIfDrained()
    }

    private func endAllCalls() {
        for call in calls.values {
            call.deadlineTimer?.cancel()
            call.task?.cancel()
        }
        calls.removeAll()
    }

    private func drain() {
        if state == .awaitingHello {
            closeAfterFlush()
            return
        }
        guard state == .open else { return }
        state = .draining
        var goAway = Aigw_V1_GoAway()
        goAway.lastCallId = highestCallID
        goAway.reason = "draining"
        write(.with(WireProtocol.connectionCallID, .goAway(goAway)))
        closeIfDrained()
    }

    private func forceClose() {
        guard state != .closed else { return }
        for callID in Array(calls.keys) {
            end(callID, .unavailable, "the server shut down before the call finished", reason: "shutdown")
        }
        closeAfterFlush()
    }

    private func closeIfDrained() {
        if state == .draining && calls.isEmpty { closeAfterFlush() }
    }

    // MARK: Writing

    /// Reports a connection-level error with a status on call 0, then closes.
    private func connectionError(_ code: Aigw_V1_StatusCode, _ message: String, reason: String) {
        guard state != .closed else { return }
        logger.info("closing connection after a protocol error", metadata: ["reason": "\(reason)"])
        write(.status(WireProtocol.connectionCallID, code, message, reason: reason))
        endAllCalls()
        closeAfterFlush()
    }

    private func closeAfterFlush() {
        guard let context else { return }
        state = .closed
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func write(_ frame: Aigw_V1_Frame) {
        var out = ByteBuffer()
        out.writeFrame(frame)
        writeBytes(out)
    }

    private func writeBytes(_ bytes: ByteBuffer) {
        guard let context, state != .closed else { return }
        context.write(wrapOutboundOut(bytes), promise: nil)
        scheduleFlush()
    }

    private func scheduleFlush() {
        guard let context else { return }
        flusher.didWrite(context)
    }
}

/// One call's work, run in its own task: the handler, then encoding its outcome off the event loop, then handing the
/// bytes to the loop, which writes them unless the call already ended.
private struct CallJob: Sendable {
    let callID: UInt64
    let invoke: MethodRouter.Invoke
    let payload: [UInt8]
    let context: CallContext
    let handler: NIOLoopBound<ConnectionHandler>
    let loop: any EventLoop
    let stats: ServerStats

    func run() async {
        defer { stats.callFinished() }
        var out: ByteBuffer
        do {
            out = try await invoke(payload, context, callID) { [callID, handler, loop] frame in
                try await ConnectionHandler.sendStreamItem(frame, callID: callID, handler: handler, loop: loop)
            }
        } catch {
            out = ByteBuffer()
            out.writeFrame(.status(callID, ConnectionHandler.rpcError(error, context.logger).status))
        }
        let frame = out
        let (handler, callID) = (self.handler, self.callID)
        if loop.inEventLoop {
            handler.value.finish(callID, frame)
        } else {
            loop.execute { handler.value.finish(callID, frame) }
        }
    }
}
