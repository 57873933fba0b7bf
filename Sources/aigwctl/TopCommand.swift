import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `aigwctl top`: a live view of one instance, refreshed every second from Admin.GetLiveStats. Rates are the
/// differences between two polls, so the view needs nothing from the server but counters.
struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A live view of what the gateway is doing now; press q to quit.",
        discussion: """
            Shows call rate, error rate, cost and tokens per minute, calls in flight, queue length, cache hit rate,
            and the busiest callers and models of the last minute. Rates are this instance's; the queue length is
            shared by every instance on one Redis. Works over the Unix socket and over TCP (--tcp, with --token).
            With --json, prints each poll's raw counters (Admin.GetLiveStats) as one JSON object per line.
            Exit status: 0 after q or --iterations frames, 1 when the server cannot be reached.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Seconds between refreshes.") var interval: Double = 1
    @Option(help: "Stop after this many frames (0: until q).") var iterations: Int = 0
    @Option(help: "Busiest callers and models to show.") var rows: UInt32 = 5

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else { throw ValidationError("--interval takes 0.1 to 3600 seconds") }
        guard iterations >= 0 else { throw ValidationError("--iterations cannot be negative") }
        guard (1...100).contains(rows) else { throw ValidationError("--rows takes 1 to 100") }
    }

    func run() async throws {
        let keys = KeyReader()
        defer { keys.restore() }
        var request = Aigw_V1_GetLiveStatsRequest()
        request.top = rows
        let target = connection.target
        try await connection.withClient { client, options in
            var previous: (stats: Aigw_V1_GetLiveStatsResponse, at: ContinuousClock.Instant)?
            var frames = 0
            while !keys.quit {
                let stats = try await client.call(Aigw_V1_Admin.getLiveStats, request, options: options)
                let now = ContinuousClock.now
                if connection.json {
                    // One GetLiveStats answer per line, for scripts that compute their own rates.
                    try connection.printJSON(stats)
                } else {
                    keys.write(Self.render(stats, previous: previous.map { ($0.stats, now - $0.at) }, target: target))
                }
                previous = (stats, now)
                frames += 1
                if iterations > 0 && frames >= iterations { break }
                let wake = now + .milliseconds(Int64(interval * 1000))
                while !keys.quit && ContinuousClock.now < wake {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
    }

    /// One screen. `previous` is the last poll and the time since it; without it, rates show "-".
    static func render(
        _ s: Aigw_V1_GetLiveStatsResponse, previous: (Aigw_V1_GetLiveStatsResponse, Duration)?, target: GatewayTarget
    ) -> String {
        let seconds = previous.map { Double($0.1.components.seconds) + Double($0.1.components.attoseconds) / 1e18 }
        func rate(_ now: UInt64, _ then: (Aigw_V1_GetLiveStatsResponse) -> UInt64, per: Double = 1) -> String {
            guard let (old, _) = previous, let seconds, seconds > 0 else { return "-" }
            let delta = now >= then(old) ? now - then(old) : now
            return String(format: "%.1f", Double(delta) / seconds * per)
        }
        func ratio(_ part: UInt64, _ whole: UInt64, _ oldPart: UInt64, _ oldWhole: UInt64) -> String {
            guard previous != nil, whole > oldWhole else { return "-" }
            return String(format: "%.1f%%", Double(part &- oldPart) * 100 / Double(whole - oldWhole))
        }
        let old = previous?.0
        var costPerMinute = "-"
        if let old, let seconds, seconds > 0 {
            costPerMinute = dollars(Int64(Double(s.costNanoUsdTotal - old.costNanoUsdTotal) / seconds * 60))
        }
        let tokens = s.inputTokensTotal + s.outputTokensTotal
        let errorRate = ratio(s.completionErrorsTotal, s.completionsTotal, old?.completionErrorsTotal ?? 0,
                              old?.completionsTotal ?? 0)
        let lookups = s.cacheHitsTotal + s.cacheMissesTotal
        let hitRate = s.hasCache
            ? ratio(s.cacheHitsTotal, lookups, old?.cacheHitsTotal ?? 0, (old?.cacheHitsTotal ?? 0) + (old?.cacheMissesTotal ?? 0))
            : "off"
        var lines = [
            "aigw top  \(target)  instance \(s.instanceId)  up \(s.uptimeMs / 1000)s   (q quits)",
            "",
            "calls/s \(rate(s.rpcCallsTotal, \.rpcCallsTotal))   in flight \(s.inFlightCalls)   completions/s "
                + "\(rate(s.completionsTotal, \.completionsTotal))   error rate \(errorRate)",
            "cost/min \(costPerMinute)   tokens/min \(rate(tokens, { $0.inputTokensTotal + $0.outputTokensTotal }, per: 60))"
                + "   queue \(s.hasQueue ? String(s.queueDepth) : "off")   cache hit rate \(hitRate)",
            "",
        ]
        for (title, tallies) in [("BUSIEST CALLERS", s.topCallers), ("BUSIEST MODELS", s.topModels)] {
            var table = TextTable(header: ["\(title) (last \(s.windowSeconds)s)", "RECORDS", "TOKENS", "COST"])
            table.rows = tallies.map { [$0.name, String($0.records), String($0.tokens), dollars($0.costNanoUsd)] }
            lines.append(tallies.isEmpty ? "\(title): none in the last \(s.windowSeconds)s\n" : table.render())
        }
        return lines.joined(separator: "\n")
    }
}

/// Reads single keys from a terminal (raw mode, no echo) on a thread of its own, so `q` quits at once; restores the
/// terminal afterwards. Without a terminal it reads nothing and frames are printed one after another.
final class KeyReader: Sendable {
    private let quitFlag = Atomic<Bool>(false)
    private let saved: Mutex<termios?>
    private let screen: Bool

    var quit: Bool { quitFlag.load(ordering: .relaxed) }

    init() {
        screen = isatty(STDOUT_FILENO) == 1
        guard isatty(STDIN_FILENO) == 1 else {
            saved = Mutex(nil)
            return
        }
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        saved = Mutex(original)
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) == 1 {
                if byte == UInt8(ascii: "q") || byte == UInt8(ascii: "Q") || byte == 3 {
                    quitFlag.store(true, ordering: .relaxed)
                    return
                }
            }
        }
        thread.start()
    }

    /// A frame: on a terminal it replaces the screen, otherwise it follows the previous one.
    func write(_ frame: String) {
        FileHandle.standardOutput.write(Data((screen ? "\u{1B}[H\u{1B}[2J" + frame : frame + "\n\n").utf8))
    }

    func restore() {
        saved.withLock { saved in
            if var original = saved { tcsetattr(STDIN_FILENO, TCSANOW, &original) }
            saved = nil
        }
    }
}
