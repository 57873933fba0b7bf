/// Whose requests may share a cached answer. The scope is part of every cache key, so an answer cached for one
/// tenant is never served to another.
public enum CacheScope: String, Sendable, Hashable, CaseIterable {
    /// The default: callers of one org share answers. A caller without an org id is scoped to its user id, so
    /// org-less callers never share with each other.
    case org
    /// Each user of each org has its own answers.
    case user
    /// Every caller shares answers: only for deployments where all callers may see each other's prompts.
    case global

    /// The scope's part of the key for one caller: a kind and the ids it binds (empty when not bound).
    func subject(userID: String, orgID: String) -> (kind: String, org: String, user: String) {
        switch self {
        case .org where orgID.isEmpty: ("user", "", userID)
        case .org: ("org", orgID, "")
        case .user: ("user", orgID, userID)
        case .global: ("global", "", "")
        }
    }
}
