import GatewayCore
import Synchronization
import Testing

/// The usage buffer in front of a store that goes away and comes back: nothing lost, nothing counted twice, memory
/// bounded.
@Suite struct BufferedUsageStoreTests {
    // 2026-11-30 12:00 UTC.
    static let now: Int64 = 1_796_040_000_000

    /// A memory store that can be switched off: it throws the error it is given, or takes a number of records first.
    final class SwitchableStore: UsageStore {
        enum Mode {
            case up
            case down(GatewayError)
            /// Takes this many more records, then is down.
            case upFor(Int)
        }

        let memory = MemoryUsageStore(clock: ManualClock(unixMillis: BufferedUsageStoreTests.now))
        private let mode = Mutex<Mode>(.up)
        /// Every call to `record`, failed or not.
        let attempts = Atomic<Int>(0)
        /// The request ids the memory store took (duplicates included), in the order they arrived.
        private let arrivals = Mutex<[String]>([])

        static let outage = GatewayError(.unavailable, "redis connection: refused", reason: "redis_unavailable")

        func set(_ new: Mode) { mode.withLock { $0 = new } }
        var order: [String] { arrivals.withLock { $0 } }

        func record(_ record: UsageRecord) async throws -> Bool {
            attempts.add(1, ordering: .relaxed)
            let failure = mode.withLock { mode -> GatewayError? in
                switch mode {
                case .up: return nil
                case .down(let error): return error
                case .upFor(let n):
                    if n == 0 { return Self.outage }
                    mode = .upFor(n - 1)
                    return nil
                }
            }
            if let failure { throw failure }
            arrivals.withLock { $0.append(record.requestID) }
            return memory.recordNow(record)
        }

        func days(_ scope: UsageScope, from: UTCDate, to: UTCDate) async throws -> [UTCDate: UsageBreakdown] {
            try await memory.days(scope, from: from, to: to)
        }

        func topSpenders(_ level: SpenderLevel, from: UTCDate, to: UTCDate, limit: Int) async throws
            -> [(id: String, totals: UsageTotals)]
        {
            try await memory.topSpenders(level, from: from, to: to, limit: limit)
        }
    }

    static func record(_ id: String, user: String = "u1", input: UInt64 = 1_000, output: UInt64 = 500) -> UsageRecord {
        UsageRecord(
            requestID: id, userID: user, orgID: "o1", endpoint: .chat, provider: .openai, model: "gpt-4o-mini",
            usage: TokenUsage(input: input, output: output), costNanos: Int64(input) * 150 + Int64(output) * 600,
            occurredAtMillis: now)
    }

    static func totals(_ store: any UsageStore, _ scope: UsageScope = .all) async throws -> UsageTotals {
        let day = UTCDate(unixMillis: now)
        return try await store.days(scope, from: day, to: day)[day]?.totals ?? .zero
    }

    @Test func buffersWhileDownAndFlushesOldestFirst() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, flushBatch: 1)
        inner.set(.down(SwitchableStore.outage))
        let ids = (0..<5).map { "r\($0)" }
        for id in ids { #expect(try await store.record(Self.record(id))) }
        #expect(inner.attempts.load(ordering: .relaxed) == 1, "only the first record tries the dead store")
        #expect(store.counters.pending == 5 && store.counters.buffered == 5)
        #expect(try await Self.totals(store).requests == 0, "pending records show once flushed")

        #expect(await store.flushPending() == 0, "still down")
        #expect(store.counters.pending == 5)
        inner.set(.up)
        #expect(await store.flushPending() == 5)
        #expect(inner.order == ids)
        #expect(store.counters.pending == 0 && store.counters.flushed == 5)
        #expect(try await Self.totals(store).requests == 5)

        // Nothing pending: records go straight to the store again.
        #expect(try await store.record(Self.record("r5")))
        #expect(store.counters.buffered == 5 && inner.order.last == "r5")
    }

    @Test func whileRecordsArePendingNewOnesQueueBehindThemEvenIfTheStoreIsBack() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, flushBatch: 1)
        inner.set(.down(SwitchableStore.outage))
        #expect(try await store.record(Self.record("first")))
        inner.set(.up)
        #expect(try await store.record(Self.record("second")))
        #expect(inner.order.isEmpty, "the second did not overtake the first")
        #expect(await store.flushPending() == 2)
        #expect(inner.order == ["first", "second"])
    }

    @Test func deadlineExceededBuffersToo() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner)
        inner.set(.down(GatewayError(.deadlineExceeded, "slow")))
        #expect(try await store.record(Self.record("slow")))
        #expect(store.counters.pending == 1)
    }

    @Test func aPendingRequestIDIsADuplicate() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner)
        inner.set(.down(SwitchableStore.outage))
        #expect(try await store.record(Self.record("r1")))
        #expect(try await store.record(Self.record("r1", input: 9_999)) == false)
        #expect(store.counters.pending == 1)
        inner.set(.up)
        #expect(await store.flushPending() == 1)
        let totals = try await Self.totals(store)
        #expect(totals.requests == 1 && totals.usage.input == 1_000)
    }

    @Test func aRecordTheStoreAlreadyHasCountsOnceAfterTheFlush() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner)
        #expect(try await store.record(Self.record("stored")))
        inner.set(.down(SwitchableStore.outage))
        // A retry of the stored record during the outage cannot be checked against the store: it is buffered.
        #expect(try await store.record(Self.record("stored")))
        #expect(try await store.record(Self.record("new")))
        inner.set(.up)
        #expect(await store.flushPending() == 2, "the store's duplicate answer means it has the record")
        #expect(store.counters.pending == 0 && store.counters.flushed == 2 && store.counters.dropped == 0)
        #expect(try await Self.totals(store).requests == 2)
    }

    @Test func aFullBufferRefusesWithUsageBufferFull() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, capacity: 3)
        inner.set(.down(SwitchableStore.outage))
        for i in 0..<3 { #expect(try await store.record(Self.record("r\(i)"))) }
        let error = await #expect(throws: GatewayError.self) { _ = try await store.record(Self.record("r3")) }
        #expect(error?.code == .unavailable)
        #expect(error?.reason == "usage_buffer_full")
        #expect(store.counters.rejected == 1 && store.counters.pending == 3)
        // A duplicate of a pending record is still answered as one, full or not.
        #expect(try await store.record(Self.record("r0")) == false)

        inner.set(.up)
        #expect(await store.flushPending() == 3)
        // The caller's retry of the refused record now succeeds.
        #expect(try await store.record(Self.record("r3")))
        #expect(try await Self.totals(store).requests == 4)
    }

    @Test func aFlushStopsAtTheFirstFailureAndResumesInOrder() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, flushBatch: 1)
        inner.set(.down(SwitchableStore.outage))
        let ids = (0..<10).map { "r\($0)" }
        for id in ids { _ = try await store.record(Self.record(id)) }
        inner.set(.upFor(4))
        #expect(await store.flushPending() == 4)
        #expect(store.counters.pending == 6)
        let attempts = inner.attempts.load(ordering: .relaxed)
        #expect(await store.flushPending() == 0)
        #expect(inner.attempts.load(ordering: .relaxed) == attempts + 1, "one probe while the store is down")
        inner.set(.up)
        #expect(await store.flushPending() == 6)
        #expect(inner.order == ids)
    }

    @Test func aBatchThatFailsPartwayKeepsWhatItDidNotWrite() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, flushBatch: 8)
        inner.set(.down(SwitchableStore.outage))
        let ids = (0..<40).map { "r\($0)" }
        for id in ids { _ = try await store.record(Self.record(id)) }
        // Batches of 1, 2 and 4 write 7; the batch of 8 after them writes 4 (whichever get there first) and fails 4.
        inner.set(.upFor(11))
        #expect(await store.flushPending() == 11)
        #expect(store.counters.pending == 29)
        inner.set(.up)
        #expect(await store.flushPending() == 29)
        #expect(inner.order.sorted() == ids.sorted(), "each record written exactly once")
        #expect(try await Self.totals(store).requests == 40)
    }

    @Test func otherErrorsPropagateAndBufferNothing() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner)
        inner.set(.down(GatewayError(.internalError, "unexpected reply", reason: "redis_error")))
        let error = await #expect(throws: GatewayError.self) { _ = try await store.record(Self.record("r1")) }
        #expect(error?.code == .internalError && error?.reason == "redis_error")
        #expect(store.counters.pending == 0 && store.counters.buffered == 0)
    }

    @Test func aRecordTheStoreRefusesWhileFlushingIsDroppedAndCounted() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner)
        inner.set(.down(SwitchableStore.outage))
        for id in ["a", "b"] { _ = try await store.record(Self.record(id)) }
        inner.set(.down(GatewayError(.internalError, "bad record", reason: "redis_error")))
        #expect(await store.flushPending() == 0)
        #expect(store.counters.pending == 0 && store.counters.dropped == 2)
    }

    @Test func concurrentFlushesWriteEachRecordOnce() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, flushBatch: 16)
        inner.set(.down(SwitchableStore.outage))
        for i in 0..<500 { _ = try await store.record(Self.record("r\(i)")) }
        inner.set(.up)
        let written = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { await store.flushPending() } }
            return await group.reduce(0, +)
        }
        #expect(written == 500)
        #expect(inner.attempts.load(ordering: .relaxed) == 1 + 500, "the first failed attempt, then each record once")
        #expect(Set(inner.order).count == 500 && inner.order.count == 500)
    }

    @Test func aggregatesAfterAnOutageEqualTheSumOfTheRecords() async throws {
        let inner = SwitchableStore()
        let store = BufferedUsageStore(inner: inner, capacity: 10_000, flushBatch: 32)
        // 3,000 reports from concurrent callers, every 10th a retry of an earlier id, while the store goes down and
        // comes back twice and a flusher runs alongside. The reports sent before a switch finish before it, so each
        // outage really covers its reports however slowly the tasks run (a loaded machine once ran them all after
        // the store was back, and nothing was buffered).
        let flusher = Task {
            for _ in 0..<200 {
                _ = await store.flushPending()
                await Task.yield()
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<3_000 {
                if [500, 1_200, 2_000, 2_600].contains(i) { try await group.waitForAll() }
                if i == 500 || i == 2_000 { inner.set(.down(SwitchableStore.outage)) }
                if i == 1_200 || i == 2_600 { inner.set(.up) }
                let n = i % 10 == 9 ? i - 1 : i
                let record = Self.record("r\(n)", user: "user-\(n % 7)", input: UInt64(n % 13), output: UInt64(n % 5))
                group.addTask { _ = try await store.record(record) }
                if i % 100 == 99 { try await group.next() }
            }
            try await group.waitForAll()
        }
        await flusher.value
        inner.set(.up)
        while store.counters.pending > 0 { _ = await store.flushPending() }
        #expect(store.counters.buffered > 0, "the outages buffered something")

        var expected = UsageTotals.zero
        var perUser: [String: UsageTotals] = [:]
        for i in 0..<3_000 where i % 10 != 9 {
            let record = Self.record("r\(i)", user: "user-\(i % 7)", input: UInt64(i % 13), output: UInt64(i % 5))
            expected = expected + UsageTotals(record)
            perUser[record.userID, default: .zero] = perUser[record.userID, default: .zero] + UsageTotals(record)
        }
        #expect(try await Self.totals(store) == expected)
        #expect(expected.requests == 2_700)
        for (user, totals) in perUser { #expect(try await Self.totals(store, .user(user)) == totals, "\(user)") }
    }

    // MARK: Write-behind

    static let ignore: BufferedUsageStore.Observer = { _ in }

    /// The records an observer saw, in order.
    final class Observed: Sendable {
        let ids = Mutex<[String]>([])
        var list: [String] { ids.withLock { $0 } }
        var observer: BufferedUsageStore.Observer { { [self] record in ids.withLock { $0.append(record.requestID) } } }
    }

    @Test func writeBehindQueuesUntilAFlushWhichWritesInBatchesAndObservesOnlyNewRecords() async throws {
        let inner = SwitchableStore()
        let buffer = BufferedUsageStore(inner: inner, flushBatch: 4, writeBehind: true)
        let observed = Observed()
        #expect(try await inner.record(Self.record("already")))
        for id in ["a", "b", "c", "a", "already", "d", "e"] {
            #expect(buffer.recordBehind(Self.record(id), onRecorded: observed.observer))
        }
        // Nothing reached the store yet: the caller did not wait for it.
        #expect(inner.attempts.load(ordering: .relaxed) == 1)
        #expect(buffer.counters.behind == 6, "the duplicate of a queued id is dropped at once")
        #expect(try await Self.totals(inner).requests == 1)

        #expect(await buffer.flushBehind() == 6)
        #expect(buffer.counters.behind == 0 && buffer.counters.writtenBehind == 6 && buffer.counters.pending == 0)
        #expect(observed.list == ["a", "b", "c", "d", "e"], "a record the store already held is not observed")
        #expect(try await Self.totals(inner).requests == 6)
        #expect(inner.order == ["already", "a", "b", "c", "already", "d", "e"], "oldest first")
        #expect(await buffer.flushBehind() == 0, "nothing left")
    }

    @Test func writeBehindIsBoundedAndOffByDefault() async throws {
        let inner = SwitchableStore()
        let off = BufferedUsageStore(inner: inner)
        #expect(!off.recordBehind(Self.record("x"), onRecorded: Self.ignore), "declined: the caller records it itself")

        let buffer = BufferedUsageStore(inner: inner, capacity: 3, writeBehind: true)
        for i in 0..<3 { #expect(buffer.recordBehind(Self.record("r\(i)"), onRecorded: Self.ignore)) }
        #expect(!buffer.recordBehind(Self.record("r3"), onRecorded: Self.ignore), "full: declined, not lost")
        #expect(buffer.counters.behind == 3)
        #expect(await buffer.flushBehind() == 3)
        #expect(buffer.recordBehind(Self.record("r3"), onRecorded: Self.ignore), "room again after the flush")
    }

    @Test func writeBehindDuringAnOutageMovesIntoTheBufferAndIsWrittenOnceTheStoreIsBack() async throws {
        let inner = SwitchableStore()
        let buffer = BufferedUsageStore(inner: inner, flushBatch: 8, writeBehind: true)
        let observed = Observed()
        // The store takes 3 records of the first batch, then fails: those 3 are in, the rest wait in the buffer.
        inner.set(.upFor(3))
        for i in 0..<5 { #expect(buffer.recordBehind(Self.record("h\(i)"), onRecorded: observed.observer)) }
        #expect(await buffer.flushBehind() == 0)
        #expect(buffer.counters.pending == 5 && buffer.counters.behind == 0)
        #expect(observed.list == ["h0", "h1", "h2", "h3", "h4"], "buffered records are observed as `record` would")

        // While records are pending, a write-behind flush does not try the dead store at all.
        inner.set(.down(SwitchableStore.outage))
        let attempts = inner.attempts.load(ordering: .relaxed)
        #expect(buffer.recordBehind(Self.record("h5"), onRecorded: observed.observer))
        #expect(await buffer.flushBehind() == 0)
        #expect(inner.attempts.load(ordering: .relaxed) == attempts)
        #expect(buffer.counters.pending == 6)

        inner.set(.up)
        _ = await buffer.flushPending()
        #expect(buffer.counters.pending == 0)
        let totals = try await Self.totals(inner)
        #expect(totals.requests == 6, "the 3 written before the failure count once")
    }

    @Test func writeBehindRecordsTheStoreRefusesAreDroppedOneByOne() async throws {
        let inner = SwitchableStore()
        let buffer = BufferedUsageStore(inner: inner, writeBehind: true)
        inner.set(.down(GatewayError(.internalError, "a bug")))
        for i in 0..<3 { #expect(buffer.recordBehind(Self.record("bad\(i)"), onRecorded: Self.ignore)) }
        #expect(await buffer.flushBehind() == 0)
        #expect(buffer.counters.dropped == 3 && buffer.counters.pending == 0 && buffer.counters.behind == 0)
    }
}
