import NIOCore
import NIOPosix
import Synchronization

/// Pipelined Redis connections spread over the event loops of a group, shared by every store of one aigw process.
///
/// Every loop of the group gets at least one connection (`RedisConnection`). A command sent by a task that runs on a
/// loop (the server runs each call's handler on its connection's loop) goes to that loop's connection, so it is
/// written, answered and resumed on one thread; a command sent from anywhere else goes to the next connection in turn.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let connections: [RedisConnection]
    /// The connections of each loop, for sends made on that loop.
    private let loops: [LoopConnections]
    private let next = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)

    /// - Parameters:
    ///   - group: where the connections live; the server's group, so its handlers share their loop with one.
    ///   - observer: told about each connection's connects, losses, timeouts and error replies (metrics), on the
    ///     connection's loop; it must not block.
    public init(
        configuration: RedisConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        observer: (@Sendable (RedisEvent) -> Void)? = nil
    ) {
        self.configuration = configuration
        let eventLoops = Array(group.makeIterator())
        let connections = (0..<max(configuration.poolSize, eventLoops.count)).map {
            RedisConnection(configuration: configuration, eventLoop: eventLoops[$0 % eventLoops.count], observer: observer)
        }
        self.connections = connections
        loops = eventLoops.map { loop in LoopConnections(loop: loop, connections: connections.filter { $0.eventLoop === loop }) }
    }

    /// Sends a command, e.g. `["SET", "k", "v"]`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RedisValue {
        var command = ByteBuffer()
        command.writeRedisCommand(arguments)
        return try await connection().send(command)
    }

    /// Sends a command with binary arguments.
    @discardableResult
    public func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        var command = ByteBuffer()
        command.writeRedisCommand(arguments)
        return try await connection().send(command)
    }

    /// The calling loop's connection when called on one of the group's loops, otherwise the next one in turn.
    private func connection() -> RedisConnection {
        for local in loops where local.loop.inEventLoop { return local.next() }
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return connections[Int(UInt(bitPattern: index) % UInt(connections.count))]
    }

    /// Runs `script` with EVALSHA, loading it first if this client has not, and again after NOSCRIPT.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        var encoded = RedisArguments(keys)
        for argument in arguments { encoded.append(argument) }
        let all = encoded
        return try await withUnsafeThrowingContinuation { continuation in
            evaluate(script, keyCount: keys.count, arguments: all) { continuation.resume(with: $0.mapError { $0 }) }
        }
    }

    /// Runs `script` with its keys and then its arguments already encoded (binary arguments allowed).
    func evaluate(_ script: RedisScript, keyCount: Int, arguments: RedisArguments) async throws -> RedisValue {
        try await withUnsafeThrowingContinuation { continuation in
            evaluate(script, keyCount: keyCount, arguments: arguments) { continuation.resume(with: $0.mapError { $0 }) }
        }
    }

    /// Runs `script` like `evaluate(_:keys:arguments:)` with its keys and then its arguments already encoded, and
    /// passes the reply to `completion` (exactly once) instead of returning it. Called on one of the group's loops,
    /// the command goes out on that loop's connection and `completion` runs there, straight from the read of the
    /// reply: no task, no continuation, no hop.
    func evaluate(
        _ script: RedisScript, keyCount: Int, arguments: RedisArguments,
        completion: @escaping @Sendable (Result<RedisValue, RedisError>) -> Void
    ) {
        let connection = connection()
        guard let sha = script.sha.withLock({ $0 }) else {
            loadAndEvaluate(script, on: connection, keyCount: keyCount, arguments: arguments, completion: completion)
            return
        }
        connection.send(Self.evalsha(sha, keyCount: keyCount, arguments)) { result in
            if case .failure(let error) = result, error.kind == .server, error.message.hasPrefix("NOSCRIPT") {
                self.loadAndEvaluate(script, on: connection, keyCount: keyCount, arguments: arguments,
                                     completion: completion)
            } else {
                completion(result)
            }
        }
    }

    /// Loads `script` (SCRIPT LOAD), remembers its digest and runs it once.
    private func loadAndEvaluate(
        _ script: RedisScript, on connection: RedisConnection, keyCount: Int, arguments: RedisArguments,
        completion: @escaping @Sendable (Result<RedisValue, RedisError>) -> Void
    ) {
        var load = ByteBuffer()
        load.writeRedisCommand(["SCRIPT", "LOAD", script.source])
        connection.send(load) { loaded in
            switch loaded {
            case .failure(let error):
                completion(.failure(error))
            case .success(let reply):
                guard let sha = reply.string else {
                    completion(.failure(RedisError(.server, "SCRIPT LOAD returned no digest")))
                    return
                }
                script.sha.withLock { $0 = sha }
                connection.send(Self.evalsha(sha, keyCount: keyCount, arguments), completion: completion)
            }
        }
    }

    private static func evalsha(_ sha: String, keyCount: Int, _ arguments: RedisArguments) -> ByteBuffer {
        var command = ByteBuffer()
        command.reserveCapacity(64 + arguments.encoded.readableBytes)
        command.writeRedisArrayHeader(3 + arguments.count)
        command.writeRedisBulk("EVALSHA")
        command.writeRedisBulk(sha)
        command.writeRedisBulk(Int64(keyCount))
        var encoded = arguments.encoded
        command.writeBuffer(&encoded)
        return command
    }

    /// Round trips (flushes: each sends every command written since the previous one) and commands so far over all
    /// connections, and connect attempts: commands per round trip shows the pipelining.
    public var pipelineStats: (roundTrips: Int, commands: Int, connects: Int) {
        connections.reduce((0, 0, 0)) {
            ($0.0 + $1.stats.roundTrips.load(ordering: .relaxed), $0.1 + $1.stats.commands.load(ordering: .relaxed),
             $0.2 + $1.stats.connects.load(ordering: .relaxed))
        }
    }

    /// Sends that had to hop to their connection's loop; commands sent on one of the group's loops never do.
    var hops: Int {
        connections.reduce(0) { $0 + $1.stats.hops.load(ordering: .relaxed) }
    }

    deinit {
        close()
    }

    /// Whether the most recent reply or connect attempt of any connection worked.
    public var isHealthy: Bool {
        connections.contains { $0.stats.healthy.load(ordering: .relaxed) }
    }

    /// Sends PING on every connection, so each is connected (or its failure known) before traffic arrives.
    public func warmUp() async {
        var command = ByteBuffer()
        command.writeRedisCommand(["PING"])
        let ping = command
        await withTaskGroup(of: Void.self) { group in
            for connection in connections { group.addTask { _ = try? await connection.send(ping) } }
        }
    }

    /// Stops taking commands; each connection closes once those it has in flight are answered. Only the first call
    /// does anything, so a caller may close the client before shutting its event loops down.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        for connection in connections { connection.close() }
    }
}

/// The connections that live on one event loop, taken in turn by sends made on that loop.
private final class LoopConnections: @unchecked Sendable {
    let loop: any EventLoop
    private let connections: [RedisConnection]
    /// Touched only on `loop`.
    private var index = 0

    init(loop: any EventLoop, connections: [RedisConnection]) {
        self.loop = loop
        self.connections = connections
    }

    /// Call only on `loop`.
    func next() -> RedisConnection {
        if connections.count == 1 { return connections[0] }
        index = (index + 1) % connections.count
        return connections[index]
    }
}
