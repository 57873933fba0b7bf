import Synchronization

/// Bounds the `model` label: the first `capacity` distinct model names are reported as themselves, every later one
/// (and any name longer than 128 bytes or with control characters) as `other`.
///
/// Model names come from callers (a request may name any model, TrackUsage reports any name), so without a cap a
/// client could grow the registry, and every scrape, without bound. Models configured in the price table and the
/// fallback chains are the ones an operator watches, and they are seen first in practice.
final class ModelLabels: Sendable {
    static let other = "other"
    private let capacity: Int
    private let known = Mutex<Set<String>>([])

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func label(_ model: String) -> String {
        guard !model.isEmpty, model.utf8.count <= 128, !model.unicodeScalars.contains(where: { $0.value < 0x20 })
        else { return Self.other }
        return known.withLock { known in
            if known.contains(model) { return model }
            guard known.count < capacity else { return Self.other }
            known.insert(model)
            return model
        }
    }
}
