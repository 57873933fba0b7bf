import Synchronization

/// Server-generated request ids for calls that arrive without one: a random per-process prefix and a counter, unique
/// in logs without a random-number syscall per call.
enum RequestID {
    private static let prefix: String = {
        let hex = String(UInt32.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(0)

    /// Reserves a sequence number; `format` turns it into the id only if something asks for it.
    static func next() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }

    static func format(_ sequence: UInt64) -> String {
        "\(prefix)-\(String(sequence, radix: 16))"
    }

    /// A random id, for identifiers that must not be guessable or shared across restarts.
    static func random() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
