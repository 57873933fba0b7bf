import GatewayCore
import GatewayWire

/// GetModelStats on the Admin service: per-model performance over Core's `ModelPerformance` window.
///
/// The statistics are this instance's own; with several instances behind a balancer, ask each (the response names
/// the instance) or read the Prometheus metrics, which aggregate across instances.
struct ModelStatsHandlers: Sendable {
    let performance: ModelPerformance
    let instanceID: String

    func register(into router: inout MethodRouter) {
        router.inlineUnary(Aigw_V1_Admin.getModelStats) { request, _ in stats(request) }
    }

    func stats(_ request: Aigw_V1_GetModelStatsRequest) -> Aigw_V1_GetModelStatsResponse {
        var response = Aigw_V1_GetModelStatsResponse()
        response.windowSeconds = UInt32(clamping: performance.settings.windowMillis / 1000)
        response.instanceId = instanceID
        response.models = performance.snapshot()
            .filter { request.model.isEmpty || $0.model == request.model }
            .map(WireMapping.modelStats)
        return response
    }
}
