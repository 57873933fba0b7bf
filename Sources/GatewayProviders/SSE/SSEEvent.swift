/// One event of a `text/event-stream` body, as the WHATWG EventSource rules dispatch it.
///
/// `data` is kept exactly as the upstream sent it (several `data:` lines joined with "\n", trailing spaces kept), so
/// consumers that compare it with a sentinel such as `[DONE]` trim it first.
public struct SSEEvent: Sendable, Hashable, CustomStringConvertible {
    /// The `event:` name; nil when the event had none (the spec's default type, "message").
    public var event: String?
    public var data: String
    /// The last event ID seen on the stream so far (an `id:` field persists until the next one), nil when none.
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    public var description: String {
        var s = "SSEEvent("
        if let event { s += "event: \(event), " }
        if let id { s += "id: \(id), " }
        return s + "data: \(data.debugDescription))"
    }
}
