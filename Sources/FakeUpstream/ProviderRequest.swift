import NIOHTTP1

/// A provider request reduced to what the fake needs to answer it, or the provider's own 4xx for a request the real
/// provider would reject before doing any work.
struct ProviderRequest: Sendable {
    var provider: FakeProvider
    var model: String
    var stream: Bool
    /// OpenAI `stream_options.include_usage`.
    var includeUsage: Bool
    /// OpenAI `max_completion_tokens` or `max_tokens`; Anthropic `max_tokens`.
    var maxTokens: Int?
    /// The text of the last `user` message.
    var lastUserMessage: String
    /// The system prompt (Anthropic) and the text of every message, for the default reply's token count.
    var texts: [String]

    /// What the fake answers when no reply is set.
    var defaultReply: FakeReply {
        FakeReply.defaultReply(forLastUserMessage: lastUserMessage, systemAndMessages: texts)
    }

    /// A request the provider would refuse: the status and error to answer with.
    struct Rejection: Error, Sendable {
        var status: Int
        var error: FakeError
        /// OpenAI's `param` field.
        var param: String?

        init(
            _ status: Int,
            kind: FakeError.Kind,
            type: String? = nil,
            code: String? = nil,
            param: String? = nil,
            _ message: String
        ) {
            self.status = status
            self.error = FakeError(kind: kind, type: type, code: code, message: message)
            self.param = param
        }
    }

    /// The `model` and `stream` fields, read leniently so even rejected requests are recorded with them.
    static func peek(_ json: JSONValue?) -> (model: String?, stream: Bool) {
        (json?["model"]?.stringValue, json?["stream"]?.boolValue ?? false)
    }

    /// Validates a request as the provider would (key, required headers, JSON, required fields) and extracts what
    /// the fake needs.
    static func parse(
        provider: FakeProvider,
        headers: HTTPHeaders,
        json: JSONValue?,
        configuration: FakeUpstream.Configuration
    ) -> Result<ProviderRequest, Rejection> {
        switch provider {
        case .openai: return parseOpenAI(headers: headers, json: json, key: configuration.openAIKey)
        case .anthropic: return parseAnthropic(headers: headers, json: json, key: configuration.anthropicKey)
        }
    }

    private static func parseOpenAI(
        headers: HTTPHeaders,
        json: JSONValue?,
        key: String?
    )
        -> Result<ProviderRequest, Rejection>
    {
        if let key {
            guard let authorization = headers.first(name: "authorization"), !authorization.isEmpty else {
                return .failure(
                    Rejection(
                        401,
                        kind: .authentication,
                        code: "",
                        "You didn't provide an API key. You need to provide your API key in an Authorization header "
                            + "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
                            + "blank username) if you're accessing the API from your browser and are prompted for a "
                            + "username and password. You can obtain an API key from "
                            + "https://platform.openai.com/account/api-keys."
                    )
                )
            }
            let presented = authorization.hasPrefix("Bearer ") ? String(authorization.dropFirst(7)) : authorization
            guard presented == key else {
                return .failure(
                    Rejection(
                        401,
                        kind: .authentication,
                        code: "invalid_api_key",
                        "Incorrect API key provided: \(maskKey(presented)). You can find your API key at "
                            + "https://platform.openai.com/account/api-keys."
                    )
                )
            }
        }
        guard let json, json.isObject else {
            return .failure(
                Rejection(
                    400,
                    kind: .invalidRequest,
                    code: "",
                    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
                        + "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
                        + "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
                        + "help center at help.openai.com.)"
                )
            )
        }
        guard let model = json["model"]?.stringValue, !model.isEmpty else {
            return .failure(Rejection(400, kind: .invalidRequest, code: "", "you must provide a model parameter"))
        }
        guard let messages = json["messages"]?.arrayValue else {
            return .failure(
                Rejection(
                    400,
                    kind: .invalidRequest,
                    code: "missing_required_parameter",
                    param: "messages",
                    "Missing required parameter: 'messages'."
                )
            )
        }
        var maxTokens: Int?
        for field in ["max_completion_tokens", "max_tokens"] {
            guard let value = json[field], value != .null else { continue }
            guard let number = value.intValue else {
                return .failure(
                    Rejection(
                        400,
                        kind: .invalidRequest,
                        code: "invalid_type",
                        param: field,
                        "Invalid type for '\(field)': expected an integer, but got a \(typeName(value)) instead."
                    )
                )
            }
            guard number >= 1 else {
                return .failure(
                    Rejection(
                        400,
                        kind: .invalidRequest,
                        code: "integer_below_min_value",
                        param: field,
                        "Invalid '\(field)': integer below minimum value. Expected a value >= 1, but got \(number) "
                            + "instead."
                    )
                )
            }
            maxTokens = maxTokens ?? number
        }
        let texts = messages.map { text(of: $0["content"]) }
        let lastUser = messages.last { $0["role"]?.stringValue == "user" }.map { text(of: $0["content"]) } ?? ""
        return .success(
            ProviderRequest(
                provider: .openai,
                model: model,
                stream: json["stream"]?.boolValue ?? false,
                includeUsage: json["stream_options"]?["include_usage"]?.boolValue ?? false,
                maxTokens: maxTokens,
                lastUserMessage: lastUser,
                texts: texts
            )
        )
    }

    private static func parseAnthropic(
        headers: HTTPHeaders,
        json: JSONValue?,
        key: String?
    )
        -> Result<ProviderRequest, Rejection>
    {
        if let key {
            guard let presented = headers.first(name: "x-api-key"), !presented.isEmpty else {
                return .failure(Rejection(401, kind: .authentication, "x-api-key header is required"))
            }
            guard presented == key else {
                return .failure(Rejection(401, kind: .authentication, "invalid x-api-key"))
            }
        }
        guard headers.first(name: "anthropic-version") != nil else {
            return .failure(Rejection(400, kind: .invalidRequest, "anthropic-version: header is required"))
        }
        guard let json, json.isObject else {
            return .failure(
                Rejection(400, kind: .invalidRequest, "There was an issue with the request body: invalid JSON")
            )
        }
        guard let model = json["model"]?.stringValue, !model.isEmpty else {
            return .failure(Rejection(400, kind: .invalidRequest, "model: Field required"))
        }
        guard let maxTokensValue = json["max_tokens"], maxTokensValue != .null else {
            return .failure(Rejection(400, kind: .invalidRequest, "max_tokens: Field required"))
        }
        guard let maxTokens = maxTokensValue.intValue else {
            return .failure(Rejection(400, kind: .invalidRequest, "max_tokens: Input should be a valid integer"))
        }
        guard maxTokens >= 1 else {
            return .failure(
                Rejection(400, kind: .invalidRequest, "max_tokens: Input should be greater than or equal to 1")
            )
        }
        guard let messages = json["messages"]?.arrayValue else {
            return .failure(Rejection(400, kind: .invalidRequest, "messages: Field required"))
        }
        var texts: [String] = []
        if let system = json["system"], system != .null { texts.append(text(of: system)) }
        texts += messages.map { text(of: $0["content"]) }
        let lastUser = messages.last { $0["role"]?.stringValue == "user" }.map { text(of: $0["content"]) } ?? ""
        return .success(
            ProviderRequest(
                provider: .anthropic,
                model: model,
                stream: json["stream"]?.boolValue ?? false,
                includeUsage: false,
                maxTokens: maxTokens,
                lastUserMessage: lastUser,
                texts: texts
            )
        )
    }

    /// The text of a content field: a string, or the `text` of each part of a content array joined by spaces.
    static func text(of content: JSONValue?) -> String {
        switch content {
        case .string(let text)?: return text
        case .array(let parts)?: return parts.compactMap { $0["text"]?.stringValue }.joined(separator: " ")
        default: return ""
        }
    }

    /// A key as OpenAI echoes it: the first three and last four characters.
    static func maskKey(_ key: String) -> String {
        guard key.count > 8 else { return String(repeating: "*", count: key.count) }
        return key.prefix(3) + String(repeating: "*", count: min(key.count - 7, 20)) + key.suffix(4)
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
