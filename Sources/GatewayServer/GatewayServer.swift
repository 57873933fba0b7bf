import GatewayCore
import GatewayProviders
import GatewayRedis
import GatewayWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The aigw server: binds the Unix and TCP listeners, serves calls until graceful shutdown, then drains.
///
/// It is a `Service`: `run()` returns after a drain triggered by the service group's graceful shutdown (SIGTERM or
/// SIGINT in `aigw serve`), or throws if a listener cannot bind.
public final class GatewayServer: Service {
    private let config: ServerConfig
    private let logger: Logger
    private let group: any EventLoopGroup
    private let stats = ServerStats()
    private let registry = ConnectionRegistry()
    private let admin: AdminService
    private let router: MethodRouter
    private let redis: RedisClient?
    /// The response cache's own Redis connections (its own command timeout, maybe its own instance); nil for the
    /// memory store or no cache.
    private let cacheRedis: RedisClient?
    /// The one libcurl client every provider shares: its own thread, one connection pool.
    private let http: CurlHTTPClient
    /// The price table in force; Admin config updates replace it at run time.
    let prices: PriceBook
    let failOpen: FailOpenReporter
    /// Run-time configuration changes (today: prices), polled from Redis so every instance applies them.
    private let runtime: RuntimeConfig
    /// Evaluates the queue-length, error-rate and cache-hit-rate alerts every `monitor.interval_ms`.
    private let monitor: AlertMonitor
    /// With Redis: keeps usage records while Redis is unreachable and writes them once it returns.
    private let usageFlusher: UsageBufferFlusher?
    /// Runs queued jobs inside this instance; nil with `queue.workers` 0.
    private let queueWorker: QueueWorker?
    private let onListening: @Sendable ([BoundListener]) -> Void
    /// The Prometheus registry; nil when `metrics.listen` is empty (then nothing is counted either).
    public let metrics: GatewayMetrics?
    /// Per-model performance for `Admin.GetModelStats`; kept whether or not Prometheus is served.
    let performance: ModelPerformance
    /// "host:port" the metrics endpoint is bound to, once `run` has bound it.
    private let metricsBound = Mutex<String?>(nil)

    /// - Parameter onListening: called once every listener is bound, with the bound addresses. By then
    ///   `metricsAddress` is set when the metrics endpoint is served.
    /// Throws when the Redis settings do not parse (check-config reports them first).
    public init(
        config: ServerConfig,
        logger: Logger,
        clock: any GatewayClock = SystemClock(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable ([BoundListener]) -> Void = { _ in }
    ) throws {
        self.config = config
        self.logger = logger
        self.group = group
        self.onListening = onListening
        let metrics = config.metrics.listen.isEmpty
            ? nil : GatewayMetrics(startUnixMillis: clock.unixMillis(), maxModels: config.metrics.maxModels)
        self.metrics = metrics
        var performanceSettings = ModelPerformance.Settings()
        performanceSettings.windowMillis = Int64(config.metrics.modelStatsWindowMinutes) * 60_000
        performance = ModelPerformance(settings: performanceSettings, clock: clock)
        // On the server's loops, so each handler's Redis commands go out and come back on its own loop.
        var redisObserver: (@Sendable (RedisEvent) -> Void)?
        if let metrics { redisObserver = { event in metrics.redis(event) } }
        redis = try config.redis.connectionConfiguration().map {
            RedisClient(configuration: $0, group: group, observer: redisObserver)
        }
        failOpen = FailOpenReporter(logger: logger)
        let limitStore: any RateLimitStore = redis.map { RedisRateLimitStore(client: $0) }
            ?? MemoryRateLimitStore(clock: clock)
        // Only the Redis store can be unreachable; the memory store never fails.
        // Cache hits' records are written behind, in batches (`usage.write_behind_ms`).
        let usageBuffer = redis.map {
            BufferedUsageStore(inner: RedisUsageStore(client: $0), capacity: config.usage.bufferRecords,
                               writeBehind: config.usage.writeBehindMillis > 0)
        }
        usageFlusher = usageBuffer.map {
            UsageBufferFlusher(buffer: $0, logger: logger,
                               writeBehindInterval: .milliseconds(max(1, config.usage.writeBehindMillis)))
        }
        let unpriced = UnpricedModels()
        let routing = LiveSetting(config.routing)
        admin = AdminService(
            config: config, stats: stats, clock: clock, redis: redis, usageBuffer: usageBuffer, unpriced: unpriced,
            routing: routing)

        var contract = Aigw_V1_Gateway.allMethods + Aigw_V1_Admin.allMethods
        if config.debugMethods { contract += Aigw_V1_Debug.allMethods }
        let authorizer = AdminAuthorizer(token: config.server.adminToken)
        var router = MethodRouter(contract: contract, authorize: authorizer.authorize, metrics: metrics)
        admin.register(into: &router)
        ModelStatsHandlers(performance: performance, instanceID: admin.instanceID).register(into: &router)
        let failOpen = self.failOpen
        let limitPolicy = LiveSetting(config.rateLimits)
        let limiter = RateLimiter(livePolicy: limitPolicy, store: limitStore) { failOpen.record($0) }
        LimitService(limiter: limiter, metrics: metrics?.limitHandles()).register(into: &router)
        let prices = PriceBook(config.prices)
        self.prices = prices
        let usageStore: any UsageStore
        let budgetStore: any BudgetStore
        if let redis, let usageBuffer {
            usageStore = usageBuffer
            budgetStore = RedisBudgetStore(client: redis, clock: clock)
        } else {
            let memory = MemoryUsageStore(clock: clock)
            usageStore = memory
            budgetStore = MemoryBudgetStore(usage: memory, clock: clock)
        }
        http = try CurlHTTPClient()
        let alerts = Self.alertCenter(config, redis: redis, http: http, clock: clock, logger: logger, metrics: metrics)
        let budgetSettings = BudgetService.Settings(config.budgets)
        let budgets = BudgetService(
            store: budgetStore, prices: prices, routing: routing, alerts: alerts, clock: clock, settings: budgetSettings
        ) { [logger] message, error in
            logger.warning("\(message)", metadata: ["error": "\(error)"])
        }
        let activity = LiveActivity(clock: clock)
        let tracker = UsageTracker(
            store: usageStore, prices: prices, clock: clock,
            onUnpriced: { [logger, unpriced] model in
                if unpriced.record(model) {
                    logger.warning("model has no price: its usage is recorded at zero cost until one is set",
                                   metadata: ["model": "\(model)"])
                }
            },
            onRecorded: { record in
                metrics?.usage(record)
                activity.record(record)
                await budgets.observe(record)
            })
        UsageHandlers(tracker: tracker, reporter: UsageReporter(store: usageStore, clock: clock))
            .register(into: &router)
        BudgetHandlers(budgets: budgets, alerts: alerts, clock: clock).register(into: &router)
        let completions = CompletionService(
            providers: UpstreamProviders.make(config, client: http), routing: routing, limiter: limiter, clock: clock)
        let outcomes = CompletionOutcomeCounter()
        let lookups = CacheLookupCounter()
        let cache = try Self.responseCache(config, clock: clock, group: group, logger: logger)
        cacheRedis = cache?.redis
        let completionHandlers = CompletionHandlers(
            service: completions, tracker: tracker, budgets: budgets, cache: cache?.cache, outcomes: outcomes,
            lookups: lookups, metrics: metrics, performance: performance)
        completionHandlers.register(into: &router)
        CacheHandlers(cache: cache?.cache).register(into: &router)
        let queueStore: any QueueStore = redis.map {
            RedisQueueStore(client: $0, settings: RedisQueueStore.Settings(
                agingStepMillis: Int64(config.queue.agingStepMillis), maxJobs: config.queue.maxJobs))
        } ?? MemoryQueueStore(clock: clock, settings: MemoryQueueStore.Settings(
            agingStepMillis: Int64(config.queue.agingStepMillis), maxJobs: config.queue.maxJobs))
        queueWorker = config.queue.workers == 0 ? nil : Self.queueWorker(
            config, store: queueStore, runner: QueueJobRunner(completions: completionHandlers, logger: logger),
            clock: clock, logger: logger)
        QueueHandlers(store: queueStore, settings: config.queue, clock: clock, worker: queueWorker, metrics: metrics)
            .register(into: &router)
        /// The queue's length now, for the monitor and `aigwctl top`; nil when the store cannot say.
        let queueLength: @Sendable () async -> UInt64? = {
            (try? await queueStore.stats()).map { UInt64(max(0, $0.total.queued)) }
        }
        let cacheOn = cache != nil
        let cacheTotals: (@Sendable () -> (hits: UInt64, misses: UInt64))?
        if cacheOn { cacheTotals = { lookups.totals } } else { cacheTotals = nil }
        let admin = self.admin
        LiveStatsHandlers(
            stats: stats, outcomes: outcomes, activity: activity, instanceID: admin.instanceID,
            uptimeMillis: { admin.uptimeMillis }, queueDepth: queueLength, cacheTotals: cacheTotals
        ).register(into: &router)
        let monitorThresholds = LiveSetting(config.monitor.thresholds)
        monitor = AlertMonitor(
            alerts: alerts, thresholds: monitorThresholds, clock: clock, instanceID: admin.instanceID
        ) {
            let (calls, errors) = outcomes.totals
            let (hits, misses) = lookups.totals
            return MonitorSample(
                calls: calls, errors: errors, cacheHits: cacheOn ? hits : nil, cacheMisses: cacheOn ? misses : nil,
                queueLength: await queueLength())
        }
        // Each part that can change at run time takes the new effective configuration when a change applies.
        let runtime = RuntimeConfig(
            base: config, store: redis.map { RedisConfigStore(client: $0) } ?? MemoryConfigStore(), clock: clock,
            logger: logger,
            observers: [
                { prices.replace(with: $0.prices) },
                { limitPolicy.replace(with: $0.rateLimits) },
                { routing.replace(with: $0.routing) },
                { budgets.liveSettings.replace(with: BudgetService.Settings($0.budgets)) },
                { monitorThresholds.replace(with: $0.monitor.thresholds) },
                { config in cache?.cache.liveSettings.replace(with: config.cache.settings) },
            ])
        self.runtime = runtime
        ConfigHandlers(runtime: runtime).register(into: &router)
        if config.debugMethods { DebugService.register(into: &router) }
        self.router = router
        if let metrics {
            Self.registerGauges(metrics, stats: stats, redis: redis)
            metrics.registerQueue { try? await queueStore.stats() }
            // On Redis the cache's size takes a SCAN of its keys: too much for every scrape (`aigwctl cache stats`).
            if let responseCache = cache?.cache, cache?.redis == nil {
                metrics.registerCache { try? await responseCache.statistics() }
            }
        }
    }

    /// Gauges read at scrape time from what the server already keeps.
    private static func registerGauges(_ metrics: GatewayMetrics, stats: ServerStats, redis: RedisClient?) {
        metrics.registerGauge(name: MetricName.connectionsOpen, help: "Client connections open") {
            [([], Double(stats.openConnections))]
        }
        metrics.registerGauge(name: MetricName.rpcInFlight, help: "Calls whose handler is still running") {
            [([], Double(stats.inFlightCalls))]
        }
        if let redis {
            metrics.registerGauge(name: MetricName.redisUp, help: "1 when the last Redis reply or connect worked") {
                [([], redis.isHealthy ? 1 : 0)]
            }
        }
    }

    /// The metrics endpoint's bound "host:port"; nil before `run` binds it, or when it is disabled or failed to bind.
    public var metricsAddress: String? { metricsBound.withLock { $0 } }

    public func run() async throws {
        var channels: [(BoundListener, any Channel)] = []
        do {
            if !config.server.socketPath.isEmpty {
                channels.append(try await bindUnix(config.server.socketPath))
            }
            if !config.server.tcp.isEmpty {
                channels.append(try await bindTCP(config.server.tcp))
            }
        } catch {
            for (_, channel) in channels { try? await channel.close() }
            throw error
        }
        guard !channels.isEmpty else {
            throw GatewayError(.failedPrecondition, "no listener configured: set server.socket or server.tcp")
        }
        await cacheRedis?.warmUp()
        if let redis {
            await redis.warmUp()
            if !redis.isHealthy {
                logger.warning("Redis is not reachable yet; limits follow their failure policy until it is",
                               metadata: ["redis": "\(redis.configuration.address)"])
            }
        }
        // Run-time configuration changes made before this instance started, then every change made elsewhere.
        var configPoller: Task<Void, Never>?
        if redis != nil {
            let runtime = self.runtime
            let logger = self.logger
            do {
                try await runtime.refresh()
            } catch {
                logger.warning("run-time configuration not loaded yet", metadata: ["error": "\(error)"])
            }
            configPoller = Task {
                var failing = false
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    do {
                        try await runtime.refresh()
                        failing = false
                    } catch {
                        if !failing { logger.warning("run-time configuration not refreshed", metadata: ["error": "\(error)"]) }
                        failing = true
                    }
                }
            }
        }
        let metricsChannel = await bindMetrics()
        let bound = channels.map(\.0)
        admin.setListeners(bound)
        logger.info("aigw listening", metadata: [
            "listeners": "\(bound.map(\.description).joined(separator: " "))",
            "version": "\(AigwVersion.current)",
            "store": "\(redis == nil ? "memory" : "redis")",
        ])
        onListening(bound)
        let flusher = usageFlusher.map { flusher in Task { await flusher.run() } }
        let monitor = self.monitor
        let interval = Int64(config.monitor.intervalMillis)
        let monitoring = Task {
            await monitor.run(intervalMillis: interval) { try await Task.sleep(for: .milliseconds($0)) }
        }
        let workers = queueWorker.map { worker in Task { await worker.run() } }

        // Serve until the service group asks us to stop (or the task is cancelled).
        try? await gracefulShutdown()

        logger.info("draining", metadata: ["connections": "\(registry.count)",
                                           "grace_seconds": "\(config.server.drainGraceSeconds)"])
        stats.startDraining()
        // Stop claiming jobs; running ones finish within the drain grace or go back to the queue.
        queueWorker?.stop()
        for (_, channel) in channels { try? await channel.close() }
        try? await metricsChannel?.close()
        if !config.server.socketPath.isEmpty { UnixSocketFile.remove(config.server.socketPath) }
        await registry.drain(grace: .milliseconds(Int64(config.server.drainGraceSeconds * 1000)))
        await workers?.value
        configPoller?.cancel()
        monitoring.cancel()
        // After the drain, so records buffered by the last calls get their final flush attempt too.
        flusher?.cancel()
        await flusher?.value
        redis?.close()
        cacheRedis?.close()
        http.shutdown()
        logger.info("stopped")
    }

    /// Binds the Prometheus endpoint. A port that cannot be bound is logged, not fatal: the gateway keeps serving
    /// its callers without metrics rather than refusing to start (several instances on one host, a port in use).
    private func bindMetrics() async -> (any Channel)? {
        guard let metrics, !config.metrics.listen.isEmpty else { return nil }
        do {
            let (host, port) = try Self.splitHostPort(config.metrics.listen)
            let (channel, address) = try await MetricsHTTPServer(metrics: metrics, group: group)
                .bind(host: host, port: port)
            metricsBound.withLock { $0 = address }
            return channel
        } catch {
            logger.error("metrics endpoint not served: cannot bind it", metadata: [
                "metrics.listen": "\(config.metrics.listen)", "error": "\(error)",
            ])
            return nil
        }
    }

    private func bindUnix(_ path: String) async throws -> (BoundListener, any Channel) {
        try UnixSocketFile.prepare(path)
        let channel = try await bootstrap(.unix).bind(unixDomainSocketPath: path).get()
        try UnixSocketFile.restrictMode(path)
        return (BoundListener(transport: .unix, address: path), channel)
    }

    private func bindTCP(_ hostPort: String) async throws -> (BoundListener, any Channel) {
        let (host, port) = try Self.splitHostPort(hostPort)
        let channel = try await bootstrap(.tcp)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port).get()
        let actualPort = channel.localAddress?.port ?? port
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return (BoundListener(transport: .tcp, address: "\(shownHost):\(actualPort)"), channel)
    }

    private func bootstrap(_ transport: Transport) -> ServerBootstrap {
        let settings = ConnectionHandler.Settings(
            transport: transport,
            maxConcurrentCalls: config.server.maxConcurrentCalls,
            maxFrameBytes: config.server.maxFrameBytes,
            serverVersion: AigwVersion.current)
        let router = self.router
        let stats = self.stats
        let registry = self.registry
        var logger = self.logger
        logger[metadataKey: "transport"] = "\(transport.rawValue)"
        let connectionLogger = logger
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    registry.add(channel)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: settings.maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(router: router, settings: settings, stats: stats, logger: connectionLogger))
                }
            }
        if transport == .tcp {
            bootstrap = bootstrap.childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
        }
        return bootstrap
    }

    private static func queueWorker(
        _ config: ServerConfig, store: any QueueStore, runner: QueueJobRunner, clock: any GatewayClock, logger: Logger
    ) -> QueueWorker {
        var settings = QueueWorker.Settings()
        settings.concurrency = config.queue.workers
        settings.batchSize = config.queue.batchSize
        settings.pollIntervalMillis = Int64(config.queue.pollIntervalMillis)
        settings.visibilityTimeoutMillis = Int64(config.queue.visibilityTimeoutMillis)
        settings.resultTTLMillis = Int64(config.queue.resultTTLMillis)
        settings.drainGraceMillis = Int64(config.server.drainGraceSeconds * 1000)
        settings.retry = JobStateMachine(
            baseDelayMillis: Int64(config.queue.retryBaseDelayMillis),
            maxDelayMillis: Int64(config.queue.retryMaxDelayMillis))
        return QueueWorker(store: store, settings: settings, clock: clock, log: { message, metadata in
            logger.info("\(message)", metadata: metadata.mapValues { .string($0) })
        }, runner: runner.run)
    }

    /// The response cache over its store: Redis (`cache.redis_url`, else `redis.*`, on connections of its own with
    /// the cache's short command timeout) or memory; nil when disabled.
    private static func responseCache(
        _ config: ServerConfig, clock: any GatewayClock, group: any EventLoopGroup, logger: Logger
    ) throws -> (cache: ResponseCache, redis: RedisClient?)? {
        let settings = config.cache.settings
        guard settings.enabled else { return nil }
        var redisConfiguration: RedisConfiguration?
        if config.cache.store != "memory" {
            if let url = config.cache.redisURL {
                redisConfiguration = try RedisConfiguration(url: url.value)
                redisConfiguration?.poolSize = config.redis.poolSize
            } else {
                redisConfiguration = try config.redis.connectionConfiguration()
            }
            if config.cache.store == "redis" && redisConfiguration == nil {
                throw GatewayError(.failedPrecondition, "cache.store is redis but neither cache.redis_url nor redis.* is set")
            }
        }
        // Every failure is counted (GetCacheStats `errors`); the log gets a warning at most every 10 s, so an outage
        // does not flood it, and the rest at debug level.
        let lastWarning = Mutex<UInt64?>(nil)
        let onStoreError: @Sendable (String, any Error) -> Void = { operation, error in
            let now = clock.monotonicNanos()
            let warn = lastWarning.withLock { last in
                guard last.map({ now &- $0 >= 10_000_000_000 }) ?? true else { return false }
                last = now
                return true
            }
            let metadata: Logger.Metadata = ["error": "\(error)", "cache.operation": "\(operation)"]
            if warn {
                logger.warning("response cache unavailable: lookups are misses and answers are not stored",
                               metadata: metadata)
            } else {
                logger.debug("cache \(operation) failed; served as a miss", metadata: metadata)
            }
        }
        guard var redisConfiguration else {
            let store = MemoryResponseCacheStore(maxBytes: config.cache.maxBytes, clock: clock)
            return (ResponseCache(store: store, settings: settings, clock: clock, onStoreError: onStoreError), nil)
        }
        redisConfiguration.commandTimeout = .milliseconds(Int64(config.cache.timeoutMillis))
        // Connects too: a cache Redis that stops answering must not hold a call for longer than a command would.
        redisConfiguration.connectTimeout = .milliseconds(Int64(config.cache.timeoutMillis))
        let client = RedisClient(configuration: redisConfiguration, group: group)
        let store = RedisResponseCacheStore(client: client)
        return (ResponseCache(store: store, settings: settings, clock: clock, onStoreError: onStoreError), client)
    }

    /// Alerts are kept where Admin reads them (Redis when configured, so every instance lists every alert), logged,
    /// and POSTed to the webhook when one is configured.
    private static func alertCenter(
        _ config: ServerConfig, redis: RedisClient?, http: CurlHTTPClient, clock: any GatewayClock, logger: Logger,
        metrics: GatewayMetrics?
    ) -> AlertCenter {
        var notifiers: [any AlertNotifier] = []
        if let url = config.alerts.webhookURL {
            var settings = WebhookNotifier.Settings(url: url.value)
            settings.maxAttempts = config.alerts.webhookMaxAttempts
            settings.timeout = .milliseconds(config.alerts.webhookTimeoutMillis)
            notifiers.append(WebhookNotifier(client: http, settings: settings) { alert, result in
                switch result {
                case .delivered(let attempts):
                    logger.debug("alert delivered to the webhook",
                                 metadata: ["alert.id": "\(alert.id)", "attempts": "\(attempts)"])
                case .failed(let attempts, let lastError):
                    logger.error("alert not delivered to the webhook", metadata: [
                        "alert.id": "\(alert.id)", "attempts": "\(attempts)", "error": "\(lastError)",
                    ])
                }
            })
        }
        let store: any AlertStore = redis.map { RedisAlertStore(client: $0) } ?? MemoryAlertStore()
        return AlertCenter(
            store: store, notifiers: notifiers, clock: clock,
            onRaised: { alert in
                metrics?.alertRaised(kind: alert.kind)
                logger.warning("alert: \(alert.message)", metadata: [
                    "alert.kind": "\(alert.kind)", "alert.severity": "\(alert.severity.rawValue)",
                    "alert.subject": "\(alert.subject)", "alert.id": "\(alert.id)",
                ])
            },
            onStoreError: { alert, error in
                logger.error("alert not stored", metadata: ["alert.id": "\(alert.id)", "error": "\(error)"])
            })
    }

    /// Splits "host:port" or "[v6]:port".
    static func splitHostPort(_ s: String) throws -> (String, Int) {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]),
              (0...65535).contains(port)
        else {
            throw GatewayError(.invalidArgument, "'\(s)' is not host:port", reason: "invalid_address")
        }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw GatewayError(.invalidArgument, "'\(s)' has no host", reason: "invalid_address")
        }
        return (host, port)
    }
}

extension BudgetService.Settings {
    init(_ config: ServerConfig.Budgets) {
        self.init()
        outputEstimateTokens = UInt64(config.outputEstimateTokens)
        reservationLeaseMillis = Int64(config.reservationLeaseMillis)
    }
}
