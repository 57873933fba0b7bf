import Synchronization

/// A usage store in front of a shared one (Redis) that keeps records in bounded memory while that store is
/// unreachable and writes them to it, oldest first, once it answers again.
///
/// Usage records are money, and a Redis restart or a network blip must not lose them or make every caller fail.
/// Guarantees:
/// - `record` answers true for a record it buffered: the record will reach the inner store when `flushPending()`
///   runs after the inner store is back, unless this process exits first (the buffer is memory only).
/// - Only `unavailable` and `deadlineExceeded` errors buffer a record; any other error is thrown unchanged.
/// - While anything is pending, new records join the queue without trying the inner store: later records do not
///   overtake earlier ones, and a dead Redis is not sent one doomed call per request.
/// - Memory is bounded: past `capacity` pending records `record` throws `unavailable` with reason
///   `usage_buffer_full`, so callers retry (their retries are idempotent on the request id).
/// - A request id already pending answers false (a duplicate), as the inner store would. A record the inner store
///   already holds is buffered if it is reported again during an outage; the inner store's idempotency drops it
///   when it is flushed, so it still counts once.
/// - Reads pass through to the inner store: pending records appear in reports once they are flushed.
///
/// Write-behind (when `writeBehind` is on): `recordBehind` queues a record whose answer does not depend on the write
/// (a cache hit, which costs nothing) and returns at once; `flushBehind()`, run every few tens of milliseconds by the
/// server's flusher and once more at shutdown, writes the queue in batches (`UsageStore.record(_: [UsageRecord])`,
/// one script call per batch on Redis) and runs each newly recorded record's observer then, so duplicates are never
/// observed. The queue holds at most `capacity` records; past that `recordBehind` declines and the caller records
/// synchronously, so a burst costs time, never records. A queued record is lost only if the process dies before a
/// flush. While the inner store is unreachable, a flush moves the queue into the outage buffer instead.
///
/// One flush runs at a time (later calls return at once), so no record is written twice by this store. A flush
/// first tries the oldest record alone, then writes batches of up to `flushBatch` records concurrently, which the
/// Redis connection pipelines: draining must outpace the traffic that keeps arriving. Within a batch the inner
/// store may apply records in any order; aggregates are sums, so they do not notice. A record the inner store
/// refuses with any other error (a bug, not an outage) is dropped and counted in `dropped`, so it cannot block the
/// queue behind it forever.
public final class BufferedUsageStore: UsageStore {
    /// What the buffer has done since the process started, for Health and logs.
    public struct Counters: Sendable, Hashable {
        /// Records waiting for the inner store now.
        public var pending: Int
        /// Records ever buffered.
        public var buffered: UInt64
        /// Records that left the buffer because the inner store now has them (written, or already there).
        public var flushed: UInt64
        /// Records refused because the buffer was full.
        public var rejected: UInt64
        /// Records the inner store refused with an error other than unavailable: lost.
        public var dropped: UInt64
        /// Records queued by `recordBehind` now, waiting for `flushBehind()`.
        public var behind: Int = 0
        /// Records ever written by `flushBehind()` (new or duplicate), not counting those it moved to the buffer.
        public var writtenBehind: UInt64 = 0
    }

    /// Runs after a written-behind record was newly recorded (not for a duplicate).
    public typealias Observer = @Sendable (UsageRecord) async -> Void

    private struct State {
        /// The queue: `records[head...]` are pending, oldest first. The array is compacted when half of it is dead.
        var records: [UsageRecord] = []
        var head = 0
        var pendingIDs: Set<String> = []
        var flushing = false
        var buffered: UInt64 = 0
        var flushed: UInt64 = 0
        var rejected: UInt64 = 0
        var dropped: UInt64 = 0
        /// The write-behind queue, oldest first, with its request ids.
        var behind: [(record: UsageRecord, observer: Observer)] = []
        var behindIDs: Set<String> = []
        var flushingBehind = false
        var writtenBehind: UInt64 = 0

        var pending: Int { records.count - head }

        /// Appends to the outage buffer; false when it is full (counted as rejected) or holds the id already.
        mutating func buffer(_ record: UsageRecord, capacity: Int) -> BufferOutcome {
            guard !pendingIDs.contains(record.requestID) else { return .duplicate }
            guard pending < capacity else {
                rejected += 1
                return .full
            }
            records.append(record)
            pendingIDs.insert(record.requestID)
            buffered += 1
            return .buffered
        }
    }

    /// How one record's flush went.
    private enum FlushOutcome: Sendable {
        case stored
        case retryLater
        case refused
    }

    private let inner: any UsageStore
    public let capacity: Int
    public let flushBatch: Int
    /// Whether `recordBehind` queues records (`usage.write_behind_ms` > 0); when off it always declines.
    public let writeBehind: Bool
    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: the most records kept pending, and separately the most queued for write-behind; 100,000 by
    ///     default (a few tens of MB each).
    ///   - flushBatch: the most records a flush writes concurrently, or in one batch.
    ///   - writeBehind: whether `recordBehind` queues records.
    public init(inner: any UsageStore, capacity: Int = 100_000, flushBatch: Int = 256, writeBehind: Bool = false) {
        precondition(capacity > 0 && flushBatch > 0)
        self.inner = inner
        self.capacity = capacity
        self.flushBatch = flushBatch
        self.writeBehind = writeBehind
    }

    public var counters: Counters {
        state.withLock { s in
            Counters(pending: s.pending, buffered: s.buffered, flushed: s.flushed, rejected: s.rejected,
                     dropped: s.dropped, behind: s.behind.count, writtenBehind: s.writtenBehind)
        }
    }

    public func record(_ record: UsageRecord) async throws -> Bool {
        if state.withLock({ $0.pending == 0 }) {
            do {
                return try await inner.record(record)
            } catch let error as GatewayError where Self.isOutage(error) {
                // Buffered below.
            }
        }
        switch state.withLock({ $0.buffer(record, capacity: capacity) }) {
        case .buffered: return true
        case .duplicate: return false
        case .full:
            throw GatewayError(
                .unavailable, "the usage store is unreachable and the usage buffer holds its \(capacity) records",
                reason: "usage_buffer_full")
        }
    }

    fileprivate enum BufferOutcome {
        case buffered, duplicate, full
    }

    /// Queues `record` to be written by the next `flushBehind()`, without waiting for the store; `onRecorded` runs
    /// then if the store records it as new. Returns false, queuing nothing, when write-behind is off or the queue
    /// holds `capacity` records: the caller must then `record` it itself. A request id already queued is a duplicate,
    /// accepted and dropped, as the store would.
    public func recordBehind(_ record: UsageRecord, onRecorded: @escaping Observer) -> Bool {
        guard writeBehind else { return false }
        return state.withLock { s in
            guard s.behind.count < capacity else { return false }
            if s.behindIDs.insert(record.requestID).inserted { s.behind.append((record, onRecorded)) }
            return true
        }
    }

    /// Writes what `recordBehind` queued, oldest first, in batches of up to `flushBatch` records (one
    /// `record(_: [UsageRecord])` call each), then runs the observers of the records that were new. While the
    /// inner store is unreachable (records pending in the outage buffer, or a batch failing with unavailable), the
    /// records move into the outage buffer instead, as `record` would have buffered them, and are observed then.
    /// Returns how many records the inner store took (new or duplicate). Returns 0 at once when another
    /// `flushBehind()` is running.
    @discardableResult
    public func flushBehind() async -> Int {
        let queued = state.withLock { s -> [(record: UsageRecord, observer: Observer)]? in
            guard !s.flushingBehind, !s.behind.isEmpty else { return nil }
            s.flushingBehind = true
            let queued = s.behind
            s.behind = []
            s.behindIDs = []
            return queued
        }
        guard let queued else { return 0 }
        var written = 0
        var from = 0
        while from < queued.count {
            let batch = queued[from..<min(queued.count, from + flushBatch)]
            from = batch.endIndex
            // A dead store is not sent the batch: it joins the records already waiting for it, behind them.
            if state.withLock({ $0.pending > 0 }) {
                await moveToBuffer(batch)
                continue
            }
            do {
                let recorded = try await inner.record(batch.map(\.record))
                written += batch.count
                state.withLock { $0.writtenBehind += UInt64(batch.count) }
                for (entry, new) in zip(batch, recorded) where new { await entry.observer(entry.record) }
            } catch let error as GatewayError where Self.isOutage(error) || error.code == .cancelled {
                await moveToBuffer(batch)
            } catch {
                // Not an outage: one record may be at fault. Alone, each is stored, buffered or dropped on its own.
                for entry in batch {
                    do {
                        let new = try await inner.record(entry.record)
                        written += 1
                        state.withLock { $0.writtenBehind += 1 }
                        if new { await entry.observer(entry.record) }
                    } catch let error as GatewayError where Self.isOutage(error) || error.code == .cancelled {
                        await moveToBuffer([entry][...])
                    } catch {
                        state.withLock { $0.dropped += 1 }
                    }
                }
            }
        }
        state.withLock { $0.flushingBehind = false }
        return written
    }

    private func moveToBuffer(_ batch: ArraySlice<(record: UsageRecord, observer: Observer)>) async {
        let outcomes = state.withLock { s in batch.map { s.buffer($0.record, capacity: capacity) } }
        for (entry, outcome) in zip(batch, outcomes) where outcome == .buffered { await entry.observer(entry.record) }
    }

    /// Writes pending records to the inner store, oldest first, until none is left or the inner store is still
    /// unreachable. Returns how many left the buffer because the inner store has them. Returns 0 at once when
    /// another flush is running.
    public func flushPending() async -> Int {
        let started = state.withLock { s in
            guard !s.flushing && s.pending > 0 else { return false }
            s.flushing = true
            return true
        }
        guard started else { return 0 }
        var stored = 0
        // One record first: while the inner store is down, each flush costs one failed call, not a batch of them.
        var batchSize = 1
        while !Task.isCancelled {
            let batch = state.withLock { s -> [UsageRecord] in
                // Only the flush moves `head`, and appends never move existing records, so the batch's slots stay
                // where they are until it ends.
                if s.head > 1_024 && s.head * 2 > s.records.count {
                    s.records.removeFirst(s.head)
                    s.head = 0
                }
                return Array(s.records[s.head..<min(s.records.count, s.head + batchSize)])
            }
            if batch.isEmpty { break }
            let outcomes = await write(batch)
            let retried = state.withLock { s -> Int in
                var kept: [UsageRecord] = []
                for (record, outcome) in zip(batch, outcomes) {
                    switch outcome {
                    case .stored:
                        s.pendingIDs.remove(record.requestID)
                        s.flushed += 1
                    case .refused:
                        s.pendingIDs.remove(record.requestID)
                        s.dropped += 1
                    case .retryLater:
                        kept.append(record)
                    }
                }
                // What must be retried goes back to the front, in its order, in the batch's last slots.
                s.head += batch.count - kept.count
                for (offset, record) in kept.enumerated() { s.records[s.head + offset] = record }
                return kept.count
            }
            stored += outcomes.filter { if case .stored = $0 { true } else { false } }.count
            if retried > 0 { break }
            batchSize = min(batchSize * 2, flushBatch)
        }
        state.withLock { $0.flushing = false }
        return stored
    }

    public func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown] {
        try await inner.days(scope, from: from, to: to)
    }

    public func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
        -> [(id: String, totals: UsageTotals)]
    {
        try await inner.topSpenders(level, from: from, to: to, limit: limit)
    }

    /// Errors that mean "try again later" rather than "this record is wrong".
    private static func isOutage(_ error: GatewayError) -> Bool {
        error.code == .unavailable || error.code == .deadlineExceeded
    }

    private func write(_ batch: [UsageRecord]) async -> [FlushOutcome] {
        if batch.count == 1 { return [await write(batch[0])] }
        return await withTaskGroup(of: (Int, FlushOutcome).self) { group in
            for (index, record) in batch.enumerated() {
                group.addTask { (index, await self.write(record)) }
            }
            var outcomes = [FlushOutcome](repeating: .retryLater, count: batch.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
    }

    private func write(_ record: UsageRecord) async -> FlushOutcome {
        do {
            // A duplicate answer (false) means an earlier attempt got through: the record is stored either way.
            _ = try await inner.record(record)
            return .stored
        } catch let error as GatewayError {
            return Self.isOutage(error) || error.code == .cancelled ? .retryLater : .refused
        } catch is CancellationError {
            return .retryLater
        } catch {
            return .refused
        }
    }
}
