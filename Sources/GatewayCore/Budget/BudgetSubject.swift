/// Whose spending a budget caps: one user or one org.
public enum BudgetSubject: Sendable, Hashable, CustomStringConvertible {
    case user(String)
    case org(String)

    /// `user:<id>` or `org:<id>`: how store keys and encoded budgets name the subject. The id is the last part, so it
    /// may itself contain `:`.
    public var key: String {
        switch self {
        case .user(let id): "user:\(id)"
        case .org(let id): "org:\(id)"
        }
    }

    public init?(key: String) {
        if key.hasPrefix("user:"), key.count > 5 {
            self = .user(String(key.dropFirst(5)))
        } else if key.hasPrefix("org:"), key.count > 4 {
            self = .org(String(key.dropFirst(4)))
        } else {
            return nil
        }
    }

    public var id: String {
        switch self {
        case .user(let id), .org(let id): id
        }
    }

    /// The usage aggregates the subject's spending is read from.
    public var scope: UsageScope {
        switch self {
        case .user(let id): .user(id)
        case .org(let id): .org(id)
        }
    }

    public var description: String {
        switch self {
        case .user(let id): "user '\(id)'"
        case .org(let id): "org '\(id)'"
        }
    }

    /// Whether a request by `userID` in `orgID` spends against this subject.
    public func covers(userID: String, orgID: String) -> Bool {
        switch self {
        case .user(let id): id == userID
        case .org(let id): id == orgID
        }
    }
}

extension BudgetSubject: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let subject = BudgetSubject(key: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected user:<id> or org:<id>"))
        }
        self = subject
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(key)
    }
}
