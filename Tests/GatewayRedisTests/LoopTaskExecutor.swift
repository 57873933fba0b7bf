import NIOCore

/// Runs tasks on one event loop, as the server runs each call's handler on its connection's loop (the server's
/// `EventLoopTaskExecutor` lives in GatewayWire, which the Redis tests do not import).
final class LoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
