/// One server-sent event: an optional `event:` name and one `data:` line.
struct SSEEvent: Sendable, Equatable {
    var name: String?
    var data: String

    init(name: String? = nil, data: String) {
        self.name = name
        self.data = data
    }

    init(name: String? = nil, json: JSONValue) {
        self.init(name: name, data: json.serialized)
    }
}

/// A successful stream in the parts that the scripted failures cut, drop or interleave.
struct StreamScript: Sendable, Equatable {
    /// Events before the first text piece (OpenAI's role chunk; Anthropic's message_start, content_block_start, ping).
    var preamble: [SSEEvent]
    /// One event per text piece.
    var pieces: [SSEEvent]
    /// Events after the pieces but before the terminal one (finish reason, usage).
    var closing: [SSEEvent]
    /// OpenAI's `data: [DONE]`; Anthropic's `message_stop`.
    var terminal: SSEEvent
    /// A `data:` event whose JSON is cut off.
    var malformed: SSEEvent
    /// The provider's in-stream error event.
    var error: SSEEvent
}
