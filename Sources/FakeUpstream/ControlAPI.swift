import NIOHTTP1

/// The HTTP control API that scripts a fake running in another process (`aigw fake-upstream`, Python tests, demos).
/// Control requests are not provider requests: they are neither recorded nor counted as attempts.
///
/// - `POST /_fake/enqueue` `{"model": "gpt-4o" | null, "behaviours": ["status:500", "ok"]}`
/// - `POST /_fake/default` `{"model": ..., "behaviour": "status:503"}`
/// - `POST /_fake/reply` `{"model": ..., "pieces": ["Hi", " there"] or "text": "Hi there", "input_tokens": 3,
///   "cached_input_tokens": 0, "cache_write_tokens": 0}`
/// - `POST /_fake/token-delay` `{"milliseconds": 20}`
/// - `POST /_fake/reset`
/// - `GET /_fake/stats` → `{"attempts": {"<model>": n}, "total_attempts": n, "connections_accepted": n,
///   "open_connections": n}`
/// - `GET /_fake/requests` → `{"requests": [{"method", "path", "provider", "model", "stream", "headers": [[name,
///   value]], "body"}]}`
///
/// Success is `200 {"ok":true}`; a bad body is `400 {"error":"..."}`.
struct ControlAPI: Sendable {
    static let prefix = "/_fake/"

    let state: FakeUpstreamState

    private struct BadRequest: Error {
        var message: String
    }

    func respond(method: HTTPMethod, path: String, body: [UInt8]) -> [ResponseStep] {
        let name = String(path.dropFirst(Self.prefix.count))
        let expected: HTTPMethod
        switch name {
        case "enqueue", "default", "reply", "token-delay", "reset": expected = .POST
        case "stats", "requests": expected = .GET
        default: return ResponsePlanner.json(status: 404, body: .object(["error": .string("no such control path")]))
        }
        guard method == expected else {
            return ResponsePlanner.json(
                status: 405,
                body: .object(["error": .string("use \(expected.rawValue)")]),
                headers: [.init("allow", expected.rawValue)]
            )
        }
        do {
            switch name {
            case "stats": return ResponsePlanner.json(status: 200, body: stats())
            case "requests": return ResponsePlanner.json(status: 200, body: requests())
            case "reset": state.reset()
            default: try apply(name, body: body)
            }
            return ResponsePlanner.json(status: 200, body: .object(["ok": .bool(true)]))
        } catch let error as BadRequest {
            return ResponsePlanner.json(status: 400, body: .object(["error": .string(error.message)]))
        } catch {
            return ResponsePlanner.json(status: 400, body: .object(["error": .string("\(error)")]))
        }
    }

    private func apply(_ name: String, body: [UInt8]) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw BadRequest(message: "body is not JSON: \(error)")
        }
        guard json.isObject else { throw BadRequest(message: "body must be a JSON object") }
        let model: String?
        switch json["model"] {
        case nil, .null?: model = nil
        case .string(let value)?: model = value
        default: throw BadRequest(message: "model must be a string or null")
        }
        switch name {
        case "enqueue":
            guard let list = json["behaviours"]?.arrayValue else {
                throw BadRequest(message: "behaviours must be an array of strings")
            }
            let behaviours = try list.map { item -> FakeBehaviour in
                guard let text = item.stringValue else { throw BadRequest(message: "behaviours must be strings") }
                return try FakeBehaviour(parsing: text)
            }
            state.enqueue(behaviours, model: model)
        case "default":
            guard let text = json["behaviour"]?.stringValue else { throw BadRequest(message: "behaviour is required") }
            state.setDefault(try FakeBehaviour(parsing: text), model: model)
        case "reply":
            state.setReply(try reply(from: json), model: model)
        case "token-delay":
            guard let milliseconds = json["milliseconds"]?.intValue, milliseconds >= 0 else {
                throw BadRequest(message: "milliseconds must be a non-negative integer")
            }
            state.setTokenDelay(milliseconds: milliseconds)
        default:
            break
        }
    }

    private func reply(from json: JSONValue) throws -> FakeReply {
        func count(_ key: String) throws -> Int {
            guard let value = json[key], value != .null else { return 0 }
            guard let number = value.intValue, number >= 0 else {
                throw BadRequest(message: "\(key) must be a non-negative integer")
            }
            return number
        }
        let pieces: [String]
        if let list = json["pieces"]?.arrayValue {
            pieces = try list.map {
                guard let piece = $0.stringValue else { throw BadRequest(message: "pieces must be strings") }
                return piece
            }
        } else if let text = json["text"]?.stringValue {
            pieces = FakeReply.words(of: text)
        } else {
            throw BadRequest(message: "pieces (array of strings) or text (string) is required")
        }
        return FakeReply(
            pieces: pieces,
            inputTokens: try count("input_tokens"),
            cachedInputTokens: try count("cached_input_tokens"),
            cacheWriteTokens: try count("cache_write_tokens")
        )
    }

    private func stats() -> JSONValue {
        let stats = state.stats
        return .object([
            "attempts": .object(
                stats.attemptsByModel.sorted { $0.key < $1.key }.map {
                    JSONValue.Member(key: $0.key, value: .int($0.value))
                }
            ),
            "total_attempts": .int(stats.totalAttempts),
            "connections_accepted": .int(stats.connectionsAccepted),
            "open_connections": .int(stats.openConnections),
        ])
    }

    private func requests() -> JSONValue {
        .object([
            "requests": .array(
                state.requests.map { request in
                    .object([
                        "method": .string(request.method),
                        "path": .string(request.path),
                        "provider": .string(request.provider.rawValue),
                        "model": .string(request.model),
                        "stream": .bool(request.stream),
                        "headers": .array(request.headers.map { .array([.string($0.name), .string($0.value)]) }),
                        "body": .string(request.bodyText),
                    ])
                }
            )
        ])
    }
}
