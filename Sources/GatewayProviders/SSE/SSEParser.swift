#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental, byte-level parser for `text/event-stream` bodies that follows the WHATWG EventSource rules.
///
/// Bytes go in as they arrive (`append`) and complete events come out (`next`), so an event may be split across
/// reads at any byte: between a CR and its LF, or inside a multi-byte UTF-8 character (lines are cut only at CR and
/// LF, which never occur inside one). It accepts LF, CRLF and CR line endings, comment lines (`: keep-alive`), fields
/// without a colon, one optional space after the colon, multi-line `data` joined with "\n", and a leading UTF-8 BOM;
/// `retry:` and unknown fields are ignored. Trailing spaces of a value are kept, as the spec says.
///
/// One event (its data so far plus the line being read) may not grow past `maxEventBytes`: a broken or hostile
/// upstream gets a clear `SSEParserError` instead of unbounded memory. After an error every `next()` throws it again.
///
/// The hot path allocates nothing per byte: input is copied once into a reused buffer, lines are scanned in place,
/// and the only allocations per event are its `data` string (and its `event:` name, when it differs from the
/// previous event's).
public struct SSEParser: Sendable {
    /// 1 MiB: far above any real completion chunk, small enough that a runaway stream cannot hurt the process.
    public static let defaultMaxEventBytes = 1 << 20

    public let maxEventBytes: Int

    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D
    private static let colon: UInt8 = 0x3A
    private static let space: UInt8 = 0x20

    /// Received bytes; `buffer[readIndex...]` is not yet consumed.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// `buffer[readIndex..<scanIndex]` is known to hold no line terminator, so a long line is scanned only once.
    private var scanIndex = 0
    /// The last line ended in a CR that was the last byte received: an LF that starts the next read belongs to it.
    private var skipLeadingLF = false
    /// No line has been read yet, so a leading BOM is still possible.
    private var atStreamStart = true
    private var data: [UInt8] = []
    private var dataLines = 0
    private var eventType: String?
    /// The previous `event:` name, reused when the next one is the same so repeated names do not allocate.
    private var lastEventType = ""
    private var lastEventID = ""
    private var failure: SSEParserError?

    public init(maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        precondition(maxEventBytes > 0, "maxEventBytes must be positive")
        self.maxEventBytes = maxEventBytes
    }

    /// Adds bytes read from the body. Call `next()` until it returns nil afterwards.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 {
            if readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.removeSubrange(0..<readIndex)
            }
            scanIndex -= readIndex
            readIndex = 0
        }
        // Generic code is not specialised across the module boundary: copy through contiguous storage so a read is
        // one memcpy rather than a dynamically dispatched loop over its bytes.
        let copied: Void? = bytes.withContiguousStorageIfAvailable { buffer.append(contentsOf: $0) }
        if copied == nil { buffer.append(contentsOf: bytes) }
    }

    /// The next complete event, or nil when more bytes are needed.
    public mutating func next() throws(SSEParserError) -> SSEEvent? {
        if let failure { throw failure }
        while true {
            if skipLeadingLF {
                guard readIndex < buffer.count else { return nil }
                skipLeadingLF = false
                if buffer[readIndex] == Self.lf {
                    readIndex += 1
                    scanIndex = max(scanIndex, readIndex)
                }
            }
            let from = max(scanIndex, readIndex)
            let terminator = Self.lineEnd(in: buffer, from: from)
            guard let end = terminator else {
                scanIndex = buffer.count
                if buffer.count - readIndex + data.count > maxEventBytes {
                    throw fail("an SSE line grew past \(maxEventBytes) bytes without ending")
                }
                return nil
            }
            let start = readIndex
            if buffer[end] == Self.cr {
                if end + 1 < buffer.count {
                    readIndex = buffer[end + 1] == Self.lf ? end + 2 : end + 1
                } else {
                    readIndex = end + 1
                    skipLeadingLF = true
                }
            } else {
                readIndex = end + 1
            }
            scanIndex = readIndex
            if let event = try processLine(start, end) { return event }
        }
    }

    /// Feeds bytes and hands every event completed by them to `onEvent`, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>, _ onEvent: (SSEEvent) throws -> Void) throws {
        append(bytes)
        while let event = try next() { try onEvent(event) }
    }

    /// The body ended. Per the spec an event not closed by a blank line is discarded; returns whether one was (a
    /// partial line or undispatched fields), so a caller can tell a clean end from a cut one. Call it after `next()`
    /// returned nil; the parser is then ready for a new stream.
    @discardableResult
    public mutating func finish() -> Bool {
        let incomplete = readIndex < buffer.count || dataLines > 0 || eventType != nil
        buffer.removeAll(keepingCapacity: true)
        readIndex = 0
        scanIndex = 0
        skipLeadingLF = false
        atStreamStart = true
        resetEvent()
        lastEventID = ""
        failure = nil
        return incomplete
    }

    /// Interprets `buffer[start..<end]`, one line without its terminator; returns an event when the line is blank.
    private mutating func processLine(_ lineStart: Int, _ end: Int) throws(SSEParserError) -> SSEEvent? {
        var start = lineStart
        if atStreamStart {
            atStreamStart = false
            if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
                start += 3
            }
        }
        if start == end { return dispatch() }
        if buffer[start] == Self.colon { return nil }  // a comment

        var nameEnd = start
        while nameEnd < end && buffer[nameEnd] != Self.colon { nameEnd += 1 }
        var valueStart = nameEnd
        if nameEnd < end {
            valueStart += 1
            if valueStart < end && buffer[valueStart] == Self.space { valueStart += 1 }
        }

        switch nameEnd - start {
        case 4 where matches(start, "data"):
            let added = end - valueStart + (dataLines > 0 ? 1 : 0)
            if data.count + added > maxEventBytes {
                throw fail("an SSE event's data grew past \(maxEventBytes) bytes")
            }
            if dataLines > 0 { data.append(Self.lf) }
            data.append(contentsOf: buffer[valueStart..<end])
            dataLines += 1
        case 5 where matches(start, "event"):
            let value = buffer[valueStart..<end]
            if value.isEmpty {
                eventType = nil
            } else if Self.equal(lastEventType, value) {
                eventType = lastEventType
            } else {
                lastEventType = String(decoding: value, as: UTF8.self)
                eventType = lastEventType
            }
        case 2 where matches(start, "id"):
            let value = buffer[valueStart..<end]
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        default:
            break  // `retry` (reconnection is the caller's business) and unknown fields
        }
        return nil
    }

    /// The index of the first CR or LF at or after `from`. memchr is vectorised; CR is rare, so it is searched for
    /// only before the first LF.
    private static func lineEnd(in buffer: [UInt8], from: Int) -> Int? {
        buffer.withUnsafeBytes { raw -> Int? in
            guard from < raw.count, let base = raw.baseAddress else { return nil }
            let start = base + from
            let length = raw.count - from
            let lf = memchr(start, Int32(lf), length)
            let searched = lf.map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? length
            if searched > 0, let cr = memchr(start, Int32(cr), searched) {
                return from + (UnsafeRawPointer(cr) - UnsafeRawPointer(start))
            }
            return lf == nil ? nil : from + searched
        }
    }

    private static func equal(_ string: String, _ bytes: ArraySlice<UInt8>) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            utf8.count == bytes.count
                && bytes.withUnsafeBufferPointer { memcmp(utf8.baseAddress!, $0.baseAddress!, utf8.count) == 0 }
        }
    }

    private func matches(_ start: Int, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        return name.withUTF8Buffer { expected in
            var i = 0
            while i < count {
                if buffer[start + i] != expected[i] { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func dispatch() -> SSEEvent? {
        guard dataLines > 0 else {
            eventType = nil
            return nil
        }
        let event = SSEEvent(
            event: eventType, data: String(decoding: data, as: UTF8.self), id: lastEventID.isEmpty ? nil : lastEventID)
        resetEvent()
        return event
    }

    private mutating func resetEvent() {
        if data.capacity > 64 * 1024 {
            data = []
        } else {
            data.removeAll(keepingCapacity: true)
        }
        dataLines = 0
        eventType = nil
    }

    private mutating func fail(_ message: String) -> SSEParserError {
        let error = SSEParserError(.eventTooLarge, message)
        failure = error
        buffer = []
        readIndex = 0
        scanIndex = 0
        data = []
        dataLines = 0
        return error
    }
}
