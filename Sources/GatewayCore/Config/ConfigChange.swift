/// One applied run-time configuration change, kept in the history so operators see who changed what and when, and
/// so the change can be rolled back.
public struct ConfigChange: Sendable, Hashable, Codable {
    /// One key's move: the run-time value before and after (nil: no run-time value, the configured one applied).
    public struct Entry: Sendable, Hashable, Codable {
        public var key: String
        public var old: String?
        public var new: String?

        public init(key: String, old: String?, new: String?) {
            self.key = key
            self.old = old
            self.new = new
        }
    }

    /// The revision this change produced.
    public var revision: UInt64
    /// Who asked for it, as the caller named itself (aigwctl sends user@host).
    public var changedBy: String
    public var changedAtMillis: Int64
    /// Sorted by key.
    public var entries: [Entry]
    /// For a rollback, the revision it undid.
    public var rollbackOf: UInt64?

    public init(
        revision: UInt64, changedBy: String, changedAtMillis: Int64, entries: [Entry], rollbackOf: UInt64? = nil
    ) {
        self.revision = revision
        self.changedBy = changedBy
        self.changedAtMillis = changedAtMillis
        self.entries = entries
        self.rollbackOf = rollbackOf
    }

    /// Who made a change and why, as the store records it with the change.
    public struct Author: Sendable, Hashable {
        public var changedBy: String
        public var changedAtMillis: Int64
        public var rollbackOf: UInt64?

        public init(changedBy: String, changedAtMillis: Int64, rollbackOf: UInt64? = nil) {
            self.changedBy = changedBy
            self.changedAtMillis = changedAtMillis
            self.rollbackOf = rollbackOf
        }
    }

    /// How many changes a store keeps; older ones are dropped.
    public static let historyLimit = 100

    /// The change that undoes the newest change in `history` (newest first) that is neither a rollback nor already
    /// rolled back, so successive rollbacks walk back through the history one change at a time.
    public static func rollbackTarget(in history: [ConfigChange]) -> ConfigChange? {
        let undone = Set(history.compactMap(\.rollbackOf))
        return history.first { $0.rollbackOf == nil && !undone.contains($0.revision) }
    }
}
