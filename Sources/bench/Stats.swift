/// Latency percentiles and throughput of one measurement.
struct Stats {
    let count: Int
    let p50: Double
    let p99: Double
    let perSecond: Double

    init(_ latenciesNanos: [UInt64], _ duration: Duration) {
        let sorted = latenciesNanos.sorted()
        count = sorted.count
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        perSecond = Double(count) / (Double(duration / .milliseconds(1)) / 1000)
    }
}

struct Row {
    let transport: String
    let inFlight: Int
    let echo: Stats
    let rpc: Stats
    let task: Stats
    let swiftClient: Stats

    var ratio: Double { echo.perSecond > 0 ? rpc.perSecond / echo.perSecond : 0 }
    var taskRatio: Double { echo.perSecond > 0 ? task.perSecond / echo.perSecond : 0 }
    var clientRatio: Double { echo.perSecond > 0 ? swiftClient.perSecond / echo.perSecond : 0 }

    var line: String {
        "\(transport) in-flight=\(inFlight) echo=\(Int(echo.perSecond))/s p50=\(fmt(echo.p50))us p99=\(fmt(echo.p99))us "
            + "rpc=\(Int(rpc.perSecond))/s p50=\(fmt(rpc.p50))us p99=\(fmt(rpc.p99))us ratio=\(fmt(ratio, 2)) "
            + "task=\(Int(task.perSecond))/s ratio=\(fmt(taskRatio, 2)) "
            + "swift-client=\(Int(swiftClient.perSecond))/s p50=\(fmt(swiftClient.p50))us p99=\(fmt(swiftClient.p99))us "
            + "ratio=\(fmt(clientRatio, 2))"
    }
}

func fmt(_ x: Double, _ digits: Int = 1) -> String {
    let scale = [1.0, 10, 100, 1000][min(digits, 3)]
    let r = (x * scale).rounded() / scale
    return digits == 0 ? String(Int(r)) : String(r)
}

/// One RPC (CheckLimit, TrackUsage) on one store at one level of calls in flight.
struct StoreRow {
    /// `checklimit` or `trackusage`, for the progress line.
    let rpc: String
    let store: String
    let inFlight: Int
    let stats: Stats
    /// The raw echo at the same level, the memory store's baseline.
    let echo: Stats?

    var echoRatio: Double { (echo?.perSecond ?? 0) > 0 ? stats.perSecond / echo!.perSecond : 0 }

    var line: String {
        "\(rpc) store=\(store) in-flight=\(inFlight) \(Int(stats.perSecond))/s p50=\(fmt(stats.p50))us "
            + "p99=\(fmt(stats.p99))us echo=\(Int(echo?.perSecond ?? 0))/s echo-ratio=\(fmt(echoRatio, 2))"
    }
}
