import NIOCore
import NIOPosix
import Synchronization

/// One Redis connection that lives on one event loop, reconnecting as needed.
///
/// The socket is a NIO channel on `eventLoop` (`RedisChannelHandler` does the pipelining), so a command sent by a task
/// running on that loop is written, answered and resumed there without waking another thread. Commands sent from
/// anywhere else hop to the loop first.
///
/// A broken connection fails the commands in flight with `RedisError.Kind.connection`; the next command opens a new
/// one, sending AUTH and SELECT before anything else. Failed connects back off (100 ms doubling to 2 s), and during a
/// backoff commands fail at once instead of hanging. The connect timeout bounds a connect, the command timeout every
/// command. All mutable state is confined to `eventLoop`.
final class RedisConnection: @unchecked Sendable {
    /// Counters read from any thread: round trips (flushes), commands, connect attempts, sends that had to hop to the
    /// loop, and whether the last reply or connect worked (what Health reports).
    final class Stats: Sendable {
        let roundTrips = Atomic<Int>(0)
        let hops = Atomic<Int>(0)
        let commands = Atomic<Int>(0)
        let connects = Atomic<Int>(0)
        let healthy = Atomic<Bool>(false)
        /// Told about connects, losses, timeouts and error replies (see `RedisEvent`); from the connection's loop.
        let observer: (@Sendable (RedisEvent) -> Void)?

        init(observer: (@Sendable (RedisEvent) -> Void)? = nil) {
            self.observer = observer
        }
    }

    private enum State {
        case idle
        case connecting
        case ready(RedisChannelHandler)
        case closed
    }

    let eventLoop: any EventLoop
    let stats: Stats
    private let configuration: RedisConfiguration
    // Confined to `eventLoop`.
    private var state = State.idle
    /// Commands that arrived while connecting, sent once the connection is set up.
    private var waiting: [(ByteBuffer, RedisChannelHandler.Waiter)] = []
    private var backoff = TimeAmount.zero
    private var retryAt = NIODeadline.uptimeNanoseconds(0)
    private var lastConnectError = ""
    /// Whether a connection was ever set up, so the next setup counts as a reconnect.
    private var wasReady = false

    init(configuration: RedisConfiguration, eventLoop: any EventLoop, observer: (@Sendable (RedisEvent) -> Void)? = nil) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        stats = Stats(observer: observer)
    }

    /// Sends one encoded command and waits for its reply. Error replies are thrown as `RedisError.Kind.server`.
    func send(_ command: ByteBuffer) async throws -> RedisValue {
        try await withUnsafeThrowingContinuation { continuation in
            if eventLoop.inEventLoop {
                submit(command, .task(continuation))
            } else {
                stats.hops.wrappingAdd(1, ordering: .relaxed)
                eventLoop.execute { self.submit(command, .task(continuation)) }
            }
        }
    }

    /// Sends one encoded command and passes its reply to `completion`, on `eventLoop`. Sent from that loop, the command
    /// is written at once and `completion` runs straight from the read of its reply, with no task to resume.
    func send(_ command: ByteBuffer, completion: @escaping @Sendable (Result<RedisValue, RedisError>) -> Void) {
        if eventLoop.inEventLoop {
            submit(command, .callback(completion))
        } else {
            stats.hops.wrappingAdd(1, ordering: .relaxed)
            eventLoop.execute { self.submit(command, .callback(completion)) }
        }
    }

    /// Stops taking commands; the channel closes once those in flight are answered.
    func close() {
        if eventLoop.inEventLoop {
            closeOnLoop()
        } else {
            eventLoop.execute { self.closeOnLoop() }
        }
    }

    // MARK: On the event loop

    private func submit(_ command: ByteBuffer, _ waiter: RedisChannelHandler.Waiter) {
        switch state {
        case .ready(let handler):
            handler.send(command, waiter)
        case .connecting:
            waiting.append((command, waiter))
        case .closed:
            waiter.complete(.failure(RedisError(.closed, "the Redis client is closed")))
        case .idle:
            guard NIODeadline.now() >= retryAt else {
                waiter.complete(.failure(RedisError(.connection, lastConnectError)))
                return
            }
            waiting.append((command, waiter))
            connect()
        }
    }

    private func connect() {
        state = .connecting
        stats.connects.wrappingAdd(1, ordering: .relaxed)
        let timeout = TimeAmount(configuration.commandTimeout)
        let stats = self.stats
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisChannelHandler(commandTimeout: timeout, stats: stats))
                }
            }
        let connecting: EventLoopFuture<any Channel>
        if let path = configuration.socketPath {
            connecting = bootstrap.connect(unixDomainSocketPath: path)
        } else {
            connecting = bootstrap.channelOption(.socketOption(.so_keepalive), value: 1)
                .connect(host: configuration.host, port: configuration.port)
        }
        connecting.whenComplete { result in self.connected(result) }
    }

    private func connected(_ result: Result<any Channel, any Error>) {
        guard case .connecting = state else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        let handler: RedisChannelHandler
        do {
            handler = try result.get().pipeline.syncOperations.handler(type: RedisChannelHandler.self)
        } catch {
            connectFailed("cannot connect to \(configuration.address): \(error)")
            return
        }
        // Strong on purpose: the connection outlives its client until its last channel has closed.
        handler.onClose = { closed in self.channelClosed(closed) }
        var setup: [[String]] = []
        if let password = configuration.password { setup.append(["AUTH", password]) }
        if configuration.db != 0 { setup.append(["SELECT", String(configuration.db)]) }
        runSetup(setup[...], on: handler)
    }

    /// Sends the setup commands one after the other; the connection is ready once all have answered OK.
    private func runSetup(_ commands: ArraySlice<[String]>, on handler: RedisChannelHandler) {
        guard let command = commands.first else {
            becomeReady(handler)
            return
        }
        var buffer = ByteBuffer()
        buffer.writeRedisCommand(command)
        handler.send(buffer, .callback { result in
            guard case .connecting = self.state else {
                handler.close()
                return
            }
            switch result {
            case .success:
                self.runSetup(commands.dropFirst(), on: handler)
            case .failure(let error):
                handler.close()
                self.connectFailed("\(command[0]) failed: \(error.message)")
            }
        })
    }

    private func becomeReady(_ handler: RedisChannelHandler) {
        backoff = .zero
        state = .ready(handler)
        if wasReady { stats.observer?(.reconnected) }
        wasReady = true
        stats.healthy.store(true, ordering: .relaxed)
        let queued = waiting
        waiting.removeAll()
        for (command, waiter) in queued { handler.send(command, waiter) }
        handler.flushNow()
    }

    private func connectFailed(_ message: String) {
        lastConnectError = message
        stats.observer?(.connectFailed)
        backoff = backoff == .zero ? .milliseconds(100) : min(backoff * 2, .seconds(2))
        retryAt = .now() + backoff
        state = .idle
        stats.healthy.store(false, ordering: .relaxed)
        let failed = waiting
        waiting.removeAll()
        let error = RedisError(.connection, message)
        for (_, waiter) in failed { waiter.complete(.failure(error)) }
    }

    /// A ready channel broke (or timed out): the next command reconnects at once, as only failed connects back off.
    private func channelClosed(_ handler: RedisChannelHandler) {
        if case .ready(let current) = state, current === handler { state = .idle }
    }

    private func closeOnLoop() {
        let previous = state
        state = .closed
        if case .ready(let handler) = previous { handler.close() }
        let failed = waiting
        waiting.removeAll()
        for (_, waiter) in failed { waiter.complete(.failure(RedisError(.closed, "the Redis client is closed"))) }
    }
}
