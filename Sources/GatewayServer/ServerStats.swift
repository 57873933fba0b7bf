import Synchronization

/// Live counters that ServerInfo and Health report. Updated from event loops and handler tasks, hence atomics.
public final class ServerStats: Sendable {
    private let connections = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    private let started = Atomic<UInt64>(0)
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var openConnections: Int { connections.load(ordering: .relaxed) }
    /// Handlers still running, including cancelled ones that have not yet returned.
    public var inFlightCalls: Int { inFlight.load(ordering: .relaxed) }
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    /// Calls received since start, on every method.
    public var callsTotal: UInt64 { started.load(ordering: .relaxed) }

    func connectionOpened() { connections.wrappingAdd(1, ordering: .relaxed) }
    func connectionClosed() { connections.wrappingSubtract(1, ordering: .relaxed) }
    func callStarted() {
        inFlight.wrappingAdd(1, ordering: .relaxed)
        started.wrappingAdd(1, ordering: .relaxed)
    }
    func callFinished() { inFlight.wrappingSubtract(1, ordering: .relaxed) }
    func startDraining() { draining.store(true, ordering: .relaxed) }
}
