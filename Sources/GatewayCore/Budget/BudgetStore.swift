/// Where budgets, their reservations and their fired thresholds live: in memory for the embedded default, in Redis
/// when instances share one, so every instance enforces one budget and each threshold fires once.
///
/// Spending is not stored twice: it is read from the usage store's daily aggregates for the subject, so a budget
/// created mid-period counts what was already spent, and TrackUsage reports count like calls made through aigw.
public protocol BudgetStore: Sendable {
    func budgets() async throws -> [Budget]

    /// Stores `budget` under its id. With `.create` it fails (false) when the id exists; with `.replace` when it does
    /// not.
    func save(_ budget: Budget, _ mode: BudgetSaveMode) async throws -> Bool

    /// Deletes the budget with its reservations; false when there was none.
    func delete(id: String) async throws -> Bool

    /// What the budget's subject spent in `window` and what is reserved against the budget now.
    func spending(of budget: Budget, in window: PeriodWindow) async throws -> BudgetSpending

    /// Atomically: when spent + reserved + the reservation's amount stays within `budget.limitNanos`, holds the
    /// amount until `release` or the lease ends, and answers allowed. Either way it answers the spending it saw.
    func reserve(_ reservation: BudgetReservation, against budget: Budget) async throws
        -> (allowed: Bool, spending: BudgetSpending)

    /// Gives a reservation back; a reservation already released or expired is ignored.
    func release(_ reservation: BudgetReservation) async throws

    /// True for exactly one caller per budget, window and threshold, across every instance sharing the store.
    func claimThreshold(budgetID: String, window: PeriodWindow, percent: UInt32) async throws -> Bool
}

public enum BudgetSaveMode: Sendable {
    case create
    case replace
}

/// A budget's subject's spending in one window.
public struct BudgetSpending: Sendable, Hashable {
    /// Recorded usage, nano-dollars.
    public var spentNanos: Int64
    /// Held by calls in flight, nano-dollars.
    public var reservedNanos: Int64

    public init(spentNanos: Int64, reservedNanos: Int64) {
        self.spentNanos = spentNanos
        self.reservedNanos = reservedNanos
    }
}

/// An estimate of one call's cost, held against an enforced budget while the call runs so that concurrent calls
/// cannot all pass a check the budget can only afford once.
public struct BudgetReservation: Sendable, Hashable {
    /// Unique per call and budget.
    public var id: String
    public var budgetID: String
    public var window: PeriodWindow
    /// Nano-dollars, at least 1 so a spent-out budget never admits a call it cannot price.
    public var amountNanos: Int64
    /// A reservation whose call died with its process frees itself after this long.
    public var leaseMillis: Int64

    public init(id: String, budgetID: String, window: PeriodWindow, amountNanos: Int64, leaseMillis: Int64) {
        self.id = id
        self.budgetID = budgetID
        self.window = window
        self.amountNanos = max(amountNanos, 1)
        self.leaseMillis = leaseMillis
    }
}
