/// Whose usage a query covers: everyone, one user, or one org. Aggregates are kept per day for each.
public enum UsageScope: Sendable, Hashable {
    case all
    case user(String)
    case org(String)

    /// A report's scope: the user when given, else the org, else everyone.
    public init(userID: String?, orgID: String?) {
        if let userID, !userID.isEmpty {
            self = .user(userID)
        } else if let orgID, !orgID.isEmpty {
            self = .org(orgID)
        } else {
            self = .all
        }
    }
}
