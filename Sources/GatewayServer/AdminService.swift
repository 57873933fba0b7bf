import GatewayCore
import GatewayRedis
import GatewayWire
import Synchronization

/// The Admin methods that exist in this release: Health and ServerInfo. The rest of the Admin contract answers
/// UNIMPLEMENTED until its feature lands.
final class AdminService: Sendable {
    private let config: ServerConfig
    private let stats: ServerStats
    private let clock: any GatewayClock
    private let startedAtMillis: Int64
    private let startedMonotonic: UInt64
    /// Names this process in ServerInfo and in the monitoring alerts it raises.
    let instanceID: String
    private let listeners = Mutex<[BoundListener]>([])
    /// Health's per-listener components, built once the listeners are bound: they do not change afterwards.
    private let staticComponents = Mutex<[Aigw_V1_ComponentHealth]>([])

    private let redis: RedisClient?
    private let usageBuffer: BufferedUsageStore?
    private let unpriced: UnpricedModels?
    /// Which providers are switched on now (an admin can change it at run time).
    private let routing: LiveSetting<CompletionRouting>

    init(
        config: ServerConfig, stats: ServerStats, clock: any GatewayClock, redis: RedisClient?,
        usageBuffer: BufferedUsageStore? = nil, unpriced: UnpricedModels? = nil,
        routing: LiveSetting<CompletionRouting>? = nil
    ) {
        self.config = config
        self.routing = routing ?? LiveSetting(config.routing)
        self.unpriced = unpriced
        self.redis = redis
        self.usageBuffer = usageBuffer
        self.stats = stats
        self.clock = clock
        startedAtMillis = clock.unixMillis()
        startedMonotonic = clock.monotonicNanos()
        instanceID = RequestID.random()
    }

    var uptimeMillis: UInt64 { (clock.monotonicNanos() - startedMonotonic) / 1_000_000 }

    func setListeners(_ bound: [BoundListener]) {
        listeners.withLock { $0 = bound }
        var components = bound.map { listener in
            var c = Aigw_V1_ComponentHealth()
            c.name = "listener.\(listener.transport.rawValue)"
            c.healthy = true
            c.detail = listener.address
            return c
        }
        if redis == nil {
            var store = Aigw_V1_ComponentHealth()
            store.name = "store.memory"
            store.healthy = true
            store.detail = "embedded in-memory stores"
            components.append(store)
        }
        staticComponents.withLock { $0 = components }
    }

    func register(into router: inout MethodRouter) {
        router.inlineUnary(Aigw_V1_Admin.health) { [self] _, _ in health() }
        router.inlineUnary(Aigw_V1_Admin.serverInfo) { [self] _, _ in serverInfo() }
    }

    func health() -> Aigw_V1_HealthResponse {
        var response = Aigw_V1_HealthResponse()
        response.status = stats.isDraining ? .draining : .serving
        response.components = staticComponents.withLock { $0 }
        if let redis {
            // The last round trip's outcome: Health stays inline and never waits on Redis.
            var store = Aigw_V1_ComponentHealth()
            store.name = "store.redis"
            store.healthy = redis.isHealthy
            store.detail = "\(redis.configuration.address)/\(redis.configuration.db)"
            response.components.append(store)
            if !store.healthy && response.status == .serving { response.status = .degraded }
        }
        if let usageBuffer {
            // Healthy when nothing waits; records waiting for Redis are not lost yet, but would be at exit.
            let c = usageBuffer.counters
            var buffer = Aigw_V1_ComponentHealth()
            buffer.name = "usage_buffer"
            buffer.healthy = c.pending == 0
            buffer.detail = "pending=\(c.pending) capacity=\(usageBuffer.capacity) buffered=\(c.buffered) "
                + "flushed=\(c.flushed) rejected=\(c.rejected) dropped=\(c.dropped) behind=\(c.behind) "
                + "written_behind=\(c.writtenBehind)"
            response.components.append(buffer)
            if !buffer.healthy && response.status == .serving { response.status = .degraded }
        }
        if let unpriced {
            // Serving is unaffected, so always healthy; the counts say what the price table is missing.
            let (records, models) = unpriced.snapshot
            var pricing = Aigw_V1_ComponentHealth()
            pricing.name = "usage_pricing"
            pricing.healthy = true
            pricing.detail = "unpriced_records=\(records)" + (models.isEmpty ? "" : " models=\(models.joined(separator: ","))")
            response.components.append(pricing)
        }
        return response
    }

    func serverInfo() -> Aigw_V1_ServerInfoResponse {
        var info = Aigw_V1_ServerInfoResponse()
        info.version = AigwVersion.current
        info.protocolVersion = WireProtocol.version
        info.instanceId = instanceID
        info.startedAtUnixMs = startedAtMillis
        info.uptimeMs = uptimeMillis
        info.listeners = listeners.withLock { $0 }.map {
            var l = Aigw_V1_Listener()
            l.transport = $0.transport.rawValue
            l.address = $0.address
            return l
        }
        info.storeBackend = redis == nil ? "memory" : "redis"
        info.providers = [(Aigw_V1_Provider.openai, config.openAI), (.anthropic, config.anthropic)].map { kind, p in
            var provider = Aigw_V1_ProviderInfo()
            provider.provider = kind
            let kind: ProviderKind = kind == .openai ? .openai : .anthropic
            provider.enabled = !(p.apiKey?.isEmpty ?? true) && routing.current.enabledProviders?.contains(kind) != false
            provider.baseUrl = p.baseURL
            return provider
        }
        info.openConnections = UInt64(max(0, stats.openConnections))
        info.inFlightCalls = UInt64(max(0, stats.inFlightCalls))
        info.maxFrameBytes = UInt32(config.server.maxFrameBytes)
        info.maxConcurrentCalls = UInt32(config.server.maxConcurrentCalls)
        return info
    }
}
