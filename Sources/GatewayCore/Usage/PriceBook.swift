import Synchronization

/// The price table in force, replaceable at run time (an admin config update) without a restart.
public final class PriceBook: Sendable {
    private let table: Mutex<PriceTable>

    public init(_ table: PriceTable = .productDefaults) {
        self.table = Mutex(table)
    }

    public var current: PriceTable { table.withLock { $0 } }

    public func replace(with new: PriceTable) {
        table.withLock { $0 = new }
    }
}
