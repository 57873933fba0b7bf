/// Where the run-time configuration overlay lives: in memory for one process, in Redis so that a change made
/// through any instance reaches every instance sharing it.
public protocol ConfigStore: Sendable {
    func load() async throws -> ConfigOverlay

    /// The current revision alone: what instances poll.
    func revision() async throws -> UInt64

    /// Sets each key to its value, or removes it for nil, increments the revision and records the change in the
    /// history with each key's previous value, atomically. With `expectedRevision`, nothing changes and nil is
    /// returned when the current revision differs.
    func update(_ changes: [String: String?], expectedRevision: UInt64?, author: ConfigChange.Author) async throws
        -> ConfigOverlay?

    /// The newest changes first, at most `limit` (and at most `ConfigChange.historyLimit` are kept).
    func history(limit: Int) async throws -> [ConfigChange]
}
