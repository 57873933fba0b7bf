import Synchronization

/// The run-time configuration overlay of a single process (the embedded, no-Redis mode): lost on restart, when the
/// configuration file applies again, together with its history.
public final class MemoryConfigStore: ConfigStore {
    private struct State {
        var overlay = ConfigOverlay()
        /// Newest first.
        var history: [ConfigChange] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func load() async throws -> ConfigOverlay { state.withLock { $0.overlay } }

    public func revision() async throws -> UInt64 { state.withLock { $0.overlay.revision } }

    public func update(_ changes: [String: String?], expectedRevision: UInt64?, author: ConfigChange.Author)
        async throws -> ConfigOverlay?
    {
        state.withLock { state in
            if let expectedRevision, expectedRevision != state.overlay.revision { return nil }
            var entries: [ConfigChange.Entry] = []
            for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
                entries.append(ConfigChange.Entry(key: key, old: state.overlay.values[key], new: value))
                state.overlay.values[key] = value
            }
            state.overlay.revision += 1
            state.history.insert(
                ConfigChange(
                    revision: state.overlay.revision, changedBy: author.changedBy,
                    changedAtMillis: author.changedAtMillis, entries: entries, rollbackOf: author.rollbackOf),
                at: 0)
            if state.history.count > ConfigChange.historyLimit { state.history.removeLast() }
            return state.overlay
        }
    }

    public func history(limit: Int) async throws -> [ConfigChange] {
        state.withLock { Array($0.history.prefix(max(limit, 0))) }
    }
}
