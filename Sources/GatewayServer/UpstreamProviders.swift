import GatewayCore
import GatewayProviders

/// Builds every provider that has an API key, all sharing one libcurl client (and so one connection pool). Whether
/// one serves is the routing's `enabledProviders`, so an admin can switch it on or off at run time.
enum UpstreamProviders {
    static func make(_ config: ServerConfig, client: CurlHTTPClient) -> [any CompletionProvider] {
        let upstream = config.upstream
        let timeouts = HTTPTimeouts(
            connect: .milliseconds(upstream.connectTimeoutMillis),
            firstByte: .milliseconds(upstream.firstByteTimeoutMillis),
            idle: .milliseconds(upstream.idleTimeoutMillis),
            total: .milliseconds(upstream.totalTimeoutMillis))
        var providers: [any CompletionProvider] = []
        if let key = config.openAI.apiKey, !key.isEmpty {
            providers.append(HTTPCompletionProvider(
                translator: OpenAITranslator(apiKey: key.value, organization: config.openAI.organization),
                client: client, baseURL: config.openAI.baseURL, timeouts: timeouts))
        }
        if let key = config.anthropic.apiKey, !key.isEmpty {
            providers.append(HTTPCompletionProvider(
                translator: AnthropicTranslator(
                    apiKey: key.value, version: config.anthropic.apiVersion ?? "2023-06-01"),
                client: client, baseURL: config.anthropic.baseURL, timeouts: timeouts))
        }
        return providers
    }
}
