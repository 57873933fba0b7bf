import GatewayCore
import GatewayProviders

/// Builds the enabled providers from the configuration, all sharing one libcurl client (and so one connection pool).
enum UpstreamProviders {
    static func make(_ config: ServerConfig, client: CurlHTTPClient) -> [any CompletionProvider] {
        let upstream = config.upstream
        let timeouts = HTTPTimeouts(
            connect: .milliseconds(upstream.connectTimeoutMillis),
            firstByte: .milliseconds(upstream.firstByteTimeoutMillis),
            idle: .milliseconds(upstream.idleTimeoutMillis),
            total: .milliseconds(upstream.totalTimeoutMillis))
        var providers: [any CompletionProvider] = []
        if config.openAI.isEnabled, let key = config.openAI.apiKey {
            providers.append(HTTPCompletionProvider(
                translator: OpenAITranslator(apiKey: key.value, organization: config.openAI.organization),
                client: client, baseURL: config.openAI.baseURL, timeouts: timeouts))
        }
        if config.anthropic.isEnabled, let key = config.anthropic.apiKey {
            providers.append(HTTPCompletionProvider(
                translator: AnthropicTranslator(
                    apiKey: key.value, version: config.anthropic.apiVersion ?? "2023-06-01"),
                client: client, baseURL: config.anthropic.baseURL, timeouts: timeouts))
        }
        return providers
    }
}
