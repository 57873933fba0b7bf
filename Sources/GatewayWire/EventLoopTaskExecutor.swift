import NIOCore

/// Runs Swift tasks on a NIO event loop's thread.
///
/// A call's handler (server) or caller (client) that prefers this executor resumes on the same thread that reads and
/// writes its connection, so a call costs no thread hops: no wake-ups between the event loop and the cooperative
/// pool. Work that runs here must not block; CPU-heavy work should run on the global executor instead.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
