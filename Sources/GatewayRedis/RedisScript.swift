import Synchronization

/// A Lua script run by EVALSHA. It is loaded once per client with SCRIPT LOAD; when Redis answers NOSCRIPT (after a
/// restart or SCRIPT FLUSH) it is loaded again and the call retried.
public final class RedisScript: Sendable {
    public let source: String
    let sha = Mutex<String?>(nil)

    public init(_ source: String) {
        self.source = source
    }
}
