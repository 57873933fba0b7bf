import Foundation
import GatewayCore
@testable import GatewayRedis
import NIOCore
import NIOPosix
import RedisTestSupport
import Synchronization
import Testing

/// The Redis layer against real redis-server processes.
@Suite struct RedisClientTests {
    /// The shared server `make test` started (AIGW_TEST_REDIS_URL), or a private one when run by hand.
    static func sharedServer() throws -> (RedisConfiguration, RedisServerProcess?) {
        if let url = ProcessInfo.processInfo.environment["AIGW_TEST_REDIS_URL"], !url.isEmpty {
            return (try RedisConfiguration(url: url), nil)
        }
        let server = try RedisServerProcess()
        return (try RedisConfiguration(url: server.url), server)
    }

    static func key(_ name: String) -> String { "aigw-test:\(UUID().uuidString):\(name)" }

    @Test func parsesURLs() throws {
        let full = try RedisConfiguration(url: "redis://:p%40ss@redis.internal:6380/4")
        #expect(full.host == "redis.internal")
        #expect(full.port == 6380)
        #expect(full.password == "p@ss")
        #expect(full.db == 4)
        let bare = try RedisConfiguration(url: "redis://localhost")
        #expect(bare.host == "localhost" && bare.port == 6379 && bare.password == nil && bare.db == 0)
        let user = try RedisConfiguration(url: "redis://default:secret@10.0.0.1:7000")
        #expect(user.password == "secret" && user.port == 7000)
        let socket = try RedisConfiguration(url: "unix://:pw@/run/redis/redis.sock?db=3")
        #expect(socket.socketPath == "/run/redis/redis.sock" && socket.password == "pw" && socket.db == 3)
        #expect(socket.address == "/run/redis/redis.sock")
        #expect(try RedisConfiguration(url: "unix:///tmp/r.sock").db == 0)
        for bad in ["http://x", "redis://h:0", "redis://h:99999", "redis://h/x", "unix://relative.sock",
                    "unix:///tmp/r.sock?db=x", "unix:///tmp/r.sock?timeout=1", "unix://"] {
            #expect(throws: GatewayError.self) { try RedisConfiguration(url: bad) }
        }
    }

    @Test func repliesOfEveryKindAndBinarySafeArguments() async throws {
        let (configuration, server) = try Self.sharedServer()
        let client = RedisClient(configuration: configuration)
        defer { client.close(); _ = server }
        let key = Self.key("bytes")
        let value: [UInt8] = [0, 1, 0xFF, 0x0D, 0x0A, 0, 42]
        #expect(try await client.send(bytes: [Array("SET".utf8), Array(key.utf8), value]) == .status("OK"))
        #expect(try await client.send(["GET", key]) == .bulk(value))
        #expect(try await client.send(["GET", Self.key("missing")]) == .null)
        #expect(try await client.send(["INCRBY", Self.key("n"), "41"]) == .integer(41))
        let list = Self.key("list")
        try await client.send(["RPUSH", list, "a", "b"])
        #expect(try await client.send(["LRANGE", list, "0", "-1"]) == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        let error = await #expect(throws: RedisError.self) { try await client.send(["LPUSH", key, "x"]) }
        #expect(error?.kind == .server)
        #expect(error?.message.hasPrefix("WRONGTYPE") == true)
        try await client.send(["DEL", key, list])
    }

    @Test func concurrentCommandsArePipelined() async throws {
        let (base, server) = try Self.sharedServer()
        var configuration = base
        configuration.poolSize = 1
        let client = RedisClient(configuration: configuration)
        defer { client.close(); _ = server }
        let key = Self.key("counter")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2_000 { group.addTask { try await client.send(["INCR", key]) } }
            try await group.waitForAll()
        }
        #expect(try await client.send(["GET", key]).string == "2000")
        let stats = client.pipelineStats
        #expect(stats.commands == 2_001)
        // Many commands share each round trip.
        #expect(stats.roundTrips * 4 < stats.commands, "\(stats.roundTrips) round trips for \(stats.commands) commands")
        try await client.send(["DEL", key])
    }

    @Test func commandsSentOnAnEventLoopStayOnIt() async throws {
        let (configuration, server) = try Self.sharedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let client = RedisClient(configuration: configuration, group: group)
        let key = Self.key("local")
        for loop in group.makeIterator() {
            try await Task(executorPreference: LoopTaskExecutor(loop)) {
                for _ in 0..<50 {
                    try await client.send(["INCR", key])
                    #expect(loop.inEventLoop)
                }
            }.value
        }
        #expect(client.hops == 0)
        #expect(try await client.send(["GET", key]).string == "100")
        #expect(client.hops == 1)
        try await client.send(["DEL", key])
        client.close()
        try await group.shutdownGracefully()
        _ = server
    }

    @Test func scriptsRunByDigestAndSurviveScriptFlush() async throws {
        let (configuration, server) = try Self.sharedServer()
        let client = RedisClient(configuration: configuration)
        defer { client.close(); _ = server }
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let key = Self.key("script")
        #expect(try await client.evaluate(script, keys: [key], arguments: ["5"]) == .integer(5))
        try await client.send(["SCRIPT", "FLUSH"])
        #expect(try await client.evaluate(script, keys: [key], arguments: ["2"]) == .integer(7))
        try await client.send(["DEL", key])
    }

    @Test func numbersAreEncodedAsTheirDecimalText() {
        let values: [Int64] = [0, 7, 10, 99, 100, -1, -12, 1_000_000_000, .max, .min]
        for value in values {
            var direct = ByteBuffer()
            direct.writeRedisBulk(value)
            var text = ByteBuffer()
            text.writeRedisBulk(String(value))
            #expect(direct == text, "\(value)")
        }
        for value in [UInt64(0), 5, 18_446_744_073_709_551_615] {
            var direct = ByteBuffer()
            direct.writeRedisBulk(value)
            var text = ByteBuffer()
            text.writeRedisBulk(String(value))
            #expect(direct == text, "\(value)")
        }
        var key = ByteBuffer()
        key.writeRedisBulk(joining: ["aigw:rl:", "chat", ":", "user", ":", "é"])
        var whole = ByteBuffer()
        whole.writeRedisBulk("aigw:rl:chat:user:é")
        #expect(key == whole)
    }

    /// The callback form a store uses on the server's loops: the reply is handed over on the caller's loop, straight
    /// from its read, and a script flushed from Redis is loaded again.
    @Test func scriptsRunByCallbackOnTheCallersLoop() async throws {
        let (configuration, server) = try Self.sharedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let client = RedisClient(configuration: configuration, group: group)
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        let key = Self.key("callback-script")
        let loop = group.next()
        func run(_ increment: Int64) async throws -> RedisValue {
            try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    var arguments = RedisArguments()
                    arguments.append(key)
                    arguments.append(increment)
                    client.evaluate(script, keyCount: 1, arguments: arguments) { result in
                        #expect(loop.inEventLoop)
                        continuation.resume(with: result.mapError { $0 })
                    }
                }
            }
        }
        #expect(try await run(5) == .integer(5))
        try await client.send(["SCRIPT", "FLUSH"])
        #expect(try await run(-2) == .integer(3))
        #expect(client.hops == 1, "only the SCRIPT FLUSH sent from the test's task hops")
        try await client.send(["DEL", key])
        client.close()
        try await group.shutdownGracefully()
        _ = server
    }

    @Test func authenticatesAndSelectsTheDatabase() async throws {
        let server = try RedisServerProcess(arguments: ["--requirepass", "s3cret"])
        let db2 = RedisClient(configuration: RedisConfiguration(port: server.port, password: "s3cret", db: 2))
        let db0 = RedisClient(configuration: RedisConfiguration(port: server.port, password: "s3cret", db: 0))
        let wrong = RedisClient(configuration: RedisConfiguration(port: server.port, password: "nope"))
        defer { db2.close(); db0.close(); wrong.close() }
        try await db2.send(["SET", "k", "in-db-2"])
        #expect(try await db2.send(["GET", "k"]).string == "in-db-2")
        #expect(try await db0.send(["GET", "k"]) == .null)
        let error = await #expect(throws: RedisError.self) { try await wrong.send(["PING"]) }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("AUTH") == true)
    }

    @Test func connectsOverAUnixSocketWithAuthAndDatabase() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-sock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("redis.sock").path
        let server = try RedisServerProcess(arguments: ["--requirepass", "s3cret", "--unixsocket", path])
        let overSocket = RedisClient(configuration: try RedisConfiguration(url: "unix://:s3cret@\(path)?db=5"))
        let overTCP = RedisClient(configuration: RedisConfiguration(port: server.port, password: "s3cret", db: 5))
        defer { overSocket.close(); overTCP.close() }
        let key = Self.key("socket")
        try await overSocket.send(["SET", key, "via-socket"])
        #expect(try await overTCP.send(["GET", key]).string == "via-socket")
        let script = RedisScript("return redis.call('GET', KEYS[1])")
        #expect(try await overSocket.evaluate(script, keys: [key], arguments: []).string == "via-socket")
        let missing = RedisClient(configuration: try RedisConfiguration(url: "unix://\(directory.path)/absent.sock"))
        defer { missing.close() }
        let error = await #expect(throws: RedisError.self) { try await missing.send(["PING"]) }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("absent.sock") == true)
    }

    @Test func failsFastWhileRedisIsDownAndReconnectsWhenItIsBack() async throws {
        let server = try RedisServerProcess()
        let client = RedisClient(configuration: RedisConfiguration(port: server.port, poolSize: 1))
        defer { client.close() }
        #expect(try await client.send(["PING"]) == .status("PONG"))
        server.kill()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await client.send(["PING"]) }
            #expect(error?.kind == .connection)
            #expect(ContinuousClock.now - started < .seconds(1))
        }
        try server.start()
        let deadline = ContinuousClock.now + .seconds(10)
        var back = false
        while !back && ContinuousClock.now < deadline {
            back = (try? await client.send(["PING"])) == .status("PONG")
            if !back { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(back, "the client reconnected after the restart")
    }

    @Test func aHungServerCostsAtMostTheCommandTimeout() async throws {
        let server = try RedisServerProcess()
        let client = RedisClient(configuration: RedisConfiguration(
            port: server.port, commandTimeout: .milliseconds(300), poolSize: 1))
        defer { client.close() }
        #expect(try await client.send(["PING"]) == .status("PONG"))
        server.pause()
        let started = ContinuousClock.now
        let error = await #expect(throws: RedisError.self) { try await client.send(["PING"]) }
        #expect(error?.kind == .connection)
        #expect(ContinuousClock.now - started < .milliseconds(1_500))
        server.resume()
    }

    /// The observer hears of incidents, not of every failed command: error replies (NOSCRIPT excepted, which the
    /// client handles), a lost connection, failed connects, the reconnect, and a command timeout.
    @Test func observerHearsOfEachIncident() async throws {
        let server = try RedisServerProcess()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let events = EventLog()
        let client = RedisClient(
            configuration: RedisConfiguration(port: server.port, commandTimeout: .milliseconds(300), poolSize: 1),
            group: group, observer: { events.append($0) })
        defer { client.close(); group.shutdownGracefully { _ in } }
        #expect(try await client.send(["PING"]) == .status("PONG"))
        await #expect(throws: RedisError.self) { try await client.send(["NOSUCHCOMMAND"]) }
        let script = RedisScript("return 1")
        _ = try await client.evaluate(script, keys: [], arguments: [])
        try await client.send(["SCRIPT", "FLUSH"])
        _ = try await client.evaluate(script, keys: [], arguments: [])
        #expect(events.all == [.errorReply], "NOSCRIPT is not an incident")

        server.kill()
        for _ in 0..<3 { _ = try? await client.send(["PING"]) }
        #expect(events.all.filter { $0 == .connectionLost }.count == 1, "\(events.all.map(\.rawValue))")
        #expect(events.all.contains(.connectFailed), "\(events.all)")
        try server.start()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, (try? await client.send(["PING"])) != .status("PONG") {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(events.all.filter { $0 == .reconnected }.count == 1, "\(events.all)")

        server.pause()
        _ = try? await client.send(["PING"])
        server.resume()
        #expect(events.all.filter { $0 == .commandTimeout }.count == 1, "\(events.all)")
    }
}

/// Events in the order the observer heard them.
private final class EventLog: Sendable {
    private let events = Mutex<[RedisEvent]>([])
    func append(_ event: RedisEvent) { events.withLock { $0.append(event) } }
    var all: [RedisEvent] { events.withLock { $0 } }
}
