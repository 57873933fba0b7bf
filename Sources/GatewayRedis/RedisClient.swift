import Synchronization

/// A small pool of pipelined Redis connections (`RedisConnection`), shared by every store of one aigw process.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let connections: [RedisConnection]
    private let next = Atomic<Int>(0)

    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        connections = (0..<configuration.poolSize).map {
            RedisConnection(configuration: configuration, name: "aigw-redis-\($0)")
        }
    }

    /// Sends a command, e.g. `["SET", "k", "v"]`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RedisValue {
        try await send(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends a command with binary arguments.
    @discardableResult
    public func send(bytes arguments: [[UInt8]]) async throws -> RedisValue {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await connections[Int(UInt(bitPattern: index) % UInt(connections.count))].send(arguments)
    }

    /// Runs `script` with EVALSHA, loading it first if this client has not, and again after NOSCRIPT.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        let sha = try await load(script, force: false)
        let call = { (sha: String) in ["EVALSHA", sha, String(keys.count)] + keys + arguments }
        do {
            return try await send(call(sha))
        } catch let error as RedisError where error.kind == .server && error.message.hasPrefix("NOSCRIPT") {
            return try await send(call(try await load(script, force: true)))
        }
    }

    private func load(_ script: RedisScript, force: Bool) async throws -> String {
        if !force, let sha = script.sha.withLock({ $0 }) { return sha }
        guard let sha = try await send(["SCRIPT", "LOAD", script.source]).string else {
            throw RedisError(.server, "SCRIPT LOAD returned no digest")
        }
        script.sha.withLock { $0 = sha }
        return sha
    }

    /// Round trips and commands so far over all connections: commands per round trip shows the pipelining.
    public var pipelineStats: (roundTrips: Int, commands: Int, connects: Int) {
        connections.reduce((0, 0, 0)) {
            ($0.0 + $1.roundTrips.load(ordering: .relaxed), $0.1 + $1.commands.load(ordering: .relaxed),
             $0.2 + $1.connects.load(ordering: .relaxed))
        }
    }

    deinit {
        close()
    }

    /// Whether the most recent round trip of any connection worked.
    public var isHealthy: Bool {
        connections.contains { $0.healthy.load(ordering: .relaxed) }
    }

    /// Sends PING on every connection, so each is connected (or its failure known) before traffic arrives.
    public func warmUp() async {
        for connection in connections { _ = try? await connection.send([Array("PING".utf8)]) }
    }

    /// Stops the I/O threads once they have answered what is queued.
    public func close() {
        for connection in connections { connection.close() }
    }
}
