#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small pull reader for JSON documents, made for the fields translators pick out of provider responses.
///
/// Streaming chunks are decoded once per token, so this avoids `JSONDecoder` (about 14 µs per chunk here) and any
/// intermediate tree: callers walk objects with `readObject`, read the few fields they need, and every other value is
/// skipped while still being checked, so a truncated or broken document always throws. Keys are matched on their raw
/// bytes; a key written with escapes never matches a plain name and is skipped like an unknown one.
///
/// It reads through an `UnsafeBufferPointer`, and every byte access goes through a bounds check written here.
struct JSONReader {
    /// Deeper documents are rejected rather than risking the stack on hostile input.
    static let maxDepth = 64

    /// An object key's raw bytes, between the quotes.
    struct Key {
        fileprivate let bytes: Slice<UnsafeBufferPointer<UInt8>>

        static func ~= (pattern: StaticString, key: Key) -> Bool {
            let count = pattern.utf8CodeUnitCount
            guard key.bytes.count == count else { return false }
            let base = key.bytes.base.baseAddress! + key.bytes.startIndex
            return memcmp(base, pattern.utf8Start, count) == 0
        }

        static func == (key: Key, name: StaticString) -> Bool { name ~= key }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Reads one complete document from `text`; anything but whitespace after its value is an error.
    static func read<T>(_ text: String, _ body: (inout JSONReader) throws(JSONReaderError) -> T)
        throws(JSONReaderError) -> T
    {
        var text = text
        return try text.withUTF8 { read(document: $0, body) }.get()
    }

    /// Reads one complete document from `bytes`; anything but whitespace after its value is an error.
    static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws(JSONReaderError) -> T)
        throws(JSONReaderError) -> T
    {
        try bytes.withUnsafeBufferPointer { read(document: $0, body) }.get()
    }

    private static func read<T>(
        document: UnsafeBufferPointer<UInt8>, _ body: (inout JSONReader) throws(JSONReaderError) -> T
    ) -> Result<T, JSONReaderError> {
        var reader = JSONReader(document)
        do {
            let value = try body(&reader)
            reader.skipWhitespace()
            guard reader.index == document.count else {
                return .failure(reader.error("unexpected bytes after the document"))
            }
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    enum Kind { case object, array, string, number, bool, null }

    /// The kind of the next value, without consuming it.
    mutating func peekKind() throws(JSONReaderError) -> Kind {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case 0 where index >= bytes.count: throw error("unexpected end of the document")
        default: throw error("unexpected byte")
        }
    }

    /// Calls `field` once per member of the object that comes next. A member `field` does not read is skipped.
    mutating func readObject(_ field: (Key, inout JSONReader) throws(JSONReaderError) -> Void)
        throws(JSONReaderError)
    {
        try expect(UInt8(ascii: "{"))
        try enter()
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected an object key") }
            let keyStart = index + 1
            try skipString()
            let key = Key(bytes: bytes[keyStart..<(index - 1)])
            try expect(UInt8(ascii: ":"))
            let valueStart = index
            try field(key, &self)
            if index == valueStart { try skipValue() }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return
            default: throw error("expected ',' or '}' in an object")
            }
        }
    }

    /// Calls `element` once per element of the array that comes next. An element `element` does not read is skipped.
    mutating func readArray(_ element: (inout JSONReader) throws(JSONReaderError) -> Void) throws(JSONReaderError) {
        try expect(UInt8(ascii: "["))
        try enter()
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            let valueStart = index
            try element(&self)
            if index == valueStart { try skipValue() }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return
            default: throw error("expected ',' or ']' in an array")
            }
        }
    }

    /// Consumes a `null` if one comes next.
    mutating func readNull() -> Bool {
        skipWhitespace()
        guard matchLiteral("null") else { return false }
        index += 4
        return true
    }

    mutating func readString() throws(JSONReaderError) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                index += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw error("unterminated string") }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &out)
            case ..<0x20:
                index -= 1
                throw error("control character in a string")
            default:
                out.append(b)
            }
        }
        throw error("unterminated string")
    }

    /// A string, or nil for `null`.
    mutating func readOptionalString() throws(JSONReaderError) -> String? {
        if readNull() { return nil }
        return try readString()
    }

    /// A string, number or boolean as text (error `code`s come as either), nil for `null`; objects and arrays are
    /// skipped and read as nil.
    mutating func readScalarText() throws(JSONReaderError) -> String? {
        switch try peekKind() {
        case .string: return try readString()
        case .null:
            guard readNull() else { throw error("invalid literal") }
            return nil
        case .number, .bool:
            let start = index
            try skipValue()
            return String(decoding: bytes[start..<index], as: UTF8.self)
        case .object, .array:
            try skipValue()
            return nil
        }
    }

    /// A non-negative count (token usage), nil for `null`. Fractions are truncated; negative values read as 0.
    mutating func readOptionalCount() throws(JSONReaderError) -> UInt64? {
        if readNull() { return nil }
        skipWhitespace()
        let start = index
        try skipNumber()
        let digits = bytes[start..<index]
        var value: UInt64 = 0
        var exact = true
        for b in digits {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else {
                exact = false
                break
            }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(b - UInt8(ascii: "0")))
            if o1 || o2 {
                exact = false
                break
            }
            value = sum
        }
        if exact { return value }
        guard let number = Double(String(decoding: digits, as: UTF8.self)), number.isFinite, number > 0 else {
            return 0
        }
        return number >= 1.8e19 ? UInt64.max : UInt64(number)
    }

    /// Skips the next value, checking that it is well formed.
    mutating func skipValue() throws(JSONReaderError) {
        switch try peekKind() {
        case .object: try readObject { _, _ throws(JSONReaderError) in }
        case .array: try readArray { _ throws(JSONReaderError) in }
        case .string: try skipString()
        case .number: try skipNumber()
        case .bool:
            if matchLiteral("true") {
                index += 4
            } else if matchLiteral("false") {
                index += 5
            } else {
                throw error("invalid literal")
            }
        case .null:
            guard matchLiteral("null") else { throw error("invalid literal") }
            index += 4
        }
    }

    func error(_ message: String) -> JSONReaderError {
        JSONReaderError(index >= bytes.count ? "\(message) (the document ends early)" : message, at: index)
    }

    // MARK: - Scanning

    private func peek() -> UInt8 { index < bytes.count ? bytes[index] : 0 }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONReaderError) {
        skipWhitespace()
        guard peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    private mutating func enter() throws(JSONReaderError) {
        depth += 1
        if depth > Self.maxDepth { throw error("nested deeper than \(Self.maxDepth) levels") }
    }

    private func matchLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        return literal.withUTF8Buffer { expected in
            for i in 0..<count where bytes[index + i] != expected[i] { return false }
            return true
        }
    }

    /// Skips a string starting at its opening quote, checking its escapes.
    private mutating func skipString() throws(JSONReaderError) {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { return }
            if b < 0x20 {
                index -= 1
                throw error("control character in a string")
            }
            if b == UInt8(ascii: "\\") {
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try readHex4()
                default: throw error("invalid escape in a string")
                }
            }
        }
        throw error("unterminated string")
    }

    /// Reads the escape after a backslash and appends its UTF-8 bytes.
    private mutating func readEscape(into out: inout [UInt8]) throws(JSONReaderError) {
        guard index < bytes.count else { throw error("unterminated string") }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                if matchLiteral("\\u") {
                    let save = index
                    index += 2
                    let low = UInt32(try readHex4())
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = save
                        scalar = 0xFFFD
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD
            }
            out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")!)
        default:
            index -= 1
            throw error("invalid escape in a string")
        }
    }

    private mutating func readHex4() throws(JSONReaderError) -> UInt16 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    /// Skips a number, checking it against JSON's grammar.
    private mutating func skipNumber() throws(JSONReaderError) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        switch peek() {
        case UInt8(ascii: "0"): index += 1
        case UInt8(ascii: "1")...UInt8(ascii: "9"): skipDigits()
        default: throw error("invalid number")
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard isDigit(peek()) else { throw error("invalid number") }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard isDigit(peek()) else { throw error("invalid number") }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while index < bytes.count && isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
