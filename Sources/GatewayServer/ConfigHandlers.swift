import GatewayCore
import GatewayWire

/// Admin GetConfig and UpdateConfig over `RuntimeConfig`.
struct ConfigHandlers: Sendable {
    let runtime: RuntimeConfig

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Admin.getConfig) { _, _ in
            var response = Aigw_V1_GetConfigResponse()
            (response.yaml, response.revision) = runtime.render()
            return response
        }
        router.unary(Aigw_V1_Admin.updateConfig) { request, _ in
            var response = Aigw_V1_UpdateConfigResponse()
            (response.yaml, response.revision) = try await runtime.update(
                yamlPatch: request.yamlPatch, expectedRevision: request.expectedRevision == 0 ? nil : request.expectedRevision,
                dryRun: request.dryRun)
            return response
        }
    }
}
