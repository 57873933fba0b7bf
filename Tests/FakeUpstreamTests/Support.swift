import FakeUpstream
import Foundation
import Testing

/// Starts a fake on a free port, runs `body`, and shuts the fake down even when `body` throws.
func withFake(
    _ configuration: FakeUpstream.Configuration = .init(),
    _ body: (FakeUpstream) async throws -> Void
) async throws {
    let fake = try await FakeUpstream.start(configuration: configuration)
    do {
        try await body(fake)
    } catch {
        try? await fake.shutdown()
        throw error
    }
    try await fake.shutdown()
}

/// Sends one request on a new connection and reads the response.
func exchange(
    _ fake: FakeUpstream,
    _ request: String,
    timeout: Duration = .seconds(10)
) async throws
    -> RawHTTPResponse
{
    let connection = try await RawHTTPConnection.connect(port: fake.port)
    try await connection.send(request)
    let response = await connection.readResponse(timeout: timeout)
    await connection.close()
    return response
}

/// Raw HTTP/1.1 requests.
enum Requests {
    static func raw(
        method: String = "POST",
        path: String,
        headers: [(String, String)] = [],
        body: String = "",
        version: String = "HTTP/1.1"
    ) -> String {
        var text = "\(method) \(path) \(version)\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "\r\n" + body
    }

    static func json(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// `POST /v1/chat/completions` with a system message (when given) and one user message.
    static func openAI(
        model: String = "gpt-4o",
        user: String = "hello world",
        system: String? = nil,
        stream: Bool = false,
        includeUsage: Bool = false,
        maxTokens: Int? = nil,
        key: String? = "sk-test",
        headers: [(String, String)] = [],
        version: String = "HTTP/1.1"
    ) -> String {
        var messages: [[String: Any]] = []
        if let system { messages.append(["role": "system", "content": system]) }
        messages.append(["role": "user", "content": user])
        var body: [String: Any] = ["model": model, "messages": messages]
        if stream { body["stream"] = true }
        if includeUsage { body["stream_options"] = ["include_usage": true] }
        if let maxTokens { body["max_tokens"] = maxTokens }
        var allHeaders = [("Content-Type", "application/json")]
        if let key { allHeaders.append(("Authorization", "Bearer \(key)")) }
        return raw(path: "/v1/chat/completions", headers: allHeaders + headers, body: json(body), version: version)
    }

    /// `POST /v1/messages` with a system prompt (when given) and one user message.
    static func anthropic(
        model: String = "claude-sonnet-4-5",
        user: String = "hello world",
        system: String? = nil,
        stream: Bool = false,
        maxTokens: Int? = 1024,
        key: String? = "sk-ant-test",
        version: String? = "2023-06-01",
        headers: [(String, String)] = []
    ) -> String {
        var body: [String: Any] = ["model": model, "messages": [["role": "user", "content": user]]]
        if let system { body["system"] = system }
        if stream { body["stream"] = true }
        if let maxTokens { body["max_tokens"] = maxTokens }
        var allHeaders = [("Content-Type", "application/json")]
        if let key { allHeaders.append(("x-api-key", key)) }
        if let version { allHeaders.append(("anthropic-version", version)) }
        return raw(path: "/v1/messages", headers: allHeaders + headers, body: json(body))
    }

    /// A streaming or non-streaming request to `provider` saying `user`.
    static func to(
        _ provider: FakeProvider,
        model: String? = nil,
        user: String = "hello world",
        stream: Bool = false
    )
        -> String
    {
        switch provider {
        case .openai: return openAI(model: model ?? "gpt-4o", user: user, stream: stream, includeUsage: stream)
        case .anthropic: return anthropic(model: model ?? "claude-sonnet-4-5", user: user, stream: stream)
        }
    }
}

/// Looks up a path of keys and indexes in parsed JSON: `value(json, "choices", 0, "delta")`.
func value(_ root: Any?, _ path: Any...) -> Any? {
    var current = root
    for step in path {
        if let key = step as? String {
            current = (current as? [String: Any])?[key]
        } else if let index = step as? Int {
            guard let array = current as? [Any], array.indices.contains(index) else { return nil }
            current = array[index]
        }
    }
    return current
}

func parseJSON(_ bytes: [UInt8]) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(bytes))
    return try #require(object as? [String: Any])
}

func parseJSON(_ text: String) throws -> [String: Any] {
    try parseJSON(Array(text.utf8))
}

/// A spec-following SSE parser (CRLF, LF or CR line ends; `:` comments; one optional space after the colon).
struct ParsedSSE {
    struct Event {
        var name: String?
        var data: String

        /// The data as a JSON object, trailing spaces allowed.
        func json() throws -> [String: Any] { try parseJSON(data) }
    }

    var events: [Event] = []
    var comments: [String] = []

    init(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines: [Substring] = []
        var start = text.startIndex
        var index = text.startIndex
        // Split on \r\n, \n and \r; Swift treats "\r\n" as one Character.
        while index < text.endIndex {
            let character = text[index]
            if character == "\r\n" || character == "\n" || character == "\r" {
                lines.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        var name: String?
        var data: [String] = []
        for line in lines {
            if line.isEmpty {
                if !data.isEmpty { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
                name = nil
                data = []
                continue
            }
            if line.hasPrefix(":") {
                comments.append(String(line.dropFirst()))
                continue
            }
            let field: Substring
            var fieldValue: Substring = ""
            if let colon = line.firstIndex(of: ":") {
                field = line[..<colon]
                fieldValue = line[line.index(after: colon)...]
                if fieldValue.hasPrefix(" ") { fieldValue = fieldValue.dropFirst() }
            } else {
                field = line
            }
            switch field {
            case "event": name = String(fieldValue)
            case "data": data.append(String(fieldValue))
            default: break
            }
        }
    }

    var names: [String?] { events.map(\.name) }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Holds tasks back until opened.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
