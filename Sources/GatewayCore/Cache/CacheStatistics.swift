/// What the cache did for one endpoint. Counters are since the store began (the process for the memory store, the
/// Redis database for the Redis store); `entries` and `bytes` are what it holds now.
public struct CacheStatistics: Sendable, Hashable {
    public var hits: UInt64 = 0
    public var misses: UInt64 = 0
    public var stores: UInt64 = 0
    public var evictions: UInt64 = 0
    /// Store failures, each also counted as a miss; per process.
    public var errors: UInt64 = 0
    public var entries: UInt64 = 0
    public var bytes: UInt64 = 0

    public init(
        hits: UInt64 = 0, misses: UInt64 = 0, stores: UInt64 = 0, evictions: UInt64 = 0, errors: UInt64 = 0,
        entries: UInt64 = 0, bytes: UInt64 = 0
    ) {
        self.hits = hits
        self.misses = misses
        self.stores = stores
        self.evictions = evictions
        self.errors = errors
        self.entries = entries
        self.bytes = bytes
    }

    public static let zero = CacheStatistics()

    /// Hits over lookups, 0 before the first lookup.
    public var hitRate: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }
}
