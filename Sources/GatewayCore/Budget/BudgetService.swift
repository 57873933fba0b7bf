import Synchronization

/// Budgets end to end: Admin's create, list, update and delete; hard enforcement for Complete and Stream; and
/// threshold alerts after every recorded usage.
///
/// **Enforcement.** Before an upstream call, the call reserves an estimate of its cost against every enabled,
/// enforced budget of its user and org. A reservation succeeds only while spent + reserved + estimate stays within
/// the limit, atomically in the store (across instances on Redis). After the call its usage is recorded first and
/// the reservation released second, so a concurrent check never misses a settled call. The estimate prices the
/// prompt's UTF-8 bytes as input tokens (a token is at least one byte) and `max_tokens` (or
/// `outputEstimateTokens`) as output, at the priciest model the call may fall back to. When every call's actual cost
/// is within its estimate, spending never passes the limit; otherwise the overshoot is at most the amount by which
/// the calls in flight exceeded their reservations.
///
/// **Thresholds.** After a usage record, each enabled budget of its user or org compares the period's spending with
/// its notify-at percentages; the store lets exactly one instance claim each (budget, period, threshold), and that
/// one raises the alert.
///
/// **Failure policy.** When the store is unreachable, calls are admitted (fail open, like limits by default) and
/// the error is reported through `onStoreError`; alerts are evaluated again with the next record.
///
/// Budget definitions are cached for `refreshMillis`, so a change made on another instance applies within that.
public final class BudgetService: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Output tokens assumed for a call without `max_tokens`.
        public var outputEstimateTokens: UInt64 = 4_096
        /// How long a reservation outlives a call whose process died.
        public var reservationLeaseMillis: Int64 = 15 * 60_000
        public var refreshMillis: Int64 = 1_000

        public init() {}
    }

    public static let maxBudgets = 10_000

    private let store: any BudgetStore
    private let prices: PriceBook
    /// The catalog whose fallback chains the estimate prices; shared with Complete so a run-time change to the
    /// chains changes both.
    private let routing: LiveSetting<CompletionRouting>
    private let alerts: AlertCenter
    private let clock: any GatewayClock
    /// Replaceable at run time (Admin.UpdateConfig `budgets.*`).
    public let liveSettings: LiveSetting<Settings>
    private var settings: Settings { liveSettings.current }
    private let onStoreError: @Sendable (String, any Error) -> Void
    private let cache = Mutex<(budgets: [Budget], loadedAtNanos: UInt64?)>(([], nil))

    public init(
        store: any BudgetStore, prices: PriceBook, catalog: ModelCatalog = .productDefaults,
        routing: LiveSetting<CompletionRouting>? = nil, alerts: AlertCenter,
        clock: any GatewayClock, settings: Settings = Settings(),
        onStoreError: @escaping @Sendable (String, any Error) -> Void = { _, _ in }
    ) {
        self.store = store
        self.prices = prices
        self.routing = routing ?? LiveSetting(CompletionRouting(catalog: catalog))
        self.alerts = alerts
        self.clock = clock
        liveSettings = LiveSetting(settings)
        self.onStoreError = onStoreError
    }

    // MARK: Admin

    /// Stores a new budget; an empty id gets a generated one.
    public func create(_ budget: Budget) async throws -> Budget {
        var budget = try budget.validated()
        if budget.id.isEmpty { budget.id = "bud_" + RandomID.hex(bytes: 8) }
        try Self.validateID(budget.id)
        guard try await store.budgets().count < Self.maxBudgets else {
            throw GatewayError(.resourceExhausted, "at most \(Self.maxBudgets) budgets", reason: "too_many_budgets")
        }
        guard try await store.save(budget, .create) else {
            throw GatewayError(.alreadyExists, "budget '\(budget.id)' already exists", reason: "budget_exists")
        }
        invalidate()
        return budget
    }

    public func update(_ budget: Budget) async throws -> Budget {
        try Self.validateID(budget.id)
        let budget = try budget.validated()
        guard try await store.save(budget, .replace) else {
            throw GatewayError(.notFound, "no budget '\(budget.id)'", reason: "budget_not_found")
        }
        invalidate()
        return budget
    }

    public func delete(id: String) async throws -> Bool {
        let deleted = try await store.delete(id: id)
        invalidate()
        return deleted
    }

    /// Budgets (all, or those of a user and/or org) with their spending in the current period, ordered by id.
    public func list(userID: String? = nil, orgID: String? = nil) async throws
        -> [(budget: Budget, spending: BudgetSpending)]
    {
        let all = try await store.budgets().sorted { $0.id < $1.id }
        let wanted = all.filter { budget in
            switch budget.subject {
            case .user(let id): (userID ?? "").isEmpty ? (orgID ?? "").isEmpty : id == userID
            case .org(let id): (orgID ?? "").isEmpty ? (userID ?? "").isEmpty : id == orgID
            }
        }
        var out: [(budget: Budget, spending: BudgetSpending)] = []
        for budget in wanted { out.append((budget, try await spending(of: budget))) }
        return out
    }

    /// What `budget`'s subject spent in its current period, and what calls in flight hold against it.
    public func spending(of budget: Budget) async throws -> BudgetSpending {
        try await store.spending(of: budget, in: budget.period.window(containing: today))
    }

    // MARK: Enforcement

    /// Reserves the request's estimated cost against each enforced budget of its user and org; RESOURCE_EXHAUSTED,
    /// holding nothing, when one cannot afford it.
    public func reserve(for request: CompletionRequest) async throws(GatewayError) -> BudgetHold {
        let enforced = await current().filter {
            $0.enabled && $0.enforce && $0.subject.covers(userID: request.userID, orgID: request.orgID)
        }
        guard !enforced.isEmpty else { return .none }
        let amount = estimateNanos(request)
        let today = self.today
        var hold = BudgetHold()
        for budget in enforced {
            let reservation = BudgetReservation(
                id: "rsv_" + RandomID.hex(bytes: 8), budgetID: budget.id,
                window: budget.period.window(containing: today), amountNanos: amount,
                leaseMillis: settings.reservationLeaseMillis)
            let result: (allowed: Bool, spending: BudgetSpending)
            do {
                result = try await store.reserve(reservation, against: budget)
            } catch {
                onStoreError("budget check failed; the call is admitted", error)
                continue
            }
            if result.allowed {
                hold.reservations.append(reservation)
                continue
            }
            await release(hold)
            let spending = result.spending
            throw GatewayError(
                .resourceExhausted,
                "budget '\(budget.name)' for \(budget.subject) is exhausted for this \(budget.period.noun): "
                    + "spent \(Money.dollars(spending.spentNanos)) of \(Money.dollars(budget.limitNanos))"
                    + (spending.reservedNanos > 0
                        ? " with \(Money.dollars(spending.reservedNanos)) held by calls in flight" : ""),
                reason: "budget_exhausted")
        }
        return hold
    }

    /// Gives back what `reserve` held; call it after the call's usage was recorded.
    public func release(_ hold: BudgetHold) async {
        for reservation in hold.reservations {
            do {
                try await store.release(reservation)
            } catch {
                onStoreError("budget reservation not released; it expires with its lease", error)
            }
        }
    }

    /// The reservation for `request`: its prompt bytes as input tokens and its output allowance, at the priciest
    /// model it may be answered by. Unpriced models count as free, as their usage is recorded.
    public func estimateNanos(_ request: CompletionRequest) -> Int64 {
        let promptBytes = request.messages.reduce(request.systemPrompt?.utf8.count ?? 0) { $0 + $1.content.utf8.count }
        let output = request.maxTokens.map { UInt64(max($0, 0)) } ?? settings.outputEstimateTokens
        let usage = TokenUsage(input: UInt64(promptBytes), output: output)
        let routing = routing.current
        var request = request
        if request.model.isEmpty, let model = routing.defaultModel { request.model = model }
        let models = CompletionPlanner(request: request, catalog: routing.catalog, retryPolicy: RetryPolicy()) { _ in
            true
        }.candidates.map(\.model)
        let table = prices.current
        return models.compactMap { table.cost(model: $0, usage: usage) }.max() ?? 0
    }

    // MARK: Alerts

    /// Raises each threshold `record`'s user's and org's budgets have newly reached in the current period.
    public func observe(_ record: UsageRecord) async {
        let budgets = await current().filter {
            $0.enabled && !$0.thresholds.isEmpty && $0.subject.covers(userID: record.userID, orgID: record.orgID)
        }
        guard !budgets.isEmpty else { return }
        let today = self.today
        for budget in budgets {
            let window = budget.period.window(containing: today)
            do {
                let spending = try await store.spending(of: budget, in: window)
                for percent in budget.thresholdsReached(spentNanos: spending.spentNanos) {
                    guard try await store.claimThreshold(budgetID: budget.id, window: window, percent: percent)
                    else { continue }
                    await raise(budget, window: window, percent: percent, spentNanos: spending.spentNanos)
                }
            } catch {
                onStoreError("budget thresholds not evaluated", error)
            }
        }
    }

    private func raise(_ budget: Budget, window: PeriodWindow, percent: UInt32, spentNanos: Int64) async {
        let severity: Alert.Severity = percent >= 100 ? .critical : percent >= 90 ? .warning : .info
        await alerts.raise(
            kind: "budget_threshold", severity: severity, subject: budget.subject.key,
            message: "budget '\(budget.name)' for \(budget.subject) reached \(percent)% of "
                + "\(Money.dollars(budget.limitNanos)) this \(budget.period.noun) (\(window)): "
                + "spent \(Money.dollars(spentNanos))",
            details: [
                "budget_id": budget.id, "budget_name": budget.name, "threshold_percent": String(percent),
                "spent_nano_usd": String(spentNanos), "limit_nano_usd": String(budget.limitNanos),
                "period": budget.period.rawValue, "period_start": window.start.description,
                "period_end": window.end.description, "enforced": String(budget.enforce),
            ])
    }

    // MARK: Cache

    private var today: UTCDate { UTCDate(unixMillis: clock.unixMillis()) }

    /// The budget definitions, reloaded when older than `refreshMillis`; the last good copy while the store fails.
    private func current() async -> [Budget] {
        let now = clock.monotonicNanos()
        let cached = cache.withLock { $0 }
        if let loaded = cached.loadedAtNanos, now &- loaded < UInt64(settings.refreshMillis) * 1_000_000 {
            return cached.budgets
        }
        do {
            // In id order, so alerts raised by one record come out in a stable order.
            let budgets = try await store.budgets().sorted { $0.id < $1.id }
            cache.withLock { $0 = (budgets, now) }
            return budgets
        } catch {
            onStoreError("budgets not reloaded; using the last copy", error)
            return cached.budgets
        }
    }

    private func invalidate() {
        cache.withLock { $0.loadedAtNanos = nil }
    }

    private static func validateID(_ id: String) throws(GatewayError) {
        guard !id.isEmpty, id.utf8.count <= 64,
            id.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 45 })
        else {
            throw GatewayError(.invalidArgument, "a budget id is 1 to 64 letters, digits, '_' or '-'",
                               reason: "invalid_budget_id")
        }
    }
}

extension UsagePeriod {
    /// "day", "week" or "month", for messages.
    public var noun: String {
        switch self {
        case .daily: "day"
        case .weekly: "week"
        case .monthly: "month"
        }
    }
}
