import Synchronization

/// Counts usage recorded at zero cost because its model has no price, and remembers which models (up to 100 names),
/// so Health shows operators what to add to the price table. The log warns once per model.
final class UnpricedModels: Sendable {
    private struct State {
        var records = 0
        var models: [String] = []
    }

    private let state = Mutex(State())
    static let maxModels = 100

    /// Counts one record; true the first time `model` is seen (the caller then warns).
    func record(_ model: String) -> Bool {
        state.withLock { state in
            state.records += 1
            guard !state.models.contains(model), state.models.count < Self.maxModels else { return false }
            state.models.append(model)
            return true
        }
    }

    var snapshot: (records: Int, models: [String]) {
        state.withLock { ($0.records, $0.models) }
    }
}
