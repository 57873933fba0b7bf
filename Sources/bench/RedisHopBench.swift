import Foundation
import GatewayCore
import GatewayRedis
import NIOCore
import NIOPosix
import Synchronization

/// The Redis hop alone: the limit script through aigw's own Redis client and store, called from an event loop by
/// callback exactly as a Redis-backed CheckLimit calls it, one check in flight, with no RPC in front. It splits a
/// CheckLimit's 1-in-flight latency into the client's Redis round trip and the RPC around it, next to
/// redis-benchmark's single-client EVALSHA round trip of the same script.
enum RedisHopBench {
    static func run(redisURL: String, duration: Duration, warmUp: Duration) async throws -> Stats {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let client = RedisClient(configuration: try RedisConfiguration(url: redisURL), group: group)
        let store = RedisRateLimitStore(client: client)
        await client.warmUp()
        let rule = RateLimitRule(.tokenBucket, limit: 1_000_000_000, windowMillis: 3_600_000)
        let limits = [
            AppliedLimit(key: LimitKey(endpoint: .chat, level: .user, subject: "hop-user"), rule: rule),
            AppliedLimit(key: LimitKey(endpoint: .chat, level: .org, subject: "hop-org"), rule: rule),
        ]
        let loop = group.next()
        _ = try await measure(store, limits, on: loop, for: warmUp)
        let latencies = try await measure(store, limits, on: loop, for: duration)
        client.close()
        try await group.shutdownGracefully()
        return Stats(latencies, duration)
    }

    /// Back-to-back checks on `loop` for `duration`: each starts from the previous one's completion.
    private static func measure(
        _ store: RedisRateLimitStore, _ limits: [AppliedLimit], on loop: any EventLoop, for duration: Duration
    ) async throws -> [UInt64] {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(duration / .nanoseconds(1))
        return try await withCheckedThrowingContinuation { continuation in
            let run = Run(store: store, limits: limits, end: end, continuation: continuation)
            loop.execute { run.next() }
        }
    }

    /// One measurement's state, touched only on its loop.
    private final class Run: @unchecked Sendable {
        let store: RedisRateLimitStore
        let limits: [AppliedLimit]
        let end: UInt64
        let continuation: CheckedContinuation<[UInt64], any Error>
        var latencies: [UInt64] = []

        init(store: RedisRateLimitStore, limits: [AppliedLimit], end: UInt64,
             continuation: CheckedContinuation<[UInt64], any Error>) {
            self.store = store
            self.limits = limits
            self.end = end
            self.continuation = continuation
            latencies.reserveCapacity(100_000)
        }

        func next() {
            let start = DispatchTime.now().uptimeNanoseconds
            guard start < end else {
                continuation.resume(returning: latencies)
                return
            }
            store.check(limits, cost: 1, peek: false) { result in
                if case .failure(let error) = result {
                    self.continuation.resume(throwing: error)
                    return
                }
                self.latencies.append(DispatchTime.now().uptimeNanoseconds - start)
                self.next()
            }
        }
    }
}
