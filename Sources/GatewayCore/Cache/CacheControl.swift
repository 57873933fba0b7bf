/// A request's own cache controls (the wire's `CacheControl`).
public struct CacheControl: Sendable, Hashable {
    /// Do not read the cache; the answer may still be stored.
    public var bypass: Bool
    /// Do not store the answer.
    public var noStore: Bool
    /// Replaces the endpoint's TTL for this answer; 0 stores nothing.
    public var ttlSeconds: UInt32?

    public init(bypass: Bool = false, noStore: Bool = false, ttlSeconds: UInt32? = nil) {
        self.bypass = bypass
        self.noStore = noStore
        self.ttlSeconds = ttlSeconds
    }

    public static let `default` = CacheControl()

    /// The longest TTL a request may ask for: 30 days.
    public static let maxTTLSeconds: UInt32 = 30 * 86_400
}
