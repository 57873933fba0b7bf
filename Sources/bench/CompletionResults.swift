/// What the completions suite measured: Complete and Stream through aigw next to the direct libcurl baseline, and
/// aigw's resident memory with many streams open.
struct CompletionResults {
    let rows: [CompletionRow]
    let memory: StreamMemoryResult

    /// The targets for the latency aigw adds over a direct upstream call, in milliseconds.
    static let p50TargetMillis = 0.5
    static let p99TargetMillis = 2.0
}

/// The two ways to ask for a completion.
enum CompletionMode: String, CaseIterable {
    case complete = "Complete"
    case stream = "Stream"
}

/// One mode at one level of concurrency: the same request sent straight to the fake upstream and through aigw.
struct CompletionRow {
    let mode: CompletionMode
    let inFlight: Int
    /// How long the fake waited before answering.
    let upstreamMillis: Int
    /// Whole request (for Stream: until the body or the RPC stream ends), direct libcurl call.
    let direct: Stats
    /// Whole request through aigw.
    let aigw: Stats
    /// Time to the first content delta (Stream only).
    let directTTFT: Stats?
    let aigwTTFT: Stats?
    /// Requests that failed on either path (each failure is printed); their latencies are not in the stats.
    let failures: Int

    /// aigw p50 minus direct p50, in milliseconds.
    var addedP50: Double { (aigw.p50 - direct.p50) / 1000 }
    var addedP99: Double { (aigw.p99 - direct.p99) / 1000 }
    var addedTTFTP50: Double? { aigwTTFT.flatMap { a in directTTFT.map { (a.p50 - $0.p50) / 1000 } } }
    var addedTTFTP99: Double? { aigwTTFT.flatMap { a in directTTFT.map { (a.p99 - $0.p99) / 1000 } } }
    /// aigw's throughput over the direct baseline's.
    var ratio: Double { direct.perSecond > 0 ? aigw.perSecond / direct.perSecond : 0 }
    var p50Met: Bool { addedP50 <= CompletionResults.p50TargetMillis }
    var p99Met: Bool { addedP99 <= CompletionResults.p99TargetMillis }

    var line: String {
        var line = "\(mode.rawValue.lowercased()) upstream=\(upstreamMillis)ms in-flight=\(inFlight) "
            + "direct=\(Int(direct.perSecond))/s p50=\(ms(direct.p50))ms p99=\(ms(direct.p99))ms "
            + "aigw=\(Int(aigw.perSecond))/s p50=\(ms(aigw.p50))ms p99=\(ms(aigw.p99))ms "
            + "added p50=\(fmt(addedP50, 3))ms p99=\(fmt(addedP99, 3))ms ratio=\(fmt(ratio, 2))"
        if let directTTFT, let aigwTTFT {
            line += " ttft direct p50=\(ms(directTTFT.p50))ms p99=\(ms(directTTFT.p99))ms"
                + " aigw p50=\(ms(aigwTTFT.p50))ms p99=\(ms(aigwTTFT.p99))ms"
        }
        return failures > 0 ? line + " failures=\(failures)" : line
    }
}

/// Microseconds (as `Stats` keeps them) shown as milliseconds.
func ms(_ micros: Double) -> String { fmt(micros / 1000, 3) }

/// aigw's resident memory before, during and after many concurrent Stream calls.
struct StreamMemoryResult {
    let streams: Int
    let connections: Int
    /// Each stream's length: text pieces and the fake's delay between them.
    let pieces: Int
    let tokenDelayMilliseconds: Int
    /// VmRSS in kB after start-up and one warm-up stream per connection.
    let idleKB: Int
    /// Largest VmRSS sampled while every stream had its first delta and none had ended; nil when that never held.
    let peakAllInFlightKB: Int?
    /// Largest VmRSS sampled during the run.
    let peakKB: Int
    /// VmHWM (the kernel's high-water mark) after the run.
    let highWaterKB: Int
    /// VmRSS once every stream had ended.
    let afterKB: Int
    let completed: Int
    let failures: [String]
    /// From the first stream opened to the last one ended.
    let seconds: Double
    /// From the first stream opened until every stream had its first delta (nil if some never did), and until the
    /// first stream ended: all were in flight at once when the first is smaller.
    let allStartedSeconds: Double?
    let firstEndedSeconds: Double?

    /// The memory each open stream costs: (peak with all in flight - idle) / streams.
    var perStreamKB: Double { Double((peakAllInFlightKB ?? peakKB) - idleKB) / Double(max(1, streams)) }

    var line: String {
        "memory streams=\(streams) connections=\(connections) idle=\(mb(idleKB))MB "
            + "peak-all-in-flight=\(peakAllInFlightKB.map(mb) ?? "never all in flight")MB peak=\(mb(peakKB))MB "
            + "hwm=\(mb(highWaterKB))MB after=\(mb(afterKB))MB per-stream=\(fmt(perStreamKB, 1))kB "
            + "completed=\(completed)/\(streams) failures=\(failures.count) wall=\(fmt(seconds, 2))s "
            + "all-started=\(allStartedSeconds.map { fmt($0, 2) } ?? "-")s "
            + "first-ended=\(firstEndedSeconds.map { fmt($0, 2) } ?? "-")s"
    }
}

/// kB shown as MB.
func mb(_ kilobytes: Int) -> String { fmt(Double(kilobytes) / 1024, 1) }
