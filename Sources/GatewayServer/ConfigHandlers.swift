import GatewayCore
import GatewayWire

/// Admin GetConfig, UpdateConfig, GetConfigHistory and RollbackConfig over `RuntimeConfig`.
struct ConfigHandlers: Sendable {
    let runtime: RuntimeConfig

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Admin.getConfig) { _, _ in
            var response = Aigw_V1_GetConfigResponse()
            (response.yaml, response.revision) = runtime.render()
            return response
        }
        router.unary(Aigw_V1_Admin.updateConfig) { request, context in
            var response = Aigw_V1_UpdateConfigResponse()
            (response.yaml, response.revision) = try await runtime.update(
                yamlPatch: request.yamlPatch,
                expectedRevision: request.expectedRevision == 0 ? nil : request.expectedRevision,
                dryRun: request.dryRun, changedBy: try Self.author(request.changedBy, context))
            return response
        }
        router.unary(Aigw_V1_Admin.getConfigHistory) { request, _ in
            var response = Aigw_V1_GetConfigHistoryResponse()
            response.changes = try await runtime.history(limit: request.limit == 0 ? 20 : Int(request.limit))
                .map(Self.change)
            return response
        }
        router.unary(Aigw_V1_Admin.rollbackConfig) { request, context in
            let (yaml, revision, undone) = try await runtime.rollback(
                expectedRevision: request.expectedRevision == 0 ? nil : request.expectedRevision,
                dryRun: request.dryRun, changedBy: try Self.author(request.changedBy, context))
            var response = Aigw_V1_RollbackConfigResponse()
            response.yaml = yaml
            response.revision = revision
            response.undone = Self.change(undone)
            return response
        }
    }

    /// The name the history keeps: the caller's own, else the transport it came over.
    static func author(_ given: String, _ context: CallContext) throws -> String {
        guard given.utf8.count <= 200 else {
            throw GatewayError(.invalidArgument, "changed_by is longer than 200 bytes", reason: "invalid_config")
        }
        return given.isEmpty ? "\(context.transport.rawValue) caller" : given
    }

    static func change(_ change: ConfigChange) -> Aigw_V1_ConfigChange {
        var out = Aigw_V1_ConfigChange()
        out.revision = change.revision
        out.changedBy = change.changedBy
        out.changedAtUnixMs = change.changedAtMillis
        out.rollbackOf = change.rollbackOf ?? 0
        out.entries = change.entries.map { entry in
            var e = Aigw_V1_ConfigChangeEntry()
            e.key = entry.key
            e.hasOldValue = entry.old != nil
            e.oldValue = entry.old ?? ""
            e.hasNewValue = entry.new != nil
            e.newValue = entry.new ?? ""
            return e
        }
        return out
    }
}
