import Foundation

/// docs/benchmarks.md: the table and how it was measured.
struct Report {
    let rows: [Row]
    let seconds: Double
    let limitRows: [StoreRow]
    let evalsha50: (perSecond: Double, p50: Double, p99: Double)
    let evalsha1: (perSecond: Double, p50: Double, p99: Double)
    /// The same over the Redis Unix socket, the baselines of the `redis-unix` rows.
    let evalsha50Unix: (perSecond: Double, p50: Double, p99: Double)
    let evalsha1Unix: (perSecond: Double, p50: Double, p99: Double)
    /// aigw's Redis client alone (no RPC), over TCP and over the Unix socket, 1 in flight.
    let hop: Stats
    let hopUnix: Stats
    /// The completions suite, when it ran.
    var completions: CompletionResults? = nil
    /// The usage suite, when it ran.
    var usage: UsageResults? = nil
    /// The cost of Prometheus accounting (`--suite metrics`, or all).
    var metrics: MetricsBench.Results? = nil
    /// The queue suite, when it ran.
    var queue: QueueResults? = nil
    /// The cache suite, when it ran.
    var cache: CacheResults? = nil

    static var date: Substring { ISO8601DateFormatter().string(from: Date()).prefix(10) }

    static var header: [String] {
        [
            "# Benchmarks",
            "",
            "Measured \(date) by `make bench` (release build) on a \(ProcessInfo.processInfo.activeProcessorCount)-core shared machine;",
            "absolute numbers are noisy here, so compare the ratio, which is measured in the same run.",
            "",
        ]
    }

    /// The report of `bench --suite completions`: the header and the Complete and Stream section only.
    static func completionsOnly(_ completions: CompletionResults, seconds: Double) -> String {
        (header + completionSection(completions, seconds: seconds) + [""]).joined(separator: "\n")
    }

    /// The report of `bench --suite usage`: the header and the TrackUsage section only.
    static func usageOnly(_ usage: UsageResults, seconds: Double) -> String {
        (header + usageSection(usage, seconds: seconds) + [""]).joined(separator: "\n")
    }

    /// The report of `bench --suite queue`: the header and the queue section only.
    static func queueOnly(_ queue: QueueResults) -> String {
        (header + queueSection(queue) + [""]).joined(separator: "\n")
    }

    /// Enqueue to succeeded on Redis against the target.
    static func queueSection(_ q: QueueResults) -> [String] {
        var lines = [
            "## Request queue: Enqueue to succeeded on Redis",
            "",
            "- One aigw on a private redis-server, `queue.workers` \(q.workers), `queue.batch_size` \(q.batchSize),",
            "  against `aigw fake-upstream` answering at once. Every job is a gpt-4o-mini completion through the same",
            "  path as Complete (rate-limit check and usage record on Redis), then the finish script.",
            "- **end to end**: 256 Enqueue calls in flight while the workers run; timed from the first Enqueue until",
            "  GetQueueStats counts every job succeeded. **drain**: jobs enqueued first through an aigw without",
            "  workers, then an aigw with workers timed from listening until all succeeded (worker throughput alone).",
            "- **Target**: at least 6,000 jobs/s (BullMQ's published single-worker figure).",
            "- Load average before / after: \(q.loadBefore) / \(q.loadAfter).",
            "",
            "| pass | jobs | seconds | jobs/s | enqueue/s | succeeded | dead or failed | avg processing ms | target |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for r in q.rows {
            lines.append(
                "| \(r.pass) | \(r.jobs) | \(fmt(r.seconds, 2)) | **\(Int(r.perSecond))** | \(Int(r.enqueuePerSecond)) | "
                    + "\(r.succeeded) | \(r.dead) | \(r.averageProcessingMs) | \(r.perSecond >= 6_000 ? "met" : "NOT met") |")
        }
        return lines
    }

    /// The report of `bench --suite cache`: the header and the cache-hit section only.
    static func cacheOnly(_ cache: CacheResults, seconds: Double) -> String {
        (header + cacheSection(cache, seconds: seconds) + [""]).joined(separator: "\n")
    }

    var markdown: String {
        var lines = Self.header + [
            "## Health RPC vs raw length-prefixed echo",
            "",
            "- **Echo (baseline)**: a NIO server with aigw's frame decoder and socket options that writes every frame",
            "  straight back, driven by a bare NIO client that keeps N copies of a Health request frame in flight.",
            "- **RPC**: the same bare client speaking the real protocol to a release `aigw` process (handshake, a fresh",
            "  call id per request, every answer's envelope decoded and checked). The server decodes the envelope through",
            "  protobuf-c, routes, authorizes, and answers `Admin.Health`, which runs inline on the event loop.",
            "- **Task handler**: the same, calling `Debug.Echo` (empty payload), a handler that runs in a task per call as",
            "  every handler that may wait (Complete, CheckLimit, ...) does.",
            "- **Swift client**: `Admin.Health` through `GatewayClient` from N concurrent tasks on the global executor",
            "  (what a Swift service sees; client-side costs included).",
            "- Each cell: \(fmt(seconds, 1)) s after a 0.3 s warm-up; one connection; latency in microseconds.",
            "- **Target**: RPC throughput at least 0.5x the echo's at 256 calls in flight.",
            "",
            "| transport | in flight | echo req/s | echo p50/p99 us | RPC req/s | RPC p50/p99 us | RPC/echo | task req/s | task/echo | Swift client req/s | client p50/p99 us | client/echo |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows {
            lines.append(
                "| \(r.transport) | \(r.inFlight) | \(Int(r.echo.perSecond)) | \(fmt(r.echo.p50)) / \(fmt(r.echo.p99)) | "
                    + "\(Int(r.rpc.perSecond)) | \(fmt(r.rpc.p50)) / \(fmt(r.rpc.p99)) | **\(fmt(r.ratio, 2))x** | "
                    + "\(Int(r.task.perSecond)) | \(fmt(r.taskRatio, 2))x | "
                    + "\(Int(r.swiftClient.perSecond)) | \(fmt(r.swiftClient.p50)) / \(fmt(r.swiftClient.p99)) | "
                    + "\(fmt(r.clientRatio, 2))x |")
        }
        lines += [
            "",
            "## CheckLimit on the memory and Redis stores",
            "",
            "- **CheckLimit**: the bare RPC client on the Unix socket. Each call checks a user and an org token",
            "  bucket, both with limits too large to deny, so every call does the full work.",
            "  - **memory**: an aigw without Redis.",
            "  - **redis**: an aigw whose store is a private redis-server over loopback TCP: one EVALSHA per check,",
            "    pipelined by the connection pool.",
            "  - **redis-unix**: the same aigw setup with `REDIS_URL=unix:///.../redis.sock`, for a Redis on the same",
            "    machine.",
            "- **Baselines, in the same run**: the raw echo above (for memory), and `redis-benchmark` running EVALSHA of",
            "  the same script over the same two keys, over the same transport as the row (for redis):",
            "  - TCP: \(Int(evalsha50.perSecond)) req/s with 50 clients; single-client round trip p50 \(fmt(evalsha1.p50)) us.",
            "  - Unix socket: \(Int(evalsha50Unix.perSecond)) req/s with 50 clients; single-client p50 \(fmt(evalsha1Unix.p50)) us.",
            "- **The Redis hop alone**: aigw's own Redis client and limit store, called from an event loop by callback",
            "  as CheckLimit calls them, one check in flight, no RPC: p50 \(fmt(hop.p50)) us over TCP, \(fmt(hopUnix.p50)) us",
            "  over the Unix socket.",
            "- **Targets**: memory at least 0.4x the echo; redis at least 1.0x redis-benchmark's 50-client throughput;",
            "  redis p50 at 1 in flight at most 2x one EVALSHA round trip.",
            "",
            "| store | in flight | req/s | p50/p99 us | vs baseline |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for r in limitRows {
            let (many, one) = r.store == "redis-unix" ? (evalsha50Unix, evalsha1Unix) : (evalsha50, evalsha1)
            let versus = r.store == "memory"
                ? "\(fmt(r.echoRatio, 2))x echo"
                : "\(fmt(r.stats.perSecond / max(1, many.perSecond), 2))x redis-benchmark"
                    + (r.inFlight == 1 ? "; p50 \(fmt(r.stats.p50 / max(1, one.p50), 2))x one EVALSHA" : "")
            lines.append("| \(r.store) | \(r.inFlight) | \(Int(r.stats.perSecond)) | \(fmt(r.stats.p50)) / \(fmt(r.stats.p99)) | \(versus) |")
        }
        let memory256 = limitRows.first { $0.store == "memory" && $0.inFlight == 256 }
        let redis256 = limitRows.first { $0.store == "redis" && $0.inFlight == 256 }
        let redis1 = limitRows.first { $0.store == "redis" && $0.inFlight == 1 }
        let memory1 = limitRows.first { $0.store == "memory" && $0.inFlight == 1 }
        let unix256 = limitRows.first { $0.store == "redis-unix" && $0.inFlight == 256 }
        let unix1 = limitRows.first { $0.store == "redis-unix" && $0.inFlight == 1 }
        func verdict(_ value: Double?, _ ok: (Double) -> Bool) -> String {
            guard let value else { return "not measured" }
            return "\(fmt(value, 2))x, \(ok(value) ? "met" : "NOT met")"
        }
        lines += [
            "",
            "Against the targets in this run:",
            "",
            "- memory at 256 in flight vs echo: \(verdict(memory256?.echoRatio) { $0 >= 0.4 })",
            "- redis at 256 in flight vs redis-benchmark: "
                + verdict(redis256.map { $0.stats.perSecond / max(1, evalsha50.perSecond) }) { $0 >= 1.0 },
            "- redis p50 at 1 in flight vs one EVALSHA: "
                + verdict(redis1.map { $0.stats.p50 / max(1, evalsha1.p50) }) { $0 <= 2.0 },
            "- redis-unix at 256 in flight vs redis-benchmark over the socket: "
                + verdict(unix256.map { $0.stats.perSecond / max(1, evalsha50Unix.perSecond) }) { $0 >= 1.0 },
            "- redis-unix p50 at 1 in flight vs one EVALSHA over the socket: "
                + verdict(unix1.map { $0.stats.p50 / max(1, evalsha1Unix.p50) }) { $0 <= 2.0 },
        ]
        lines += [
            "",
            "## What moved the numbers",
            "",
            "Measured while getting to the target (unix, 256 in flight, RPC/echo): 0.14x at first.",
            "",
            "- **Flushing every 16-64 answers** instead of once per event-loop tick let client and server work at the",
            "  same time instead of taking turns with whole batches.",
            "- **Building protobuf-c trees in an arena** (`ProtoArena`) removed a malloc/free pair per string, array",
            "  and sub-message.",
            "- **Answering handlers that never wait inline**, and packing responses straight into the output buffer",
            "  (`writeResponseFrame`), took the server's cost per Health call from about 10 us to a few us: 0.55-0.7x.",
            "- **Running per-call tasks on the connection's event loop** (`EventLoopTaskExecutor`) avoids two thread",
            "  hops per call. The task column shows what a task per call still costs.",
            "- **The Swift client** is limited by its per-call task, continuation and cancellation handler. Callers that",
            "  pin their tasks to `client.taskExecutor` skip the thread hops (`bench --pinned`).",
            "- **CheckLimit on Redis at 1 in flight** chains three processes on two shared cores: the bench client,",
            "  aigw and redis-server; redis-benchmark's baseline chains two. In this run the parts measured alone were:",
            "  the RPC path (memory store) p50 \(fmt(memory1?.stats.p50 ?? 0)) us, and aigw's own Redis client doing the",
            "  limit script from an event loop p50 \(fmt(hop.p50)) us over TCP (\(fmt(hopUnix.p50)) us over the Unix",
            "  socket) against redis-benchmark's \(fmt(evalsha1.p50)) us (\(fmt(evalsha1Unix.p50)) us). Their sum,",
            "  \(fmt((memory1?.stats.p50 ?? 0) + hop.p50)) us, is below the measured \(fmt(redis1?.stats.p50 ?? 0)) us: `perf sched`",
            "  shows the three processes waking each other with synchronous wake-ups and running one after the other",
            "  on the same core, so the chain costs the sum of every slice (aigw runs two per check) plus the switches,",
            "  and the second core does not shorten it. The client hop itself is within about 20% of",
            "  redis-benchmark's over the Unix socket. What is left to win is aigw's CPU per check and the switches. The ratio was 3.1x in the last",
            "  run before 2026-11-30's changes; four full runs that day measured 2.24x, 2.33x, 2.97x and 2.28x over TCP",
            "  (1.89x, 2.65x, 3.18x and 1.96x over the Unix socket): the host's noise moves the baseline and aigw's",
            "  path differently. Flushing a connection's last outstanding answer at once instead of at the end of the",
            "  loop's tick was worth about 35 us in alternating A/B runs; the rest came from an inlinable protobuf",
            "  arena, one hash per limit key and sharded RPC metrics.",
        ]
        if let usage { lines += [""] + Self.usageSection(usage, seconds: seconds) }
        if let cache { lines += [""] + Self.cacheSection(cache, seconds: seconds) }
        if let completions { lines += [""] + Self.completionSection(completions, seconds: seconds) }
        if let metrics { lines += [""] + Self.metricsSection(metrics, seconds: seconds) }
        if let queue { lines += [""] + Self.queueSection(queue) }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// Cache hits on the memory and Redis stores against the echo and redis-benchmark GET of the cached entry.
    static func cacheSection(_ c: CacheResults, seconds: Double) -> [String] {
        var lines = [
            "## Response cache hits on the memory and Redis stores",
            "",
            "Measured \(date).",
            "",
            "- **Cache hit**: Complete of a prompt whose answer is cached, from the bare RPC client on the Unix socket,",
            "  N calls in flight on one connection. Every call carries a request id of its own, so each is a whole hit:",
            "  the rate-limit check, the cache lookup, the usage record (cache_hit, zero cost) and the answer.",
            "  - **memory**: an aigw without Redis: limits, cache (`MemoryResponseCacheStore`) and usage in memory.",
            "  - **redis**: an aigw on a private redis-server: the limit script and the cache's get script (GET and the",
            "    shared hit counter in one EVALSHA, on the cache's own connections) run together; the hit's usage record",
            "    is written behind, in batches every `usage.write_behind_ms` (50 ms), off the hit's path.",
            "- **Targets** (issue 6): p99 at most 500 us on memory and 1,000 us on Redis, for a hit (1 in flight). At",
            "  16 in flight the figure is bounded by throughput on two shared cores (latency = 16 / calls per second); it",
            "  is shown against the same numbers for reference.",
            "- **Baselines, in the same run**: the raw echo of the same request frame, and `redis-benchmark` GET of the",
            "  cached entry (\(c.entryBytes) bytes): 1 client p50/p99 \(fmt(c.get1.p50)) / \(fmt(c.get1.p99)) us;",
            "  16 clients \(Int(c.get16.perSecond)) req/s, p99 \(fmt(c.get16.p99)) us.",
            "- Each cell: \(fmt(seconds, 1)) s after a 0.3 s warm-up; latency in microseconds.",
            "",
            "| store | in flight | req/s | p50/p99 us | p99 target | echo req/s | echo p50/p99 us |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in c.rows {
            let target = r.store == "memory" ? 500.0 : 1_000.0
            lines.append(
                "| \(r.store) | \(r.inFlight) | \(Int(r.stats.perSecond)) | \(fmt(r.stats.p50)) / \(fmt(r.stats.p99)) | "
                    + "\(Int(target)) \(r.stats.p99 <= target ? "met" : "missed") | "
                    + "\(r.echo.map { String(Int($0.perSecond)) } ?? "-") | "
                    + "\(r.echo.map { "\(fmt($0.p50)) / \(fmt($0.p99))" } ?? "-") |")
        }
        lines += ["", "Every measured call was a hit (calls answered, warm-ups included, against GetCacheStats; the one",
                  "miss is the call that filled the cache):", ""]
        for k in c.checks {
            lines.append("- \(k.store) (backend \(k.backend)): \(k.calls) calls, \(k.hits) hits, \(k.misses) misses"
                         + (UInt64(k.calls) == k.hits && k.misses == 1 ? "" : " (MISMATCH)"))
        }
        lines += [
            "",
            "- **Noise**: the machine's 1-minute load average was \(c.loadBefore) before this suite and "
                + "\(c.loadAfter) after it.",
        ]
        return lines
    }

    /// TrackUsage on the memory and Redis stores against the echo and redis-benchmark running the usage script.
    static func usageSection(_ u: UsageResults, seconds: Double) -> [String] {
        var lines = [
            "## TrackUsage on the memory and Redis stores",
            "",
            "Measured \(date).",
            "",
            "- **TrackUsage**: the bare RPC client on the Unix socket, N calls in flight on one connection. Every call",
            "  carries a request id of its own (gpt-4o-mini, 1,000 input and 500 output tokens, one user and org),",
            "  so every call prices and records a new record; none is a cheap duplicate.",
            "  - **memory**: an aigw without Redis (`MemoryUsageStore`).",
            "  - **redis**: an aigw whose store is a private redis-server: one EVALSHA of the usage record script per",
            "    call (claim the id, then the day's totals for everyone, the user and the org, each split by model and",
            "    endpoint, and the spender rankings), pipelined by the connection pool, through the usage buffer.",
            "- **Baselines, in the same run**: the raw echo of the same request frame (for memory), and",
            "  `redis-benchmark` running EVALSHA of the same script (`RedisUsageStore.recordScriptSource`) with the same",
            "  arguments and a random request id per call (`__rand_int__`, `-r 1000000000`) (for redis):",
            "  \(Int(u.evalsha50.perSecond)) req/s with 50 clients; single-client round trip p50 \(fmt(u.evalsha1.p50)) us.",
            "- Each cell: \(fmt(seconds, 1)) s after a 0.3 s warm-up; latency in microseconds.",
            "",
            "| store | in flight | req/s | p50/p99 us | echo req/s | vs baseline |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in u.rows {
            let versus = r.store == "memory"
                ? "\(fmt(r.echoRatio, 2))x echo"
                : "\(fmt(u.redisRatio(r), 2))x redis-benchmark"
                    + (r.inFlight == 1 ? "; p50 \(fmt(r.stats.p50 / max(1, u.evalsha1.p50), 2))x one EVALSHA" : "")
            lines.append(
                "| \(r.store) | \(r.inFlight) | \(Int(r.stats.perSecond)) | \(fmt(r.stats.p50)) / \(fmt(r.stats.p99)) | "
                    + "\(r.store == "memory" ? r.echo.map { String(Int($0.perSecond)) } ?? "-" : "-") | \(versus) |")
        }
        lines += ["", "Every call recorded (calls answered, warm-ups included, against `GetUsage` for the bench user):", ""]
        for c in u.checks {
            lines.append("- \(c.store): \(c.calls) calls, \(c.recorded) records"
                         + (UInt64(c.calls) == c.recorded ? "" : " (MISMATCH)"))
        }
        lines.append("- redis-benchmark: \(u.baselineCalls) calls, \(u.baselineRecorded) records "
                     + "(fewer only where two random ids collided)")
        lines += [
            "",
            "What the rows measure:",
            "",
            "- **memory**: a call is the RPC, a task on the connection's event loop, pricing from the table and one",
            "  `MemoryUsageStore` record under its lock: the request id remembered for idempotency (the run adds some",
            "  300,000, so that dictionary grows and rehashes as it goes) and three daily aggregates, each split by",
            "  model and endpoint. The echo does none of this work. Throughput stops growing past 16 in flight: one",
            "  connection's calls all run on its event loop, and a CPU profile of aigw at 256 in flight showed that",
            "  loop getting about half of a core on this busy machine, with the store at about a sixth of aigw's",
            "  samples and the rest in the RPC path CheckLimit shares.",
            "- **redis**: the usage script is much heavier than the limit script. With four non-zero figures it runs",
            "  44 Redis commands (1 SET NX, 36 HINCRBY over three hashes, 2 ZINCRBY, 5 EXPIRE), so redis-server is the",
            "  bottleneck. At 16 and 256 in flight aigw's pipelined connections face redis-benchmark's 50",
            "  clients with one command each in flight: a ratio near or above 1 means aigw adds nothing that limits",
            "  throughput. At 1 in flight the latency is one EVALSHA plus aigw's RPC path and its task; the Redis",
            "  channel runs on the call's event loop, as for CheckLimit. Records go through the usage buffer, which with Redis",
            "  up adds one lock per record.",
            "- **Noise**: the machine's 1-minute load average was \(u.loadBefore) before this suite and "
                + "\(u.loadAfter) after it",
            "  (two cores shared with other builds). Absolute numbers move a lot between runs here; compare the",
            "  ratios, which are measured in the same run.",
        ]
        return lines
    }

    /// Complete and Stream through aigw against a direct libcurl call, and resident memory with many streams open.
    static func completionSection(_ c: CompletionResults, seconds: Double) -> [String] {
        let m = c.memory
        var lines = [
            "## Complete and Stream vs a direct upstream call",
            "",
            "Measured \(date).",
            "",
            "- **Direct (baseline)**: the bench sends an OpenAI chat-completions request "
                + "(`\(CompletionBench.model)`, one short",
            "  user message) straight to the fake upstream (`aigw fake-upstream`, its own process) with",
            "  `CurlHTTPClient`, the libcurl client aigw itself uses, and reads the whole body; Stream reads the SSE",
            "  body to `[DONE]`.",
            "- **aigw**: the same model and message through `GatewayClient` on the Unix socket to a release aigw",
            "  pointed at the same fake: `Gateway.Complete`, and `Gateway.Stream` read to its `StreamEnd`. The limits",
            "  are too large to deny, so every call also does its limit checks.",
            "- **TTFT**: time to the first token: the first SSE chunk with a non-empty `content` (direct), the first",
            "  `TextDelta` (aigw). The fake sends its pieces without delay between them.",
            "- **upstream ms**: how long the fake waits before its response head (`slow-first-token`), the stand-in",
            "  for a provider's time to first byte (real ones take hundreds of milliseconds). At 0 the three",
            "  processes saturate the two cores from 16 in flight on; with latency they do not, and the added",
            "  columns measure aigw's path rather than queueing for a core.",
            "- Closed loop: N tasks each send their next request as soon as the last one is answered. Each cell:",
            "  \(fmt(seconds, 1)) s after a 0.3 s warm-up; one client connection; latency in milliseconds;",
            "  **added** = aigw - direct at the same percentile.",
            "- **Targets**: added p50 at most \(CompletionResults.p50TargetMillis) ms, added p99 at most "
                + "\(CompletionResults.p99TargetMillis) ms.",
            "",
            "### Complete",
            "",
            "| upstream ms | in flight | direct req/s | direct p50/p99 ms | aigw req/s | aigw p50/p99 ms | added p50/p99 ms | aigw/direct |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        func pair(_ a: Double, _ b: Double) -> String { "\(fmt(a, 3)) / \(fmt(b, 3))" }
        for r in c.rows where r.mode == .complete {
            lines.append(
                "| \(r.upstreamMillis) | \(r.inFlight) | \(Int(r.direct.perSecond)) | "
                    + "\(ms(r.direct.p50)) / \(ms(r.direct.p99)) | "
                    + "\(Int(r.aigw.perSecond)) | \(ms(r.aigw.p50)) / \(ms(r.aigw.p99)) | "
                    + "**\(pair(r.addedP50, r.addedP99))** | \(fmt(r.ratio, 2))x |")
        }
        lines += [
            "",
            "### Stream",
            "",
            "| upstream ms | in flight | direct req/s | direct p50/p99 ms | aigw req/s | aigw p50/p99 ms | added p50/p99 ms | aigw/direct | direct TTFT p50/p99 ms | aigw TTFT p50/p99 ms | added TTFT p50/p99 ms |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in c.rows where r.mode == .stream {
            let ttft = [r.directTTFT, r.aigwTTFT].map { $0.map { "\(ms($0.p50)) / \(ms($0.p99))" } ?? "-" }
            lines.append(
                "| \(r.upstreamMillis) | \(r.inFlight) | \(Int(r.direct.perSecond)) | "
                    + "\(ms(r.direct.p50)) / \(ms(r.direct.p99)) | "
                    + "\(Int(r.aigw.perSecond)) | \(ms(r.aigw.p50)) / \(ms(r.aigw.p99)) | "
                    + "**\(pair(r.addedP50, r.addedP99))** | \(fmt(r.ratio, 2))x | \(ttft[0]) | \(ttft[1]) | "
                    + "\(pair(r.addedTTFTP50 ?? 0, r.addedTTFTP99 ?? 0)) |")
        }
        lines += ["", "Against the targets in this run:", ""]
        for r in c.rows {
            lines.append(
                "- \(r.mode.rawValue), upstream \(r.upstreamMillis) ms, \(r.inFlight) in flight: added p50 \(fmt(r.addedP50, 3)) ms, "
                    + "\(r.p50Met ? "met" : "NOT met"); "
                    + "added p99 \(fmt(r.addedP99, 3)) ms, \(r.p99Met ? "met" : "NOT met")"
                    + (r.failures > 0 ? " (\(r.failures) failed requests)" : ""))
        }
        lines += [
            "",
            "What the rows measure:",
            "",
            "- At 1 in flight nothing waits for a core, so the added latency is aigw's own path: the RPC in and",
            "  out, the limit check, usage accounting, and one more hand-off per upstream chunk (the curl thread",
            "  to aigw's event loop, then aigw to the client's) than the direct call's single one. Streams pay that",
            "  per chunk, which is why they add more than Complete. Across runs on this machine Stream's added p50",
            "  at 1 in flight has ranged 0.2 to 0.75 ms.",
            "- At 16 and 64 in flight with upstream 0 ms the two cores are saturated by three processes (bench, aigw,",
            "  fake) against two for the direct call. A CPU profile of aigw during the 16-in-flight Complete run shows",
            "  it using about 0.4 of a core; the fake and the bench's client take the rest. Those rows measure",
            "  queueing for the CPU more than aigw's path, and a machine with spare cores is needed to judge them.",
            "- With upstream 20 ms the cores are no longer saturated, but every process sleeps between requests,",
            "  and each hand-off then wakes an idle CPU (tens of microseconds on this virtual machine). aigw's path",
            "  has more of them than the direct call (client to aigw, aigw to its curl thread and back, aigw to",
            "  the client), so at 1 in flight it adds more than with upstream 0 ms, where the CPUs stay awake. Stream",
            "  at 64 in flight with latency still saturates the cores: its per-chunk work is the heaviest.",
        ]
        let allInFlight = m.peakAllInFlightKB.map { "\(mb($0))" } ?? "never all in flight; peak \(mb(m.peakKB))"
        lines += [
            "",
            "### Resident memory with \(m.streams) concurrent streams",
            "",
            "- A fresh aigw in front of a second fake that waits \(m.tokenDelayMilliseconds) ms between pieces "
                + "(\(m.pieces) pieces, so each",
            "  stream lasts about \(fmt(Double(m.pieces * m.tokenDelayMilliseconds) / 1000, 1)) s). "
                + "\(m.streams) Stream calls opened at once over \(m.connections) client "
                + (m.connections == 1 ? "connection" : "connections"),
            "  (under `server.max_concurrent_calls`, 1024 per connection). Idle is after one warm-up stream per",
            "  connection. aigw's VmRSS is sampled from `/proc/<pid>/status` every 10 ms; **all in flight** is the",
            "  largest sample taken while every stream had its first delta and none had ended. VmHWM is the kernel's",
            "  high-water mark over aigw's life. In this run every stream had its first delta after "
                + "\(m.allStartedSeconds.map { fmt($0, 2) + " s" } ?? "(never)")",
            "  and the first one ended after \(m.firstEndedSeconds.map { fmt($0, 2) + " s" } ?? "(never)").",
            "",
            "| streams | idle RSS MB | all in flight RSS MB | per stream kB | VmHWM MB | after RSS MB | completed | failed | wall s |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            "| \(m.streams) | \(mb(m.idleKB)) | **\(allInFlight)** | **\(fmt(m.perStreamKB, 1))** | "
                + "\(mb(m.highWaterKB)) | "
                + "\(mb(m.afterKB)) | \(m.completed) | \(m.failures.count) | \(fmt(m.seconds, 2)) |",
        ]
        if !m.failures.isEmpty {
            lines += ["", "First failures:", ""] + m.failures.prefix(5).map { "- `\($0)`" }
        }
        return lines
    }
}
