import Synchronization

/// Budgets, reservations and fired thresholds in this process's memory, for the embedded (no Redis) mode.
///
/// A reservation reads the subject's spending from the `MemoryUsageStore` while holding this store's lock, and a call
/// releases its reservation only after its usage was recorded. So a concurrent check sees every settled call either
/// in the spending or still as a reservation, never in neither: concurrent calls cannot all pass a check the budget
/// can only afford once.
///
/// Memory stays bounded: reservations expire with their lease and fired thresholds are dropped once their period has
/// ended.
public final class MemoryBudgetStore: BudgetStore {
    private struct Held {
        var amountNanos: Int64
        var expiresAtMillis: Int64
    }

    private struct State {
        var budgets: [String: Budget] = [:]
        /// By budget id and window key, then reservation id.
        var reservations: [String: [String: Held]] = [:]
        /// `<budget id> <window key> <percent>` with the end of the window it belongs to.
        var fired: [String: Int64] = [:]
    }

    private let state = Mutex(State())
    private let usage: MemoryUsageStore
    private let clock: any GatewayClock

    public init(usage: MemoryUsageStore, clock: any GatewayClock) {
        self.usage = usage
        self.clock = clock
    }

    public func budgets() async throws -> [Budget] {
        state.withLock { Array($0.budgets.values) }
    }

    public func save(_ budget: Budget, _ mode: BudgetSaveMode) async throws -> Bool {
        state.withLock { state in
            let exists = state.budgets[budget.id] != nil
            guard exists == (mode == .replace) else { return false }
            state.budgets[budget.id] = budget
            return true
        }
    }

    public func delete(id: String) async throws -> Bool {
        state.withLock { state in
            state.reservations = state.reservations.filter { !$0.key.hasPrefix(id + " ") }
            return state.budgets.removeValue(forKey: id) != nil
        }
    }

    public func spending(of budget: Budget, in window: PeriodWindow) async throws -> BudgetSpending {
        let now = clock.unixMillis()
        return state.withLock { state in
            BudgetSpending(spentNanos: spent(budget, window),
                           reservedNanos: reserved(&state, Self.slot(budget.id, window), now: now))
        }
    }

    public func reserve(_ reservation: BudgetReservation, against budget: Budget) async throws
        -> (allowed: Bool, spending: BudgetSpending)
    {
        let now = clock.unixMillis()
        return state.withLock { state in
            let slot = Self.slot(budget.id, reservation.window)
            var spending = BudgetSpending(spentNanos: spent(budget, reservation.window),
                                          reservedNanos: reserved(&state, slot, now: now))
            guard spending.spentNanos + spending.reservedNanos + reservation.amountNanos <= budget.limitNanos else {
                return (false, spending)
            }
            state.reservations[slot, default: [:]][reservation.id] = Held(
                amountNanos: reservation.amountNanos, expiresAtMillis: now + reservation.leaseMillis)
            spending.reservedNanos += reservation.amountNanos
            return (true, spending)
        }
    }

    public func release(_ reservation: BudgetReservation) async throws {
        state.withLock { state in
            let slot = Self.slot(reservation.budgetID, reservation.window)
            state.reservations[slot]?.removeValue(forKey: reservation.id)
            if state.reservations[slot]?.isEmpty == true { state.reservations.removeValue(forKey: slot) }
        }
    }

    public func claimThreshold(budgetID: String, window: PeriodWindow, percent: UInt32) async throws -> Bool {
        let now = clock.unixMillis()
        return state.withLock { state in
            state.fired = state.fired.filter { $0.value > now }
            let key = "\(Self.slot(budgetID, window)) \(percent)"
            guard state.fired[key] == nil else { return false }
            state.fired[key] = window.endUnixMillis
            return true
        }
    }

    private func spent(_ budget: Budget, _ window: PeriodWindow) -> Int64 {
        // Through today, as the Redis store reads it: usage reported for a later day counts on that day.
        usage.costNanos(budget.subject.scope, on: window.days(through: UTCDate(unixMillis: clock.unixMillis())))
    }

    /// The live reservations' sum, dropping expired ones.
    private func reserved(_ state: inout State, _ slot: String, now: Int64) -> Int64 {
        guard var held = state.reservations[slot] else { return 0 }
        held = held.filter { $0.value.expiresAtMillis > now }
        state.reservations[slot] = held.isEmpty ? nil : held
        return held.values.reduce(0) { $0 + $1.amountNanos }
    }

    private static func slot(_ budgetID: String, _ window: PeriodWindow) -> String {
        "\(budgetID) \(window.key)"
    }
}
