import Synchronization

/// The run-time configuration overlay of a single process (the embedded, no-Redis mode): lost on restart, when the
/// configuration file applies again.
public final class MemoryConfigStore: ConfigStore {
    private let overlay = Mutex(ConfigOverlay())

    public init() {}

    public func load() async throws -> ConfigOverlay { overlay.withLock { $0 } }

    public func revision() async throws -> UInt64 { overlay.withLock { $0.revision } }

    public func update(_ changes: [String: String?], expectedRevision: UInt64?) async throws -> ConfigOverlay? {
        overlay.withLock { overlay in
            if let expectedRevision, expectedRevision != overlay.revision { return nil }
            for (key, value) in changes { overlay.values[key] = value }
            overlay.revision += 1
            return overlay
        }
    }
}
