/// Where cached answers live: in this process (`MemoryResponseCacheStore`) or shared by every instance
/// (`RedisResponseCacheStore`).
///
/// A store counts its own hits, misses, stores and evictions per endpoint, so shared statistics stay shared. Every
/// entry expires after its TTL. Callers (`ResponseCache`) treat any thrown error as a miss.
public protocol ResponseCacheStore: Sendable {
    /// "memory" or "redis", for GetCacheStats.
    var backend: String { get }

    /// The answers for `keys`, in order; nil for a miss. Counts a hit or a miss for each key.
    func get(_ keys: [CacheKey]) async throws -> [CachedAnswer?]

    /// Stores every entry, each with its own TTL in milliseconds (> 0), replacing what was there.
    func set(_ entries: [CacheEntry]) async throws

    /// Removes the entries of `endpoint` (nil: all) and `orgID` (nil: all); returns how many.
    func flush(endpoint: Endpoint?, orgID: String?) async throws -> UInt64

    /// Counters and current size per endpoint.
    func statistics() async throws -> [Endpoint: CacheStatistics]
}

/// One answer to store.
public struct CacheEntry: Sendable, Hashable {
    public var key: CacheKey
    public var answer: CachedAnswer
    public var ttlMillis: Int64

    public init(key: CacheKey, answer: CachedAnswer, ttlMillis: Int64) {
        precondition(ttlMillis > 0, "a cache entry always expires")
        self.key = key
        self.answer = answer
        self.ttlMillis = ttlMillis
    }
}
