import GatewayCore

/// Builds a compact JSON document straight into bytes, for request bodies.
///
/// Fields are written in call order, so request bodies are deterministic and cheap to build; commas are inserted
/// automatically. Callers keep objects balanced; the writer does not check.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func endObject() { bytes.append(UInt8(ascii: "}")) }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
    }

    mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the next value call writes the value.
    mutating func key(_ key: String) {
        separate()
        appendString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ value: String) {
        separate()
        appendString(value)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func int(_ value: Int) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes a finite number; `description` gives the shortest text that reads back exactly, which is valid JSON.
    mutating func double(_ value: Double) {
        precondition(value.isFinite, "JSON has no spelling for \(value)")
        separate()
        if value == value.rounded(), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// A comma before a value or key unless it opens its container or follows a key.
    private mutating func separate() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): appendEscape(b)
            case 0x0A: appendEscape(UInt8(ascii: "n"))
            case 0x0D: appendEscape(UInt8(ascii: "r"))
            case 0x09: appendEscape(UInt8(ascii: "t"))
            case ..<0x20:
                appendEscape(UInt8(ascii: "u"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(UInt8(ascii: "0"))
                bytes.append(Self.hexDigit(b >> 4))
                bytes.append(Self.hexDigit(b & 0xF))
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ b: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(b)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension JSONWriter {
    /// The sampling fields both providers spell alike (`temperature`, `top_p`), and the stop sequences, which each
    /// names its own way (`stop`, `stop_sequences`). Unset values are left out so the provider's defaults apply.
    mutating func samplingFields(of request: CompletionRequest, stopKey: String) {
        if let temperature = request.temperature {
            key("temperature")
            double(temperature)
        }
        if let topP = request.topP {
            key("top_p")
            double(topP)
        }
        if !request.stop.isEmpty {
            key(stopKey)
            beginArray()
            for s in request.stop { string(s) }
            endArray()
        }
    }
}
