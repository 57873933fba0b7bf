/// The reservations one call holds against enforced budgets; released once its usage has been recorded.
public struct BudgetHold: Sendable, Hashable {
    public var reservations: [BudgetReservation]

    public init(reservations: [BudgetReservation] = []) {
        self.reservations = reservations
    }

    public static let none = BudgetHold()
}
