#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GatewayCore
import Logging

/// Everything aigw is configured with. Defaults live here; `ConfigLoader` fills the struct from a YAML file, the
/// environment and flags (in rising precedence) and is the single reference of keys (`aigw check-config --keys`).
public struct ServerConfig: Sendable {
    public struct Server: Sendable {
        /// The Unix socket path; empty disables the Unix listener.
        public var socketPath: String = ServerConfig.defaultSocketPath
        /// "host:port" for TCP; empty disables the TCP listener.
        public var tcp: String = "127.0.0.1:7400"
        public var maxFrameBytes: Int = 4 * 1024 * 1024
        /// Calls in flight on one connection before extra calls get RESOURCE_EXHAUSTED.
        public var maxConcurrentCalls: Int = 1024
        /// How long a drain waits for in-flight calls before cancelling them.
        public var drainGraceSeconds: Double = 10
        /// When set, every Admin call must carry it; when empty, Admin is served on the Unix socket only.
        public var adminToken: Secret?
    }

    public struct Redis: Sendable {
        /// redis://[:password@]host:port/db; empty means the embedded in-memory stores.
        public var url: Secret?
        public var host: String?
        public var port: Int?
        public var password: Secret?
        public var db: Int?
        /// The longest a Redis command may take before the connection counts as down (limits then follow their
        /// failure policy).
        public var commandTimeoutMillis: Int = 250
        public var poolSize: Int = 2

        /// Whether any Redis setting was given.
        public var isConfigured: Bool { url != nil || host != nil }
    }

    public struct Provider: Sendable {
        public var apiKey: Secret?
        public var baseURL: String
        public var organization: String?
        /// Anthropic's `anthropic-version` header.
        public var apiVersion: String?
        /// Operators can switch a provider off without removing its key.
        public var enabled = true

        /// Serves requests: switched on and given a key.
        public var isEnabled: Bool { enabled && !(apiKey?.isEmpty ?? true) }
    }

    /// How aigw calls the providers: HTTP timeouts and the retry policy.
    public struct Upstream: Sendable {
        public var connectTimeoutMillis = 10_000
        /// Until the response head arrives; generous because a long prompt can take a while to start.
        public var firstByteTimeoutMillis = 60_000
        /// The longest silence inside a streamed body before the stream counts as stalled.
        public var idleTimeoutMillis = 30_000
        public var totalTimeoutMillis = 600_000
        public var retry = RetryPolicy()
    }

    /// How enforced budgets reserve a call's cost before it runs (see `BudgetService`).
    public struct Budgets: Sendable {
        /// Output tokens a call without `max_tokens` reserves.
        public var outputEstimateTokens = 4_096
        /// How long the reservation of a call whose process died keeps holding budget.
        public var reservationLeaseMillis = 900_000
    }

    /// Where alerts go besides the log and `Admin.ListAlerts`.
    public struct Alerts: Sendable {
        /// POST each alert as JSON here; nil sends none. A secret: webhook URLs often carry a token.
        public var webhookURL: Secret?
        public var webhookMaxAttempts = 4
        public var webhookTimeoutMillis = 10_000
    }

    /// Which model serves a request that names none, and where a failing model falls back to.
    public struct Models: Sendable {
        /// nil: a request must name its model.
        public var defaultModel: String?
        /// Model → chain, replacing the catalog's chain for that model (`models.fallback.<model>`).
        public var fallbacks: [String: [String]] = [:]
    }

    /// The monitoring alerts (queue length, error rate, cache hit rate): thresholds and how often they are checked.
    public struct Monitor: Sendable {
        public var thresholds = MonitorThresholds()
        public var intervalMillis = 5_000
    }

    /// Usage accounting.
    public struct Usage: Sendable {
        /// With Redis, how many usage records are kept in memory while Redis is unreachable (see
        /// `BufferedUsageStore`). Past it, reports are refused with UNAVAILABLE until Redis returns.
        public var bufferRecords = 100_000
        /// With Redis, how long a cache hit's usage record may wait before it is written (write-behind, batched);
        /// 0 writes each hit's record before the hit is answered. Also bounded by `bufferRecords`.
        public var writeBehindMillis = 50
    }

    /// The Prometheus endpoint and the per-model performance window.
    public struct Metrics: Sendable {
        /// "host:port" serving GET /metrics; empty disables it. Loopback by default: metrics reveal traffic and models.
        public var listen = "127.0.0.1:9464"
        /// Allows `listen` on an address other than loopback (behind a firewall or a scraper-only network).
        public var allowRemote = false
        /// Distinct `model` label values before the rest are reported as `other`.
        public var maxModels = 50
        /// How far back `Admin.GetModelStats` reaches, in minutes (one-minute buckets).
        public var modelStatsWindowMinutes = 15
    }

    /// The request queue (Enqueue/GetJob) and the workers that run it inside this instance.
    public struct Queue: Sendable {
        /// Jobs this instance runs at once; 0 runs none (it still accepts Enqueue and GetJob).
        public var workers = 32
        /// Jobs claimed per store round trip.
        public var batchSize = 16
        public var pollIntervalMillis = 100
        /// A claimed job's lease, renewed every third of it while the job runs.
        public var visibilityTimeoutMillis = 30_000
        /// How long succeeded and failed jobs (and their results) are kept.
        public var resultTTLMillis = 86_400_000
        /// The wait that lifts a job one priority level (see `JobPriority`).
        public var agingStepMillis = 60_000
        public var maxAttempts = 3
        /// One attempt's limit when Enqueue names none.
        public var timeoutMillis = 30_000
        public var retryBaseDelayMillis = 1_000
        public var retryMaxDelayMillis = 60_000
        /// Queued, running and dead jobs held at most.
        public var maxJobs = 100_000
    }

    /// The response cache for Complete and Stream.
    public struct Cache: Sendable {
        /// On or off, scope, TTL per endpoint, largest entry.
        public var settings = CacheSettings()
        /// "auto" (Redis when `cache.redis_url` or `redis.*` is set, else memory), "memory" or "redis".
        public var store = "auto"
        /// The memory store's bound: least recently used entries are evicted past it.
        public var maxBytes = 256 << 20
        /// A separate Redis for the cache (with `maxmemory-policy allkeys-lru`); nil uses `redis.*`.
        public var redisURL: Secret?
        /// The longest a cache command (or a connect to the cache's Redis) may take before it counts as a miss: the
        /// cache's Redis client has its own connections with this timeout, so a stalled cache never stalls calls for
        /// long.
        public var timeoutMillis = 50
    }

    public struct Logging: Sendable {
        public var level: Logger.Level = .info
        /// "text" (logfmt) or "json".
        public var format: String = "text"
    }

    public var server = Server()
    public var redis = Redis()
    public var openAI = Provider(baseURL: "https://api.openai.com/v1")
    public var anthropic = Provider(baseURL: "https://api.anthropic.com/v1", apiVersion: "2023-06-01")
    public var upstream = Upstream()
    public var models = Models()
    public var budgets = Budgets()
    public var alerts = Alerts()
    public var monitor = Monitor()
    public var usage = Usage()
    public var metrics = Metrics()
    public var queue = Queue()
    public var cache = Cache()
    public var logging = Logging()
    /// Limits per endpoint and level; the product spec's defaults unless configured.
    public var rateLimits = RateLimitPolicy.productDefaults
    /// The price table: the product spec's prices with the configuration's `prices` section applied.
    public var prices = PriceTable.productDefaults
    /// The `prices` section as given, kept so run-time changes apply on top of it.
    var priceOverrides: PriceConfig.Overrides = [:]
    /// Serves the `aigw.v1.Debug` methods (sleep, ticks, echo) for tests and load checks.
    public var debugMethods = false

    public init() {}

    /// The catalog with the configured fallback chains in place of the product defaults.
    public var catalog: ModelCatalog {
        var catalog = ModelCatalog.productDefaults
        for (model, chain) in models.fallbacks { catalog.fallbacks[catalog.resolve(model)] = chain }
        return catalog
    }

    /// What Complete and Stream route by: catalog, retry policy, switched-on providers, default model.
    public var routing: CompletionRouting {
        var enabled: Set<ProviderKind> = []
        if openAI.enabled { enabled.insert(.openai) }
        if anthropic.enabled { enabled.insert(.anthropic) }
        return CompletionRouting(
            catalog: catalog, retryPolicy: upstream.retry, enabledProviders: enabled, defaultModel: models.defaultModel)
    }

    /// `$XDG_RUNTIME_DIR/aigw.sock`, or `/tmp/aigw.sock` without that variable: what server and CLI agree on.
    public static var defaultSocketPath: String {
        if let dir = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !dir.isEmpty {
            return dir + "/aigw.sock"
        }
        return "/tmp/aigw.sock"
    }
}
