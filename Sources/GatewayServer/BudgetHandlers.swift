import GatewayCore
import GatewayWire

/// Admin's budget methods (create, list, update, delete) and ListAlerts, over Core's `BudgetService` and
/// `AlertCenter`.
struct BudgetHandlers: Sendable {
    let budgets: BudgetService
    let alerts: AlertCenter
    let clock: any GatewayClock

    func register(into router: inout MethodRouter) {
        router.unary(Aigw_V1_Admin.createBudgetAlert) { request, _ in
            try await wire(budgets.create(try Self.budget(request.alert, requireID: false)))
        }
        router.unary(Aigw_V1_Admin.updateBudgetAlert) { request, _ in
            try await wire(budgets.update(try Self.budget(request.alert, requireID: true)))
        }
        router.unary(Aigw_V1_Admin.deleteBudgetAlert) { request, _ in
            guard !request.id.isEmpty else {
                throw GatewayError(.invalidArgument, "id is required", reason: "missing_budget_id")
            }
            var response = Aigw_V1_DeleteBudgetAlertResponse()
            response.deleted = try await budgets.delete(id: request.id)
            return response
        }
        router.unary(Aigw_V1_Admin.listBudgetAlerts) { request, _ in
            var response = Aigw_V1_ListBudgetAlertsResponse()
            response.alerts = try await budgets.list(userID: request.userId, orgID: request.orgId).map {
                Self.wire($0.budget, $0.spending, window: $0.budget.period.window(containing: today))
            }
            return response
        }
        router.unary(Aigw_V1_Admin.listAlerts) { request, _ in
            let limit = request.limit == 0 ? 100 : Int(min(request.limit, 1_000))
            var response = Aigw_V1_ListAlertsResponse()
            response.alerts = try await alerts.recent(limit: limit, sinceMillis: request.sinceUnixMs).map(Self.wire)
            response.active = try await alerts.active().map(Self.wire)
            return response
        }
    }

    private var today: UTCDate { UTCDate(unixMillis: clock.unixMillis()) }

    /// A just-written budget with its current spending.
    private func wire(_ budget: Budget) async throws -> Aigw_V1_BudgetAlert {
        Self.wire(budget, try await budgets.spending(of: budget), window: budget.period.window(containing: today))
    }

    static func budget(_ alert: Aigw_V1_BudgetAlert?, requireID: Bool) throws -> Budget {
        guard let alert else {
            throw GatewayError(.invalidArgument, "alert is required", reason: "missing_budget")
        }
        if requireID && alert.id.isEmpty {
            throw GatewayError(.invalidArgument, "alert.id is required", reason: "missing_budget_id")
        }
        let subject: BudgetSubject
        switch (alert.userId.isEmpty, alert.orgId.isEmpty) {
        case (false, true): subject = .user(alert.userId)
        case (true, false): subject = .org(alert.orgId)
        default:
            throw GatewayError(.invalidArgument, "a budget needs exactly one of user_id and org_id",
                               reason: "invalid_budget")
        }
        guard let period = try WireMapping.period(alert.period) else {
            throw GatewayError(.invalidArgument, "period is required: daily, weekly or monthly", reason: "invalid_budget")
        }
        return Budget(
            id: alert.id, name: alert.name, subject: subject, limitNanos: alert.limitNanoUsd, period: period,
            thresholds: alert.notifyAtPercent, enabled: alert.enabled, enforce: alert.hardLimit)
    }

    static func wire(_ budget: Budget, _ spending: BudgetSpending, window: PeriodWindow) -> Aigw_V1_BudgetAlert {
        var out = Aigw_V1_BudgetAlert()
        out.id = budget.id
        out.name = budget.name
        switch budget.subject {
        case .user(let id): out.userId = id
        case .org(let id): out.orgId = id
        }
        out.limitNanoUsd = budget.limitNanos
        out.period = WireMapping.period(budget.period)
        out.notifyAtPercent = budget.thresholds
        out.enabled = budget.enabled
        out.hardLimit = budget.enforce
        out.spentNanoUsd = spending.spentNanos
        out.reservedNanoUsd = spending.reservedNanos
        out.periodStart = window.start.description
        out.periodEnd = window.end.description
        return out
    }

    static func wire(_ alert: Alert) -> Aigw_V1_Alert {
        var out = Aigw_V1_Alert()
        out.id = alert.id
        out.kind = alert.kind
        out.severity = switch alert.severity {
        case .info: .info
        case .warning: .warning
        case .critical: .critical
        }
        out.message = alert.message
        out.subject = alert.subject
        out.raisedAtUnixMs = alert.raisedAtMillis
        out.details = alert.details.sorted { $0.key < $1.key }.map { key, value in
            var detail = Aigw_V1_AlertDetail()
            detail.key = key
            detail.value = value
            return detail
        }
        return out
    }
}
