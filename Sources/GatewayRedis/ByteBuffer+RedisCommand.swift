import NIOCore

extension ByteBuffer {
    /// Appends a command as a RESP array of bulk strings, so any byte may appear in an argument.
    ///
    /// Commands are encoded by the caller, before they reach the connection's event loop, which keeps that loop's
    /// work per command to a write.
    mutating func writeRedisCommand(_ arguments: [[UInt8]]) {
        writeRedisHeader(UInt8(ascii: "*"), arguments.count)
        for argument in arguments {
            writeRedisHeader(UInt8(ascii: "$"), argument.count)
            writeBytes(argument)
            writeCRLF()
        }
    }

    /// Appends a command whose arguments are text, without copying them into intermediate byte arrays first.
    mutating func writeRedisCommand(_ arguments: [String]) {
        writeRedisHeader(UInt8(ascii: "*"), arguments.count)
        for argument in arguments { writeRedisBulk(argument) }
    }

    /// Appends the header of a command of `count` arguments; the arguments follow as bulk strings.
    mutating func writeRedisArrayHeader(_ count: Int) {
        writeRedisHeader(UInt8(ascii: "*"), count)
    }

    /// Appends one argument as a bulk string.
    mutating func writeRedisBulk(_ argument: String) {
        writeRedisHeader(UInt8(ascii: "$"), argument.utf8.count)
        writeString(argument)
        writeCRLF()
    }

    /// Appends one binary argument as a bulk string.
    mutating func writeRedisBulk(bytes argument: [UInt8]) {
        writeRedisHeader(UInt8(ascii: "$"), argument.count)
        writeBytes(argument)
        writeCRLF()
    }

    /// Appends one argument made of `parts` run together (a key from its prefix and name), without joining them first.
    mutating func writeRedisBulk(joining parts: [String]) {
        writeRedisHeader(UInt8(ascii: "$"), parts.reduce(0) { $0 + $1.utf8.count })
        for part in parts { writeString(part) }
        writeCRLF()
    }

    /// Appends a number as a bulk string of its decimal digits, as `String(value)` would, without making that string.
    mutating func writeRedisBulk(_ value: Int64) {
        writeRedisHeader(UInt8(ascii: "$"), (value < 0 ? 1 : 0) + Self.decimalLength(value.magnitude))
        writeDecimal(value)
        writeCRLF()
    }

    /// Appends a number as a bulk string of its decimal digits.
    mutating func writeRedisBulk(_ value: UInt64) {
        writeRedisHeader(UInt8(ascii: "$"), Self.decimalLength(value))
        writeDigits(value)
        writeCRLF()
    }

    private mutating func writeRedisHeader(_ marker: UInt8, _ count: Int) {
        writeInteger(marker)
        writeDecimal(Int64(count))
        writeCRLF()
    }

    private mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A), endianness: .big)
    }

    /// Writes the decimal digits of `value` (with a leading minus when negative): RESP lengths and numeric arguments
    /// are text, and formatting them through `String` cost an allocation each, some thirty per rate-limit check.
    private mutating func writeDecimal(_ value: Int64) {
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        writeDigits(value.magnitude)
    }

    private mutating func writeDigits(_ value: UInt64) {
        let length = Self.decimalLength(value)
        writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
            // Fill in from the last digit.
            var rest = value
            var index = length
            repeat {
                index -= 1
                bytes[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            return length
        }
    }

    private static func decimalLength(_ magnitude: UInt64) -> Int {
        var length = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }
}
