import NIOCore

/// One Redis channel: writes commands, matches the replies to them in order, and bounds how long any may wait.
///
/// Commands are pipelined: each is written as it comes and its waiter queued, so many are in flight at once and the
/// replies, which Redis sends in command order, are matched first in, first out. A command sent while nothing is in
/// flight is flushed at once (the 1-in-flight latency is one round trip). Commands sent while others are in flight
/// are flushed together when the next replies have been read, or as soon as 64 have piled up: under load one flush
/// carries many commands (fewer syscalls on both sides, which share the cores), and Redis is never left idle with
/// commands unsent, since it is busy with those in flight until the replies that trigger the flush.
///
/// The command timeout bounds how long the connection may go without progress: the oldest command times out once it
/// has waited that long since it was written and since the last bytes arrived. (A deep pipeline that Redis is still
/// answering is slow, not broken; measuring from the write alone would fail commands queued behind thousands of
/// others under load.) Once one times out, replies can no longer be matched to what is still queued, so every waiter
/// fails with `RedisError.Kind.connection` and the channel is closed; the owning `RedisConnection` opens a new one for
/// the next command. Loop-confined: call it only on the channel's event loop.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Who is waiting for a reply: a suspended task, or the connection's own setup (AUTH, SELECT).
    enum Waiter {
        case task(UnsafeContinuation<RedisValue, any Error>)
        case callback((Result<RedisValue, RedisError>) -> Void)

        func complete(_ result: Result<RedisValue, RedisError>) {
            switch self {
            case .task(let continuation): continuation.resume(with: result.mapError { $0 })
            case .callback(let callback): callback(result)
            }
        }
    }

    private struct Pending {
        let waiter: Waiter
        let deadline: NIODeadline
    }

    private static let flushBatch = 64

    private let commandTimeout: TimeAmount
    private let stats: RedisConnection.Stats
    private let parser = RedisReplyParser()
    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    private var context: ChannelHandlerContext?
    private var unflushed = 0
    private var timer: Scheduled<Void>?
    /// When bytes last arrived.
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var open = true
    private var closeWhenIdle = false
    /// Whether the channel ever connected: a connect attempt that fails is reported as such, not as a lost connection.
    private var connected = false
    /// Told once, when the channel stops taking commands (error, timeout, close), so the owner can replace it.
    var onClose: ((RedisChannelHandler) -> Void)?

    init(commandTimeout: TimeAmount, stats: RedisConnection.Stats) {
        self.commandTimeout = commandTimeout
        self.stats = stats
    }

    /// Writes a command and queues its waiter; the waiter is completed exactly once, by a reply or a failure.
    func send(_ command: ByteBuffer, _ waiter: Waiter) {
        guard open, !closeWhenIdle, let context else {
            waiter.complete(.failure(RedisError(.connection, "the Redis connection is closed")))
            return
        }
        let idle = pending.isEmpty
        pending.append(Pending(waiter: waiter, deadline: .now() + commandTimeout))
        stats.commands.wrappingAdd(1, ordering: .relaxed)
        context.write(wrapOutboundOut(command), promise: nil)
        unflushed += 1
        if idle || unflushed >= Self.flushBatch { flush(context) }
        if timer == nil { armTimer(context.eventLoop) }
    }

    /// Flushes what is written: for a batch sent at once, such as the commands queued while connecting.
    func flushNow() {
        if unflushed > 0, let context { flush(context) }
    }

    /// Stops taking commands and closes the channel once those in flight are answered (or time out).
    func close() {
        closeWhenIdle = true
        if pending.isEmpty { fail(RedisError(.closed, "the Redis client is closed")) }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connected = context.channel.isActive
    }

    func channelActive(context: ChannelHandlerContext) {
        connected = true
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(RedisError(.connection, "the Redis connection is closed"))
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard open else { return }
        lastRead = .now()
        do throws(RedisError) {
            try parser.feed(unwrapInboundIn(data))
            while let result = try parser.next() {
                guard let answered = pending.popFirst() else {
                    throw RedisError(.connection, "Redis sent a reply to no command")
                }
                if case .failure(let error) = result, !error.message.hasPrefix("NOSCRIPT") {
                    stats.observer?(.errorReply)
                }
                answered.waiter.complete(result)
            }
        } catch {
            fail(error)
            return
        }
        stats.healthy.store(true, ordering: .relaxed)
        if closeWhenIdle && pending.isEmpty { fail(RedisError(.closed, "the Redis client is closed")) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed > 0 && open { flush(context) }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(RedisError(.connection, "Redis closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(RedisError(.connection, "Redis connection failed: \(error)"))
    }

    private func flush(_ context: ChannelHandlerContext) {
        unflushed = 0
        stats.roundTrips.wrappingAdd(1, ordering: .relaxed)
        context.flush()
    }

    /// One timer at a time, set for when the oldest command would time out: cheaper than a timer per command. It is
    /// left to run out when the queue empties, and set again from the then-oldest command when it fires.
    ///
    /// A timer that finds the deadline passed looks once more after the loop has polled its sockets: a loop that was
    /// busy for longer than the timeout may have replies waiting unread, and those are progress, not a hung server.
    private func armTimer(_ loop: any EventLoop, confirming: Bool = false) {
        guard let first = pending.first else { return }
        let deadline = confirming ? .now() + .milliseconds(1) : max(first.deadline, lastRead + commandTimeout)
        timer = loop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
            self.timer = nil
            guard self.open, let oldest = self.pending.first else { return }
            if max(oldest.deadline, self.lastRead + self.commandTimeout) > .now() {
                self.armTimer(loop)
            } else if !confirming {
                self.armTimer(loop, confirming: true)
            } else {
                let millis = self.commandTimeout.nanoseconds / 1_000_000
                self.fail(RedisError(.connection, "Redis did not answer within \(millis) ms"), event: .commandTimeout)
            }
        }
    }

    /// Fails every waiter with `error`, tells the owner and closes the channel. Later calls do nothing. A connection
    /// error is reported to the observer as `event`.
    private func fail(_ error: RedisError, event: RedisEvent = .connectionLost) {
        guard open else { return }
        open = false
        if error.kind == .connection && connected { stats.observer?(event) }
        if error.kind == .connection { stats.healthy.store(false, ordering: .relaxed) }
        timer?.cancel()
        timer = nil
        let failed = pending
        pending.removeAll()
        onClose?(self)
        onClose = nil
        for entry in failed { entry.waiter.complete(.failure(error)) }
        context?.close(promise: nil)
    }
}
