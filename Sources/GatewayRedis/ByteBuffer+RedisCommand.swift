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
        for argument in arguments {
            writeRedisHeader(UInt8(ascii: "$"), argument.utf8.count)
            writeString(argument)
            writeCRLF()
        }
    }

    private mutating func writeRedisHeader(_ marker: UInt8, _ count: Int) {
        writeInteger(marker)
        writeString(String(count))
        writeCRLF()
    }

    private mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A), endianness: .big)
    }
}
