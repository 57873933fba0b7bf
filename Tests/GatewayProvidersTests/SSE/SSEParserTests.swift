import GatewayProviders
import Testing

@Suite("SSE parser")
struct SSEParserTests {
    /// Input and the events the WHATWG rules dispatch for it.
    struct Fixture: CustomStringConvertible, Sendable {
        var name: String
        var input: String
        var events: [SSEEvent]
        var description: String { name }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "one event", input: "data: hello\n\n", events: [SSEEvent(data: "hello")]),
        Fixture(
            name: "several events with names",
            input: "event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\n",
            events: [SSEEvent(event: "a", data: "1"), SSEEvent(event: "b", data: "2"), SSEEvent(data: "3")]),
        Fixture(
            name: "CRLF endings", input: "event: x\r\ndata: a\r\n\r\ndata: b\r\n\r\n",
            events: [SSEEvent(event: "x", data: "a"), SSEEvent(data: "b")]),
        Fixture(
            name: "CR endings", input: "data: a\r\rdata: b\rdata: c\r\r",
            events: [SSEEvent(data: "a"), SSEEvent(data: "b\nc")]),
        Fixture(
            name: "mixed endings", input: "data: a\r\ndata: b\rdata: c\n\r\ndata: d\n\r",
            events: [SSEEvent(data: "a\nb\nc"), SSEEvent(data: "d")]),
        Fixture(
            name: "comments", input: ": keep-alive\n\n:\ndata: x\n: between\ndata: y\n\n: trailing\n",
            events: [SSEEvent(data: "x\ny")]),
        Fixture(
            name: "fields without a colon", input: "data\n\ndata\ndata\n\nevent\ndata: x\n\n",
            events: [SSEEvent(data: ""), SSEEvent(data: "\n"), SSEEvent(data: "x")]),
        Fixture(
            name: "one space removed after the colon",
            input: "data:no-space\n\ndata:  two\n\ndata: trailing   \n\ndata:\n\n",
            events: [
                SSEEvent(data: "no-space"), SSEEvent(data: " two"), SSEEvent(data: "trailing   "), SSEEvent(data: ""),
            ]),
        Fixture(name: "leading BOM", input: "\u{FEFF}data: bom\n\n", events: [SSEEvent(data: "bom")]),
        Fixture(
            name: "only one BOM is stripped", input: "\u{FEFF}\u{FEFF}data: x\n\ndata: y\n\n",
            events: [SSEEvent(data: "y")]),
        Fixture(
            name: "multi-byte UTF-8", input: "event: ünï\ndata: héllo 🌍 你好\n\n",
            events: [SSEEvent(event: "ünï", data: "héllo 🌍 你好")]),
        Fixture(
            name: "retry and unknown fields ignored", input: "retry: 3000\n\nretry: 10\nfoo: bar\ndata: x\n\n",
            events: [SSEEvent(data: "x")]),
        Fixture(
            name: "ids persist until replaced",
            input: "id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 8\u{0}\ndata: d\n\n",
            events: [
                SSEEvent(data: "a", id: "7"), SSEEvent(data: "b", id: "7"), SSEEvent(data: "c"), SSEEvent(data: "d"),
            ]),
        Fixture(
            name: "an event without data is not dispatched and its name does not leak",
            input: "event: ping\n\ndata: x\n\nevent:\ndata: y\n\n",
            events: [SSEEvent(data: "x"), SSEEvent(data: "y")]),
        Fixture(
            name: "colons in the value", input: "data: {\"a\": \"b:c\"}\n\n",
            events: [SSEEvent(data: "{\"a\": \"b:c\"}")]),
        Fixture(
            name: "an event cut at the end is discarded", input: "data: x\n\ndata: partial",
            events: [SSEEvent(data: "x")]),
    ]

    static func parse(_ chunks: [[UInt8]], maxEventBytes: Int = SSEParser.defaultMaxEventBytes) throws -> [SSEEvent] {
        var parser = SSEParser(maxEventBytes: maxEventBytes)
        var events: [SSEEvent] = []
        for chunk in chunks {
            parser.append(chunk)
            while let event = try parser.next() { events.append(event) }
        }
        parser.finish()
        return events
    }

    @Test(arguments: fixtures)
    func wholeInput(_ fixture: Fixture) throws {
        #expect(try Self.parse([Array(fixture.input.utf8)]) == fixture.events)
    }

    @Test(arguments: fixtures)
    func byteByByte(_ fixture: Fixture) throws {
        #expect(try Self.parse(fixture.input.utf8.map { [$0] }) == fixture.events)
    }

    @Test(arguments: fixtures)
    func splitAtEveryPosition(_ fixture: Fixture) throws {
        let bytes = Array(fixture.input.utf8)
        for cut in 0...bytes.count {
            let events = try Self.parse([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(events == fixture.events, "split at \(cut)")
        }
    }

    @Test(arguments: fixtures)
    func splitTwiceAtEveryPair(_ fixture: Fixture) throws {
        let bytes = Array(fixture.input.utf8)
        for first in 0...bytes.count {
            for second in first...bytes.count {
                let chunks = [Array(bytes[..<first]), Array(bytes[first..<second]), Array(bytes[second...])]
                #expect(try Self.parse(chunks) == fixture.events, "split at \(first) and \(second)")
            }
        }
    }

    @Test func crAndLFInSeparateReadsAreOneLineEnding() throws {
        var parser = SSEParser()
        parser.append(Array("data: a\r".utf8))
        #expect(try parser.next() == nil)
        parser.append([0x0A])
        #expect(try parser.next() == nil)
        parser.append([0x0D])
        #expect(try parser.next() == SSEEvent(data: "a"))
        parser.append([0x0A])  // ends the blank CR line: not a second blank line
        parser.append(Array("data: b\n\n".utf8))
        #expect(try parser.next() == SSEEvent(data: "b"))
        #expect(try parser.next() == nil)
    }

    @Test func multiByteCharacterSplitAcrossReads() throws {
        let bytes = Array("data: 🌍\n\n".utf8)  // the globe is 4 bytes: F0 9F 8C 8D
        var parser = SSEParser()
        parser.append(bytes[..<8])
        #expect(try parser.next() == nil)
        parser.append(bytes[8...])
        #expect(try parser.next() == SSEEvent(data: "🌍"))
    }

    @Test func invalidUTF8IsReplacedNotFatal() throws {
        let events = try Self.parse([Array("data: a".utf8) + [0xFF, 0xC3] + Array("b\n\n".utf8)])
        #expect(events == [SSEEvent(data: "a\u{FFFD}\u{FFFD}b")])
    }

    @Test func feedHandsEventsToTheCallbackInOrder() throws {
        var parser = SSEParser()
        var seen: [String] = []
        try parser.feed(Array("data: 1\n\ndata: 2\n\ndata: 3".utf8)) { seen.append($0.data) }
        #expect(seen == ["1", "2"])
        try parser.feed(Array("\n\n".utf8)) { seen.append($0.data) }
        #expect(seen == ["1", "2", "3"])
    }

    @Test func finishReportsWhetherAnEventWasCut() throws {
        var clean = SSEParser()
        clean.append(Array("data: x\n\n".utf8))
        #expect(try clean.next() == SSEEvent(data: "x"))
        #expect(clean.finish() == false)

        var partialLine = SSEParser()
        partialLine.append(Array("data: x\n\ndata: y".utf8))
        _ = try partialLine.next()
        #expect(try partialLine.next() == nil)
        #expect(partialLine.finish() == true)

        var undispatched = SSEParser()
        undispatched.append(Array("data: y\n".utf8))
        #expect(try undispatched.next() == nil)
        #expect(undispatched.finish() == true)

        var onlyName = SSEParser()
        onlyName.append(Array("event: x\n".utf8))
        #expect(try onlyName.next() == nil)
        #expect(onlyName.finish() == true)
    }

    @Test func finishResetsForANewStream() throws {
        var parser = SSEParser()
        parser.append(Array("id: 1\ndata: cut".utf8))
        #expect(try parser.next() == nil)
        parser.finish()
        parser.append(Array("\u{FEFF}data: fresh\n\n".utf8))
        #expect(try parser.next() == SSEEvent(data: "fresh"))
    }

    @Test func eventUpToTheCapIsAccepted() throws {
        let data = String(repeating: "x", count: 16)
        #expect(try Self.parse([Array("data: \(data)\n\n".utf8)], maxEventBytes: 16) == [SSEEvent(data: data)])
        let lines = "data: 1234567\ndata: 1234567\n\n"  // 7 + 1 (the joining LF) + 7 = 15 bytes of data
        #expect(try Self.parse([Array(lines.utf8)], maxEventBytes: 15) == [SSEEvent(data: "1234567\n1234567")])
    }

    @Test func eventDataPastTheCapThrows() {
        let error = #expect(throws: SSEParserError.self) {
            try Self.parse([Array("data: 1234567\ndata: 12345678\n\n".utf8)], maxEventBytes: 15)
        }
        #expect(error?.code == .eventTooLarge)
        #expect(error?.message.contains("15 bytes") == true)
    }

    @Test func unterminatedLinePastTheCapThrowsWhileStillArriving() throws {
        var parser = SSEParser(maxEventBytes: 64)
        var thrown: SSEParserError?
        var fed = 0
        for _ in 0..<1000 {
            parser.append(Array("x".utf8))
            fed += 1
            do {
                _ = try parser.next()
            } catch {
                thrown = error
                break
            }
        }
        #expect(thrown?.code == .eventTooLarge)
        #expect(fed == 65)
        // The parser stays failed.
        parser.append(Array("\n\ndata: y\n\n".utf8))
        #expect(throws: SSEParserError.self) { try parser.next() }
    }

    @Test func commentsAndCompleteEventsDoNotCountTowardsTheCap() throws {
        let input =
            String(repeating: ": keep-alive\n", count: 100) + String(repeating: "data: 0123456789\n\n", count: 100)
        let events = try Self.parse([Array(input.utf8)], maxEventBytes: 16)
        #expect(events.count == 100)
        #expect(events.allSatisfy { $0.data == "0123456789" })
    }

    @Test func randomChunkingsOfALongStreamAgree() throws {
        var input = ""
        var expected: [SSEEvent] = []
        for i in 0..<200 {
            let data = "{\"n\":\(i),\"text\":\"é🌍\(String(repeating: "z", count: i % 17))\"}"
            let ending = ["\n", "\r\n", "\r"][i % 3]
            input += (i % 5 == 0 ? ": ping\(ending)" : "") + "event: e\(i % 4)\(ending)data: \(data)\(ending)\(ending)"
            expected.append(SSEEvent(event: "e\(i % 4)", data: data))
        }
        let bytes = Array(input.utf8)
        var generator = SplitMix64(seed: 42)
        for _ in 0..<50 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int(generator.next() % 40)
                chunks.append(Array(bytes[i..<min(i + n, bytes.count)]))
                i += n
            }
            #expect(try Self.parse(chunks) == expected)
        }
    }
}

/// A tiny deterministic generator so chunkings are random but reproducible.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
