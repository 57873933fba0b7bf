import CCurl
import CGatewayShims
import Synchronization

/// libcurl's multi interface driven by one dedicated thread: every socket read and write, every callback and every
/// timer of the client's transfers happens here, so no Swift concurrency thread or event loop waits on the network.
///
/// Swift tasks talk to the thread through a command queue (add, cancel, unpause, shutdown) guarded by a mutex; the
/// first command into an empty queue calls `curl_multi_wakeup`, which cuts the thread's `curl_multi_poll` short. One
/// multi handle means one connection cache, so sequential requests to a host reuse a kept-alive connection and
/// concurrent ones share an HTTP/2 connection when the upstream offers h2.
///
/// Timeouts: libcurl enforces `connect` (CURLOPT_CONNECTTIMEOUT_MS, the only timeout it owns, so its
/// CURLE_OPERATION_TIMEDOUT always means the connect phase). The loop enforces `firstByte`, `idle` and `total` itself
/// with millisecond precision, by scanning the active transfers when the earliest deadline is due and sleeping in
/// `curl_multi_poll` no longer than until then.
final class CurlMultiLoop: @unchecked Sendable {
    enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case unpause(CurlTransfer)
        case shutdown
    }

    private struct Queue {
        var commands: [Command] = []
        var closed = false
    }

    let configuration: CurlHTTPClient.Configuration
    private let multi: UnsafeMutableRawPointer
    private let queue = Mutex(Queue())
    private let thread = Mutex<JoinableThread?>(nil)

    let transfersStarted = Atomic<Int>(0)
    let transfersCompleted = Atomic<Int>(0)
    let transfersFailed = Atomic<Int>(0)
    let transfersCancelled = Atomic<Int>(0)
    let connectionsOpened = Atomic<Int>(0)
    let bodyPauses = Atomic<Int>(0)

    // MARK: Curl thread
    private var active: [CurlTransfer] = []
    private var pool: [CurlEasyHandle] = []
    private var nextTimerCheck: ContinuousClock.Instant?

    init(configuration: CurlHTTPClient.Configuration) throws(HTTPClientError) {
        guard curlGlobalInit == CURLE_OK.rawValue else {
            throw HTTPClientError(.network, curlCode: Int32(curlGlobalInit), message: "curl_global_init failed")
        }
        guard let multi = curl_multi_init() else {
            throw HTTPClientError(.network, message: "curl_multi_init failed")
        }
        self.configuration = configuration
        self.multi = multi
        _ = CGatewayCurl_multi_setopt_long(multi, CURLMOPT_PIPELINING, configuration.http2 ? CURLPIPE_MULTIPLEX : 0)
        if configuration.maxConnectionsPerHost > 0 {
            _ = CGatewayCurl_multi_setopt_long(
                multi,
                CURLMOPT_MAX_HOST_CONNECTIONS,
                configuration.maxConnectionsPerHost
            )
        }
        if configuration.maxConnections > 0 {
            _ = CGatewayCurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxConnections)
        }
        if configuration.maxIdleConnections > 0 {
            _ = CGatewayCurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxIdleConnections)
        }
        guard let started = JoinableThread(name: configuration.threadName, body: { self.run() }) else {
            curl_multi_cleanup(multi)
            throw HTTPClientError(.network, message: "cannot start the curl thread")
        }
        thread.withLock { $0 = started }
    }

    /// Queues a command for the curl thread. Returns false once the loop is shut down.
    func enqueue(_ command: Command) -> Bool {
        queue.withLock { q in
            guard !q.closed else { return false }
            q.commands.append(command)
            // Later commands find a wakeup already pending; the thread drains them all at once.
            if q.commands.count == 1 { _ = curl_multi_wakeup(multi) }
            return true
        }
    }

    /// Fails every transfer in flight with `.shutdown`, frees libcurl's handles and joins the thread. Idempotent; a
    /// second caller waits for the first to finish.
    func shutdown() {
        queue.withLock { q in
            guard !q.closed else { return }
            q.closed = true
            q.commands.append(.shutdown)
            _ = curl_multi_wakeup(multi)
        }
        thread.withLock { thread in
            guard let running = thread, !running.isCurrent else { return }
            running.join()
            thread = nil
        }
    }

    // MARK: The curl thread

    private func run() {
        var running: Int32 = 0
        var batch: [Command] = []
        loop: while true {
            queue.withLock { swap(&batch, &$0.commands) }
            for command in batch {
                switch command {
                case .add(let transfer): start(transfer)
                case .cancel(let transfer): cancel(transfer)
                case .unpause(let transfer): unpause(transfer)
                case .shutdown: break loop
                }
            }
            batch.removeAll(keepingCapacity: true)
            _ = curl_multi_perform(multi, &running)
            readCompletions()
            let now = ContinuousClock.now
            if let due = nextTimerCheck, now >= due { checkTimers(now) }
            _ = curl_multi_poll(multi, nil, 0, pollTimeout(now), nil)
        }
        let error = HTTPClientError(.shutdown, message: "the HTTP client was shut down")
        while let transfer = active.last { finish(transfer, .failure(error)) }
        for easy in pool { easy.destroy() }
        pool = []
        curl_multi_cleanup(multi)
    }

    private func start(_ transfer: CurlTransfer) {
        if transfer.channel.isCancelled {
            transfersCancelled.wrappingAdd(1, ordering: .relaxed)
            transfer.channel.finish(.failure(HTTPClientError(.cancelled, message: "the request was cancelled")))
            return
        }
        guard let easy = pool.popLast() ?? CurlEasyHandle() else {
            fail(transfer, HTTPClientError(.network, message: "curl_easy_init failed"))
            return
        }
        let code = easy.prepare(for: transfer, configuration: configuration)
        guard code == CURLE_OK else {
            let error = HTTPClientError(curlCode: code, message: easy.errorMessage(code))
            recycle(easy)
            fail(transfer, error)
            return
        }
        let added = curl_multi_add_handle(multi, easy.raw)
        guard added == CURLM_OK else {
            recycle(easy)
            let message = String(cString: curl_multi_strerror(added))
            fail(transfer, HTTPClientError(.network, message: "curl_multi_add_handle failed: \(message)"))
            return
        }
        transfersStarted.wrappingAdd(1, ordering: .relaxed)
        transfer.easy = easy
        transfer.activeIndex = active.count
        active.append(transfer)
        scheduleTimerCheck(at: transfer.nextDeadline)
    }

    private func cancel(_ transfer: CurlTransfer) {
        guard transfer.activeIndex >= 0 else { return }
        finish(transfer, .failure(HTTPClientError(.cancelled, message: "the request was cancelled")))
    }

    private func unpause(_ transfer: CurlTransfer) {
        guard transfer.activeIndex >= 0, let easy = transfer.easy, transfer.pausedForConsumer else { return }
        transfer.pausedForConsumer = false
        transfer.lastDataAt = .now
        scheduleTimerCheck(at: transfer.nextDeadline)
        // May call the write callback at once with the bytes held back, which may pause again.
        _ = curl_easy_pause(easy.raw, CGatewayCurl_pause_cont)
    }

    private func readCompletions() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let raw = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            _ = CGatewayCurl_easy_getinfo_pointer(raw, CURLINFO_PRIVATE, &context)
            guard let context else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            if code == CURLE_OK {
                finish(transfer, .success(()))
            } else {
                let message = transfer.easy?.errorMessage(code) ?? ""
                finish(transfer, .failure(HTTPClientError(curlCode: code, message: message)))
            }
        }
    }

    private func checkTimers(_ now: ContinuousClock.Instant) {
        nextTimerCheck = nil
        // Backwards, because finishing swaps the last transfer into the finished one's slot.
        var index = active.count - 1
        while index >= 0 {
            let transfer = active[index]
            if let phase = transfer.expiredPhase(at: now) {
                finish(transfer, .failure(transfer.timeoutError(phase)))
            } else {
                scheduleTimerCheck(at: transfer.nextDeadline)
            }
            index -= 1
        }
    }

    /// Makes the loop look at the timers no later than `deadline`. Deadlines only move later, except when a head
    /// arrives or a transfer unpauses (the idle clock starts), which call this.
    func scheduleTimerCheck(at deadline: ContinuousClock.Instant) {
        if let due = nextTimerCheck, due <= deadline { return }
        nextTimerCheck = deadline
    }

    private func pollTimeout(_ now: ContinuousClock.Instant) -> Int32 {
        // libcurl shortens the wait further for its own timers (connect timeout, HTTP/2 pings).
        guard let due = nextTimerCheck else { return 1000 }
        guard due > now else { return 0 }
        return Int32(min(1000, CurlEasyHandle.milliseconds(due - now)))
    }

    /// Removes the transfer from libcurl and settles its Swift side. Removing a transfer before it completed closes
    /// its connection (an HTTP/1 connection is not returned to the pool mid-response; an HTTP/2 stream is reset).
    private func finish(_ transfer: CurlTransfer, _ result: Result<Void, HTTPClientError>) {
        guard let easy = transfer.easy else { return }
        connectionsOpened.wrappingAdd(easy.getLong(CURLINFO_NUM_CONNECTS), ordering: .relaxed)
        _ = curl_multi_remove_handle(multi, easy.raw)
        transfer.easy = nil
        recycle(easy)
        let index = transfer.activeIndex
        let last = active.removeLast()
        if last !== transfer {
            active[index] = last
            last.activeIndex = index
        }
        transfer.activeIndex = -1
        switch result {
        case .success:
            transfersCompleted.wrappingAdd(1, ordering: .relaxed)
        case .failure(let error) where error.kind == .cancelled:
            transfersCancelled.wrappingAdd(1, ordering: .relaxed)
        case .failure:
            transfersFailed.wrappingAdd(1, ordering: .relaxed)
        }
        transfer.channel.finish(result)
    }

    /// Settles a transfer that never reached libcurl.
    private func fail(_ transfer: CurlTransfer, _ error: HTTPClientError) {
        transfersFailed.wrappingAdd(1, ordering: .relaxed)
        transfer.channel.finish(.failure(error))
    }

    private func recycle(_ easy: CurlEasyHandle) {
        if pool.count < configuration.easyHandlePoolSize {
            easy.reset()
            pool.append(easy)
        } else {
            easy.destroy()
        }
    }
}

/// libcurl's one-time global setup, run on first use (Swift initialises globals once, thread-safely).
private let curlGlobalInit: UInt32 = curl_global_init(CGatewayCurl_global_all).rawValue
