/// Turns events into body writes in one of the ``FakeSSEStyle``s.
struct SSEFramer: Sendable {
    var style: FakeSSEStyle

    /// An event to send and how long to wait before sending it.
    struct Item: Sendable, Equatable {
        var event: SSEEvent
        var delayMilliseconds: Int
    }

    /// The body writes, flushes and delays that send `items`, everything flushed at the end.
    func steps(for items: [Item]) -> [ResponseStep] {
        switch style {
        case .plain: return plainSteps(items)
        case .messy: return messySteps(items)
        }
    }

    /// `event: NAME\n` (if named), `data: DATA\n`, blank line.
    static func plainText(_ event: SSEEvent) -> String {
        var text = ""
        if let name = event.name { text += "event: \(name)\n" }
        text += "data: \(event.data)\n\n"
        return text
    }

    private func plainSteps(_ items: [Item]) -> [ResponseStep] {
        var steps: [ResponseStep] = []
        for item in items {
            if item.delayMilliseconds > 0 { steps.append(.delay(milliseconds: item.delayMilliseconds)) }
            steps.append(.body(Array(SSEFramer.plainText(item.event).utf8)))
            steps.append(.flush)
        }
        return steps
    }

    /// Event `index` in messy style: CRLF, a comment line in every fourth event, trailing spaces after every other
    /// data value.
    static func messyText(_ event: SSEEvent, index: Int) -> String {
        var text = ""
        if index % 4 == 0 { text += ": fake-upstream comment \(index)\r\n" }
        if let name = event.name { text += "event: \(name)\r\n" }
        text += "data: \(event.data)\(index % 2 == 1 ? "  " : "")\r\n\r\n"
        return text
    }

    /// Deterministic mess, in cycles of four events: events 1 and 2 go out in one write; event 3 is split in the
    /// middle (at a byte, even inside a UTF-8 sequence) with a flush between the halves, its second half written
    /// together with event 4 (the next cycle's 0). The first split's halves go out 1 ms apart so they surely arrive
    /// in separate reads. A `: keep-alive` block follows event 1.
    private func messySteps(_ items: [Item]) -> [ResponseStep] {
        var steps: [ResponseStep] = []
        var pending: [UInt8] = []
        var splitDelayed = false
        func writePending() {
            guard !pending.isEmpty else { return }
            steps.append(.body(pending))
            steps.append(.flush)
            pending = []
        }
        for (index, item) in items.enumerated() {
            if item.delayMilliseconds > 0 {
                writePending()
                steps.append(.delay(milliseconds: item.delayMilliseconds))
            }
            var bytes = Array(SSEFramer.messyText(item.event, index: index).utf8)
            if index == 1 { bytes += Array(": keep-alive\r\n\r\n".utf8) }
            switch index % 4 {
            case 1:
                pending += bytes
            case 3:
                let half = bytes.count / 2
                pending += bytes[..<half]
                writePending()
                if !splitDelayed {
                    steps.append(.delay(milliseconds: 1))
                    splitDelayed = true
                }
                pending = Array(bytes[half...])
            default:
                pending += bytes
                writePending()
            }
        }
        writePending()
        return steps
    }
}
