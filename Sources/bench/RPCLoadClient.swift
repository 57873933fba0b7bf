import GatewayClient
import GatewayWire

/// Keeps `inFlight` Health calls outstanding through the Swift client and times each one.
enum RPCLoadClient {
    static func run(client: GatewayClient, inFlight: Int, duration: Duration, pinned: Bool) async throws -> [UInt64] {
        let deadline = Clock.nanos() + UInt64(duration / .nanoseconds(1))
        return try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for _ in 0..<inFlight {
                group.addTask(executorPreference: pinned ? client.taskExecutor : nil) {
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(1 << 16)
                    let request = Aigw_V1_HealthRequest()
                    while true {
                        let start = Clock.nanos()
                        _ = try await client.call(Aigw_V1_Admin.health, request)
                        let end = Clock.nanos()
                        latencies.append(end - start)
                        if end >= deadline { return latencies }
                    }
                }
            }
            var all: [UInt64] = []
            for try await part in group { all += part }
            return all
        }
    }
}
