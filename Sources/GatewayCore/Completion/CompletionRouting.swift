/// How Complete and Stream pick models and providers, as one value an admin can replace at run time
/// (Admin.UpdateConfig `models.*`, `providers.*.enabled`, `retry.*`): a request reads it once when it starts, so a
/// change never mixes old and new settings inside one request.
public struct CompletionRouting: Sendable, Hashable {
    public var catalog: ModelCatalog
    public var retryPolicy: RetryPolicy
    /// Providers switched on; nil serves every provider aigw was built with. A switched-off provider is skipped by
    /// the plan as if it were not configured.
    public var enabledProviders: Set<ProviderKind>?
    /// The model for a request that names none; nil makes the model required.
    public var defaultModel: String?

    public init(
        catalog: ModelCatalog = .productDefaults, retryPolicy: RetryPolicy = RetryPolicy(),
        enabledProviders: Set<ProviderKind>? = nil, defaultModel: String? = nil
    ) {
        self.catalog = catalog
        self.retryPolicy = retryPolicy
        self.enabledProviders = enabledProviders
        self.defaultModel = defaultModel
    }
}
