/// A provider-neutral chat completion request: what a service asks for, before aigw picks a provider and model.
///
/// Translators in GatewayProviders turn it into OpenAI's or Anthropic's wire shape for one concrete model.
public struct CompletionRequest: Sendable, Hashable {
    public enum ResponseFormat: String, Sendable, Hashable {
        case text
        case jsonObject
    }

    public var requestID: String
    public var userID: String
    public var orgID: String
    public var endpoint: Endpoint
    /// nil: inferred from the model name.
    public var provider: ProviderKind?
    public var model: String
    /// Tried in order after `model`; empty means the catalog's default chain for `model`.
    public var fallbackModels: [String]
    public var systemPrompt: String?
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var stop: [String]
    public var responseFormat: ResponseFormat
    /// After every model of the first provider fails, try the other provider's counterpart models.
    public var allowCrossProviderFallback: Bool

    public init(
        requestID: String = "", userID: String = "", orgID: String = "", endpoint: Endpoint = .chat,
        provider: ProviderKind? = nil, model: String, fallbackModels: [String] = [], systemPrompt: String? = nil,
        messages: [ChatMessage], temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil,
        stop: [String] = [], responseFormat: ResponseFormat = .text, allowCrossProviderFallback: Bool = false
    ) {
        self.requestID = requestID
        self.userID = userID
        self.orgID = orgID
        self.endpoint = endpoint
        self.provider = provider
        self.model = model
        self.fallbackModels = fallbackModels
        self.systemPrompt = systemPrompt
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
        self.responseFormat = responseFormat
        self.allowCrossProviderFallback = allowCrossProviderFallback
    }
}
