#if canImport(Glibc)
import Glibc
#endif
import GatewayWire
import Synchronization

/// One method's calls by status code and its latency histogram (`aigw_rpc_requests_total`,
/// `aigw_rpc_duration_seconds`), recorded on every call.
///
/// Every call of every method lands here, from both event loops at once, so a shared histogram's lock and a shared
/// counter's cache line bounce between the cores on each call: at 256 CheckLimits in flight that cost about a tenth of
/// the throughput. Instead each thread records into its own shard (picked by hashing the thread's id; a collision
/// only shares a lock), whose counts live inline in the shard's object, padded so no two shards share a cache line.
/// A scrape adds the shards up. Buckets are kept per bucket, not cumulative, so a call touches one of them.
public final class RPCMethodMetrics: Sendable {
    /// Status codes counted in their own slot (the codes of the contract); any other code counts as UNKNOWN.
    private static let codes = Aigw_V1_StatusCode.allCases
    private static let shardCount = 16
    /// Buckets (without +Inf) a method may have.
    static let maxBuckets = 23

    let method: String
    /// Upper bounds of the buckets in nanoseconds, ascending; the last slot of a shard is +Inf.
    private let bounds: [Int64]
    private let boundLabels: [String]
    private let shards: [Shard]

    init(method: String, buckets: [Duration]) {
        precondition(buckets.count <= Self.maxBuckets, "too many latency buckets")
        self.method = method
        bounds = buckets.map { Self.nanoseconds($0) }
        boundLabels = buckets.map { "\(Double(Self.nanoseconds($0)) / 1e9)" }
        shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// One call answered with `code` after `elapsed`.
    @inline(__always)
    public func record(_ code: Aigw_V1_StatusCode, _ elapsed: Duration) {
        let nanos = Self.nanoseconds(elapsed)
        var bucket = bounds.count
        for i in bounds.indices where nanos <= bounds[i] {
            bucket = i
            break
        }
        let raw = Int(code.rawValue)
        let slot = raw >= 0 && raw < Self.codes.count ? raw : Int(Aigw_V1_StatusCode.unknown.rawValue)
        shards[Self.shardIndex()].counts.withLock { counts in
            counts.buckets[bucket] &+= 1
            counts.codes[slot] &+= 1
            counts.sumNanos &+= nanos
        }
    }

    /// Appends both families, for every method, in the text exposition format.
    static func emit(_ methods: [RPCMethodMetrics], into text: inout [UInt8]) {
        let totals = methods.map { $0.total() }
        var out = "# HELP \(MetricName.rpcRequests) RPCs answered, by method and status code\n"
        out += "# TYPE \(MetricName.rpcRequests) counter\n"
        for (method, counts) in zip(methods, totals) {
            for (slot, code) in codes.enumerated() where code == .ok || counts.codes[slot] > 0 {
                out += "\(MetricName.rpcRequests){method=\"\(method.method)\",code=\"\(code.name)\"} \(counts.codes[slot])\n"
            }
        }
        out += "# HELP \(MetricName.rpcDuration) RPC latency, from the request frame to the answer\n"
        out += "# TYPE \(MetricName.rpcDuration) histogram\n"
        for (method, counts) in zip(methods, totals) {
            let label = "method=\"\(method.method)\""
            var cumulative: UInt64 = 0
            for (i, bound) in method.boundLabels.enumerated() {
                cumulative &+= counts.buckets[i]
                out += "\(MetricName.rpcDuration)_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
            }
            cumulative &+= counts.buckets[method.bounds.count]
            out += "\(MetricName.rpcDuration)_bucket{\(label),le=\"+Inf\"} \(cumulative)\n"
            out += "\(MetricName.rpcDuration)_sum{\(label)} \(Double(counts.sumNanos) / 1e9)\n"
            out += "\(MetricName.rpcDuration)_count{\(label)} \(cumulative)\n"
        }
        text.append(contentsOf: out.utf8)
    }

    /// The shards added up.
    private func total() -> Counts {
        var total = Counts()
        for shard in shards {
            let counts = shard.counts.withLock { $0 }
            for i in 0..<(bounds.count + 1) { total.buckets[i] &+= counts.buckets[i] }
            for i in 0..<Self.codes.count { total.codes[i] &+= counts.codes[i] }
            total.sumNanos &+= counts.sumNanos
        }
        return total
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    /// The calling thread's shard: its id through a multiplicative hash, as thread ids are far-apart addresses.
    @inline(__always)
    private static func shardIndex() -> Int {
        let id = UInt64(pthread_self())
        return Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> 60)
    }

    private struct Counts {
        var buckets = InlineArray<24, UInt64>(repeating: 0)
        var codes = InlineArray<17, UInt64>(repeating: 0)
        var sumNanos: Int64 = 0
    }

    /// One thread's counts, kept off its neighbours' cache lines.
    private final class Shard: Sendable {
        private let before = InlineArray<8, UInt64>(repeating: 0)
        let counts = Mutex(Counts())
        private let after = InlineArray<8, UInt64>(repeating: 0)
    }
}
