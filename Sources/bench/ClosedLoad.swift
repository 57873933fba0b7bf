/// Closed-loop load: `inFlight` tasks, each sending its next request as soon as the previous one is answered.
enum ClosedLoad {
    struct Result {
        /// Nanoseconds per successful request, start to end.
        var latencies: [UInt64] = []
        /// Nanoseconds from start to the first token, for requests that report one.
        var firstTokens: [UInt64] = []
        var failures = 0
        var firstError: String?
    }

    /// `request` returns the `Clock.nanos()` of its first token, or nil when it has none (Complete).
    static func run(inFlight: Int, duration: Duration, _ request: @escaping @Sendable () async throws -> UInt64?)
        async throws -> Result
    {
        let deadline = Clock.nanos() + UInt64(duration / .nanoseconds(1))
        let result = await withTaskGroup(of: Result.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    var result = Result()
                    result.latencies.reserveCapacity(1 << 12)
                    while true {
                        let start = Clock.nanos()
                        do {
                            let first = try await request()
                            let end = Clock.nanos()
                            result.latencies.append(end - start)
                            if let first { result.firstTokens.append(first - start) }
                            if end >= deadline { return result }
                        } catch {
                            result.failures += 1
                            result.firstError = result.firstError ?? "\(error)"
                            if Clock.nanos() >= deadline { return result }
                        }
                    }
                }
            }
            var all = Result()
            for await part in group {
                all.latencies += part.latencies
                all.firstTokens += part.firstTokens
                all.failures += part.failures
                all.firstError = all.firstError ?? part.firstError
            }
            return all
        }
        if let error = result.firstError {
            print("  \(result.failures) requests failed; the first: \(error)")
            guard !result.latencies.isEmpty else { throw BenchError("every request failed: \(error)") }
        }
        return result
    }
}
