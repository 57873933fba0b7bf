import NIOCore

/// A script's keys and arguments, encoded once as RESP bulk strings.
///
/// Built by a store per call: numbers are written as digits straight into the buffer and keys from their parts, so a
/// rate-limit check builds no `String` per argument. The same bytes serve the retry after NOSCRIPT.
struct RedisArguments: Sendable {
    private(set) var encoded = ByteBuffer()
    private(set) var count = 0

    init() {}

    init(_ arguments: [String]) {
        for argument in arguments { append(argument) }
    }

    mutating func append(_ argument: String) {
        encoded.writeRedisBulk(argument)
        count += 1
    }

    mutating func append(_ value: Int64) {
        encoded.writeRedisBulk(value)
        count += 1
    }

    mutating func append(_ value: UInt64) {
        encoded.writeRedisBulk(value)
        count += 1
    }

    mutating func append(bytes value: [UInt8]) {
        encoded.writeRedisBulk(bytes: value)
        count += 1
    }

    /// Appends one argument made of `parts` run together, such as a key from its prefix and its name.
    mutating func append(joining parts: String...) {
        encoded.writeRedisBulk(joining: parts)
        count += 1
    }
}
