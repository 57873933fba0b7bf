import CHiredis
import Foundation
import Synchronization

/// One Redis connection served by its own thread, so hiredis's blocking I/O never runs on an event loop or in the
/// cooperative pool.
///
/// Commands are pipelined automatically. When the connection is idle, the caller writes its command straight to the
/// socket with a non-blocking send and wakes the I/O thread, whose wake-up then overlaps Redis's work instead of
/// adding to it (this halves the thread hand-offs at low concurrency). While replies are outstanding, callers queue
/// instead, and the I/O thread writes everything queued in one go after each reply it reads, so under load one write
/// carries many commands and no command waits for another's round trip to start.
///
/// A broken connection fails the commands in flight with `RedisError.Kind.connection` and is re-established for the
/// next batch. Failed connects back off (100 ms doubling to 2 s), and during a backoff commands fail at once instead of
/// hanging. The command timeout bounds every read and write.
final class RedisConnection: @unchecked Sendable {
    private typealias Continuation = CheckedContinuation<RedisValue, any Error>

    private struct Pending {
        let arguments: [[UInt8]]
        let continuation: Continuation
    }

    private let configuration: RedisConfiguration
    // Guarded by `condition`.
    private let condition = NSCondition()
    /// Commands not yet written: there is no connection, or replies are outstanding.
    private var queue: [Pending] = []
    /// Commands written and awaiting their replies, oldest first (from `inflightHead`).
    private var inflight: [Continuation] = []
    private var inflightHead = 0
    /// Bytes a caller's non-blocking send could not write; the I/O thread writes them before anything else.
    private var outbox: [UInt8] = []
    /// The live connection's socket, or -1: callers may send on it only while it is idle.
    private var socket: Int32 = -1
    /// The I/O thread is writing; callers queue behind it so bytes never interleave.
    private var ioWriting = false
    private var closed = false
    /// Reused by callers' direct writes.
    private var scratch: [UInt8] = []
    // Owned by the I/O thread.
    private var context: UnsafeMutablePointer<redisContext>?
    private var backoff = Duration.zero
    private var retryAt = ContinuousClock.now
    private var lastConnectError = ""
    private var writeBuffer: [UInt8] = []

    /// Socket reads that returned replies and commands so far (under load one read carries many replies), for metrics
    /// and the pipelining test.
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
            commands.wrappingAdd(1, ordering: .relaxed)
            if socket >= 0 && inflightHead == inflight.count && queue.isEmpty && outbox.isEmpty && !ioWriting {
                writeDirectly(arguments, continuation)
            } else {
                queue.append(Pending(arguments: arguments, continuation: continuation))
            }
            condition.signal()
        }
    }

    /// The idle fast path, under the lock: the command goes out now with a non-blocking send; whatever the socket
    /// did not take is left in `outbox` for the I/O thread. A failed send surfaces as the I/O thread's read error.
    private func writeDirectly(_ arguments: [[UInt8]], _ continuation: Continuation) {
        scratch.removeAll(keepingCapacity: true)
        Self.encode(arguments, into: &scratch)
        inflight.append(continuation)
        let sent = scratch.withUnsafeBytes { raw in
            Glibc.send(socket, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
        }
        if sent < scratch.count { outbox.append(contentsOf: scratch[max(sent, 0)...]) }
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
            while queue.isEmpty && outbox.isEmpty && inflightHead == inflight.count && !closed { condition.wait() }
            if queue.isEmpty && outbox.isEmpty && inflightHead == inflight.count && closed {
                condition.unlock()
                break
            }
            if !queue.isEmpty || !outbox.isEmpty {
                if context == nil {
                    let batch = queue
                    queue.removeAll(keepingCapacity: true)
                    condition.unlock()
                    connectOrFail(batch)
                    continue
                }
                ioWriting = true
                writeBuffer.removeAll(keepingCapacity: true)
                writeBuffer.append(contentsOf: outbox)
                outbox.removeAll(keepingCapacity: true)
                for pending in queue {
                    Self.encode(pending.arguments, into: &writeBuffer)
                    inflight.append(pending.continuation)
                }
                queue.removeAll(keepingCapacity: true)
                condition.unlock()
                let written = writeAll(writeBuffer)
                condition.lock()
                ioWriting = false
                condition.unlock()
                if !written {
                    fail(RedisError(.connection, "write failed: \(String(cString: strerror(errno)))"))
                    continue
                }
            } else {
                condition.unlock()
            }
            readOneReply()
        }
        disconnect()
    }

    /// Connects for a batch that found no connection: on success the batch goes back to the front of the queue to be
    /// written; otherwise it fails at once with the connect error.
    private func connectOrFail(_ batch: [Pending]) {
        guard let context = connectIfNeeded() else {
            healthy.store(false, ordering: .relaxed)
            let error = RedisError(.connection, lastConnectError)
            for pending in batch { pending.continuation.resume(throwing: error) }
            return
        }
        condition.lock()
        queue.insert(contentsOf: batch, at: 0)
        socket = context.pointee.fd
        condition.unlock()
    }

    /// Reads until the oldest outstanding command has its reply, and delivers it.
    private func readOneReply() {
        guard let context else {
            fail(RedisError(.connection, "not connected"))
            return
        }
        var reply: UnsafeMutableRawPointer?
        if redisGetReplyFromReader(context, &reply) != REDIS_OK {
            fail(RedisError(.connection, Self.errorText(context)))
            return
        }
        while reply == nil {
            roundTrips.wrappingAdd(1, ordering: .relaxed)
            guard redisBufferRead(context) == REDIS_OK, redisGetReplyFromReader(context, &reply) == REDIS_OK else {
                fail(RedisError(.connection, Self.errorText(context)))
                return
            }
        }
        guard let reply else { return }
        let value = Self.convert(reply.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(reply)
        condition.lock()
        let continuation = inflightHead < inflight.count ? inflight[inflightHead] : nil
        if continuation != nil { inflightHead += 1 }
        if inflightHead == inflight.count {
            inflight.removeAll(keepingCapacity: true)
            inflightHead = 0
        }
        condition.unlock()
        healthy.store(true, ordering: .relaxed)
        switch value {
        case .success(let v): continuation?.resume(returning: v)
        case .failure(let e): continuation?.resume(throwing: e)
        }
    }

    /// The connection broke: everything written or waiting to be written fails, and the next batch reconnects.
    private func fail(_ error: RedisError) {
        healthy.store(false, ordering: .relaxed)
        condition.lock()
        let lost = inflight[inflightHead...]
        let queued = queue
        inflight.removeAll(keepingCapacity: true)
        inflightHead = 0
        queue.removeAll(keepingCapacity: true)
        outbox.removeAll(keepingCapacity: true)
        socket = -1
        condition.unlock()
        disconnect()
        for continuation in lost { continuation.resume(throwing: error) }
        for pending in queued { pending.continuation.resume(throwing: error) }
    }

    /// Blocking write of everything on the I/O thread (the socket's send timeout is the command timeout).
    private func writeAll(_ bytes: [UInt8]) -> Bool {
        guard let context else { return false }
        let fd = context.pointee.fd
        return bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// RESP encoding of one command: `*N\r\n` then `$len\r\nbytes\r\n` per argument. Binary-safe.
    static func encode(_ arguments: [[UInt8]], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        appendDecimal(arguments.count, to: &out)
        out.append(contentsOf: [13, 10])
        for argument in arguments {
            out.append(UInt8(ascii: "$"))
            appendDecimal(argument.count, to: &out)
            out.append(contentsOf: [13, 10])
            out.append(contentsOf: argument)
            out.append(contentsOf: [13, 10])
        }
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var digits: [UInt8] = []
        var v = value
        while v > 0 {
            digits.append(UInt8(48 + v % 10))
            v /= 10
        }
        out.append(contentsOf: digits.reversed())
    }

    private func append(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [[UInt8]]) {
        // Used only while connecting (AUTH, SELECT), before callers can see the socket.
        var bytes: [UInt8] = []
        Self.encode(arguments, into: &bytes)
        bytes.withUnsafeBytes { raw in
            _ = redisAppendFormattedCommand(context, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
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

    /// Frees the context; callers already stopped using its socket (`socket` was reset under the lock).
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
