import CHiredis
import NIOCore

/// Turns the bytes Redis sends into replies, with hiredis's reader: it does no I/O, so it can run on an event loop.
///
/// Bytes may arrive split anywhere; the reader buffers a partial reply until the rest comes. Not thread-safe: one
/// parser belongs to one channel and is used only on its event loop.
final class RedisReplyParser {
    private let reader: UnsafeMutablePointer<redisReader>

    init() {
        guard let reader = redisReaderCreate() else { fatalError("hiredis could not allocate a reply reader") }
        self.reader = reader
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Hands received bytes to the reader (which copies them).
    func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return REDIS_OK }
            return redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        if status != REDIS_OK { throw protocolError() }
    }

    /// The next complete reply, or nil until more bytes arrive. An error reply is a `.failure` of kind `.server`; a
    /// malformed stream throws (kind `.connection`), after which the connection cannot be trusted.
    func next() throws(RedisError) -> Result<RedisValue, RedisError>? {
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(reader, &reply) == REDIS_OK else { throw protocolError() }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    private func protocolError() -> RedisError {
        let text = withUnsafeBytes(of: reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return RedisError(.connection, "unreadable reply from Redis: \(text)")
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> Result<RedisValue, RedisError> {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .success(.bulk(r.str.map { Array(UnsafeRawBufferPointer(start: $0, count: r.len)) } ?? []))
        case REDIS_REPLY_STATUS:
            return .success(.status(r.str.map { String(cString: $0) } ?? ""))
        case REDIS_REPLY_INTEGER:
            return .success(.integer(Int64(r.integer)))
        case REDIS_REPLY_NIL:
            return .success(.null)
        case REDIS_REPLY_ERROR:
            return .failure(RedisError(.server, r.str.map { String(cString: $0) } ?? "error"))
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                guard let element = r.element[i] else {
                    values.append(.null)
                    continue
                }
                switch convert(element) {
                case .success(let v): values.append(v)
                case .failure(let e): return .failure(e)
                }
            }
            return .success(.array(values))
        default:
            return .failure(RedisError(.server, "unexpected reply type \(r.type)"))
        }
    }
}
