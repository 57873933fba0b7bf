import Synchronization

/// The workers of one aigw instance: claims jobs in batches, runs up to `concurrency` at once through the injected
/// runner, keeps their leases renewed, enforces each job's timeout, and reports each run's end to the store through
/// `JobStateMachine`.
///
/// The runner does the work (the server's runs a completion with its rate-limit, budget and usage accounting); it
/// is a closure so this loop is tested without I/O. `run()` serves until `stop()` (or cancellation): claiming stops
/// at once, running jobs get the drain grace to finish, and whatever is still running then is cancelled and handed
/// back to the queue without using an attempt. A job whose finish cannot be stored (Redis down) is not lost: its
/// lease expires and another claim runs it again (at least once).
public final class QueueWorker: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Jobs run at once by this instance; 0 runs none (an instance that only enqueues).
        public var concurrency: Int = 32
        /// Jobs claimed per store round trip.
        public var batchSize: Int = 16
        /// The wait before claiming again after finding the queue empty.
        public var pollIntervalMillis: Int64 = 100
        /// A claim's lease; renewed every third of it while the job runs.
        public var visibilityTimeoutMillis: Int64 = 30_000
        public var resultTTLMillis: Int64 = 86_400_000
        /// How long a stop waits for running jobs before cancelling and releasing them.
        public var drainGraceMillis: Int64 = 10_000
        /// Backoff between attempts.
        public var retry = JobStateMachine()

        public init() {}
    }

    /// Runs one claimed job. Cancellation (a timeout, a lost lease, a shutdown) must end it promptly.
    public typealias Runner = @Sendable (JobClaim) async -> JobStateMachine.RunResult
    public typealias Log = @Sendable (_ message: String, _ metadata: [String: String]) -> Void

    private enum Interruption { case timeout, leaseLost, shutdown }

    private struct Running {
        var claim: JobClaim
        var deadlineNanos: UInt64
        var task: Task<Void, Never>?
        var interrupted: Interruption?
    }

    private struct State {
        var running: [String: Running] = [:]
        /// Claimed and not yet finished in the store (includes jobs whose finish is being written).
        var inFlight = 0
        var stopping = false
        var stopDeadlineNanos: UInt64?
    }

    public let settings: Settings
    private let store: any QueueStore
    private let clock: any GatewayClock
    private let runner: Runner
    private let log: Log
    private let unitRandom: @Sendable () -> Double
    private let state = Mutex(State())
    private let wake = WakeSignal()

    public init(
        store: any QueueStore, settings: Settings, clock: any GatewayClock,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        log: @escaping Log = { _, _ in }, runner: @escaping Runner
    ) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.unitRandom = unitRandom
        self.log = log
        self.runner = runner
    }

    /// Jobs claimed by this instance and not yet finished.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Claims and runs jobs until `stop()`, then drains. Returns once nothing claimed here is left unfinished.
    public func run() async {
        guard settings.concurrency > 0 else { return }
        await withTaskCancellationHandler {
            let supervisor = Task { await supervise() }
            await claimLoop()
            while state.withLock({ $0.inFlight }) > 0 { await wake.wait() }
            supervisor.cancel()
            await supervisor.value
        } onCancel: {
            stop()
        }
    }

    /// Stops claiming; running jobs have the drain grace to finish.
    public func stop() {
        let grace = UInt64(max(settings.drainGraceMillis, 0)) * 1_000_000
        let now = clock.monotonicNanos()
        state.withLock {
            if !$0.stopping {
                $0.stopping = true
                $0.stopDeadlineNanos = now + grace
            }
        }
        wake.signal()
    }

    /// Wakes an idle claim loop at once, for a job just enqueued on this instance.
    public func nudge() { wake.signal() }

    private func claimLoop() async {
        let refill = max(1, min(settings.batchSize, settings.concurrency) / 2)
        var failing = false
        while true {
            let (free, inFlight) = state.withLock { ($0.stopping ? -1 : settings.concurrency - $0.inFlight, $0.inFlight) }
            if free < 0 { return }
            // While jobs run, wait until half a batch of slots is free, so a busy worker claims in batches rather
            // than one job per round trip each time one finishes.
            if free == 0 || (inFlight > 0 && free < refill) {
                await wake.wait()
                continue
            }
            let claims: [JobClaim]
            do {
                claims = try await store.claim(max: min(settings.batchSize, free), leaseMillis: settings.visibilityTimeoutMillis)
                if failing { log("queue store reachable again; claiming", [:]) }
                failing = false
            } catch {
                if !failing { log("queue claim failed; retrying", ["error": "\(error)"]) }
                failing = true
                await idle()
                continue
            }
            if claims.isEmpty {
                await idle()
                continue
            }
            let now = clock.monotonicNanos()
            for claim in claims {
                let deadline = now + UInt64(max(claim.job.timeoutMillis, 1)) * 1_000_000
                state.withLock {
                    $0.inFlight += 1
                    $0.running[claim.job.id] = Running(claim: claim, deadlineNanos: deadline)
                }
                let task = Task { await process(claim) }
                let cancelNow = state.withLock { s -> Bool in
                    guard s.running[claim.job.id] != nil else { return false }
                    s.running[claim.job.id]?.task = task
                    return s.running[claim.job.id]?.interrupted != nil
                }
                if cancelNow { task.cancel() }
            }
        }
    }

    /// Sleeps a poll interval, or less when woken (a stop, a finished job, a nudge).
    private func idle() async {
        let wake = self.wake
        let millis = settings.pollIntervalMillis
        let timer = Task {
            try? await Task.sleep(for: .milliseconds(millis))
            wake.signal()
        }
        await wake.wait()
        timer.cancel()
    }

    private func process(_ claim: JobClaim) async {
        let started = clock.monotonicNanos()
        var result = await runner(claim)
        let interrupted = state.withLock { $0.running.removeValue(forKey: claim.job.id)?.interrupted }
        let finish: JobFinish?
        switch interrupted {
        case .leaseLost:
            log("job lease lost while running; its result is discarded", ["job.id": claim.job.id])
            finish = nil
        case .timeout:
            result = .failed(JobFailure(.retryable, "timed out after \(claim.job.timeoutMillis) ms"))
            finish = settings.retry.finish(
                after: result, attempts: claim.job.attempts, maxAttempts: claim.job.maxAttempts, unitRandom: unitRandom())
        case .shutdown:
            finish = .wait(error: "", delayMillis: 0)
        case nil:
            finish = settings.retry.finish(
                after: result, attempts: claim.job.attempts, maxAttempts: claim.job.maxAttempts, unitRandom: unitRandom())
        }
        if let finish {
            let processing = Int64((clock.monotonicNanos() &- started) / 1_000_000)
            let store = self.store
            let ttl = settings.resultTTLMillis
            // Written from a fresh task when this one was cancelled, so the store call is not cancelled with it.
            let write = { @Sendable () async throws -> Bool in
                try await store.finish(claim, finish, processingMillis: processing, resultTTLMillis: ttl)
            }
            do {
                let held = interrupted == nil ? try await write() : try await Task { try await write() }.value
                if !held {
                    log("job lease lost before its finish was stored; another claim owns it", ["job.id": claim.job.id])
                }
            } catch {
                log("job finish not stored; the job runs again when its lease expires",
                    ["job.id": claim.job.id, "error": "\(error)"])
            }
        }
        state.withLock { $0.inFlight -= 1 }
        wake.signal()
    }

    /// Every tick: cancels jobs past their timeout, renews leases every third of the visibility timeout, and after a
    /// stop's grace cancels what still runs so it is released.
    private func supervise() async {
        let renewEvery = UInt64(max(settings.visibilityTimeoutMillis / 3, 1)) * 1_000_000
        let tickMillis = max(min(settings.visibilityTimeoutMillis / 3, 100), 1)
        var nextRenewal = clock.monotonicNanos() + renewEvery
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(tickMillis))
            let now = clock.monotonicNanos()
            var cancel: [Task<Void, Never>] = []
            let renewals = state.withLock { s -> [JobClaim] in
                let drainOver = s.stopDeadlineNanos.map { now >= $0 } ?? false
                for (id, entry) in s.running where entry.interrupted == nil {
                    if drainOver {
                        s.running[id]?.interrupted = .shutdown
                        entry.task.map { cancel.append($0) }
                    } else if entry.deadlineNanos <= now {
                        s.running[id]?.interrupted = .timeout
                        entry.task.map { cancel.append($0) }
                    }
                }
                guard now >= nextRenewal else { return [] }
                return s.running.values.filter { $0.interrupted == nil }.map(\.claim)
            }
            for task in cancel { task.cancel() }
            guard now >= nextRenewal else { continue }
            nextRenewal = now + renewEvery
            guard !renewals.isEmpty else { continue }
            do {
                let held = try await store.renew(renewals, leaseMillis: settings.visibilityTimeoutMillis)
                var lost: [Task<Void, Never>] = []
                state.withLock { s in
                    for (claim, ok) in zip(renewals, held) where !ok {
                        guard let entry = s.running[claim.job.id], entry.claim.token == claim.token,
                            entry.interrupted == nil
                        else { continue }
                        s.running[claim.job.id]?.interrupted = .leaseLost
                        entry.task.map { lost.append($0) }
                    }
                }
                for task in lost { task.cancel() }
            } catch {
                log("queue lease renewal failed; retrying next tick", ["error": "\(error)"])
                nextRenewal = now
            }
        }
    }
}

/// A one-waiter wake-up: `signal` before `wait` is remembered, so no wake-up is lost.
final class WakeSignal: Sendable {
    private let state = Mutex<(pending: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}
