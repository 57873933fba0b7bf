import Foundation
import GatewayClient
import GatewayWire
import Synchronization

/// aigw's resident memory with `streams` Stream calls open at once: a fresh aigw in front of a fake upstream that
/// waits between pieces, so every stream stays open for a few seconds and all of them overlap. VmRSS is sampled from
/// `/proc/<pid>/status` throughout; the figure that counts is the largest one taken while every stream had received
/// its first delta and none had ended.
struct StreamMemoryBench {
    let binary: String
    let socket: String
    let streams: Int
    /// Calls per client connection, well under aigw's default `server.max_concurrent_calls` (1024 per connection).
    var callsPerConnection = 250
    /// 30 words at 200 ms: each stream lasts about 6 s, and opening all of them takes about 1.5 s on two shared
    /// cores, so they overlap for seconds. At 20 ms a piece, 1,000 streams are 50,000 events a second through three
    /// processes; two cores fall behind, and the first streams end before the last have started.
    var words = 30
    var tokenDelayMilliseconds = 200

    /// Counts streams as they get their first delta and as they end, for the sampler.
    private final class Progress: Sendable {
        let started = Atomic<Int>(0)
        let ended = Atomic<Int>(0)
        /// `Clock.nanos()` when the last stream got its first delta, and when the first stream ended.
        let allStartedAt = Atomic<UInt64>(0)
        let firstEndedAt = Atomic<UInt64>(0)
    }

    func run() async throws -> StreamMemoryResult {
        let fake = try FakeUpstreamProcess(binary: binary, tokenDelayMilliseconds: tokenDelayMilliseconds)
        defer { fake.stop() }
        let server = try AigwProcess(
            binary: binary, socket: socket, environment: CompletionBench.environment(upstream: fake.baseURL))
        defer { server.stop() }
        let pid = server.process.processIdentifier
        var clients: [GatewayClient] = []
        for _ in 0..<(streams + callsPerConnection - 1) / callsPerConnection {
            clients.append(try await GatewayClient.connect(to: .unix(path: socket)))
        }
        // One short stream per connection first, so start-up allocations (curl thread, pools) count as idle.
        let expected = "You said: " + (0..<words).map { "w\($0)" }.joined(separator: " ")
        let request = CompletionBench.request(String(expected.dropFirst("You said: ".count)))
        for client in clients {
            for try await _ in client.stream(Aigw_V1_Gateway.stream, CompletionBench.request("warm up")) {}
        }
        try await Task.sleep(for: .milliseconds(300))
        let idle = try Self.residentKB(pid)

        let progress = Progress()
        let total = streams
        let sampler = Task { () -> (allInFlight: Int?, peak: Int) in
            var allInFlight: Int?
            var peak = 0
            while progress.ended.load(ordering: .relaxed) < total {
                // Read the counters around the sample so that "all in flight" held for the whole read.
                let before = progress.started.load(ordering: .relaxed) == total
                    && progress.ended.load(ordering: .relaxed) == 0
                guard let rss = try? Self.residentKB(pid) else { break }
                peak = max(peak, rss)
                if before && progress.ended.load(ordering: .relaxed) == 0 {
                    allInFlight = max(allInFlight ?? 0, rss)
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return (allInFlight, peak)
        }
        let start = Clock.nanos()
        let failures = await withTaskGroup(of: String?.self) { group in
            for i in 0..<total {
                let client = clients[i % clients.count]
                group.addTask {
                    var text = ""
                    var ended = false
                    defer {
                        if progress.ended.add(1, ordering: .relaxed).oldValue == 0 {
                            progress.firstEndedAt.store(Clock.nanos(), ordering: .relaxed)
                        }
                    }
                    do {
                        for try await event in client.stream(Aigw_V1_Gateway.stream, request) {
                            switch event.event {
                            case .delta(let delta):
                                if text.isEmpty, progress.started.add(1, ordering: .relaxed).newValue == total {
                                    progress.allStartedAt.store(Clock.nanos(), ordering: .relaxed)
                                }
                                text += delta.text
                            case .end: ended = true
                            default: break
                            }
                        }
                    } catch {
                        return "stream \(i): \(error)"
                    }
                    guard ended, text == expected else {
                        return "stream \(i): ended=\(ended), \(text.count) of \(expected.count) characters"
                    }
                    return nil
                }
            }
            var failures: [String] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures
        }
        let seconds = Double(Clock.nanos() - start) / 1e9
        func since(_ t: UInt64) -> Double? { t == 0 ? nil : Double(t - start) / 1e9 }
        let allStarted = since(progress.allStartedAt.load(ordering: .relaxed))
        let firstEnded = since(progress.firstEndedAt.load(ordering: .relaxed))
        let (allInFlight, peak) = await sampler.value
        for failure in failures.prefix(5) { print("  \(failure)") }
        let after = try Self.residentKB(pid)
        let highWater = try Self.statusKB(pid, "VmHWM")
        for client in clients { await client.close() }
        return StreamMemoryResult(
            streams: total, connections: clients.count, pieces: words + 2,
            tokenDelayMilliseconds: tokenDelayMilliseconds, idleKB: idle, peakAllInFlightKB: allInFlight,
            peakKB: max(peak, idle), highWaterKB: highWater, afterKB: after, completed: total - failures.count,
            failures: failures, seconds: seconds, allStartedSeconds: allStarted, firstEndedSeconds: firstEnded)
    }

    /// VmRSS of process `pid`, in kB.
    static func residentKB(_ pid: Int32) throws -> Int {
        try statusKB(pid, "VmRSS")
    }

    /// A `kB` field of `/proc/<pid>/status` (Linux).
    static func statusKB(_ pid: Int32, _ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let value = line.dropFirst(field.count + 1).split(whereSeparator: \.isWhitespace).first
            if let value, let kilobytes = Int(value) { return kilobytes }
        }
        throw BenchError("no \(field) in /proc/\(pid)/status")
    }
}
