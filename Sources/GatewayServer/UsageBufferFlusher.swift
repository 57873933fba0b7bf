import GatewayCore
import Logging

/// Drives a `BufferedUsageStore`: writes what it holds to Redis once Redis answers again, and tells the operator
/// when records start waiting, when they are written, and when any are lost.
///
/// It also writes the buffer's write-behind queue (cache hits' records) every `writeBehindInterval`.
///
/// Records buffered or queued when the process exits are lost (the buffer is memory only), so `run()` makes one last
/// flush attempt after it is cancelled and logs what could not be written.
final class UsageBufferFlusher: Sendable {
    private let buffer: BufferedUsageStore
    private let logger: Logger
    private let interval: Duration
    /// How often the write-behind queue is written (`usage.write_behind_ms`); only used when the buffer writes behind.
    private let writeBehindInterval: Duration
    /// While records wait, how often their count is logged again.
    private let reminderInterval: Duration

    init(buffer: BufferedUsageStore, logger: Logger, interval: Duration = .milliseconds(250),
         writeBehindInterval: Duration = .milliseconds(50), reminderInterval: Duration = .seconds(10))
    {
        self.buffer = buffer
        self.logger = logger
        self.interval = interval
        self.writeBehindInterval = writeBehindInterval
        self.reminderInterval = reminderInterval
    }

    /// Writes the write-behind queue every `writeBehindInterval` and flushes the outage buffer every `interval` while
    /// anything is pending, until cancelled; then flushes both once more and returns.
    func run() async {
        var last = buffer.counters
        var episodeStart = last
        var lastReminder = ContinuousClock.now
        var lastFlush = ContinuousClock.now
        var lastBehind = ContinuousClock.now
        let tick = buffer.writeBehind ? min(interval, writeBehindInterval) : interval
        while true {
            do {
                try await Task.sleep(for: tick)
            } catch {
                break
            }
            if buffer.writeBehind && ContinuousClock.now - lastBehind >= writeBehindInterval {
                lastBehind = .now
                await buffer.flushBehind()
            }
            if buffer.counters.pending > 0 && ContinuousClock.now - lastFlush >= interval {
                lastFlush = .now
                _ = await buffer.flushPending()
            }
            let now = buffer.counters
            // Records may have been buffered and written within one interval: `buffered` still shows them.
            let started = last.pending == 0 && now.buffered > last.buffered
            if started {
                episodeStart = last
                lastReminder = .now
                logger.warning("usage store unreachable: buffering usage records in memory until it returns",
                               metadata: metadata(now))
            } else if now.pending > 0 && ContinuousClock.now - lastReminder >= reminderInterval {
                lastReminder = .now
                logger.warning("usage records still buffered", metadata: metadata(now))
            }
            if now.rejected > last.rejected {
                logger.warning("usage buffer full: reports refused with UNAVAILABLE",
                               metadata: metadata(now, ["usage_buffer.newly_rejected": "\(now.rejected - last.rejected)"]))
            }
            if now.dropped > last.dropped {
                logger.error("usage records refused by the store and dropped",
                             metadata: metadata(now, ["usage_buffer.newly_dropped": "\(now.dropped - last.dropped)"]))
            }
            if (last.pending > 0 || started) && now.pending == 0 {
                logger.warning("buffered usage records written to the store",
                               metadata: metadata(now, ["usage_buffer.written": "\(now.flushed - episodeStart.flushed)"]))
            }
            last = now
        }
        await finish()
    }

    /// The last attempt at shutdown, in a task of its own: the cancelled caller's task must not cut it short.
    private func finish() async {
        // Hits written behind first: while the store answers they go straight to it, otherwise into the buffer,
        // whose flush comes next.
        _ = await Task { [buffer] in await buffer.flushBehind() }.value
        guard buffer.counters.pending > 0 else { return }
        let written = await Task { [buffer] in await buffer.flushPending() }.value
        let left = buffer.counters
        if left.pending > 0 {
            logger.warning("usage records still buffered at exit are lost",
                           metadata: metadata(left, ["usage_buffer.written": "\(written)",
                                                     "usage_buffer.lost": "\(left.pending)"]))
        } else {
            logger.warning("buffered usage records written to the store at exit",
                           metadata: metadata(left, ["usage_buffer.written": "\(written)"]))
        }
    }

    private func metadata(_ c: BufferedUsageStore.Counters, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        extra.merging([
            "usage_buffer.pending": "\(c.pending)", "usage_buffer.capacity": "\(buffer.capacity)",
            "usage_buffer.buffered": "\(c.buffered)", "usage_buffer.flushed": "\(c.flushed)",
            "usage_buffer.rejected": "\(c.rejected)", "usage_buffer.dropped": "\(c.dropped)",
        ]) { a, _ in a }
    }
}
