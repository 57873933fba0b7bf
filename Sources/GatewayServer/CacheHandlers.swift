import GatewayCore
import GatewayWire

/// Admin's GetCacheStats and FlushCache over the response cache. With the cache disabled, stats answer backend
/// "disabled" with zero counters and a flush removes nothing, so dashboards and scripts need no special case.
struct CacheHandlers: Sendable {
    let cache: ResponseCache?

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Admin.getCacheStats) { _, _ in try await stats() }
        router.unary(Aigw_V1_Admin.flushCache) { request, _ in try await flush(request) }
    }

    func stats() async throws -> Aigw_V1_GetCacheStatsResponse {
        var response = Aigw_V1_GetCacheStatsResponse()
        response.backend = cache?.store.backend ?? "disabled"
        let stats = try await cache?.statistics() ?? [:]
        response.operations = Endpoint.allCases.map { endpoint in
            let s = stats[endpoint] ?? .zero
            var out = Aigw_V1_CacheOperationStats()
            out.endpoint = WireMapping.endpoint(endpoint)
            out.hits = s.hits
            out.misses = s.misses
            out.stores = s.stores
            out.evictions = s.evictions
            out.errors = s.errors
            out.bytes = s.bytes
            out.entries = s.entries
            out.hitRate = s.hitRate
            return out
        }
        return response
    }

    func flush(_ request: Aigw_V1_FlushCacheRequest) async throws -> Aigw_V1_FlushCacheResponse {
        let endpoint: Endpoint?
        switch request.endpoint {
        case .unspecified: endpoint = nil
        default: endpoint = try WireMapping.requiredEndpoint(request.endpoint)
        }
        var response = Aigw_V1_FlushCacheResponse()
        response.removed = try await cache?.flush(endpoint: endpoint, orgID: request.orgId.isEmpty ? nil : request.orgId) ?? 0
        return response
    }
}
