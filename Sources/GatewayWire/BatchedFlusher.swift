import NIOCore

/// Flushes a connection's writes in batches, for both ends of the protocol.
///
/// Writes made in one event-loop tick are flushed together once the tick's queued work has run, which keeps syscalls
/// per call low when many calls are in flight. A full batch is flushed at once, so the peer can start on the first
/// answers while later ones are still being produced, instead of both sides taking turns with whole batches.
/// Loop-confined: use it only on the channel's event loop.
public final class BatchedFlusher {
    private let batch: Int
    private var unflushed = 0
    private var scheduled = false

    public init(batch: Int = 64) {
        precondition(batch > 0)
        self.batch = batch
    }

    /// Call after each `context.write`.
    public func didWrite(_ context: ChannelHandlerContext) {
        unflushed += 1
        if unflushed >= batch {
            flush(context)
            return
        }
        guard !scheduled else { return }
        scheduled = true
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        loop.execute {
            let (this, context) = bound.value
            this.scheduled = false
            if this.unflushed > 0 && context.channel.isActive { this.flush(context) }
        }
    }

    /// Flushes what is written now, for a write that should not wait for the batch; a flush already scheduled then
    /// finds nothing to do.
    public func flushNow(_ context: ChannelHandlerContext) {
        flush(context)
    }

    private func flush(_ context: ChannelHandlerContext) {
        unflushed = 0
        context.flush()
    }
}
