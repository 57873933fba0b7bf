import Synchronization

/// The response cache in this process: bounded by bytes, least recently used entries evicted first, each entry
/// expiring after its TTL on the injected clock.
///
/// An entry's size is its stored form (`CachedAnswer.encodedSize`) plus `overheadBytes` for the key and
/// bookkeeping, so `maxBytes` bounds what clients can make the process hold. An entry larger than `maxBytes` alone is
/// not stored. Expired entries are dropped when read, when their memory is needed, and when statistics are taken.
/// All operations are O(1) except `flush` and `statistics`, which walk the entries.
public final class MemoryResponseCacheStore: ResponseCacheStore {
    /// What each entry costs besides its answer: the key (32-byte digest, org id counted separately) and the list
    /// links.
    public static let overheadBytes = 128

    /// How many of the least recently used entries a set checks for expiry before it evicts live ones.
    static let expiredLookahead = 16

    public let maxBytes: Int
    public var backend: String { "memory" }
    private let clock: any GatewayClock
    private let state: Mutex<State>

    public init(maxBytes: Int, clock: any GatewayClock) {
        precondition(maxBytes > 0)
        self.maxBytes = maxBytes
        self.clock = clock
        state = Mutex(State())
    }

    private struct Node {
        var key: CacheKey
        var answer: CachedAnswer
        var bytes: Int
        var expiresAtNanos: UInt64
        var prev = -1
        var next = -1
    }

    /// A doubly linked list over `nodes` (most recent at `head`), indexed by key, with a free list of slots.
    private struct State {
        var index: [CacheKey: Int] = [:]
        var nodes: [Node?] = []
        var free: [Int] = []
        var head = -1
        var tail = -1
        var bytes = 0
        var counters: [Endpoint: CacheStatistics] = [:]

        mutating func unlink(_ i: Int) {
            let (p, n) = (nodes[i]!.prev, nodes[i]!.next)
            if p >= 0 { nodes[p]!.next = n } else { head = n }
            if n >= 0 { nodes[n]!.prev = p } else { tail = p }
            nodes[i]!.prev = -1
            nodes[i]!.next = -1
        }

        mutating func pushFront(_ i: Int) {
            nodes[i]!.next = head
            nodes[i]!.prev = -1
            if head >= 0 { nodes[head]!.prev = i }
            head = i
            if tail < 0 { tail = i }
        }

        /// Removes slot `i`; returns its node.
        @discardableResult
        mutating func remove(_ i: Int) -> Node {
            unlink(i)
            let node = nodes[i]!
            nodes[i] = nil
            free.append(i)
            index[node.key] = nil
            bytes -= node.bytes
            counters[node.key.endpoint, default: .zero].entries -= 1
            counters[node.key.endpoint, default: .zero].bytes -= UInt64(node.bytes)
            return node
        }

        mutating func insert(_ node: Node) {
            let i: Int
            if let slot = free.popLast() {
                nodes[slot] = node
                i = slot
            } else {
                nodes.append(node)
                i = nodes.count - 1
            }
            index[node.key] = i
            pushFront(i)
            bytes += node.bytes
            counters[node.key.endpoint, default: .zero].entries += 1
            counters[node.key.endpoint, default: .zero].bytes += UInt64(node.bytes)
        }
    }

    public func get(_ keys: [CacheKey]) async throws -> [CachedAnswer?] {
        let now = clock.monotonicNanos()
        return state.withLock { s in
            keys.map { key in
                guard let i = s.index[key] else {
                    s.counters[key.endpoint, default: .zero].misses += 1
                    return nil
                }
                guard s.nodes[i]!.expiresAtNanos > now else {
                    s.remove(i)
                    s.counters[key.endpoint, default: .zero].misses += 1
                    return nil
                }
                s.unlink(i)
                s.pushFront(i)
                s.counters[key.endpoint, default: .zero].hits += 1
                return s.nodes[i]!.answer
            }
        }
    }

    public func set(_ entries: [CacheEntry]) async throws {
        let now = clock.monotonicNanos()
        state.withLock { s in
            for entry in entries {
                let bytes = entry.answer.encodedSize + entry.key.orgID.utf8.count + Self.overheadBytes
                if let old = s.index[entry.key] { s.remove(old) }
                guard bytes <= maxBytes else { continue }
                // Expired entries among the least recently used first (a bounded look, so a set stays O(1)), then
                // the least recently used, until the new one fits.
                var cursor = s.tail
                var looked = 0
                while s.bytes + bytes > maxBytes && cursor >= 0 && looked < Self.expiredLookahead {
                    let prev = s.nodes[cursor]!.prev
                    if s.nodes[cursor]!.expiresAtNanos <= now { s.remove(cursor) }
                    cursor = prev
                    looked += 1
                }
                while s.bytes + bytes > maxBytes && s.tail >= 0 {
                    let evicted = s.remove(s.tail)
                    s.counters[evicted.key.endpoint, default: .zero].evictions += 1
                }
                s.insert(Node(
                    key: entry.key, answer: entry.answer, bytes: bytes,
                    expiresAtNanos: now &+ UInt64(entry.ttlMillis) &* 1_000_000))
                s.counters[entry.key.endpoint, default: .zero].stores += 1
            }
        }
    }

    public func flush(endpoint: Endpoint?, orgID: String?) async throws -> UInt64 {
        state.withLock { s in
            var removed: UInt64 = 0
            for (i, node) in s.nodes.enumerated() {
                guard let node, endpoint.map({ $0 == node.key.endpoint }) ?? true,
                      orgID.map({ $0 == node.key.orgID }) ?? true
                else { continue }
                s.remove(i)
                removed += 1
            }
            return removed
        }
    }

    public func statistics() async throws -> [Endpoint: CacheStatistics] {
        let now = clock.monotonicNanos()
        return state.withLock { s in
            for (i, node) in s.nodes.enumerated() where node.map({ $0.expiresAtNanos <= now }) ?? false {
                s.remove(i)
            }
            return s.counters
        }
    }

    /// Bytes held now, expired entries included until they are dropped.
    public var bytes: Int { state.withLock { $0.bytes } }
}
