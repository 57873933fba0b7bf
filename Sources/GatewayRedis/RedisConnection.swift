import CHiredis
import Foundation
import Synchronization

/// One Redis connection served by its own thread, so hiredis's blocking I/O never runs on an event loop or in the
/// cooperative pool.
///
/// Commands are pipelined automatically: callers enqueue and await; the I/O thread takes everything queued since its
/// last round trip, writes it in one go and reads the replies in order. Under load one round trip carries many
/// commands, and no command waits for another's round trip to start.
///
/// A broken connection fails the commands in flight with `RedisError.Kind.connection` and is re-established for the
/// next batch. Failed connects back off (100 ms doubling to 2 s), and during a backoff commands fail at once instead of
/// hanging. The command timeout bounds every read and write.
final class RedisConnection: @unchecked Sendable {
    private struct Pending {
        let arguments: [[UInt8]]
        let continuation: CheckedContinuation<RedisValue, any Error>
    }

    private let configuration: RedisConfiguration
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Pending] = []
    private var closed = false
    // Owned by the I/O thread.
    private var context: UnsafeMutablePointer<redisContext>?
    private var backoff = Duration.zero
    private var retryAt = ContinuousClock.now
    private var lastConnectError = ""

    /// Round trips and commands so far, for metrics and the pipelining test.
    let roundTrips = Atomic<Int>(0)
    let commands = Atomic<Int>(0)
    let connects = Atomic<Int>(0)
    /// Whether the last round trip or connect attempt worked: what Health reports.
    let healthy = Atomic<Bool>(false)

    init(configuration: RedisConfiguration, name: String) {
        self.configuration = configuration
        // The thread keeps the connection alive until `close()` lets it finish.
        let thread = Thread { self.run() }
        thread.name = name
        thread.start()
    }

    /// Sends one command and waits for its reply. Error replies are thrown as `RedisError.Kind.server`.
    func send(_ arguments: [[UInt8]]) async throws -> RedisValue {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !closed else {
                continuation.resume(throwing: RedisError(.closed, "the Redis client is closed"))
                return
            }
            queue.append(Pending(arguments: arguments, continuation: continuation))
            condition.signal()
        }
    }

    /// Stops the I/O thread after it has answered what is queued.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    // MARK: The I/O thread

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty && closed {
                condition.unlock()
                break
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            process(batch)
        }
        disconnect()
    }

    private func process(_ batch: [Pending]) {
        guard let context = connectIfNeeded() else {
            healthy.store(false, ordering: .relaxed)
            let error = RedisError(.connection, lastConnectError)
            for pending in batch { pending.continuation.resume(throwing: error) }
            return
        }
        roundTrips.wrappingAdd(1, ordering: .relaxed)
        commands.wrappingAdd(batch.count, ordering: .relaxed)
        for pending in batch { append(context, pending.arguments) }
        defer { if self.context != nil { healthy.store(true, ordering: .relaxed) } }
        for (index, pending) in batch.enumerated() {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK, let reply else {
                let error = RedisError(.connection, Self.errorText(context))
                healthy.store(false, ordering: .relaxed)
                disconnect()
                for rest in batch[index...] { rest.continuation.resume(throwing: error) }
                return
            }
            let value = Self.convert(reply.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(reply)
            switch value {
            case .success(let v): pending.continuation.resume(returning: v)
            case .failure(let e): pending.continuation.resume(throwing: e)
            }
        }
    }

    private func append(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [[UInt8]]) {
        // hiredis copies the arguments into its output buffer, so they only need to live for this call: one scratch
        // buffer holds them all, with the pointer and length arrays beside it.
        let count = arguments.count
        let total = arguments.reduce(0) { $0 + $1.count }
        withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: count) { pointers in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { lengths in
                withUnsafeTemporaryAllocation(byteCount: max(1, total), alignment: 1) { bytes in
                    var offset = 0
                    for (i, argument) in arguments.enumerated() {
                        let start = bytes.baseAddress! + offset
                        argument.withUnsafeBytes { source in
                            if let base = source.baseAddress { start.copyMemory(from: base, byteCount: source.count) }
                        }
                        pointers[i] = UnsafePointer(start.assumingMemoryBound(to: CChar.self))
                        lengths[i] = argument.count
                        offset += argument.count
                    }
                    _ = redisAppendCommandArgv(context, Int32(count), pointers.baseAddress, lengths.baseAddress)
                }
            }
        }
    }

    /// The live context, connecting (with AUTH and SELECT) when there is none and the backoff allows.
    private func connectIfNeeded() -> UnsafeMutablePointer<redisContext>? {
        if let context { return context }
        guard ContinuousClock.now >= retryAt else { return nil }
        connects.wrappingAdd(1, ordering: .relaxed)
        let connected = redisConnectWithTimeout(configuration.host, Int32(configuration.port),
                                                Self.timeval(configuration.connectTimeout))
        guard let connected, connected.pointee.err == 0 else {
            lastConnectError = "cannot connect to \(configuration.host):\(configuration.port): "
                + (connected.map(Self.errorText) ?? "out of memory")
            if let connected { redisFree(connected) }
            scheduleRetry()
            return nil
        }
        redisSetTimeout(connected, Self.timeval(configuration.commandTimeout))
        redisEnableKeepAlive(connected)
        var setup: [[[UInt8]]] = []
        if let password = configuration.password { setup.append(["AUTH", password].map { Array($0.utf8) }) }
        if configuration.db != 0 { setup.append(["SELECT", String(configuration.db)].map { Array($0.utf8) }) }
        for command in setup {
            append(connected, command)
            var reply: UnsafeMutableRawPointer?
            var failure: String?
            if redisGetReply(connected, &reply) != REDIS_OK || reply == nil {
                failure = Self.errorText(connected)
            } else if case .failure(let e) = Self.convert(reply!.assumingMemoryBound(to: redisReply.self)) {
                failure = e.message
            }
            if let reply { freeReplyObject(reply) }
            if let failure {
                lastConnectError = "\(String(decoding: command[0], as: UTF8.self)) failed: \(failure)"
                redisFree(connected)
                scheduleRetry()
                return nil
            }
        }
        backoff = .zero
        context = connected
        return connected
    }

    private func scheduleRetry() {
        backoff = backoff == .zero ? .milliseconds(100) : min(backoff * 2, .seconds(2))
        retryAt = ContinuousClock.now + backoff
    }

    private func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> Result<RedisValue, RedisError> {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .success(.bulk(r.str.map { Array(UnsafeRawBufferPointer(start: $0, count: r.len)) } ?? []))
        case REDIS_REPLY_STATUS:
            return .success(.status(r.str.map { String(cString: $0) } ?? ""))
        case REDIS_REPLY_INTEGER:
            return .success(.integer(Int64(r.integer)))
        case REDIS_REPLY_NIL:
            return .success(.null)
        case REDIS_REPLY_ERROR:
            return .failure(RedisError(.server, r.str.map { String(cString: $0) } ?? "error"))
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            for i in 0..<r.elements {
                guard let element = r.element[i] else { values.append(.null); continue }
                switch convert(element) {
                case .success(let v): values.append(v)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.array(values))
        default:
            return .failure(RedisError(.server, "unexpected reply type \(r.type)"))
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func timeval(_ d: Duration) -> Glibc.timeval {
        let micros = d / .microseconds(1)
        return Glibc.timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros.truncatingRemainder(dividingBy: 1_000_000)))
    }
}
