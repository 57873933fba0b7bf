import GatewayWire

/// Diagnostic methods for tests and load checks (docs/protocol.md, "Security"): registered only when
/// `debug.methods` is on, so a production server answers them UNIMPLEMENTED.
enum DebugService {
    /// Longest accepted sleep or tick interval, so a debug call cannot pin a handler for hours.
    static let maxDurationMs: UInt64 = 600_000
    static let maxTicks: UInt32 = 100_000

    static func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Debug.sleep) { request, _ in
            guard request.durationMs <= maxDurationMs else {
                throw RPCError(.invalidArgument, "duration_ms must be at most \(maxDurationMs)",
                               detail: .reason("out_of_range"))
            }
            let start = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(Int64(request.durationMs)))
            var response = Aigw_V1_SleepResponse()
            response.sleptMs = UInt64((ContinuousClock.now - start) / .milliseconds(1))
            return response
        }
        router.serverStreaming(Aigw_V1_Debug.ticks) { request, _, writer in
            guard request.count <= maxTicks, request.intervalMs <= maxDurationMs else {
                throw RPCError(.invalidArgument, "count must be at most \(maxTicks), interval_ms at most \(maxDurationMs)",
                               detail: .reason("out_of_range"))
            }
            for index in 0..<request.count {
                if index > 0 && request.intervalMs > 0 {
                    try await Task.sleep(for: .milliseconds(Int64(request.intervalMs)))
                }
                var tick = Aigw_V1_Tick()
                tick.index = index
                try await writer.send(tick)
            }
        }
        router.unary(Aigw_V1_Debug.echo) { request, _ in
            var response = Aigw_V1_EchoResponse()
            response.payload = request.payload
            return response
        }
    }
}
