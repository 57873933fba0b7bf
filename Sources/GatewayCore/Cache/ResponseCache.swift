import Synchronization

/// The response cache in front of Complete and Stream: lookups, single-flight, stores and statistics over a
/// `ResponseCacheStore`.
///
/// Guarantees:
/// - A store failure never fails a request: it counts as a miss and as an error, is reported through
///   `onStoreError`, and the call goes upstream. (A stalled Redis cannot stall calls: the cache's Redis client has
///   its own short command timeout, `cache.timeout_ms`.)
/// - Single-flight, per process: identical requests (same key) that arrive while one of them is being looked up or
///   answered wait for that one, the leader, instead of calling upstream. The flight ends only after the answer is
///   stored, so a request arriving later finds it in the store: there is no window in which a second upstream call
///   starts. At most `maxWaitersPerKey` wait; more go upstream on their own.
/// - Errors are never cached or shared. When the leader fails or is cancelled, its waiters are released and each
///   makes its own upstream call (without electing a new leader): one caller's cancellation, deadline or budget never
///   fails another caller, and a failing upstream costs no more calls than it would without a cache.
/// - A waiter that is cancelled stops waiting at once; the flight goes on for the others.
public final class ResponseCache: Sendable {
    /// TTLs, scope and the entry bound: replaceable at run time (Admin.UpdateConfig `cache.ttl.*`, `cache.scope`,
    /// `cache.max_entry_bytes`); each lookup and store reads them once.
    public let liveSettings: LiveSetting<CacheSettings>
    public var settings: CacheSettings { liveSettings.current }
    public let store: any ResponseCacheStore
    private let clock: any GatewayClock
    private let onStoreError: @Sendable (_ operation: String, _ error: any Error) -> Void
    private let flights = Mutex(Flights())
    private let local = Mutex<[Endpoint: LocalCounters]>([:])

    public init(
        store: any ResponseCacheStore, settings: CacheSettings, clock: any GatewayClock,
        onStoreError: @escaping @Sendable (_ operation: String, _ error: any Error) -> Void = { _, _ in }
    ) {
        self.store = store
        liveSettings = LiveSetting(settings)
        self.clock = clock
        self.onStoreError = onStoreError
    }

    /// How a request gets its answer.
    public enum Resolution: Sendable {
        /// The store had it.
        case hit(CachedAnswer)
        /// An identical request in flight produced it; no upstream call for this one.
        case shared(CachedAnswer)
        /// This request leads: call upstream, then `finish` the flight with the answer, or `abandon` it.
        case lead(Flight)
        /// Call upstream without a flight; then `store` the answer (which honours the controls).
        case alone
    }

    /// The flight a leader must end, exactly once, with `finish` or `abandon`.
    public struct Flight: Sendable {
        public let key: CacheKey
        let id: UInt64
        let control: CacheControl
    }

    private struct LocalCounters {
        var shared: UInt64 = 0
        var lookupErrors: UInt64 = 0
        var storeErrors: UInt64 = 0
    }

    private enum Joined: Sendable {
        case lead(UInt64)
        case answer(CachedAnswer)
        case alone
        case cancelled
    }

    private struct FlightState {
        var id: UInt64
        var waiters: [UInt64: CheckedContinuation<Joined, Never>] = [:]
    }

    private struct Flights {
        var byKey: [CacheKey: FlightState] = [:]
        var nextID: UInt64 = 0
    }

    public func key(for request: CompletionRequest) -> CacheKey { CacheKey(request, scope: settings.scope) }

    /// Looks `key` up, joining or leading its flight. Throws `CancellationError` when the calling task is cancelled
    /// while it waits for a leader.
    public func resolve(_ key: CacheKey, control: CacheControl = .default) async throws(CancellationError)
        -> Resolution
    {
        if control.bypass { return .alone }
        if control.noStore {
            // Reads but never leads: its answer is not stored, so nobody could wait for it.
            return await get(key).map { .hit($0) } ?? .alone
        }
        switch await join(key) {
        case .lead(let id):
            let flight = Flight(key: key, id: id, control: control)
            if let answer = await get(key) {
                end(flight, .answer(answer))
                return .hit(answer)
            }
            return .lead(flight)
        case .answer(let answer):
            local.withLock { $0[key.endpoint, default: LocalCounters()].shared += 1 }
            return .shared(answer)
        case .alone:
            return .alone
        case .cancelled:
            throw CancellationError()
        }
    }

    /// Stores the leader's answer (as its controls and the size bound allow), then hands it to every waiter.
    public func finish(_ flight: Flight, with completion: Completion) async {
        let answer = CachedAnswer(completion, storedAtMillis: clock.unixMillis())
        await store(flight.key, answer, control: flight.control)
        end(flight, .answer(answer))
    }

    /// Ends a flight without an answer (the leader failed or was cancelled): its waiters go upstream on their own.
    public func abandon(_ flight: Flight) {
        end(flight, .alone)
    }

    /// Stores an answer obtained without a flight (`.alone`), unless the controls say not to.
    public func store(_ key: CacheKey, _ completion: Completion, control: CacheControl) async {
        await store(key, CachedAnswer(completion, storedAtMillis: clock.unixMillis()), control: control)
    }

    /// Whether answers of this kind may be stored at all: only finished answers, never a cancelled stream's part.
    public static func isCacheable(_ completion: Completion) -> Bool {
        completion.finishReason != .cancelled
    }

    private func store(_ key: CacheKey, _ answer: CachedAnswer, control: CacheControl) async {
        guard !control.noStore, answer.finishReason != .cancelled else { return }
        let ttl = control.ttlSeconds.map { Int64($0) * 1_000 } ?? settings.ttlMillis(for: key.endpoint)
        guard ttl > 0, answer.encodedSize <= settings.maxEntryBytes else { return }
        do {
            try await store.set([CacheEntry(key: key, answer: answer, ttlMillis: ttl)])
        } catch {
            local.withLock { $0[key.endpoint, default: LocalCounters()].storeErrors += 1 }
            onStoreError("store", error)
        }
    }

    /// The stored answer, nil on a miss or a store failure (counted as an error; the store could not count the miss).
    private func get(_ key: CacheKey) async -> CachedAnswer? {
        do {
            return try await store.get([key]).first ?? nil
        } catch {
            local.withLock { $0[key.endpoint, default: LocalCounters()].lookupErrors += 1 }
            onStoreError("lookup", error)
            return nil
        }
    }

    /// Joins the flight for `key`, or starts one and leads it.
    private func join(_ key: CacheKey) async -> Joined {
        // The common case, no flight for the key, leads at once: no continuation, no cancellation handler.
        let started = flights.withLock { f -> (lead: Bool, id: UInt64) in
            f.nextID += 1
            guard f.byKey[key] == nil else { return (false, f.nextID) }
            if Task.isCancelled { return (false, f.nextID) }
            f.byKey[key] = FlightState(id: f.nextID)
            return (true, f.nextID)
        }
        if started.lead { return .lead(started.id) }
        let waiterID = started.id
        let maxWaiters = settings.maxWaitersPerKey
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Joined, Never>) in
                let immediate = flights.withLock { f -> Joined? in
                    if Task.isCancelled { return .cancelled }
                    guard var flight = f.byKey[key] else {
                        f.byKey[key] = FlightState(id: waiterID)
                        return .lead(waiterID)
                    }
                    guard flight.waiters.count < maxWaiters else { return .alone }
                    flight.waiters[waiterID] = continuation
                    f.byKey[key] = flight
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let continuation = flights.withLock { f -> CheckedContinuation<Joined, Never>? in
                guard var flight = f.byKey[key], let c = flight.waiters.removeValue(forKey: waiterID) else { return nil }
                f.byKey[key] = flight
                return c
            }
            continuation?.resume(returning: .cancelled)
        }
    }

    private func end(_ flight: Flight, _ outcome: Joined) {
        let waiters = flights.withLock { f -> [CheckedContinuation<Joined, Never>] in
            guard let state = f.byKey[flight.key], state.id == flight.id else { return [] }
            f.byKey[flight.key] = nil
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    /// Requests waiting for a leader now, over all keys (for tests and diagnostics).
    public var waiting: Int { flights.withLock { $0.byKey.values.reduce(0) { $0 + $1.waiters.count } } }

    /// The store's statistics per endpoint, every endpoint present, with this process's shared answers counted as
    /// hits, its failed lookups as errors and misses, and its failed stores as errors.
    public func statistics() async throws -> [Endpoint: CacheStatistics] {
        var stats = try await store.statistics()
        let counters = local.withLock { $0 }
        for endpoint in Endpoint.allCases {
            var s = stats[endpoint] ?? .zero
            if let c = counters[endpoint] {
                s.hits += c.shared
                s.errors += c.lookupErrors + c.storeErrors
                s.misses += c.lookupErrors
            }
            stats[endpoint] = s
        }
        return stats
    }

    public func flush(endpoint: Endpoint?, orgID: String?) async throws -> UInt64 {
        try await store.flush(endpoint: endpoint, orgID: orgID)
    }
}
