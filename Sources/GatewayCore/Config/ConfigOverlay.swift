/// Settings changed at run time (Admin.UpdateConfig) on top of the configuration aigw started with: dotted keys
/// as in the YAML file (`prices.gpt-4o.output_per_1k`) with their values as text, and a revision that every change
/// increments, so instances sharing a store notice a change by reading one number.
public struct ConfigOverlay: Sendable, Hashable {
    public var revision: UInt64
    public var values: [String: String]

    public init(revision: UInt64 = 0, values: [String: String] = [:]) {
        self.revision = revision
        self.values = values
    }
}
