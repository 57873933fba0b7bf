import NIOCore
import Synchronization

/// The open connections of every listener, so shutdown can drain them all and wait for them to close.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    var count: Int { channels.withLock { $0.count } }

    /// Sends GoAway on every connection, waits up to `grace` for in-flight calls to finish, then ends the rest.
    func drain(grace: Duration) async {
        broadcast(.drain)
        let deadline = ContinuousClock.now + grace
        while count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        guard count > 0 else { return }
        broadcast(.forceClose)
        let hardDeadline = ContinuousClock.now + .seconds(1)
        while count > 0 && ContinuousClock.now < hardDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for channel in channels.withLock({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }

    private func broadcast(_ event: ConnectionEvent) {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(event)
        }
    }
}
