import Foundation
import GatewayCore
import GatewayRedis
import Logging
import Yams

/// Builds a `ServerConfig` from defaults, a YAML file, the environment and flags, in rising precedence.
///
/// `keys` is the one table of settings: each names its YAML path, its environment variables, how to parse and how to
/// print it. Loading rejects unknown keys and bad values with the key's name, `aigw check-config` runs the same code,
/// and `render` prints the effective configuration with secrets redacted.
public enum ConfigLoader {
    public struct Key: Sendable {
        public let path: String
        public let env: [String]
        public let help: String
        public let secret: Bool
        let apply: @Sendable (inout ServerConfig, String) throws -> Void
        let read: @Sendable (ServerConfig) -> String?
    }

    /// A value that does not parse; the loader adds the key and source.
    struct ValueError: Error {
        var message: String

        static func message(of error: any Error) -> String {
            (error as? ValueError)?.message ?? "\(error)"
        }
    }

    public static let keys: [Key] = baseKeys + limitKeys + cacheKeys

    /// `limits.<endpoint>.<level>` for every endpoint and level (see `RateLimitRuleSpec` for the value syntax).
    static let limitKeys: [Key] = Endpoint.allCases.flatMap { endpoint in
        LimitLevel.allCases.map { level in
            Key(path: "limits.\(endpoint.rawValue).\(level.rawValue)",
                env: ["AIGW_LIMIT_\(endpoint.rawValue.uppercased())_\(level.rawValue.uppercased())"],
                help: "\(level.rawValue) limit for \(endpoint.rawValue): COUNT/WINDOW [sliding_window] [burst=N] [shadow], or off",
                secret: false,
                apply: { c, v in
                    let rule: RateLimitRule?
                    do {
                        rule = try RateLimitRuleSpec.parse(v)
                    } catch let error as RateLimitRuleSpec.ParseError {
                        throw ValueError(message: error.message)
                    }
                    var limits = c.rateLimits.endpoints[endpoint] ?? RateLimitPolicy.EndpointLimits()
                    switch level {
                    case .user: limits.user = rule
                    case .org: limits.org = rule
                    case .endpoint: limits.endpoint = rule
                    }
                    c.rateLimits.endpoints[endpoint] = limits
                },
                read: { RateLimitRuleSpec.render($0.rateLimits.endpoints[endpoint]?.rule(level)) })
        }
    }

    /// The response cache: `cache.*`, with `cache.ttl.<endpoint>` for every endpoint.
    static let cacheKeys: [Key] = [
        Key(path: "cache.enabled", env: ["AIGW_CACHE_ENABLED"], help: "answer repeated identical requests from the cache",
            secret: false, apply: { c, v in c.cache.settings.enabled = try bool(v) },
            read: { String($0.cache.settings.enabled) }),
        Key(path: "cache.scope", env: ["AIGW_CACHE_SCOPE"],
            help: "who shares cached answers: org (default), user or global", secret: false,
            apply: { c, v in
                guard let scope = CacheScope(rawValue: v) else { throw ValueError(message: "expected org, user or global") }
                c.cache.settings.scope = scope
            }, read: { $0.cache.settings.scope.rawValue }),
        Key(path: "cache.store", env: ["AIGW_CACHE_STORE"],
            help: "auto (Redis when configured, else memory), memory or redis", secret: false,
            apply: { c, v in
                guard ["auto", "memory", "redis"].contains(v) else { throw ValueError(message: "expected auto, memory or redis") }
                c.cache.store = v
            }, read: { $0.cache.store }),
        Key(path: "cache.max_bytes", env: ["AIGW_CACHE_MAX_BYTES"],
            help: "memory store bound in bytes (LRU eviction past it), 65536 to 68719476736", secret: false,
            apply: { c, v in c.cache.maxBytes = try int(v, 65_536...68_719_476_736) },
            read: { String($0.cache.maxBytes) }),
        Key(path: "cache.max_entry_bytes", env: ["AIGW_CACHE_MAX_ENTRY_BYTES"],
            help: "larger answers are not stored, 1024 to 67108864", secret: false,
            apply: { c, v in c.cache.settings.maxEntryBytes = try int(v, 1_024...67_108_864) },
            read: { String($0.cache.settings.maxEntryBytes) }),
        Key(path: "cache.redis_url", env: ["AIGW_CACHE_REDIS_URL"],
            help: "a separate Redis for the cache (allkeys-lru); unset uses redis.*", secret: true,
            apply: { c, v in
                guard v.isEmpty || (try? RedisConfiguration(url: v)) != nil else {
                    throw ValueError(message: "expected redis://[:password@]host[:port][/db]")
                }
                c.cache.redisURL = v.isEmpty ? nil : Secret(v)
            }, read: { $0.cache.redisURL?.value }),
        Key(path: "cache.timeout_ms", env: ["AIGW_CACHE_TIMEOUT_MS"],
            help: "longest wait for the cache's Redis before a lookup counts as a miss, 5 to 10000", secret: false,
            apply: { c, v in c.cache.timeoutMillis = try int(v, 5...10_000) }, read: { String($0.cache.timeoutMillis) }),
    ] + Endpoint.allCases.map { endpoint in
        Key(path: "cache.ttl.\(endpoint.rawValue)", env: ["AIGW_CACHE_TTL_\(endpoint.rawValue.uppercased())"],
            help: "how long \(endpoint.rawValue) answers are cached, e.g. 90s, 5m, 2h, 1d; 0 stores none", secret: false,
            apply: { c, v in c.cache.settings.ttlMillis[endpoint] = try duration(v, max: 30 * 86_400_000) },
            read: { durationText($0.cache.settings.ttlMillis(for: endpoint)) })
    }

    static let baseKeys: [Key] = [
        Key(path: "server.socket", env: ["AIGW_SOCKET"], help: "Unix socket path; empty disables it",
            secret: false, apply: { c, v in c.server.socketPath = v }, read: { $0.server.socketPath }),
        Key(path: "server.tcp", env: ["AIGW_TCP"], help: "TCP host:port; empty disables it", secret: false,
            apply: { c, v in
                if !v.isEmpty { _ = try hostPort(v) }
                c.server.tcp = v
            }, read: { $0.server.tcp }),
        Key(path: "server.max_frame_bytes", env: ["AIGW_MAX_FRAME_BYTES"],
            help: "largest accepted frame, 1024 to 268435456", secret: false,
            apply: { c, v in c.server.maxFrameBytes = try int(v, 1024...268_435_456) },
            read: { String($0.server.maxFrameBytes) }),
        Key(path: "server.max_concurrent_calls", env: ["AIGW_MAX_CONCURRENT_CALLS"],
            help: "calls in flight per connection, 1 to 1000000", secret: false,
            apply: { c, v in c.server.maxConcurrentCalls = try int(v, 1...1_000_000) },
            read: { String($0.server.maxConcurrentCalls) }),
        Key(path: "server.drain_grace_seconds", env: ["AIGW_DRAIN_GRACE_SECONDS"],
            help: "how long shutdown waits for in-flight calls", secret: false,
            apply: { c, v in c.server.drainGraceSeconds = try double(v, 0...3600) },
            read: { String($0.server.drainGraceSeconds) }),
        Key(path: "server.admin_token", env: ["AIGW_ADMIN_TOKEN"],
            help: "token Admin calls must carry; without it Admin is Unix-socket only", secret: true,
            apply: { c, v in c.server.adminToken = v.isEmpty ? nil : Secret(v) },
            read: { $0.server.adminToken?.value }),
        Key(path: "redis.url", env: ["REDIS_URL"], help: "redis://[:password@]host:port/db or unix:///path/redis.sock?db=N; unset runs in memory",
            secret: true, apply: { c, v in
                guard v.isEmpty || (try? RedisConfiguration(url: v)) != nil else {
                    throw ValueError(message: "expected redis://[:password@]host[:port][/db] or unix:///path?db=N")
                }
                c.redis.url = v.isEmpty ? nil : Secret(v)
            }, read: { $0.redis.url?.value }),
        Key(path: "redis.host", env: ["REDIS_HOST"], help: "Redis host (instead of redis.url)", secret: false,
            apply: { c, v in c.redis.host = v.isEmpty ? nil : v }, read: { $0.redis.host }),
        Key(path: "redis.port", env: ["REDIS_PORT"], help: "Redis port, default 6379", secret: false,
            apply: { c, v in c.redis.port = try int(v, 1...65535) }, read: { $0.redis.port.map(String.init) }),
        Key(path: "redis.password", env: ["REDIS_PASSWORD"], help: "Redis AUTH password", secret: true,
            apply: { c, v in c.redis.password = v.isEmpty ? nil : Secret(v) }, read: { $0.redis.password?.value }),
        Key(path: "redis.db", env: ["REDIS_DB"], help: "Redis database number, default 0", secret: false,
            apply: { c, v in c.redis.db = try int(v, 0...65535) }, read: { $0.redis.db.map(String.init) }),
        Key(path: "redis.command_timeout_ms", env: ["AIGW_REDIS_COMMAND_TIMEOUT_MS"],
            help: "longest wait for a Redis reply before it counts as down, 10 to 60000", secret: false,
            apply: { c, v in c.redis.commandTimeoutMillis = try int(v, 10...60_000) },
            read: { $0.redis.isConfigured ? String($0.redis.commandTimeoutMillis) : nil }),
        Key(path: "redis.pool_size", env: ["AIGW_REDIS_POOL_SIZE"], help: "pipelined Redis connections, 1 to 64",
            secret: false, apply: { c, v in c.redis.poolSize = try int(v, 1...64) },
            read: { $0.redis.isConfigured ? String($0.redis.poolSize) : nil }),
        Key(path: "usage.buffer_records", env: ["AIGW_USAGE_BUFFER_RECORDS"],
            help: "usage records kept in memory while Redis is unreachable, 1 to 10000000", secret: false,
            apply: { c, v in c.usage.bufferRecords = try int(v, 1...10_000_000) },
            read: { $0.redis.isConfigured ? String($0.usage.bufferRecords) : nil }),
        Key(path: "usage.write_behind_ms", env: ["AIGW_USAGE_WRITE_BEHIND_MS"],
            help: "with Redis: longest a cache hit's usage record waits to be written, batched; 0 writes it before "
                + "the answer, 0 to 10000", secret: false,
            apply: { c, v in c.usage.writeBehindMillis = try int(v, 0...10_000) },
            read: { $0.redis.isConfigured ? String($0.usage.writeBehindMillis) : nil }),
        Key(path: "providers.openai.api_key", env: ["OPENAI_API_KEY"], help: "enables OpenAI", secret: true,
            apply: { c, v in c.openAI.apiKey = v.isEmpty ? nil : Secret(v) }, read: { $0.openAI.apiKey?.value }),
        Key(path: "providers.openai.organization", env: ["OPENAI_ORGANIZATION"],
            help: "sent as the OpenAI-Organization header", secret: false,
            apply: { c, v in c.openAI.organization = v.isEmpty ? nil : v }, read: { $0.openAI.organization }),
        Key(path: "providers.openai.base_url", env: ["OPENAI_BASE_URL"],
            help: "OpenAI or a compatible server", secret: false,
            apply: { c, v in c.openAI.baseURL = try url(v) }, read: { $0.openAI.baseURL }),
        Key(path: "providers.openai.enabled", env: ["AIGW_OPENAI_ENABLED"],
            help: "serve OpenAI models (needs the API key too)", secret: false,
            apply: { c, v in c.openAI.enabled = try bool(v) }, read: { String($0.openAI.enabled) }),
        Key(path: "providers.anthropic.api_key", env: ["ANTHROPIC_API_KEY"], help: "enables Anthropic",
            secret: true, apply: { c, v in c.anthropic.apiKey = v.isEmpty ? nil : Secret(v) },
            read: { $0.anthropic.apiKey?.value }),
        Key(path: "providers.anthropic.base_url", env: ["ANTHROPIC_BASE_URL"], help: "Anthropic API base URL",
            secret: false, apply: { c, v in c.anthropic.baseURL = try url(v) }, read: { $0.anthropic.baseURL }),
        Key(path: "providers.anthropic.version", env: ["ANTHROPIC_VERSION"],
            help: "the anthropic-version header", secret: false,
            apply: { c, v in c.anthropic.apiVersion = v }, read: { $0.anthropic.apiVersion }),
        Key(path: "providers.anthropic.enabled", env: ["AIGW_ANTHROPIC_ENABLED"],
            help: "serve Anthropic models (needs the API key too)", secret: false,
            apply: { c, v in c.anthropic.enabled = try bool(v) }, read: { String($0.anthropic.enabled) }),
        Key(path: "upstream.connect_timeout_ms", env: ["AIGW_UPSTREAM_CONNECT_TIMEOUT_MS"],
            help: "connecting to a provider (DNS, TCP, TLS), 100 to 120000", secret: false,
            apply: { c, v in c.upstream.connectTimeoutMillis = try int(v, 100...120_000) },
            read: { String($0.upstream.connectTimeoutMillis) }),
        Key(path: "upstream.first_byte_timeout_ms", env: ["AIGW_UPSTREAM_FIRST_BYTE_TIMEOUT_MS"],
            help: "from sending a request to the response head, 100 to 600000", secret: false,
            apply: { c, v in c.upstream.firstByteTimeoutMillis = try int(v, 100...600_000) },
            read: { String($0.upstream.firstByteTimeoutMillis) }),
        Key(path: "upstream.idle_timeout_ms", env: ["AIGW_UPSTREAM_IDLE_TIMEOUT_MS"],
            help: "longest silence inside a streamed body, 100 to 600000", secret: false,
            apply: { c, v in c.upstream.idleTimeoutMillis = try int(v, 100...600_000) },
            read: { String($0.upstream.idleTimeoutMillis) }),
        Key(path: "upstream.total_timeout_ms", env: ["AIGW_UPSTREAM_TOTAL_TIMEOUT_MS"],
            help: "one upstream attempt from start to end, 100 to 3600000", secret: false,
            apply: { c, v in c.upstream.totalTimeoutMillis = try int(v, 100...3_600_000) },
            read: { String($0.upstream.totalTimeoutMillis) }),
        Key(path: "retry.max_retries", env: ["AIGW_RETRY_MAX_RETRIES"],
            help: "retries per model after the first attempt, 0 to 10", secret: false,
            apply: { c, v in c.upstream.retry.maxRetries = try int(v, 0...10) },
            read: { String($0.upstream.retry.maxRetries) }),
        Key(path: "retry.base_delay_ms", env: ["AIGW_RETRY_BASE_DELAY_MS"],
            help: "backoff ceiling before the first retry (doubles each retry), 0 to 60000", secret: false,
            apply: { c, v in c.upstream.retry.baseDelayMillis = Int64(try int(v, 0...60_000)) },
            read: { String($0.upstream.retry.baseDelayMillis) }),
        Key(path: "retry.max_delay_ms", env: ["AIGW_RETRY_MAX_DELAY_MS"],
            help: "largest backoff ceiling, 0 to 300000", secret: false,
            apply: { c, v in c.upstream.retry.maxDelayMillis = Int64(try int(v, 0...300_000)) },
            read: { String($0.upstream.retry.maxDelayMillis) }),
        Key(path: "models.default", env: ["AIGW_DEFAULT_MODEL"],
            help: "model for a request that names none; empty makes the model required", secret: false,
            apply: { c, v in c.models.defaultModel = v.isEmpty ? nil : try ModelConfig.name(v) },
            read: { $0.models.defaultModel ?? "" }),
        Key(path: "budgets.output_estimate_tokens", env: ["AIGW_BUDGET_OUTPUT_ESTIMATE_TOKENS"],
            help: "output tokens an enforced budget reserves for a call without max_tokens, 1 to 1000000",
            secret: false, apply: { c, v in c.budgets.outputEstimateTokens = try int(v, 1...1_000_000) },
            read: { String($0.budgets.outputEstimateTokens) }),
        Key(path: "budgets.reservation_lease_ms", env: ["AIGW_BUDGET_RESERVATION_LEASE_MS"],
            help: "how long a dead call's budget reservation holds, 1000 to 86400000", secret: false,
            apply: { c, v in c.budgets.reservationLeaseMillis = try int(v, 1_000...86_400_000) },
            read: { String($0.budgets.reservationLeaseMillis) }),
        Key(path: "queue.workers", env: ["AIGW_QUEUE_WORKERS"],
            help: "queued jobs this instance runs at once, 0 (none) to 4096", secret: false,
            apply: { c, v in c.queue.workers = try int(v, 0...4096) }, read: { String($0.queue.workers) }),
        Key(path: "queue.batch_size", env: ["AIGW_QUEUE_BATCH_SIZE"],
            help: "jobs a worker claims per store round trip, 1 to 1000", secret: false,
            apply: { c, v in c.queue.batchSize = try int(v, 1...1000) }, read: { String($0.queue.batchSize) }),
        Key(path: "queue.poll_interval_ms", env: ["AIGW_QUEUE_POLL_INTERVAL_MS"],
            help: "wait before claiming again when the queue was empty, 1 to 60000", secret: false,
            apply: { c, v in c.queue.pollIntervalMillis = try int(v, 1...60_000) },
            read: { String($0.queue.pollIntervalMillis) }),
        Key(path: "queue.visibility_timeout_ms", env: ["AIGW_QUEUE_VISIBILITY_TIMEOUT_MS"],
            help: "lease of a claimed job, renewed every third of it; 300 to 3600000", secret: false,
            apply: { c, v in c.queue.visibilityTimeoutMillis = try int(v, 300...3_600_000) },
            read: { String($0.queue.visibilityTimeoutMillis) }),
        Key(path: "queue.result_ttl_ms", env: ["AIGW_QUEUE_RESULT_TTL_MS"],
            help: "how long succeeded and failed jobs are kept, 1000 to 2592000000", secret: false,
            apply: { c, v in c.queue.resultTTLMillis = try int(v, 1_000...2_592_000_000) },
            read: { String($0.queue.resultTTLMillis) }),
        Key(path: "queue.aging_step_ms", env: ["AIGW_QUEUE_AGING_STEP_MS"],
            help: "waiting time that lifts a job one priority level, 1 to 86400000", secret: false,
            apply: { c, v in c.queue.agingStepMillis = try int(v, 1...86_400_000) },
            read: { String($0.queue.agingStepMillis) }),
        Key(path: "queue.max_attempts", env: ["AIGW_QUEUE_MAX_ATTEMPTS"],
            help: "attempts of a job whose Enqueue names none, 1 to 100", secret: false,
            apply: { c, v in c.queue.maxAttempts = try int(v, 1...100) }, read: { String($0.queue.maxAttempts) }),
        Key(path: "queue.timeout_ms", env: ["AIGW_QUEUE_TIMEOUT_MS"],
            help: "limit of one attempt whose Enqueue names none, 100 to 3600000", secret: false,
            apply: { c, v in c.queue.timeoutMillis = try int(v, 100...3_600_000) },
            read: { String($0.queue.timeoutMillis) }),
        Key(path: "queue.retry_base_delay_ms", env: ["AIGW_QUEUE_RETRY_BASE_DELAY_MS"],
            help: "backoff before a job's first retry (doubling, with jitter), 0 to 600000", secret: false,
            apply: { c, v in c.queue.retryBaseDelayMillis = try int(v, 0...600_000) },
            read: { String($0.queue.retryBaseDelayMillis) }),
        Key(path: "queue.retry_max_delay_ms", env: ["AIGW_QUEUE_RETRY_MAX_DELAY_MS"],
            help: "longest backoff between a job's attempts, 0 to 3600000", secret: false,
            apply: { c, v in c.queue.retryMaxDelayMillis = try int(v, 0...3_600_000) },
            read: { String($0.queue.retryMaxDelayMillis) }),
        Key(path: "queue.max_jobs", env: ["AIGW_QUEUE_MAX_JOBS"],
            help: "queued, running and dead jobs held at most, 1 to 100000000", secret: false,
            apply: { c, v in c.queue.maxJobs = try int(v, 1...100_000_000) }, read: { String($0.queue.maxJobs) }),
        Key(path: "alerts.webhook_url", env: ["AIGW_ALERT_WEBHOOK_URL"],
            help: "POST every alert as JSON to this URL; empty sends none", secret: true,
            apply: { c, v in c.alerts.webhookURL = v.isEmpty ? nil : Secret(try url(v)) },
            read: { $0.alerts.webhookURL?.value }),
        Key(path: "alerts.webhook_max_attempts", env: ["AIGW_ALERT_WEBHOOK_MAX_ATTEMPTS"],
            help: "deliveries tried per alert (1 s, 2 s, 4 s ... apart), 1 to 10", secret: false,
            apply: { c, v in c.alerts.webhookMaxAttempts = try int(v, 1...10) },
            read: { String($0.alerts.webhookMaxAttempts) }),
        Key(path: "alerts.webhook_timeout_ms", env: ["AIGW_ALERT_WEBHOOK_TIMEOUT_MS"],
            help: "one webhook delivery attempt, 100 to 60000", secret: false,
            apply: { c, v in c.alerts.webhookTimeoutMillis = try int(v, 100...60_000) },
            read: { String($0.alerts.webhookTimeoutMillis) }),
        Key(path: "monitor.queue_length", env: ["AIGW_MONITOR_QUEUE_LENGTH"],
            help: "queued jobs above which the queue_length alert fires, 0 to 100000000", secret: false,
            apply: { c, v in c.monitor.thresholds.queueLength = UInt64(try int(v, 0...100_000_000)) },
            read: { String($0.monitor.thresholds.queueLength) }),
        Key(path: "monitor.error_rate_percent", env: ["AIGW_MONITOR_ERROR_RATE_PERCENT"],
            help: "failed Complete/Stream calls (percent) above which error_rate fires, 0 to 100", secret: false,
            apply: { c, v in c.monitor.thresholds.errorRatePercent = try double(v, 0...100) },
            read: { AlertMonitor.format($0.monitor.thresholds.errorRatePercent) }),
        Key(path: "monitor.cache_hit_rate_percent", env: ["AIGW_MONITOR_CACHE_HIT_RATE_PERCENT"],
            help: "cache hit rate (percent) below which cache_hit_rate fires, 0 to 100", secret: false,
            apply: { c, v in c.monitor.thresholds.cacheHitRatePercent = try double(v, 0...100) },
            read: { AlertMonitor.format($0.monitor.thresholds.cacheHitRatePercent) }),
        Key(path: "monitor.window_seconds", env: ["AIGW_MONITOR_WINDOW_SECONDS"],
            help: "span the error and hit rates are measured over, 1 to 86400", secret: false,
            apply: { c, v in c.monitor.thresholds.windowMillis = Int64(try int(v, 1...86_400)) * 1_000 },
            read: { String($0.monitor.thresholds.windowMillis / 1_000) }),
        Key(path: "monitor.min_samples", env: ["AIGW_MONITOR_MIN_SAMPLES"],
            help: "calls or lookups a window needs before its rate can fire, 1 to 1000000", secret: false,
            apply: { c, v in c.monitor.thresholds.minSamples = UInt64(try int(v, 1...1_000_000)) },
            read: { String($0.monitor.thresholds.minSamples) }),
        Key(path: "monitor.interval_ms", env: ["AIGW_MONITOR_INTERVAL_MS"],
            help: "how often the monitoring alerts are evaluated, 100 to 600000", secret: false,
            apply: { c, v in c.monitor.intervalMillis = try int(v, 100...600_000) },
            read: { String($0.monitor.intervalMillis) }),
        Key(path: "metrics.listen", env: ["AIGW_METRICS_LISTEN"],
            help: "host:port serving Prometheus GET /metrics; empty disables it", secret: false,
            apply: { c, v in
                if !v.isEmpty { _ = try hostPort(v) }
                c.metrics.listen = v
            }, read: { $0.metrics.listen }),
        Key(path: "metrics.allow_remote", env: ["AIGW_METRICS_ALLOW_REMOTE"],
            help: "allow metrics.listen on a non-loopback address", secret: false,
            apply: { c, v in c.metrics.allowRemote = try bool(v) }, read: { String($0.metrics.allowRemote) }),
        Key(path: "metrics.max_models", env: ["AIGW_METRICS_MAX_MODELS"],
            help: "distinct model label values before the rest are reported as other, 1 to 1000", secret: false,
            apply: { c, v in c.metrics.maxModels = try int(v, 1...1_000) }, read: { String($0.metrics.maxModels) }),
        Key(path: "metrics.model_stats_window_minutes", env: ["AIGW_MODEL_STATS_WINDOW_MINUTES"],
            help: "how far back Admin GetModelStats and aigwctl models reach, 1 to 1440", secret: false,
            apply: { c, v in c.metrics.modelStatsWindowMinutes = try int(v, 1...1_440) },
            read: { String($0.metrics.modelStatsWindowMinutes) }),
        Key(path: "logging.level", env: ["AIGW_LOG_LEVEL"],
            help: "trace, debug, info, notice, warning, error or critical", secret: false,
            apply: { c, v in
                guard let level = Logger.Level(rawValue: v.lowercased()) else {
                    throw ValueError(message: "expected one of trace, debug, info, notice, warning, error, critical")
                }
                c.logging.level = level
            }, read: { $0.logging.level.rawValue }),
        Key(path: "logging.format", env: ["AIGW_LOG_FORMAT"], help: "text (logfmt) or json", secret: false,
            apply: { c, v in
                guard ["text", "json"].contains(v) else { throw ValueError(message: "expected text or json") }
                c.logging.format = v
            }, read: { $0.logging.format }),
        Key(path: "debug.methods", env: ["AIGW_DEBUG_METHODS"],
            help: "serve aigw.v1.Debug (tests and load checks only)", secret: false,
            apply: { c, v in c.debugMethods = try bool(v) }, read: { String($0.debugMethods) }),
    ]

    /// Loads the configuration. `overrides` are flag values keyed by YAML path.
    public static func load(
        file: String?, environment: [String: String], overrides: [String: String] = [:]
    ) throws(ConfigError) -> ServerConfig {
        var config = ServerConfig()
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigError(key: "-", message: "cannot read the file: \(error.localizedDescription)", source: file)
            }
            for (path, value) in try flatten(yaml: text, source: file) {
                try apply(path, value, to: &config, source: file)
            }
        }
        for key in keys {
            for name in key.env {
                guard let value = environment[name] else { continue }
                do {
                    try key.apply(&config, value)
                } catch {
                    throw ConfigError(key: name, message: ValueError.message(of: error), source: "environment")
                }
            }
        }
        for (path, value) in overrides.sorted(by: { $0.key < $1.key }) {
            try apply(path, value, to: &config, source: "flags")
        }
        config.prices = try PriceConfig.table(base: .productDefaults, overrides: config.priceOverrides)
        if !config.metrics.listen.isEmpty, !config.metrics.allowRemote,
           let (host, _) = try? hostPort(config.metrics.listen), !MetricsHTTPServer.isLoopback(host)
        {
            throw ConfigError(
                key: "metrics.listen",
                message: "'\(config.metrics.listen)' is not a loopback address: metrics reveal traffic and models; "
                    + "set metrics.allow_remote=true to serve them there", source: "configuration")
        }
        return config
    }

    /// The effective configuration as YAML, every secret shown as `<redacted>`.
    public static func render(_ config: ServerConfig) -> String {
        var lines: [String] = []
        var section: [String] = []
        for key in keys {
            guard let value = key.read(config) else { continue }
            var parts = key.path.split(separator: ".").map(String.init)
            let leaf = parts.removeLast()
            var common = 0
            while common < min(section.count, parts.count) && section[common] == parts[common] { common += 1 }
            for depth in common..<parts.count {
                lines.append(String(repeating: "  ", count: depth) + parts[depth] + ":")
            }
            section = parts
            let shown = key.secret ? "<redacted>" : quote(value)
            lines.append(String(repeating: "  ", count: parts.count) + "\(leaf): \(shown)")
            // The chains are keyed by model, not a fixed key: they follow `models.default` in the same section.
            if key.path == "models.default" { lines += ModelConfig.render(config.catalog) }
        }
        return lines.joined(separator: "\n") + "\n" + PriceConfig.render(config.prices)
    }

    static func apply(_ path: String, _ value: String, to config: inout ServerConfig, source: String)
        throws(ConfigError)
    {
        if path.hasPrefix(ModelConfig.fallbackPrefix) {
            do {
                try ModelConfig.apply(key: path, value: value, to: &config)
            } catch {
                throw ConfigError(key: path, message: error.message, source: source)
            }
            return
        }
        if path.hasPrefix(PriceConfig.prefix) {
            do {
                try PriceConfig.apply(key: path, value: value, to: &config.priceOverrides)
            } catch {
                throw ConfigError(key: path, message: error.message, source: source)
            }
            return
        }
        guard let key = keys.first(where: { $0.path == path }) else {
            var message = "unknown key"
            if let near = closestKey(to: path) { message += "; did you mean '\(near)'?" }
            throw ConfigError(key: path, message: message, source: source)
        }
        do {
            try key.apply(&config, value)
        } catch {
            throw ConfigError(key: path, message: ValueError.message(of: error), source: source)
        }
    }

    /// Turns a YAML document into (dotted path, scalar) pairs, rejecting shapes no key takes.
    static func flatten(yaml: String, source: String) throws(ConfigError) -> [(String, String)] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(key: "-", message: "not valid YAML: \(error)", source: source)
        }
        guard let root else { return [] }
        guard case .mapping = root else {
            throw ConfigError(key: "-", message: "the top level must be a mapping of sections", source: source)
        }
        var out: [(String, String)] = []
        func walk(_ node: Node, _ path: String) throws(ConfigError) {
            switch node {
            case .mapping(let mapping):
                for (k, v) in mapping {
                    guard let name = k.string else {
                        throw ConfigError(key: path, message: "keys must be strings", source: source)
                    }
                    try walk(v, path.isEmpty ? name : "\(path).\(name)")
                }
            case .scalar(let scalar):
                let isNull = scalar.style == .plain && ["", "~", "null"].contains(scalar.string)
                out.append((path, isNull ? "" : scalar.string))
            default:
                throw ConfigError(key: path, message: "expected a single value", source: source)
            }
        }
        try walk(root, "")
        return out
    }

    static func closestKey(to path: String) -> String? {
        let scored = keys.map { ($0.path, editDistance(Array($0.path), Array(path))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, path.count / 4) else { return nil }
        return best.0
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func quote(_ s: String) -> String {
        // "null" would load back as no value and a lone "-" as a sequence entry, so those are quoted too.
        let plain = s.allSatisfy { $0.isLetter || $0.isNumber || "._-/:".contains($0) } && !s.isEmpty
            && s != "null" && !s.hasPrefix("-")
        return plain ? s : "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: Value parsers

    static func int(_ v: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(v.trimmingCharacters(in: .whitespaces)) else {
            throw ValueError(message: "expected an integer, got '\(v)'")
        }
        guard range.contains(n) else {
            throw ValueError(message: "\(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    static func double(_ v: String, _ range: ClosedRange<Double>) throws -> Double {
        guard let n = Double(v.trimmingCharacters(in: .whitespaces)), n.isFinite else {
            throw ValueError(message: "expected a number, got '\(v)'")
        }
        guard range.contains(n) else {
            throw ValueError(message: "\(n) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    private static let durationUnits: [(String, Int64)] = [
        ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Milliseconds from "500ms", "90s", "5m", "2h", "1d" or "0".
    static func duration(_ v: String, max: Int64) throws -> Int64 {
        let text = v.trimmingCharacters(in: .whitespaces)
        if text == "0" { return 0 }
        for (suffix, unit) in durationUnits where text.hasSuffix(suffix) {
            guard let n = Int64(text.dropLast(suffix.count)), n >= 0 else { break }
            guard n <= max / unit else { throw ValueError(message: "\(text) is longer than \(durationText(max))") }
            return n * unit
        }
        throw ValueError(message: "expected a duration such as 90s, 5m, 2h or 1d, got '\(v)'")
    }

    static func durationText(_ millis: Int64) -> String {
        guard millis > 0 else { return "0" }
        for (suffix, unit) in durationUnits.reversed() where millis % unit == 0 { return "\(millis / unit)\(suffix)" }
        return "\(millis)ms"
    }

    static func bool(_ v: String) throws -> Bool {
        switch v.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0", "": return false
        default: throw ValueError(message: "expected true or false, got '\(v)'")
        }
    }

    static func url(_ v: String) throws -> String {
        guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
            throw ValueError(message: "expected an http:// or https:// URL, got '\(v)'")
        }
        return v.hasSuffix("/") ? String(v.dropLast()) : v
    }

    static func hostPort(_ v: String) throws -> (String, Int) {
        do {
            return try GatewayServer.splitHostPort(v)
        } catch {
            throw ValueError(message: "expected host:port, got '\(v)'")
        }
    }
}
