import GatewayWire
import NIOCore

/// The client side of one connection, confined to its event loop: matches answers to waiting calls by call id.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Pending {
        case unary(UnsafeContinuation<[UInt8], any Error>)
        case stream(AsyncThrowingStream<[UInt8], any Error>.Continuation)
    }

    private var context: ChannelHandlerContext?
    private var pending: [UInt64: Pending] = [:]
    /// Calls cancelled before their registration reached the loop.
    private var cancelledEarly: Set<UInt64> = []
    /// The highest call id started so far. A cancel for an id at or below it with no pending entry is for a call that
    /// already ended, and is dropped rather than remembered forever.
    private var highestStarted: UInt64 = 0
    private var helloPromise: EventLoopPromise<Aigw_V1_HelloAck>?
    private var pingWaiters: [UInt64: EventLoopPromise<Void>] = [:]
    private var goAwayReceived = false
    private var closedError: RPCError?
    private let flusher = BatchedFlusher()

    init(helloPromise: EventLoopPromise<Aigw_V1_HelloAck>) {
        self.helloPromise = helloPromise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RPCError(.unavailable, "connection closed", detail: .reason("connection_closed")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(RPCError(.unavailable, "connection failed: \(error)", detail: .reason("connection_closed")))
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame: Aigw_V1_Frame
        do {
            frame = try Aigw_V1_Frame(frameBytes: unwrapInboundIn(data))
        } catch {
            errorCaught(context: context, error: error)
            return
        }
        let callID = frame.callId
        switch frame.kind {
        case .helloAck(let ack):
            helloPromise?.succeed(ack)
            helloPromise = nil
        case .response(let response):
            if case .unary(let c) = pending.removeValue(forKey: callID) { c.resume(returning: response.payload) }
        case .streamItem(let item):
            if case .stream(let c) = pending[callID] { c.yield(item.payload) }
        case .status(let status):
            if callID == WireProtocol.connectionCallID {
                failAll(RPCError(status: status))
                context.close(promise: nil)
                return
            }
            switch pending.removeValue(forKey: callID) {
            case .unary(let c)?:
                c.resume(throwing: status.code == .ok
                    ? RPCError(.internal, "unary call ended without a response") : RPCError(status: status))
            case .stream(let c)?:
                if status.code == .ok { c.finish() } else { c.finish(throwing: RPCError(status: status)) }
            case nil:
                break
            }
        case .ping(let ping):
            var pong = Aigw_V1_Pong()
            pong.nonce = ping.nonce
            write(.with(WireProtocol.connectionCallID, .pong(pong)))
        case .pong(let pong):
            pingWaiters.removeValue(forKey: pong.nonce)?.succeed(())
        case .goAway:
            goAwayReceived = true
        default:
            break
        }
    }

    // MARK: Called on the loop by GatewayClient

    func start(_ callID: UInt64, _ request: ByteBuffer, _ waiter: Pending) {
        highestStarted = max(highestStarted, callID)
        if cancelledEarly.remove(callID) != nil {
            resume(waiter, throwing: CancellationError())
            return
        }
        if let closedError {
            resume(waiter, throwing: closedError)
            return
        }
        if goAwayReceived {
            resume(waiter, throwing: RPCError(.unavailable, "the server is draining; reconnect", detail: .reason("draining")))
            return
        }
        pending[callID] = waiter
        writeBytes(request)
    }

    /// Stops waiting for `callID` and tells the server to stop working on it.
    func cancel(_ callID: UInt64, with error: any Error) {
        guard let waiter = pending.removeValue(forKey: callID) else {
            if callID > highestStarted { cancelledEarly.insert(callID) }
            return
        }
        resume(waiter, throwing: error)
        write(.with(callID, .cancel(Aigw_V1_Cancel())))
    }

    func ping(_ nonce: UInt64, _ promise: EventLoopPromise<Void>) {
        if let closedError {
            promise.fail(closedError)
            return
        }
        pingWaiters[nonce] = promise
        var ping = Aigw_V1_Ping()
        ping.nonce = nonce
        write(.with(WireProtocol.connectionCallID, .ping(ping)))
    }

    var isDraining: Bool { goAwayReceived }

    // MARK: Internals

    private func resume(_ waiter: Pending, throwing error: any Error) {
        switch waiter {
        case .unary(let c): c.resume(throwing: error)
        case .stream(let c): c.finish(throwing: error)
        }
    }

    private func failAll(_ error: RPCError) {
        closedError = closedError ?? error
        helloPromise?.fail(error)
        helloPromise = nil
        let waiters = pending
        pending.removeAll()
        for waiter in waiters.values { resume(waiter, throwing: error) }
        let pings = pingWaiters
        pingWaiters.removeAll()
        for promise in pings.values { promise.fail(error) }
    }

    private func write(_ frame: Aigw_V1_Frame) {
        var out = ByteBuffer()
        out.writeFrame(frame)
        writeBytes(out)
    }

    private func writeBytes(_ bytes: ByteBuffer) {
        guard let context else { return }
        context.write(wrapOutboundOut(bytes), promise: nil)
        flusher.didWrite(context)
    }
}
