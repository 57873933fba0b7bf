import GatewayCore
import GatewayWire
import Logging

/// TrackUsage on the Gateway service, GetUsage and GetCosts on Admin, over Core's `UsageTracker` and
/// `UsageReporter`.
struct UsageHandlers: Sendable {
    let tracker: UsageTracker
    let reporter: UsageReporter

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Gateway.trackUsage) { request, _ in try await track(request) }
        router.unary(Aigw_V1_Admin.getUsage) { request, _ in try await usage(request) }
        router.unary(Aigw_V1_Admin.getCosts) { request, _ in try await costs(request) }
    }

    func track(_ request: Aigw_V1_TrackUsageRequest) async throws -> Aigw_V1_TrackUsageResponse {
        guard let caller = request.caller, !caller.userId.isEmpty || !caller.orgId.isEmpty else {
            throw GatewayError(.invalidArgument, "caller with a user id or an org id is required", reason: "missing_caller")
        }
        let usage = request.usage ?? Aigw_V1_Usage()
        let entry = UsageTracker.Entry(
            requestID: request.requestId, userID: caller.userId, orgID: caller.orgId,
            endpoint: try WireMapping.requiredEndpoint(caller.endpoint), provider: try WireMapping.provider(request.provider),
            model: request.model,
            usage: TokenUsage(
                input: usage.inputTokens, cachedInput: usage.cachedInputTokens, cacheWrite: usage.cacheWriteTokens,
                output: usage.outputTokens),
            cacheHit: request.cacheHit,
            occurredAtMillis: request.occurredAtUnixMs == 0 ? nil : request.occurredAtUnixMs)
        let (record, duplicate) = try await tracker.track(entry)
        var response = Aigw_V1_TrackUsageResponse()
        response.costNanoUsd = record.costNanos
        response.duplicate = duplicate
        response.unpriced = record.unpriced
        return response
    }

    func usage(_ request: Aigw_V1_GetUsageRequest) async throws -> Aigw_V1_GetUsageResponse {
        let period = try WireMapping.period(request.period) ?? .daily
        let report = try await reporter.usage(
            period, containing: try Self.date(request.date, field: "date"),
            scope: UsageScope(userID: request.userId, orgID: request.orgId))
        var response = Aigw_V1_GetUsageResponse()
        response.periodStart = report.periodStart.description
        response.periodEnd = report.periodEnd.description
        response.totals = WireMapping.usageTotals(report.breakdown.totals, key: "total")
        response.averageCostPerRequestNanoUsd = report.breakdown.totals.averageCostNanos
        response.byModel = report.breakdown.byModel.sorted { $0.value.costNanos > $1.value.costNanos || ($0.value.costNanos == $1.value.costNanos && $0.key < $1.key) }
            .map { WireMapping.usageTotals($0.value, key: $0.key) }
        response.byEndpoint = report.breakdown.byEndpoint.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { WireMapping.usageTotals($0.value, key: $0.key.rawValue) }
        return response
    }

    func costs(_ request: Aigw_V1_GetCostsRequest) async throws -> Aigw_V1_GetCostsResponse {
        let end = try Self.date(request.endDate, field: "end_date") ?? reporter.today
        let start = try Self.date(request.startDate, field: "start_date") ?? end.adding(days: -29)
        let top = request.topN == 0 ? 10 : Int(min(request.topN, 1_000))
        let report = try await reporter.costs(
            from: start, to: end, scope: UsageScope(userID: request.userId, orgID: request.orgId), top: top)
        var response = Aigw_V1_GetCostsResponse()
        response.daily = report.daily.map { WireMapping.usageTotals($0.totals, key: $0.date.description) }
        response.totals = WireMapping.usageTotals(report.totals, key: "total")
        response.topUsers = report.topUsers.map { WireMapping.usageTotals($0.totals, key: $0.id) }
        response.topOrgs = report.topOrgs.map { WireMapping.usageTotals($0.totals, key: $0.id) }
        var forecast = Aigw_V1_CostForecast()
        forecast.method = report.forecast.method
        forecast.month = report.forecast.month
        forecast.monthToDateNanoUsd = report.forecast.monthToDateNanos
        forecast.projectedNanoUsd = report.forecast.projectedNanos
        response.forecast = forecast
        return response
    }

    private static func date(_ text: String, field: String) throws -> UTCDate? {
        if text.isEmpty { return nil }
        guard let date = UTCDate(text) else {
            throw GatewayError(.invalidArgument, "\(field) must be YYYY-MM-DD, got '\(text)'", reason: "invalid_date")
        }
        return date
    }
}
