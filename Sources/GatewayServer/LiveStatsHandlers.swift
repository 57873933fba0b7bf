import GatewayCore
import GatewayWire

/// Admin GetLiveStats: this instance's counters since start and its busiest callers and models of the last minute,
/// which `aigwctl top` polls and turns into rates. Counters, not rates, so any poller can take its own differences
/// and two pollers never disturb each other.
struct LiveStatsHandlers: Sendable {
    let stats: ServerStats
    let outcomes: CompletionOutcomeCounter
    let activity: LiveActivity
    let instanceID: String
    let uptimeMillis: @Sendable () -> UInt64
    /// The queue's length now; nil when no queue runs.
    var queueDepth: (@Sendable () async -> UInt64?)? = nil
    /// This instance's cache hits and misses since start; nil when the cache is off.
    var cacheTotals: (@Sendable () -> (hits: UInt64, misses: UInt64))? = nil

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Admin.getLiveStats) { request, _ in await live(top: request.top) }
    }

    func live(top: UInt32) async -> Aigw_V1_GetLiveStatsResponse {
        var out = Aigw_V1_GetLiveStatsResponse()
        out.instanceId = instanceID
        out.uptimeMs = uptimeMillis()
        out.rpcCallsTotal = stats.callsTotal
        out.inFlightCalls = UInt64(max(0, stats.inFlightCalls))
        (out.completionsTotal, out.completionErrorsTotal) = outcomes.totals
        let snapshot = activity.snapshot(top: top == 0 ? 10 : Int(min(top, 100)))
        out.usageRecordsTotal = snapshot.records
        out.inputTokensTotal = snapshot.inputTokens
        out.outputTokensTotal = snapshot.outputTokens
        out.costNanoUsdTotal = snapshot.costNanos
        out.windowSeconds = UInt32(snapshot.windowSeconds)
        out.topCallers = snapshot.topCallers.map(Self.tally)
        out.topModels = snapshot.topModels.map(Self.tally)
        if let depth = await queueDepth?() {
            out.hasQueue = true
            out.queueDepth = depth
        }
        if let (hits, misses) = cacheTotals?() {
            out.hasCache = true
            out.cacheHitsTotal = hits
            out.cacheMissesTotal = misses
        }
        return out
    }

    static func tally(_ entry: (key: String, tally: LiveActivity.Tally)) -> Aigw_V1_LiveTally {
        var t = Aigw_V1_LiveTally()
        t.name = entry.key
        t.records = entry.tally.records
        t.tokens = entry.tally.tokens
        t.costNanoUsd = entry.tally.costNanos
        return t
    }
}
