/// Server-generated request ids for calls that arrive without one: 16 random hex digits, enough to be unique in logs.
enum RequestID {
    static func generate() -> String {
        let n = UInt64.random(in: .min ... .max)
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
