import NIOCore
import Synchronization

/// The scripted behaviours, replies, counters and request log that one fake upstream's connections share, behind one
/// lock held only for short, allocation-light updates.
final class FakeUpstreamState: Sendable {
    let configuration: FakeUpstream.Configuration
    private let storage = Mutex(Storage())

    private struct Storage: Sendable {
        var anyQueue = CircularBuffer<FakeBehaviour>()
        var modelQueues: [String: CircularBuffer<FakeBehaviour>] = [:]
        var anyDefault = FakeBehaviour.ok
        var modelDefaults: [String: FakeBehaviour] = [:]
        var anyReply: FakeReply?
        var modelReplies: [String: FakeReply] = [:]
        var tokenDelayMilliseconds = 0
        var requests = CircularBuffer<FakeUpstream.RecordedRequest>()
        var totalAttempts = 0
        var attemptsByModel: [String: Int] = [:]
        var connectionsAccepted = 0
        var openChannels: [ObjectIdentifier: any Channel] = [:]
        var webhookFailures = 0
        var webhooks: [FakeUpstream.WebhookDelivery] = []
    }

    /// What a request gets: the behaviour taken from the queues, the reply override if any, the token delay.
    struct Decision: Sendable {
        var behaviour: FakeBehaviour
        var reply: FakeReply?
        var tokenDelayMilliseconds: Int
    }

    /// Counters as the control API reports them.
    struct Stats: Sendable {
        var attemptsByModel: [String: Int]
        var totalAttempts: Int
        var connectionsAccepted: Int
        var openConnections: Int
    }

    init(configuration: FakeUpstream.Configuration) {
        self.configuration = configuration
    }

    func enqueue(_ behaviours: [FakeBehaviour], model: String?) {
        storage.withLock { storage in
            if let model {
                storage.modelQueues[model, default: CircularBuffer()].append(contentsOf: behaviours)
            } else {
                storage.anyQueue.append(contentsOf: behaviours)
            }
        }
    }

    func setDefault(_ behaviour: FakeBehaviour, model: String?) {
        storage.withLock { storage in
            if let model { storage.modelDefaults[model] = behaviour } else { storage.anyDefault = behaviour }
        }
    }

    func setReply(_ reply: FakeReply, model: String?) {
        storage.withLock { storage in
            if let model { storage.modelReplies[model] = reply } else { storage.anyReply = reply }
        }
    }

    func setTokenDelay(milliseconds: Int) {
        storage.withLock { $0.tokenDelayMilliseconds = max(0, milliseconds) }
    }

    /// Clears queues, defaults, replies, counters and the request log. The token delay and open connections stay.
    func reset() {
        storage.withLock { storage in
            storage.anyQueue.removeAll()
            storage.modelQueues = [:]
            storage.anyDefault = .ok
            storage.modelDefaults = [:]
            storage.anyReply = nil
            storage.modelReplies = [:]
            storage.requests.removeAll()
            storage.totalAttempts = 0
            storage.attemptsByModel = [:]
            storage.connectionsAccepted = 0
            storage.webhookFailures = 0
            storage.webhooks = []
        }
    }

    func failWebhooks(next count: Int) {
        storage.withLock { $0.webhookFailures = max(0, count) }
    }

    /// Logs a webhook POST and decides its status: 503 while scripted failures remain, else 200.
    func receiveWebhook(path: String, headers: [(name: String, value: String)], body: [UInt8]) -> Int {
        let limit = configuration.requestLogLimit
        return storage.withLock { storage in
            let status = storage.webhookFailures > 0 ? 503 : 200
            if storage.webhookFailures > 0 { storage.webhookFailures -= 1 }
            if limit > 0 && storage.webhooks.count >= limit { storage.webhooks.removeFirst() }
            storage.webhooks.append(FakeUpstream.WebhookDelivery(path: path, headers: headers, body: body, status: status))
            return status
        }
    }

    var webhooks: [FakeUpstream.WebhookDelivery] {
        storage.withLock { $0.webhooks }
    }

    /// Counts an attempt and logs the request, dropping the oldest entry past the log limit.
    func record(_ request: FakeUpstream.RecordedRequest) {
        let limit = configuration.requestLogLimit
        storage.withLock { storage in
            storage.totalAttempts += 1
            if let model = request.model { storage.attemptsByModel[model, default: 0] += 1 }
            guard limit > 0 else { return }
            if storage.requests.count >= limit { storage.requests.removeFirst() }
            storage.requests.append(request)
        }
    }

    /// Takes the behaviour for one request: the model's queue, else the any-model queue, else the model's default,
    /// else the any-model default.
    func decide(model: String) -> Decision {
        storage.withLock { storage in
            let behaviour: FakeBehaviour
            if let next = storage.modelQueues[model]?.popFirst() {
                behaviour = next
                if storage.modelQueues[model]?.isEmpty == true { storage.modelQueues[model] = nil }
            } else if let next = storage.anyQueue.popFirst() {
                behaviour = next
            } else {
                behaviour = storage.modelDefaults[model] ?? storage.anyDefault
            }
            return Decision(
                behaviour: behaviour,
                reply: storage.modelReplies[model] ?? storage.anyReply,
                tokenDelayMilliseconds: storage.tokenDelayMilliseconds
            )
        }
    }

    var requests: [FakeUpstream.RecordedRequest] {
        storage.withLock { Array($0.requests) }
    }

    func attempts(model: String?) -> Int {
        storage.withLock { storage in
            model.map { storage.attemptsByModel[$0] ?? 0 } ?? storage.totalAttempts
        }
    }

    var stats: Stats {
        storage.withLock { storage in
            Stats(
                attemptsByModel: storage.attemptsByModel,
                totalAttempts: storage.totalAttempts,
                connectionsAccepted: storage.connectionsAccepted,
                openConnections: storage.openChannels.count
            )
        }
    }

    func connectionOpened(_ channel: any Channel) {
        storage.withLock { storage in
            storage.connectionsAccepted += 1
            storage.openChannels[ObjectIdentifier(channel)] = channel
        }
    }

    func connectionClosed(_ channel: any Channel) {
        _ = storage.withLock { $0.openChannels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The connections open now, for closing them at shutdown.
    var openChannels: [any Channel] {
        storage.withLock { Array($0.openChannels.values) }
    }
}
