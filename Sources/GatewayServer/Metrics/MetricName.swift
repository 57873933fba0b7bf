/// Every metric aigw exposes, in one place: the names the dashboard (docs/grafana-aigw.json), docs/operations.md and
/// the tests use. Prometheus conventions: `aigw_` prefix, base units (seconds, bytes, dollars), `_total` on counters.
public enum MetricName {
    // RPCs (labels: method, code)
    public static let rpcRequests = "aigw_rpc_requests_total"
    public static let rpcDuration = "aigw_rpc_duration_seconds"
    public static let rpcInFlight = "aigw_rpc_in_flight"
    public static let connectionsOpen = "aigw_connections_open"

    // Upstream providers (labels: provider, model; errors add category)
    public static let upstreamRequests = "aigw_upstream_requests_total"
    public static let upstreamDuration = "aigw_upstream_request_duration_seconds"
    public static let upstreamErrors = "aigw_upstream_errors_total"
    public static let upstreamRetries = "aigw_upstream_retries_total"
    public static let upstreamFallbacks = "aigw_upstream_fallbacks_total"
    /// Streams (label: model).
    public static let firstTokenDuration = "aigw_stream_first_token_seconds"

    // Usage (labels: model, endpoint; tokens add kind)
    public static let tokens = "aigw_tokens_total"
    public static let cost = "aigw_cost_usd_total"
    public static let usageRecords = "aigw_usage_records_total"

    // Rate limits (label: endpoint; denials add level; checks add result)
    public static let rateLimitChecks = "aigw_ratelimit_checks_total"
    public static let rateLimitDenials = "aigw_ratelimit_denials_total"
    public static let rateLimitShadowDenials = "aigw_ratelimit_shadow_denials_total"
    public static let rateLimitFailOpen = "aigw_ratelimit_fail_open_total"

    // Redis (label: event)
    public static let redisErrors = "aigw_redis_errors_total"
    public static let redisReconnects = "aigw_redis_reconnects_total"
    public static let redisUp = "aigw_redis_up"

    // Alerts (label: kind)
    public static let alertsRaised = "aigw_alerts_raised_total"

    // Response cache (label: endpoint; lookups add result). Lookups through `GatewayMetrics.cacheLookup`; the rest
    // read from the store's statistics at scrape time (`GatewayMetrics.registerCache`).
    public static let cacheLookups = "aigw_cache_lookups_total"
    public static let cacheStores = "aigw_cache_stores_total"
    public static let cacheBytes = "aigw_cache_bytes"
    public static let cacheEntries = "aigw_cache_entries"

    // Queue (label: priority, or endpoint for dead letters). Fed through `GatewayMetrics.queueEnqueued` and friends.
    public static let queueEnqueued = "aigw_queue_enqueued_total"
    public static let queueDeadLettered = "aigw_queue_dead_letters_total"
    /// Gauges registered by the queue with `GatewayMetrics.registerGauge`.
    public static let queueDepth = "aigw_queue_depth"
    public static let queueDeadLetters = "aigw_queue_dead_letters"

    // The process
    public static let buildInfo = "aigw_build_info"
    public static let startTime = "aigw_process_start_time_seconds"

    /// Every name above, for the checks that the dashboard and docs use only these and document all of them.
    public static let all: [String] = [
        rpcRequests, rpcDuration, rpcInFlight, connectionsOpen, upstreamRequests, upstreamDuration, upstreamErrors,
        upstreamRetries, upstreamFallbacks, firstTokenDuration, tokens, cost, usageRecords, rateLimitChecks,
        rateLimitDenials, rateLimitShadowDenials, rateLimitFailOpen, redisErrors, redisReconnects, redisUp,
        alertsRaised, cacheLookups, cacheStores, cacheBytes, cacheEntries, queueEnqueued,
        queueDeadLettered, queueDepth, queueDeadLetters, buildInfo, startTime,
    ]
}
